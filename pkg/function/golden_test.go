package function

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
	"github.com/crosscloud-dev/cross-cloud-access/internal/kubecheck"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/resourcelist"
)

// goldenRoot is the repository's testdata/: the golden cases of the whole
// function, read here (testdata/README.md says what a case holds). A case is
// a folder with input.yaml (the items), config.yaml (the functionConfig, may
// be absent) and expected.yaml (the whole ResourceList the function writes,
// items and results).
const goldenRoot = "../../testdata"

// runResourceList runs the processor exactly as the binary does on a
// ResourceList and returns what it writes to stdout.
func runResourceList(rl []byte) ([]byte, error) {
	var out bytes.Buffer
	err := resourcelist.Execute(Processor{}, bytes.NewReader(rl), &out)
	return out.Bytes(), err
}

// runFunction runs the function on a golden case's config and items.
func runFunction(t *testing.T, config, input []byte) ([]byte, error) {
	t.Helper()
	rl, err := benchdata.Wrap(config, input)
	if err != nil {
		t.Fatalf("building the ResourceList: %v", err)
	}
	return runResourceList(rl)
}

func readOptional(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return data
}

func TestGolden(t *testing.T) {
	for _, name := range golden.Cases(t, goldenRoot, "input.yaml") {
		dir := filepath.Join(goldenRoot, name)
		config := readOptional(t, filepath.Join(dir, "config.yaml"))
		input := readOptional(t, filepath.Join(dir, "input.yaml"))
		t.Run(name, func(t *testing.T) {
			got, runErr := runFunction(t, config, input)
			golden.Compare(t, filepath.Join(dir, "expected.yaml"), got)
			checkOutput(t, got, runErr, config, input)
		})
	}
}

// checkOutput holds for every case: an error means no items at all; success
// means every object decodes into Kubernetes' types and a second run over the
// output (with the same specs) changes nothing.
func checkOutput(t *testing.T, out []byte, runErr error, config, input []byte) {
	t.Helper()
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatalf("output is not YAML: %v", err)
	}
	items, err := rl.Pipe(yaml.Lookup("items"))
	if err != nil {
		t.Fatal(err)
	}
	var itemList []*yaml.RNode
	if items != nil {
		itemList, _ = items.Elements()
	}
	if runErr != nil {
		if len(itemList) != 0 {
			t.Errorf("the function failed (%v) but wrote %d items; want none", runErr, len(itemList))
		}
		if !strings.Contains(string(out), "severity: error") {
			t.Errorf("the function failed without an error Result")
		}
		return
	}
	if strings.Contains(string(out), "severity: error") {
		t.Errorf("an error Result was written but the function succeeded")
	}
	// Specs among the items left the output; give them back for the second run.
	var again bytes.Buffer
	inputItems, err := kio.FromBytes(input)
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range inputItems {
		if isSpec(item) && !isLocalConfig(item) {
			again.WriteString("---\n" + item.MustString())
		}
	}
	for _, item := range itemList {
		if kubecheck.Known(item.GetApiVersion(), item.GetKind()) {
			if err := kubecheck.Strict(item.GetApiVersion(), item.GetKind(), []byte(item.MustString())); err != nil {
				t.Errorf("%s/%s: %v", item.GetKind(), item.GetName(), err)
			}
		}
		again.WriteString("---\n" + item.MustString())
	}
	second, err := runFunction(t, config, again.Bytes())
	if err != nil {
		t.Fatalf("second run over the output failed: %v\n%s", err, second)
	}
	if diff := cmp.Diff(itemsOf(t, out), itemsOf(t, second)); diff != "" {
		t.Errorf("a second run changed the output (-first +second):\n%s", diff)
	}
}

func itemsOf(t *testing.T, out []byte) string {
	t.Helper()
	rl := yaml.MustParse(string(out))
	items, err := rl.Pipe(yaml.Lookup("items"))
	if err != nil || items == nil {
		return ""
	}
	return items.MustString()
}
