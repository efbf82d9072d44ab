package argocd

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
)

const repoRoot = "../.."

// kustomizeBinary is the pinned kustomize, built once for the tests.
var kustomizeBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "argocd-generate-test")
	if err == nil {
		kustomizeBinary = filepath.Join(dir, "kustomize")
		build := exec.Command("go", "build", "-o", kustomizeBinary, "sigs.k8s.io/kustomize/kustomize/v5")
		build.Dir = repoRoot
		build.Stderr = os.Stderr
		err = build.Run()
	}
	if err != nil {
		os.Stderr.WriteString("building kustomize: " + err.Error() + "\n")
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: default
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      serviceAccountName: api
      containers:
      - name: app
        image: example.com/api:1
`

// spec is a CrossCloudAccess for the ServiceAccount of deployment; header
// goes into its metadata (annotations).
func spec(header string) string {
	return `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: api
` + header + `spec:
  cluster:
    provider: gke
    issuer: https://container.googleapis.com/v1/projects/p/locations/europe-west2-a/clusters/c
  serviceAccount:
    name: api
    namespace: default
  aws:
    roleArn: arn:aws:iam::111122223333:role/api
`
}

// execAnnotation makes the spec an exec function, as kustomize runs it.
const execAnnotation = `  annotations:
    config.kubernetes.io/function: |
      exec:
        path: /usr/local/bin/cross-cloud-access
`

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// generate renders files and checks that the kustomization was put back.
func generate(t *testing.T, files map[string]string) (string, string, error) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	var diagnostics bytes.Buffer
	out, err := Generator{Kustomize: kustomizeBinary}.Generate(dir, &diagnostics)
	after, readErr := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if readErr != nil || string(after) != files["kustomization.yaml"] {
		t.Errorf("kustomization.yaml after Generate: %q, %v; want it as it was, %q", after, readErr, files["kustomization.yaml"])
	}
	return string(out), diagnostics.String(), err
}

// assertWired checks that the output is the function's: the ServiceAccount
// it emits, the Deployment carrying the role, and no spec.
func assertWired(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{"kind: ServiceAccount", "value: arn:aws:iam::111122223333:role/api", "kind: Deployment"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "CrossCloudAccess") {
		t.Errorf("a spec reached the output:\n%s", out)
	}
}

// The existing apps list the spec as a kustomize exec transformer: the
// plugin applies it itself and never lets kustomize run its exec path.
func TestGenerateRunsASpecListedAsTransformerWithoutExec(t *testing.T) {
	out, _, err := generate(t, map[string]string{
		"kustomization.yaml":      "resources: [deployment.yaml]\ntransformers: [./cross-cloud-access.yaml]\n",
		"deployment.yaml":         deployment,
		"cross-cloud-access.yaml": strings.Replace(spec(execAnnotation), "/usr/local/bin/cross-cloud-access", "/nonexistent/cross-cloud-access", 1),
	})
	if err != nil {
		t.Fatal(err)
	}
	assertWired(t, out)
}

func TestGenerateFindsSpecsAmongResourcesOrByKindInTheFolder(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"listed under resources": {
			"kustomization.yaml":      "namespace: default\nresources: [deployment.yaml, cross-cloud-access.yaml]\n",
			"cross-cloud-access.yaml": spec(""),
		},
		"local-config, listed under resources": {
			"kustomization.yaml":      "resources: [deployment.yaml, cross-cloud-access.yaml]\n",
			"cross-cloud-access.yaml": spec("  annotations:\n    config.kubernetes.io/local-config: \"true\"\n"),
		},
		"not listed": {
			"kustomization.yaml":      "resources: [deployment.yaml]\n",
			"cross-cloud-access.yaml": spec(""),
		},
	} {
		t.Run(name, func(t *testing.T) {
			files["deployment.yaml"] = deployment
			out, _, err := generate(t, files)
			if err != nil {
				t.Fatal(err)
			}
			assertWired(t, out)
		})
	}
}

// A repository must not run code in the plugin's sidecar through a function
// of its own, in the app's kustomization or in a base below it.
func TestGenerateRefusesForeignFunctionsAndRunsNothing(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "foreign-function-ran")
	script := "#!/bin/sh\ntouch " + marker + "\ncat\n"
	foreign := func(fn string) string {
		return "apiVersion: example.com/v1\nkind: Foreign\nmetadata:\n  name: foreign\n  annotations:\n    config.kubernetes.io/function: |\n" + fn
	}
	for name, files := range map[string]map[string]string{
		"exec function in the app": {
			"kustomization.yaml": "resources: [deployment.yaml]\ntransformers: [cross-cloud-access.yaml, foreign.yaml]\n",
			"foreign.yaml":       foreign("      exec:\n        path: ./x.sh\n"),
			"x.sh":               script,
		},
		"exec function in a base": {
			"kustomization.yaml":      "resources: [base]\ntransformers: [cross-cloud-access.yaml]\n",
			"base/kustomization.yaml": "resources: [deployment.yaml]\ngenerators: [foreign.yaml]\n",
			"base/deployment.yaml":    deployment,
			"base/foreign.yaml":       foreign("      exec:\n        path: ./x.sh\n"),
			"base/x.sh":               script,
		},
		"container function": {
			"kustomization.yaml": "resources: [deployment.yaml]\ntransformers: [foreign.yaml, cross-cloud-access.yaml]\n",
			"foreign.yaml":       foreign("      container:\n        image: example.com/foreign:1\n"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			if files["base/deployment.yaml"] == "" {
				files["deployment.yaml"] = deployment
			}
			files["cross-cloud-access.yaml"] = spec(execAnnotation)
			out, _, err := generate(t, files)
			if !errors.Is(err, ErrFunctionRefused) {
				t.Fatalf("Generate = %v; want ErrFunctionRefused", err)
			}
			if out != "" {
				t.Errorf("output with the error:\n%s", out)
			}
			for _, want := range []string{"built-in transformers only", "Foreign"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q: %v", want, err)
				}
			}
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the foreign function ran (%s exists)", marker)
			}
		})
	}
}

func TestGenerateFailsWithoutOutput(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		want      error
		diagnosed string
	}{
		{
			name: "invalid spec",
			files: map[string]string{
				"kustomization.yaml":      "resources: [deployment.yaml]\ntransformers: [cross-cloud-access.yaml]\n",
				"deployment.yaml":         deployment,
				"cross-cloud-access.yaml": strings.Replace(spec(""), "arn:aws:iam::111122223333:role/api", "not-an-arn", 1),
			},
			want:      function.ErrInvalid,
			diagnosed: `spec.aws.roleArn: "not-an-arn" is not valid`,
		},
		{
			// No workloads, and a ServiceAccount that is not to be created.
			name: "no manifests",
			files: map[string]string{
				"kustomization.yaml":      "resources: []\n",
				"cross-cloud-access.yaml": strings.Replace(spec(""), "    namespace: default\n", "    namespace: default\n    create: false\n", 1),
			},
			want: ErrNoManifests,
		},
		{
			name: "no spec",
			files: map[string]string{
				"kustomization.yaml": "resources: [deployment.yaml]\n",
				"deployment.yaml":    deployment,
			},
			want: ErrNoSpec,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, diagnostics, err := generate(t, tt.files)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Generate = %v; want %v", err, tt.want)
			}
			if out != "" {
				t.Errorf("output with the error:\n%s", out)
			}
			if !strings.Contains(diagnostics, tt.diagnosed) {
				t.Errorf("diagnostics do not say %q:\n%s", tt.diagnosed, diagnostics)
			}
		})
	}
}
