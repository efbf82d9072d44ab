package trust

import (
	"strings"
	"testing"
)

// specWithoutNamespace names ServiceAccount api and no namespace: the
// function takes the namespace of its workloads, trust has none to take.
const specWithoutNamespace = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: shop
spec:
  cluster:
    provider: generic
    issuer: https://kubernetes.example.com
  serviceAccount:
    name: api
  aws:
    roleArn: arn:aws:iam::111122223333:role/shop
    region: eu-west-2
`

// stampedDeployment is a built Deployment whose pod template carries the
// stamp of spec shop for subject; namespace "" writes none.
func stampedDeployment(namespace, subject string) string {
	ns := ""
	if namespace != "" {
		ns = "\n  namespace: " + namespace
	}
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web` + ns + `
spec:
  template:
    metadata:
      annotations:
        crosscloud.dev/spec: shop
        crosscloud.dev/subject: "` + subject + `"
        crosscloud.dev/clouds: aws
    spec:
      serviceAccountName: api
      containers: [{name: web, image: example.com/web:1}]
`
}

// trust never guesses a namespace: a spec that names none needs
// --namespace or the built output, where the stamps say which subject the
// function wired (an overlay's namespace and prefix included).
func TestTrustPinsOnlyASubjectItIsTold(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input string
		args  []string
		// want is in the output, or in the error when fails.
		want  string
		fails bool
	}{
		{name: "no namespace anywhere", input: specWithoutNamespace, fails: true,
			want: "set it, pass --namespace NAMESPACE, or give trust the built output"},
		{name: "--namespace", input: specWithoutNamespace, args: []string{"--namespace", "apps"},
			want: "system:serviceaccount:apps:api"},
		{name: "the built output", input: specWithoutNamespace + "---\n" + stampedDeployment("shop-dev", "system:serviceaccount:shop-dev:dev-api"),
			want: "system:serviceaccount:shop-dev:dev-api"},
		{name: "the built output over the spec's own namespace", input: strings.Replace(specWithoutNamespace, "    name: api\n", "    name: api\n    namespace: shop\n", 1) +
			"---\n" + stampedDeployment("shop-dev", "system:serviceaccount:shop-dev:api"),
			want: "system:serviceaccount:shop-dev:api"},
		{name: "built objects without a namespace", input: specWithoutNamespace + "---\n" + stampedDeployment("", "system:serviceaccount:default:api"), fails: true,
			want: "carries no namespace, so the namespace of its stamp (default) is a guess; pass --namespace"},
		{name: "built objects without a namespace, and --namespace", input: specWithoutNamespace + "---\n" + stampedDeployment("", "system:serviceaccount:default:api"),
			args: []string{"--namespace", "preview"}, want: "system:serviceaccount:preview:api"},
		{name: "two subjects in one output", input: specWithoutNamespace + "---\n" + stampedDeployment("a", "system:serviceaccount:a:api") + "---\n" +
			strings.Replace(stampedDeployment("b", "system:serviceaccount:b:api"), "name: web", "name: other", 1), fails: true,
			want: "for 2 subjects (system:serviceaccount:a:api, system:serviceaccount:b:api)"},
		{name: "a stamp that widens the subject", input: specWithoutNamespace + "---\n" + stampedDeployment("shop", "system:serviceaccount:shop:*"), fails: true,
			want: "not a ServiceAccount"},
		{name: "a stamp with a line break", input: specWithoutNamespace + "---\n" + stampedDeployment("shop", "system:serviceaccount:shop:api\u2028x"), fails: true,
			want: `"system:serviceaccount:shop:api\u2028x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runTrust(t, []byte(tc.input), append([]string{"--format", "json", "-"}, tc.args...)...)
			if tc.fails {
				if err == nil || stdout != "" {
					t.Fatalf("want an error and no output; got %v\n%s", err, stdout)
				}
				if !strings.Contains(stderr, tc.want) {
					t.Errorf("the error does not say %q:\n%s", tc.want, stderr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			if !strings.Contains(stdout, tc.want) {
				t.Errorf("the trust does not pin %s:\n%s", tc.want, stdout)
			}
		})
	}
}
