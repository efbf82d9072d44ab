package export

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// namespacelessBase is a base that names no namespace: a ServiceAccount and
// a Deployment that runs as it. Flux's layout applies it through an overlay
// whose namespace: puts it in orders.
const namespacelessBase = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      serviceAccountName: api
      containers:
      - name: api
        image: example.com/api:1
`

// ordersSpec names ServiceAccount api, in namespace when it is not "".
func ordersSpec(namespace string) string {
	ns := ""
	if namespace != "" {
		ns = "\n    namespace: " + namespace
	}
	return `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: orders
spec:
  cluster:
    provider: generic
    issuer: https://kubernetes.example.com
  serviceAccount:
    name: api` + ns + `
  gcp:
    projectNumber: "123456789012"
    workloadIdentityPool: orders-pool
    workloadIdentityProvider: orders-provider
`
}

// An overlay's namespace: over a namespace-less base, with the Component
// listed in the overlay: export --namespace gives the build the function
// would give in that overlay, stamps included, which verify accepts and
// trust pins. Without --namespace export refuses, naming the flag, rather
// than stamp "default" (a spec without a namespace) or emit a second
// ServiceAccount that collides with the base's (a spec naming orders).
func TestComponentUnderAnOverlayNamespaceOverANamespacelessBase(t *testing.T) {
	for _, tc := range []struct {
		name, specNamespace, exportNamespace string
		refused                              bool
	}{
		{name: "spec without namespace, export --namespace", exportNamespace: "orders"},
		{name: "spec naming orders, export --namespace", specNamespace: "orders", exportNamespace: "orders"},
		{name: "spec without namespace, no --namespace", refused: true},
		{name: "spec naming orders, no --namespace", specNamespace: "orders", refused: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := ordersSpec(tc.specNamespace)
			files, _, err := Options{Namespace: tc.exportNamespace}.Component([]byte(spec), []byte(namespacelessBase))
			if tc.refused {
				if !errors.Is(err, ErrNamespaceNeeded) || !strings.Contains(err.Error(), "--namespace") || files != nil {
					t.Fatalf("Component = %d files, %v; want ErrNamespaceNeeded naming --namespace", len(files), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			work := t.TempDir()
			write(t, filepath.Join(work, "base", "resources.yaml"), namespacelessBase)
			write(t, filepath.Join(work, "base", "kustomization.yaml"), "resources: [resources.yaml]\n")
			if err := Write(filepath.Join(work, "component"), files); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(work, "overlay", "kustomization.yaml"), "namespace: orders\nresources: [../base]\ncomponents: [../component]\n")
			// The reference: the function itself in that overlay.
			write(t, filepath.Join(work, "function", "spec.yaml"), withExecAnnotation(t, []byte(spec)))
			write(t, filepath.Join(work, "function", "kustomization.yaml"), "namespace: orders\nresources: [../base]\ntransformers: [spec.yaml]\n")

			got := kustomizeBuild(t, filepath.Join(work, "overlay"))
			want := kustomizeBuild(t, filepath.Join(work, "function"))
			// Stamps included: they name the subject.
			if diff := cmp.Diff(normalizeListOrder(t, want), normalizeListOrder(t, got)); diff != "" {
				t.Errorf("the overlay with the Component differs from the function in the overlay (-function +component):\n%s", diff)
			}
			if !strings.Contains(got, "crosscloud.dev/subject: system:serviceaccount:orders:api") {
				t.Errorf("the stamp does not name orders:\n%s", got)
			}
			specFile := filepath.Join(work, "spec.yaml")
			write(t, specFile, spec)
			for _, args := range [][]string{{"verify", specFile, "-"}, {"trust", "--format", "json", specFile, "-"}} {
				var stdout, stderr bytes.Buffer
				cmd := exec.Command(functionBinary, args...)
				cmd.Stdin = strings.NewReader(got)
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Errorf("%s over the Component's build: %v\n%s", args[0], err, stderr.String())
				}
				if args[0] == "trust" && !strings.Contains(stdout.String(), "system:serviceaccount:orders:api") {
					t.Errorf("trust over the Component's build does not pin orders:\n%s", stdout.String())
				}
			}
		})
	}
}
