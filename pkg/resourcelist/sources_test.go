package resourcelist

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// readSameAsKyaml holds Sources.Read to kio.ByteReader: the same objects,
// node for node, or the same error.
func readSameAsKyaml(t *testing.T, data []byte) []*yaml.RNode {
	t.Helper()
	want, wantErr := func() (nodes []*yaml.RNode, err error) {
		defer catch(&err)
		return (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	}()
	got, gotErr := func() (nodes []*yaml.RNode, err error) {
		defer catch(&err)
		return NewSources().Read(data)
	}()
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("error %v; kyaml's is %v", gotErr, wantErr)
	}
	if len(got) != len(want) {
		t.Fatalf("%d objects; kyaml reads %d", len(got), len(want))
	}
	for i := range got {
		if err := sameTree(got[i].Document(), want[i].Document(), fmt.Sprintf("[%d]", i)); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

// passesThrough writes what it read, unchanged, and holds the output to
// the input: the text of each object as it was, and every object reads
// back with the values it went in with (less the reader's annotations the
// writer drops).
func passesThrough(t *testing.T, data []byte) {
	t.Helper()
	sources := NewSources()
	nodes, err := sources.Read(data)
	if err != nil || len(nodes) == 0 {
		return
	}
	for _, n := range nodes {
		if n.YNode().Kind != yaml.MappingNode {
			// A null or scalar item (a List's "-") is refused by the
			// function before anything is written; the writer writes
			// nothing for it.
			return
		}
	}
	var out bytes.Buffer
	err = func() (err error) {
		defer catch(&err)
		return WriteStream(&out, append([]*yaml.RNode(nil), nodes...), sources)
	}()
	if err != nil {
		// kyaml's writer fails alike: WriteStreamWritesWhatKyamlWrites.
		return
	}
	for _, n := range nodes {
		if text, ok := sources.unchanged(n); ok && !bytes.Contains(out.Bytes(), text) {
			t.Errorf("the output does not hold the object's text\n%s", text)
		}
	}
	back, err := NewSources().Read(out.Bytes())
	if err != nil {
		t.Fatalf("the output does not read back: %v\n%s", err, out.Bytes())
	}
	want, _ := NewSources().Read(data)
	if len(back) != len(want) {
		t.Fatalf("%d objects read back; %d went in\n%s", len(back), len(want), out.Bytes())
	}
	for i := range back {
		for _, key := range []string{kioutil.IndexAnnotation, legacyIndexAnnotation, kioutil.SeqIndentAnnotation} {
			_, _ = want[i].Pipe(yaml.ClearAnnotation(key))
		}
		_ = yaml.ClearEmptyAnnotations(want[i])
		if err := sameValues(back[i].YNode(), want[i].YNode(), fmt.Sprintf("[%d]", i)); err != nil {
			t.Errorf("object %d does not read back as it went in: %v\n%s", i, err, out.Bytes())
		}
	}
}

// sameValues compares what two node trees mean: kinds, resolved tags and
// values (a null's spelling aside), not styles, comments or places.
func sameValues(a, b *yaml.Node, path string) error {
	if (a == nil) != (b == nil) {
		return fmt.Errorf("%s: one is missing", path)
	}
	if a == nil {
		return nil
	}
	if a.Kind == yaml.AliasNode && b.Kind == yaml.AliasNode {
		// The same anchor on both sides; walking into it for every alias
		// would expand a fan-out of aliases to billions of nodes.
		if a.Value != b.Value {
			return fmt.Errorf("%s: aliases *%s and *%s", path, a.Value, b.Value)
		}
		return nil
	}
	if a.Kind == yaml.AliasNode {
		a = a.Alias
	}
	if b.Kind == yaml.AliasNode {
		b = b.Alias
	}
	// A null means the same however it is spelled: "", ~, null.
	sameValue := a.Value == b.Value || a.Kind == yaml.ScalarNode && a.ShortTag() == yaml.NodeTagNull && b.ShortTag() == yaml.NodeTagNull
	if a.Kind != b.Kind || a.ShortTag() != b.ShortTag() || !sameValue || len(a.Content) != len(b.Content) {
		return fmt.Errorf("%s: %s %s %q and %s %s %q", path, a.ShortTag(), kindName(a), a.Value, b.ShortTag(), kindName(b), b.Value)
	}
	for i := range a.Content {
		if err := sameValues(a.Content[i], b.Content[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	return fmt.Sprintf("kind %d (%d children)", n.Kind, len(n.Content))
}

func TestReadReadsWhatKyamlReads(t *testing.T) {
	for path, data := range yamlFiles(t) {
		t.Run(path, func(t *testing.T) {
			readSameAsKyaml(t, data)
			passesThrough(t, data)
		})
	}
	for name, data := range map[string]string{
		"empty":           "",
		"separators only": "---\n---\n",
		"leading":         "---\na: b\n---\nc: d",
		"leading comment": "--- # first\na: b\n",
		"crlf":            "a: b\r\n---\r\nc: d\r\n",
		"bad separator":   "a: b\n--- c\nd: e\n",
		"bad yaml":        "a: [\n",
		"list":            "apiVersion: v1\nkind: List\nitems:\n- a: b\n- c: d\n",
		"list and more":   "apiVersion: v1\nkind: List\nitems:\n- a: b\n---\nc: d\n",
		"two in one":      "a: b\n...\nc: d\n---\ne: f\n",
		"directive":       "%YAML 1.1\n---\na: b\n",
		"comments":        "# head\na: b # line\n# foot\n---\n# only a comment\n---\nc: d\n",
		"scalar":          "just text\n---\na: b\n",
		"metadata list":   "metadata: [a]\n",
		"folded":          "data:\n  script: >\n    if true;\n    then\n      exit 1;\n    fi\n",
	} {
		t.Run(name, func(t *testing.T) {
			readSameAsKyaml(t, []byte(data))
			passesThrough(t, []byte(data))
		})
	}
}

// An object the function changes is written by yaml.v3, with its block
// scalars' values kept; the one it leaves alone keeps its text.
func TestWriteStreamKeepsValuesOfChangedObjects(t *testing.T) {
	const folded = `# a comment yaml.v3 would move
apiVersion: v1
kind: ConfigMap
metadata:
  name: %s
data:
  script: >
    if [ ! -e /var/log ];
    then
      exit 1;
    fi;
  literal: |
    kept
  padded: "trailing space "
`
	data := []byte(fmt.Sprintf(folded, "changed") + "---\n" + fmt.Sprintf(folded, "unchanged"))
	sources := NewSources()
	nodes, err := sources.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	script := func(n *yaml.RNode) string {
		v, err := n.Pipe(yaml.Lookup("data", "script"))
		if err != nil || v == nil {
			t.Fatalf("no script: %v", err)
		}
		return v.YNode().Value
	}
	want := script(nodes[0])
	if err := nodes[0].PipeE(yaml.SetLabel("changed", "yes")); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteStream(&out, append([]*yaml.RNode(nil), nodes...), sources); err != nil {
		t.Fatal(err)
	}
	_, unchanged, ok := strings.Cut(out.String(), "---\n")
	if !ok || unchanged != fmt.Sprintf(folded, "unchanged") {
		t.Errorf("the object nothing changed is not its text:\n%s", unchanged)
	}
	back, err := NewSources().Read(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := script(back[0]); got != want {
		t.Errorf("the changed object's script reads back as %q; it was %q\n%s", got, want, out.String())
	}
	if got := script(back[1]); got != want {
		t.Errorf("the unchanged object's script reads back as %q; it was %q", got, want)
	}
	// kyaml alone loses the value: the reason for all this.
	var kyaml bytes.Buffer
	plain, _ := NewSources().Read(data)
	if err := (kio.ByteWriter{Writer: &kyaml}).Write(plain); err != nil {
		t.Fatal(err)
	}
	again, _ := NewSources().Read(kyaml.Bytes())
	if script(again[1]) == want {
		t.Log("yaml.v3 writes folded scalars with more-indented lines correctly now; keepBlockScalars may go")
	}
}

// An empty null in a flow collection or as a key comes back null from
// standalone mode and from Execute: yaml.v3 alone writes it as an empty quoted
// string.
func TestEmptyNullsReadBackNull(t *testing.T) {
	for _, data := range []string{"{0}00", "{0}\n", "kind: x\ndata: {a: , b}\nlist: [{c}]\n", "? \n: key\nkind: x\n"} {
		passesThrough(t, []byte(data))
		list := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(strings.TrimSuffix(data, "00")), "\n", "\n  ") + "\n"
		out, err := execute(identity, []byte(list))
		if err != nil {
			t.Fatalf("%q: %v", list, err)
		}
		if strings.Contains(string(out), "''") {
			t.Errorf("Execute wrote a null as '':\n%s", out)
		}
	}
}

// FuzzSources holds Read to kio.ByteReader and writing back to the text
// read, on any stream.
func FuzzSources(f *testing.F) {
	for _, data := range yamlFiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		readSameAsKyaml(t, data)
		passesThrough(t, data)
	})
}

// A folded scalar with more-indented lines comes out of Execute with the
// value it went in with, as a literal block; kyaml's writer alone would add
// a line break before each indented line, at every writing.
func TestExecuteKeepsFoldedValues(t *testing.T) {
	const list = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: probe
  data:
    script: >
      if [ ! -e /var/log ];
      then
        exit 1;
      fi
    plain: >
      folded text
      without indented lines
`
	value := func(text []byte, key string) string {
		list, err := yaml.Parse(string(text))
		if err != nil {
			t.Fatal(err)
		}
		v, err := list.Pipe(yaml.Lookup("items", "0", "data", key))
		if err != nil || v == nil {
			t.Fatalf("no %s: %v\n%s", key, err, text)
		}
		return v.YNode().Value
	}
	out, err := execute(identity, []byte(list))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"script", "plain"} {
		if got, want := value(out, key), value([]byte(list), key); got != want {
			t.Errorf("%s reads back as %q; it was %q\n%s", key, got, want, out)
		}
	}
	if !strings.Contains(string(out), "script: |\n") || !strings.Contains(string(out), "plain: >\n") {
		t.Errorf("want the script restyled as a literal block and the plain folded text left folded:\n%s", out)
	}
}
