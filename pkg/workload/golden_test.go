package workload

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
	"github.com/crosscloud-dev/cross-cloud-access/internal/kubecheck"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// goldenConfig is a golden case's patch.yaml: what the function would hand
// this package for every workload of the case.
type goldenConfig struct {
	Pod        plan.PodPatch
	Containers []string
	// ServiceAccountName, when set, is set on every workload before the
	// patch, as the function does for selected workloads.
	ServiceAccountName string
}

// Golden cases live in testdata/<case>/: patch.yaml, input.yaml,
// expected.yaml (the objects after patching every workload) and, when some
// workload cannot be patched, errors.txt (one error a line).
func TestGoldenCases(t *testing.T) {
	for _, name := range golden.Cases(t, "testdata", "patch.yaml") {
		dir := filepath.Join("testdata", name)
		t.Run(name, func(t *testing.T) {
			config := readGoldenConfig(t, filepath.Join(dir, "patch.yaml"))
			input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			once := runGoldenCase(t, config, input)
			golden.Compare(t, filepath.Join(dir, "expected.yaml"), []byte(once.Output))
			golden.Compare(t, filepath.Join(dir, "errors.txt"), []byte(strings.Join(once.Errors, "")))

			twice := runGoldenCase(t, config, []byte(once.Output))
			if diff := cmp.Diff(once.Output, twice.Output); diff != "" {
				t.Errorf("patching the output again changed it (-once +twice):\n%s", diff)
			}
			if diff := cmp.Diff(once.Errors, twice.Errors); diff != "" {
				t.Errorf("patching the output again gave other errors (-once +twice):\n%s", diff)
			}
			for _, item := range once.Patched {
				decodeStrictly(t, item)
			}
		})
	}
}

// goldenRun is what patching the objects of a golden case gave.
type goldenRun struct {
	// Output is every object, patched or not.
	Output string
	// Errors are the error messages, each ending in a newline.
	Errors []string
	// Patched are the workloads patched without error.
	Patched []*yaml.RNode
}

func readGoldenConfig(t *testing.T, path string) goldenConfig {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var config goldenConfig
	if err := sigsyaml.UnmarshalStrict(data, &config); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return config
}

// runGoldenCase sets the ServiceAccount of and patches every workload of
// input as the function would. A workload whose patch fails must come out
// unchanged (a failed patch leaves the ServiceAccount set before it).
func runGoldenCase(t *testing.T, config goldenConfig, input []byte) goldenRun {
	t.Helper()
	items, err := kio.FromBytes(input)
	if err != nil {
		t.Fatalf("read input: %v", err)
	}
	patch := Patch{Pod: config.Pod, Containers: config.Containers, EnvSources: NewEnvSources(items)}
	var run goldenRun
	for _, item := range items {
		before := item.MustString()
		w, ok, err := locateOne(item)
		if err == nil && ok {
			// Both steps run, so that one case shows every problem.
			var setErr error
			if config.ServiceAccountName != "" {
				setErr = w.SetServiceAccountName(config.ServiceAccountName)
			}
			applyErr := patch.Apply(w)
			if applyErr != nil && item.MustString() != before {
				t.Errorf("a failed patch changed the object:\n%s", cmp.Diff(before, item.MustString()))
			}
			if err = errors.Join(setErr, applyErr); err == nil {
				run.Patched = append(run.Patched, item)
			}
		}
		for _, e := range leafErrors(err) {
			run.Errors = append(run.Errors, e.Error()+"\n")
		}
	}
	if run.Output, err = kio.StringAll(items); err != nil {
		t.Fatalf("write output: %v", err)
	}
	return run
}

func decodeStrictly(t *testing.T, item *yaml.RNode) {
	t.Helper()
	data, err := item.String()
	if err != nil {
		t.Fatal(err)
	}
	if err := kubecheck.Strict(item.GetApiVersion(), item.GetKind(), []byte(data)); err != nil {
		t.Errorf("%s %s: %v", item.GetKind(), item.GetName(), err)
	}
}
