package resourcelist

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
)

// sameTree compares two node trees field by field, lines and columns too,
// and aliases by where their anchors are.
func sameTree(a, b *yaml.Node, path string) error {
	if (a == nil) != (b == nil) {
		return fmt.Errorf("%s: one is nil", path)
	}
	if a == nil {
		return nil
	}
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor ||
		a.HeadComment != b.HeadComment || a.LineComment != b.LineComment || a.FootComment != b.FootComment ||
		a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
		return fmt.Errorf("%s: %+v\nand %+v", path, *a, *b)
	}
	if (a.Alias == nil) != (b.Alias == nil) || a.Alias != nil && (a.Alias.Line != b.Alias.Line || a.Alias.Column != b.Alias.Column) {
		return fmt.Errorf("%s: aliases differ", path)
	}
	for i := range a.Content {
		if err := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// splitSameAsWhole holds the items parsed in parallel to the items parsed
// with the whole text, and reports whether data was split.
func splitSameAsWhole(t *testing.T, data []byte) bool {
	t.Helper()
	defer func(from int) { splitFrom = from }(splitFrom)
	splitFrom = 0
	whole, wholeOK := decode(data, nil)
	sp, ok := splitItems(data)
	if !ok {
		return false
	}
	got, gotOK := decode(sp.skeleton, &sp)
	if !gotOK {
		return false
	}
	if !wholeOK {
		t.Fatalf("the split text reads, the whole does not:\n%s", data)
	}
	if got.apiVersion != whole.apiVersion || got.kind != whole.kind || len(got.items) != len(whole.items) {
		t.Fatalf("the split text reads as %s %s with %d items; the whole as %s %s with %d",
			got.apiVersion, got.kind, len(got.items), whole.apiVersion, whole.kind, len(whole.items))
	}
	for i := range got.items {
		if err := sameTree(got.items[i].YNode(), whole.items[i].YNode(), fmt.Sprintf("items[%d]", i)); err != nil {
			t.Fatalf("%v\nin\n%s", err, data)
		}
	}
	for _, pair := range [][2]*yaml.RNode{{got.functionConfig, whole.functionConfig}, {got.results, whole.results}} {
		if (pair[0] == nil) != (pair[1] == nil) {
			t.Fatalf("functionConfig or results: one is missing")
		}
		if pair[0] != nil {
			if err := sameTree(pair[0].YNode(), pair[1].YNode(), "list"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return true
}

func TestSplitReadsWhatTheWholeReads(t *testing.T) {
	split := 0
	for path, data := range yamlFiles(t) {
		if rl, err := benchdata.Wrap([]byte("kind: Config\n"), data); err == nil {
			if splitSameAsWhole(t, rl) {
				split++
			}
		}
		splitSameAsWhole(t, data)
		if t.Failed() {
			t.Fatalf("in %s", path)
		}
	}
	if split == 0 {
		t.Error("no input was split")
	}
	rl, err := benchdata.ResourceList(200)
	if err != nil {
		t.Fatal(err)
	}
	if !splitSameAsWhole(t, rl) {
		t.Error("the benchmark's input was not split")
	}
}

// Texts that look like items and are not, or are in a way only the whole
// text tells.
func TestSplitLeavesDoubtToTheWhole(t *testing.T) {
	const head = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
	for name, text := range map[string]string{
		"quoted over lines":  head + "items:\n- a: \"one\n- two\"\n- b: c\n",
		"single quoted":      head + "items:\n- a: 'one\n- two'\n- b: c\n",
		"flow over lines":    head + "items:\n- a: [one,\n- two]\n- b: c\n",
		"comment":            head + "items:\n- a: b\n# between\n- c: d\n",
		"indented items":     head + "items:\n  - a: b\n  - c: d\n",
		"items twice":        head + "items:\n- a: b\nitems:\n- c: d\n",
		"items in a string":  "x: \"\nitems:\n- a: b\n\"\n" + head,
		"items in a block":   head + "data: |\n  x\nitems:\n- a: |\n    text\n- |\n  scalar item\n- - nested\n-\n  late: value\n",
		"alias across":       head + "items:\n- a: &x b\n- c: *x\n",
		"alias within":       head + "items:\n- a: &x b\n  c: *x\n- d: e\n",
		"kept blank lines":   head + "items:\n- a: |+\n    kept\n\n\n- b: c\n\nfunctionConfig: {d: e}\n",
		"document end":       head + "items:\n- a: b\n...\n- c: d\n",
		"tab":                head + "items:\n- a: b\n\t- c\n",
		"odd line":           head + "items:\n- a: b\n-c\n",
		"no trailer newline": head + "items:\n- a: b\n- c: d",
		"directive":          "%YAML 1.1\n---\n" + head + "items:\n- a: !!str b\n",
		"tag handle":         "%TAG !e! tag:example.com,2000:\n---\n" + head + "items:\n- a: !e!x b\n",
		"empty items":        head + "items:\nfunctionConfig: {}\n",
		"trailing keys":      head + "items:\n- a: b\nresults:\n- message: m\nfunctionConfig:\n  x: y\n",
	} {
		t.Run(name, func(t *testing.T) {
			splitSameAsWhole(t, []byte(text))
			sameAsKyaml(t, identity, []byte(text))
		})
	}
	// Many items, chunks of them.
	var many strings.Builder
	many.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for i := range 3*itemsPerChunk + 5 {
		fmt.Fprintf(&many, "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c%d\n  data:\n    text: |\n      line %d\n\n      more\n", i, i)
	}
	many.WriteString("functionConfig:\n  a: b\n")
	if !splitSameAsWhole(t, []byte(many.String())) {
		t.Error("not split")
	}
}

// FuzzSplit holds the split parse to the whole one on any text, as it is
// and wrapped in a ResourceList.
func FuzzSplit(f *testing.F) {
	for _, data := range yamlFiles(f) {
		if rl, err := benchdata.Wrap(nil, data); err == nil {
			f.Add(rl)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		splitSameAsWhole(t, data)
	})
}
