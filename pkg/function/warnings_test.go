package function

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
)

func TestProcessorWritesWarningsToItsWarningsWriter(t *testing.T) {
	rl, err := resourceList([]byte(`apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata: {name: no-region}
spec:
  cluster: {provider: generic, issuer: https://issuer.example.com}
  serviceAccount: {name: app, namespace: team}
  aws: {roleArn: "arn:aws:iam::111122223333:role/app"}
`), []byte(`apiVersion: v1
kind: Pod
metadata: {name: app, namespace: team}
spec:
  serviceAccountName: app
  containers: [{name: app, image: app}]
`))
	if err != nil {
		t.Fatal(err)
	}
	var out, warnings bytes.Buffer
	if err := framework.Execute(Processor{Warnings: &warnings}, &kio.ByteReadWriter{Reader: bytes.NewReader(rl), Writer: &out}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(warnings.String(), "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "[warning]") || !strings.Contains(lines[0], "spec.aws.region") {
		t.Errorf("warnings written:\n%s\nwant one [warning] line about spec.aws.region", warnings.String())
	}
	if !strings.Contains(out.String(), "severity: warning") {
		t.Errorf("the ResourceList lost the warning Result:\n%s", out.String())
	}
}
