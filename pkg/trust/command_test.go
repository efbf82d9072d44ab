package trust

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommandReadsStdin(t *testing.T) {
	input, err := os.ReadFile(filepath.Join("testdata", "eks-to-aws", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "eks-to-aws", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runTrust(t, input, "-")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if stdout != string(want) {
		t.Errorf("stdin gave\n%s\nwant\n%s", stdout, want)
	}
}

func TestCommandFailsWithoutPartialOutput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.yaml", specYAML("a", "one", "", awsRoleYAML))
	bad := write("bad.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: skipped}
---
apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata: {name: broken}
spec:
  cluster: {provider: eks, issuer: `+testEKSIssuer+`}
  serviceAccount: {name: app}
  gcp: {workloadIdentityPool: pool-one, workloadIdentityProvider: prov-one}
`)
	otherVersion := write("v2.yaml", strings.Replace(specYAML("a", "one", "", awsRoleYAML), "crosscloud.dev/v1alpha1", "crosscloud.dev/v2", 1))
	conflict := write("conflict.yaml", specYAML("a", "one", "", gcpProviderYAML)+"---\n"+specYAML("b", "two", "https://k8s.example.com", gcpProviderYAML))
	noSpec := write("none.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")

	for _, tc := range []struct {
		name   string
		args   []string
		is     error
		stderr string
	}{
		{"field errors name file, document and field", []string{good, bad}, ErrInvalidSpec,
			bad + ": document 2 (CrossCloudAccess broken): error: spec.gcp.projectNumber: is required"},
		{"another apiVersion of the kind is an error, not skipped", []string{otherVersion}, ErrInvalidSpec,
			otherVersion + ": document 1 (CrossCloudAccess one): error: apiVersion"},
		{"conflicting specs", []string{conflict}, ErrConflict, ""},
		{"no spec at all", []string{noSpec}, ErrNoSpec, ""},
		{"unknown format", []string{"--format", "xml", good}, nil, ""},
		{"missing file", []string{filepath.Join(dir, "absent.yaml")}, os.ErrNotExist, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runTrust(t, nil, tc.args...)
			if err == nil {
				t.Fatalf("trust %q succeeded:\n%s", tc.args, stdout)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			if stdout != "" {
				t.Errorf("partial output on error:\n%s", stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
		})
	}
}

func TestCommandPrintsWarningsAndSucceeds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warn.yaml")
	// An EKS cluster whose issuer does not look like an EKS issuer: a warning.
	doc := strings.Replace(specYAML("a", "one", "https://k8s.example.com", awsRoleYAML), "provider: generic", "provider: eks", 1)
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runTrust(t, nil, path)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, path+": document 1 (CrossCloudAccess one): warning: spec.cluster.issuer:") {
		t.Errorf("no warning with file and field on stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, `"oidcProviders"`) {
		t.Errorf("no trust document on stdout:\n%s", stdout)
	}
}

// trust reads what the function reads: a ResourceList's functionConfig is a
// spec too, not something to drop.
func TestCommandReadsTheFunctionConfigOfAResourceList(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("testdata", "eks-to-aws", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var indented strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(spec)), "\n") {
		indented.WriteString("  " + line + "\n")
	}
	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n" + indented.String()
	stdout, stderr, err := runTrust(t, []byte(rl), "--format", "json", "-")
	if err != nil {
		t.Fatalf("trust: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "oidc_exp_federated_role") {
		t.Errorf("the functionConfig's role is missing from the trust:\n%s", stdout)
	}
}

// Two different specs for one ServiceAccount of one cluster are an error,
// as in the function; the same spec given twice is used once.
func TestCommandRefusesTwoSpecsForOneServiceAccount(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("testdata", "eks-to-aws", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	twice := string(spec) + "\n---\n" + string(spec)
	if _, stderr, err := runTrust(t, []byte(twice), "--format", "json", "-"); err != nil {
		t.Fatalf("the same spec twice: %v\n%s", err, stderr)
	}
	other := twice + "\n---\n" + strings.Replace(string(spec), "oidc_exp_federated_role", "other_role", 1)
	stdout, stderr, err := runTrust(t, []byte(other), "--format", "json", "-")
	if err == nil || stdout != "" || !strings.Contains(stderr, "is already configured by") {
		t.Fatalf("two specs for one ServiceAccount: err %v, stdout %q, stderr %q", err, stdout, stderr)
	}
}

// ReadSpecs, for doctor, says which namespace it assumed for a spec that
// names none (the trust command refuses such a spec instead: subjects_test.go).
func TestReadSpecsWarnsWhenTheNamespaceIsLeftOut(t *testing.T) {
	for _, tc := range []struct {
		namespace string
		warns     bool
	}{
		{namespace: "", warns: true},
		{namespace: "    namespace: apps\n", warns: false},
		{namespace: "    namespace: default\n", warns: false},
	} {
		spec := "apiVersion: crosscloud.dev/v1alpha1\nkind: CrossCloudAccess\nmetadata:\n  name: api\nspec:\n" +
			"  cluster:\n    provider: generic\n    issuer: https://kubernetes.example.com\n" +
			"  serviceAccount:\n    name: api\n" + tc.namespace +
			"  aws:\n    roleArn: arn:aws:iam::111122223333:role/api\n    mode: projected\n    region: eu-west-2\n"
		var messages bytes.Buffer
		if _, err := ReadSpecs(strings.NewReader(spec), &messages, []string{"-"}); err != nil {
			t.Fatalf("%q: %v\n%s", tc.namespace, err, messages.String())
		}
		if got := strings.Contains(messages.String(), "namespace default is assumed"); got != tc.warns {
			t.Errorf("namespace line %q: warning given = %v, want %v; messages:\n%s", tc.namespace, got, tc.warns, messages.String())
		}
	}
}
