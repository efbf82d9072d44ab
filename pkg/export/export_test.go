package export

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

const repoRoot = "../.."

var functionBinary string

// TestMain builds the function, which side A of the comparison runs as an
// exec transformer.
func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "export-test")
	if err == nil {
		functionBinary = filepath.Join(dir, "cross-cloud-access")
		build := exec.Command("go", "build", "-o", functionBinary, "./fn/cross-cloud-access")
		build.Dir = repoRoot
		build.Stderr = os.Stderr
		err = build.Run()
	}
	if err != nil {
		os.Stderr.WriteString("building the function: " + err.Error() + "\n")
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func kustomizeBuild(t *testing.T, dir string) string {
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

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// withExecAnnotation makes a spec runnable by kustomize as an exec transformer.
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

// The promise of export: plain `kustomize build` with the Component gives the
// same objects as `kustomize build` running the function, for every golden
// case the function accepts.
// refusedByExport are accepted cases a Component cannot express, with the
// message export gives instead of a wrong Component.
var refusedByExport = map[string]string{
	"custom-resource-kinds-in-lists":  "inside a list element",
	"user-declared-pod-template-kind": "export does not know how to patch",
}

func TestComponentBuildsTheSameObjectsAsTheFunction(t *testing.T) {
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
			write(t, filepath.Join(work, "function", "kustomization.yaml"), "resources: [input.yaml]\ntransformers: [spec.yaml]\n")

			files, _, err := Component(spec, input)
			kustomization := "resources: [input.yaml]\n"
			if errors.Is(err, ErrNamespaceNeeded) {
				// Items and spec without a namespace: applied where a
				// kustomization's namespace: says, which export is told.
				kustomization = "namespace: default\n" + kustomization
				write(t, filepath.Join(work, "function", "kustomization.yaml"), kustomization+"transformers: [spec.yaml]\n")
				files, _, err = Options{Namespace: "default"}.Component(spec, input)
			}
			if refusal, refused := refusedByExport[name]; refused {
				if err == nil || !strings.Contains(err.Error(), refusal) {
					t.Fatalf("Component = %v; want the refusal %q", err, refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := Write(filepath.Join(work, "static", "component"), files); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(work, "static", "input.yaml"), string(input))
			write(t, filepath.Join(work, "static", "kustomization.yaml"), kustomization+"components: [component]\n")

			want := normalizeListOrder(t, kustomizeBuild(t, filepath.Join(work, "function")))
			got := normalizeListOrder(t, kustomizeBuild(t, filepath.Join(work, "static")))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("kustomize with the Component differs from kustomize with the function (-function +component):\n%s", diff)
			}
		})
	}
	if ran < 10 {
		t.Fatalf("compared %d cases; want every accepted golden case", ran)
	}
}

// mergeKeys are the lists the function adds to and their keys. A strategic
// merge puts a patch's new entries first where the function appends them;
// Kubernetes does not order volumes or mounts, and the variables the function
// sets refer to no other, so the comparison sorts these lists.
var mergeKeys = map[string]string{"env": "name", "volumeMounts": "mountPath", "volumes": "name"}

// normalizeListOrder sorts the lists of mergeKeys in every object of
// stream. The stamps stay: the Component's patches carry the function's
// stamps, whose subject verify and trust read.
func normalizeListOrder(t *testing.T, stream string) string {
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
	var b strings.Builder
	for _, n := range nodes {
		sortLists(n.YNode())
		b.WriteString("---\n" + n.MustString())
	}
	return b.String()
}

func fieldOf(n *yaml.Node, key string) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func TestComponentGolden(t *testing.T) {
	caseDir := filepath.Join(repoRoot, "testdata", "generic-all-clouds-one-pod")
	spec, err := os.ReadFile(filepath.Join(caseDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	input, err := os.ReadFile(filepath.Join(caseDir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := Component(spec, input)
	if err != nil {
		t.Fatal(err)
	}
	goldenDir := filepath.Join("testdata", "generic-all-clouds-one-pod")
	if *golden.Update {
		// No file the Component no longer has may stay behind.
		if err := os.RemoveAll(goldenDir); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		golden.Compare(t, filepath.Join(goldenDir, f.Path), []byte(f.Content))
	}
}

func TestComponentRefusesWhatTheFunctionRefuses(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "error-env-conflict", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	input, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "error-env-conflict", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files, results, err := Component(spec, input)
	if err == nil || files != nil {
		t.Fatalf("want an error and no files, got %d files", len(files))
	}
	if results.ExitCode() == 0 || !strings.Contains(results.Error(), "AWS_REGION") {
		t.Errorf("results do not name the conflict: %v", results)
	}
}
