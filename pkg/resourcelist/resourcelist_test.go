package resourcelist

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
)

// kyamlExecute is the reference: what command.Build runs, with one
// difference Execute makes on purpose: folded scalars yaml.v3 would not
// write back as they were are restyled first.
func kyamlExecute(p framework.ResourceListProcessor, in []byte) (out []byte, err error) {
	defer catch(&err)
	var buf bytes.Buffer
	restyled := framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error {
		err := p.Process(rl)
		for _, item := range rl.Items {
			keepValues(item.YNode())
		}
		return err
	})
	err = framework.Execute(restyled, &kio.ByteReadWriter{Reader: bytes.NewReader(in), Writer: &buf, KeepReaderAnnotations: true})
	return buf.Bytes(), err
}

func execute(p framework.ResourceListProcessor, in []byte) (out []byte, err error) {
	defer catch(&err)
	var buf bytes.Buffer
	err = Execute(p, bytes.NewReader(in), &buf)
	return buf.Bytes(), err
}

// catch turns a panic into an error, to compare with the reference's: on
// input kyaml panics on, the writers must panic too (or fail alike).
func catch(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("panic: %v", v)
	}
}

var functionProcessor = function.Processor{}

var identity = framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })

// sameAsKyaml fails t unless Execute writes what kyaml writes, byte for
// byte, and returns the same error.
func sameAsKyaml(t *testing.T, p framework.ResourceListProcessor, in []byte) {
	t.Helper()
	want, wantErr := kyamlExecute(p, in)
	for _, split := range []bool{false, true} {
		got, gotErr := executeSplitting(p, in, split)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("error %v; kyaml's is %v (splitting %v)", gotErr, wantErr, split)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("output differs from kyaml's at byte %d (splitting %v):\n%s", firstDifference(got, want), split, lineDiff(string(want), string(got)))
		}
	}
}

// executeSplitting runs Execute with the items of even small inputs parsed
// in parallel, or of none.
func executeSplitting(p framework.ResourceListProcessor, in []byte, split bool) ([]byte, error) {
	defer func(from int) { splitFrom = from }(splitFrom)
	splitFrom = math.MaxInt
	if split {
		splitFrom = 0
	}
	return execute(p, in)
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// lineDiff shows the first lines where want and got part.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b || i >= len(w) || i >= len(g) {
			from, to := max(0, i-3), i+4
			return fmt.Sprintf("kyaml, lines %d-:\n%s\nours:\n%s", from+1,
				strings.Join(w[from:min(to, len(w))], "\n"), strings.Join(g[from:min(to, len(g))], "\n"))
		}
	}
	return ""
}

// goldenCases are the function's golden cases: a functionConfig (may be
// empty) and items.
func goldenCases(t *testing.T) map[string][2][]byte {
	t.Helper()
	dirs, err := filepath.Glob("../../testdata/*/input.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	cases := map[string][2][]byte{}
	for _, path := range dirs {
		dir := filepath.Dir(path)
		config, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
		input, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cases[filepath.Base(dir)] = [2][]byte{config, input}
	}
	return cases
}

// yamlFiles is every YAML file of the repository's test data and examples.
func yamlFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, root := range []string{"../../testdata", "../../examples", "../../pkg", "../../test", "../../e2e", "../../fn"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[path] = data
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// Every golden case, through the function: the bytes kyaml writes.
func TestExecuteWritesWhatKyamlWrites(t *testing.T) {
	for name, c := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			rl, err := benchdata.Wrap(c[0], c[1])
			if err != nil {
				t.Skipf("not a ResourceList: %v", err)
			}
			sameAsKyaml(t, function.Processor{}, rl)
		})
	}
}

// Every YAML file of the repository read as a ResourceList and written
// back unchanged, wrapped in one when it is a stream of objects: the
// goldens' expected outputs are ResourceLists with results.
func TestExecuteReadsAndWritesWhatKyamlDoes(t *testing.T) {
	for path, data := range yamlFiles(t) {
		t.Run(path, func(t *testing.T) {
			sameAsKyaml(t, identity, data)
			if rl, err := benchdata.Wrap(nil, data); err == nil {
				sameAsKyaml(t, identity, rl)
			}
		})
	}
}

// The benchmark's inputs: enough items for the parallel writer.
func TestExecuteOnTheBenchmarkInput(t *testing.T) {
	sizes := []int{1, 3, 100, 1000}
	if testing.Short() {
		sizes = sizes[:3]
	}
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rl, err := benchdata.ResourceList(n)
			if err != nil {
				t.Fatal(err)
			}
			sameAsKyaml(t, function.Processor{}, rl)
		})
	}
}

// Inputs that are not one ResourceList go to kyaml, which says what it
// says about them.
func TestExecuteLeavesOtherInputToKyaml(t *testing.T) {
	for name, in := range map[string]string{
		"empty":              "",
		"comment":            "# nothing\n",
		"stream":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
		"one object":         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		"list":               "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n",
		"crlf":               "apiVersion: config.kubernetes.io/v1\r\nkind: ResourceList\r\nitems:\r\n- apiVersion: v1\r\n  kind: ConfigMap\r\n  metadata: {name: a}\r\n",
		"trailing separator": "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n---\n",
		"leading separator":  "---\napiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n",
		"bad separator":      "a: b\n--- c\nd: e\n",
		"not yaml":           "items: [\n",
		"no items":           "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n",
		"items not a list":   "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {a: b}\n",
		"scalar items":       "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [1, null, x]\n",
		"results only":       "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig: {a: b}\nresults: [{message: m}]\n",
		"bad metadata":       "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nmetadata: [x]\nitems: []\n",
		"old apiVersion":     "apiVersion: config.kubernetes.io/v1alpha1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, annotations: {}}}\n",
		"path annotations":   "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    annotations:\n      config.kubernetes.io/path: a.yaml\n      config.kubernetes.io/index: '0'\n",
		"mismatched":         "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    annotations:\n      config.kubernetes.io/path: a.yaml\n      internal.config.kubernetes.io/path: b.yaml\n",
		"document end":       "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- a: |+\n    keep\n\n",
		"empty nulls":        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {kind: ConfigMap, data: {a: , b}, list: [{c}], ? : key}\n",
	} {
		t.Run(name, func(t *testing.T) {
			sameAsKyaml(t, identity, []byte(in))
			sameAsKyaml(t, function.Processor{}, []byte(in))
		})
	}
}

// FuzzExecute holds Execute to kyaml's output on any input, read as a
// ResourceList and as the items of one.
func FuzzExecute(f *testing.F) {
	for _, data := range yamlFiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsKyaml(t, identity, data)
		if rl, err := benchdata.Wrap(nil, data); err == nil {
			sameAsKyaml(t, identity, rl)
		}
	})
}

// trickyItems end or start in ways that could carry from one item to the
// next in yaml.v3's emitter: comments of every kind, block scalars kept
// with their trailing blank lines, anchors, tags, flow styles.
var trickyItems = []string{
	"# head of the item\napiVersion: v1 # line\nkind: ConfigMap\nmetadata: {name: a}\n# foot of the item\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  # foot of metadata\ndata:\n  k: v\n  # foot of data\n",
	"apiVersion: v1\nkind: ConfigMap\ndata:\n  keep: |+\n    text\n\n\n",
	"apiVersion: v1\nkind: ConfigMap\ndata:\n  strip: |-\n    text\n  folded: >\n    a\n      more indented\n    b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: &d {a: b}\nother: *d\n",
	"apiVersion: v1\nkind: ConfigMap\ndata: !!map {a: !!str 1, b: !!int '2', c: !custom x}\n",
	"apiVersion: v1\nkind: List\nitems:\n- # head in a list\n  a: b\n- c\n# foot of a list\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations: {}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    a: ''\n",
	"apiVersion: v1\nkind: Secret\nstringData:\n  key: \"  leading spaces\\n\\ttab\\u00e9 \"\n  'quoted key': 'it''s'\n  ? complex key\n  : value\n",
	"apiVersion: v1\nkind: ConfigMap\ndata:\n  last: |+\n    kept\n\n# foot after a kept scalar\n",
}

func trickyList(t *testing.T, n int, offset int) []byte {
	t.Helper()
	var items strings.Builder
	for i := range n {
		items.WriteString("---\n" + trickyItems[(i+offset)%len(trickyItems)])
	}
	rl, err := benchdata.Wrap([]byte("apiVersion: v1\nkind: ConfigMap\n# foot of the config\n"), []byte(items.String()))
	if err != nil {
		t.Fatal(err)
	}
	return rl
}

func TestExecuteOnItemsThatEndOddly(t *testing.T) {
	for _, n := range []int{1, 2, len(trickyItems), batchSize + 1, parallelFrom + 3, 5 * parallelFrom} {
		for offset := range len(trickyItems) {
			t.Run(fmt.Sprintf("%d items from %d", n, offset), func(t *testing.T) {
				sameAsKyaml(t, identity, trickyList(t, n, offset))
			})
		}
	}
	// Without a functionConfig, the last item ends the document.
	for i, item := range trickyItems {
		rl := []byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + indentItem(item))
		t.Run(fmt.Sprintf("last item %d", i), func(t *testing.T) { sameAsKyaml(t, identity, rl) })
	}
}

func indentItem(item string) string {
	lines := strings.Split(strings.TrimSuffix(item, "\n"), "\n")
	for i, line := range lines {
		switch {
		case i == 0:
			lines[i] = "- " + line
		case line != "":
			lines[i] = "  " + line
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
