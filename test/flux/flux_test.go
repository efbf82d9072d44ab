// Package flux builds the exported Component with Flux's own kustomize
// library, the way kustomize-controller builds a Kustomization, and compares
// the objects with the function's. It is a module of its own so that Flux's
// dependencies stay out of the function's.
package flux

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fluxcd/pkg/kustomize"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/export"
)

const repoRoot = "../.."

var functionBinary string

// TestMain builds the function, which the reference side runs as an exec
// transformer of the kustomize pinned in the main module.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flux-test")
	if err == nil {
		functionBinary = filepath.Join(dir, "cross-cloud-access")
		build := exec.Command("go", "build", "-o", functionBinary, "./fn/cross-cloud-access")
		build.Dir = repoRoot
		build.Stderr = os.Stderr
		err = build.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the function:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fluxBuild does what kustomize-controller does for a Kustomization whose
// spec.path is dir: write the kustomization file the Kustomization's own
// fields call for, then build with plugins off and the source as the root
// nothing may escape.
func fluxBuild(t *testing.T, root, dir string) string {
	t.Helper()
	return fluxBuildKustomization(t, root, dir, unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1",
		"kind":       "Kustomization",
		"metadata":   map[string]any{"name": "apps", "namespace": "flux-system"},
		"spec": map[string]any{
			"path":     "./" + filepath.Base(dir),
			"prune":    true,
			"interval": "10m",
			"sourceRef": map[string]any{
				"kind": "GitRepository",
				"name": "apps",
			},
		},
	}})
}

// fluxBuildKustomization builds dir, the folder of the Flux Kustomization
// ks under the source root, as kustomize-controller does.
func fluxBuildKustomization(t *testing.T, root, dir string, ks unstructured.Unstructured) string {
	t.Helper()
	generator := kustomize.NewGeneratorWithIgnore(root, "", ks)
	action, err := generator.WriteFile(dir, kustomize.WithSaveOriginalKustomization())
	if err != nil {
		t.Fatalf("flux generator: %v", err)
	}
	defer func() {
		if err := kustomize.CleanDirectory(dir, action); err != nil {
			t.Error(err)
		}
	}()
	resources, err := kustomize.SecureBuild(root, dir, false)
	if err != nil {
		t.Fatalf("flux build: %v", err)
	}
	out, err := resources.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func kustomizeWithFunction(t *testing.T, dir string) string {
	t.Helper()
	var out, stderr bytes.Buffer
	cmd := exec.Command("go", "tool", "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", dir)
	cmd.Dir = repoRoot
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	return out.String()
}

// Flux's build of the exported Component gives the objects the function
// gives, for every golden case the function accepts.
func TestFluxBuildOfTheComponentEqualsTheFunction(t *testing.T) {
	configs, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "*", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, configPath := range configs {
		caseDir := filepath.Dir(configPath)
		name := filepath.Base(caseDir)
		if strings.HasPrefix(name, "error-") || strings.HasPrefix(name, "bad-") {
			continue
		}
		ran++
		t.Run(name, func(t *testing.T) {
			spec, err := os.ReadFile(configPath)
			if err != nil {
				t.Fatal(err)
			}
			input, err := os.ReadFile(filepath.Join(caseDir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			work := t.TempDir()
			write(t, filepath.Join(work, "function", "input.yaml"), string(input))
			write(t, filepath.Join(work, "function", "spec.yaml"), withExecAnnotation(t, spec))
			kustomization := "resources: [input.yaml]\n"
			write(t, filepath.Join(work, "function", "kustomization.yaml"), kustomization+"transformers: [spec.yaml]\n")

			files, _, err := export.Component(spec, input)
			if errors.Is(err, export.ErrNamespaceNeeded) {
				// Items and spec without a namespace: applied where the
				// Flux overlay's namespace: says, which export is told.
				kustomization = "namespace: default\n" + kustomization
				write(t, filepath.Join(work, "function", "kustomization.yaml"), kustomization+"transformers: [spec.yaml]\n")
				files, _, err = export.Options{Namespace: "default"}.Component(spec, input)
			}
			if errors.Is(err, export.ErrNotExportable) {
				// pkg/export's own test checks this refusal.
				t.Skipf("export refuses this case: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := export.Write(filepath.Join(work, "source", "component"), files); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(work, "source", "apps", "input.yaml"), string(input))
			write(t, filepath.Join(work, "source", "apps", "kustomization.yaml"), kustomization+"components: [../component]\n")

			want := normalizeOrder(t, kustomizeWithFunction(t, filepath.Join(work, "function")))
			got := normalizeOrder(t, fluxBuild(t, filepath.Join(work, "source"), filepath.Join(work, "source", "apps")))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Flux's build of the Component differs from kustomize with the function (-function +flux):\n%s", diff)
			}
		})
	}
	if ran < 10 {
		t.Fatalf("compared %d cases; want every accepted golden case", ran)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func withExecAnnotation(t *testing.T, spec []byte) string {
	t.Helper()
	n, err := yaml.Parse(string(spec))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.PipeE(yaml.SetAnnotation("config.kubernetes.io/function", "exec:\n  path: "+functionBinary+"\n")); err != nil {
		t.Fatal(err)
	}
	return n.MustString()
}

// mergeKeys are the lists the function adds to, and their keys: a patch
// puts its entries in another place than the function appends them, and
// Kubernetes orders none of these lists by meaning (as in pkg/export's own
// comparison with kustomize).
var mergeKeys = map[string]string{"env": "name", "volumeMounts": "mountPath", "volumes": "name"}

// normalizeOrder sorts the objects of stream and the lists of mergeKeys.
// The stamps stay: the Component carries the function's, whose subject
// verify and trust read.
func normalizeOrder(t *testing.T, stream string) string {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	var sortLists func(n *yaml.Node)
	sortLists = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, value := n.Content[i].Value, n.Content[i+1]
				if field, ok := mergeKeys[key]; ok && value.Kind == yaml.SequenceNode {
					sort.SliceStable(value.Content, func(a, b int) bool {
						return fieldOf(value.Content[a], field) < fieldOf(value.Content[b], field)
					})
				}
			}
		}
		for _, c := range n.Content {
			sortLists(c)
		}
	}
	docs := make([]string, 0, len(nodes))
	for _, n := range nodes {
		sortLists(n.YNode())
		docs = append(docs, "---\n"+n.MustString())
	}
	// kustomize-controller's build leaves objects in the order the
	// kustomization lists them, the kustomize CLI sorts them by kind; Flux
	// applies in its own order either way.
	sort.Strings(docs)
	return strings.Join(docs, "")
}

func fieldOf(n *yaml.Node, key string) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// fluxBase is a namespace-less base: the ServiceAccount and a Deployment
// that runs as it. The spec names no namespace either.
const (
	fluxBase = `apiVersion: v1
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
	fluxSpec = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: orders
spec:
  cluster:
    provider: generic
    issuer: https://kubernetes.example.com
  serviceAccount:
    name: api
  aws:
    roleArn: arn:aws:iam::111122223333:role/orders
    region: eu-west-2
`
)

// Flux's layout (docs/flux.md): apps/base names no namespace, the overlay
// Flux builds sets namespace: orders and lists the Component exported with
// --namespace orders. Flux's build gives what the function gives in that
// overlay, stamps included (they name orders, which verify and trust read).
func TestFluxOverlayNamespaceOverANamespacelessBase(t *testing.T) {
	files, _, err := export.Options{Namespace: "orders"}.Component([]byte(fluxSpec), []byte(fluxBase))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	write(t, filepath.Join(work, "source", "apps", "base", "resources.yaml"), fluxBase)
	write(t, filepath.Join(work, "source", "apps", "base", "kustomization.yaml"), "resources: [resources.yaml]\n")
	if err := export.Write(filepath.Join(work, "source", "apps", "prod", "cross-cloud-access"), files); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(work, "source", "apps", "prod", "kustomization.yaml"),
		"namespace: orders\nresources: [../base]\ncomponents: [cross-cloud-access]\n")
	write(t, filepath.Join(work, "function", "base", "resources.yaml"), fluxBase)
	write(t, filepath.Join(work, "function", "base", "kustomization.yaml"), "resources: [resources.yaml]\n")
	write(t, filepath.Join(work, "function", "prod", "spec.yaml"), withExecAnnotation(t, []byte(fluxSpec)))
	write(t, filepath.Join(work, "function", "prod", "kustomization.yaml"), "namespace: orders\nresources: [../base]\ntransformers: [spec.yaml]\n")

	got := fluxBuild(t, filepath.Join(work, "source"), filepath.Join(work, "source", "apps", "prod"))
	want := kustomizeWithFunction(t, filepath.Join(work, "function", "prod"))
	if diff := cmp.Diff(normalizeOrder(t, want), normalizeOrder(t, got)); diff != "" {
		t.Errorf("Flux's build of the overlay differs from the function in the overlay (-function +flux):\n%s", diff)
	}
	if !strings.Contains(got, "crosscloud.dev/subject: system:serviceaccount:orders:api") {
		t.Errorf("the stamp does not name orders:\n%s", got)
	}
	// Without --namespace export refuses: its stamps would say default.
	if _, _, err := export.Component([]byte(fluxSpec), []byte(fluxBase)); !errors.Is(err, export.ErrNamespaceNeeded) {
		t.Errorf("export without --namespace = %v; want ErrNamespaceNeeded", err)
	}
}
