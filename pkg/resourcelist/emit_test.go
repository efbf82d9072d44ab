package resourcelist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
)

// sameAsYAMLv3 compares the emitter's text for node, as an item of the
// list, with yaml.v3's, and reports whether the emitter wrote it.
func sameAsYAMLv3(t *testing.T, node *yaml.Node) bool {
	t.Helper()
	want, err := encodeItem(nil, yaml.NewRNode(node), false)
	if err != nil {
		return false // yaml.v3 refuses it; so does kyaml
	}
	var e emitter
	if !e.item(node) {
		return false
	}
	if got := e.buf; !bytes.Equal(got, want) {
		t.Errorf("the emitter writes\n%s\nyaml.v3 writes\n%s\n(%q, %q)", got, want, got, want)
	}
	return true
}

// documentSameAsYAMLv3 compares the emitter's text for node as a
// document of a stream with yaml.v3's, in both sequence styles, and
// reports whether the emitter wrote it.
func documentSameAsYAMLv3(t *testing.T, node *yaml.Node) bool {
	t.Helper()
	wrote := false
	for _, wide := range []bool{false, true} {
		want, err := encodeDocument(nil, node, wide, false)
		if err != nil {
			return false
		}
		var e emitter
		if !e.document(node, wide) {
			continue
		}
		wrote = true
		if got := e.buf; !bytes.Equal(got, want) {
			t.Errorf("the emitter writes (wide %v)\n%s\nyaml.v3 writes\n%s\n(%q, %q)", wide, got, want, got, want)
		}
	}
	return wrote
}

// documents decodes every document of data, as they are, comments, anchors
// and all.
func documents(data []byte) []*yaml.Node {
	var docs []*yaml.Node
	d := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := d.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			return docs
		}
		if len(doc.Content) == 1 {
			docs = append(docs, doc.Content[0])
		}
	}
}

// The emitter writes what yaml.v3 writes for every object of the
// repository's YAML files; it must write most of them itself.
func TestEmitterWritesWhatYAMLv3Writes(t *testing.T) {
	written, all := 0, 0
	for path, data := range yamlFiles(t) {
		for _, node := range documents(data) {
			all++
			if sameAsYAMLv3(t, node) {
				written++
			}
			documentSameAsYAMLv3(t, node)
		}
		if t.Failed() {
			t.Fatalf("in %s", path)
		}
	}
	t.Logf("the emitter wrote %d of %d documents", written, all)
	if written < all/2 {
		t.Errorf("the emitter wrote only %d of %d documents; it gives up on too much", written, all)
	}
}

// What the function writes for the benchmark, the emitter writes alone.
func TestEmitterWritesTheFunctionsOutput(t *testing.T) {
	rl, err := benchdata.ResourceList(20)
	if err != nil {
		t.Fatal(err)
	}
	out, err := execute(functionProcessor, rl)
	if err != nil {
		t.Fatal(err)
	}
	list, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	items, err := list.Pipe(yaml.Lookup("items"))
	if err != nil || items == nil {
		t.Fatalf("no items: %v", err)
	}
	for i, item := range items.YNode().Content {
		if !sameAsYAMLv3(t, item) {
			t.Errorf("item %d: the emitter gave up on it", i)
		}
	}
}

// Scalars of every kind the emitter decides about, in every style and
// place: keys, values, items, flow and block.
func TestEmitterOnScalars(t *testing.T) {
	values := []string{
		"", " ", "a", "a b", " a", "a ", "a\tb", "\ta", "true", "True", "false", "null", "~", "yes", "no", "on", "off", "y", "n",
		"0", "1", "-1", "+1", "1.5", ".5", "1e3", "0x1F", "0o17", "017", "0b101", "-0b101", "1_000", ".inf", "-.inf", ".nan",
		"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "12:30", "1:2:3",
		"-", "- a", "-a", "--", "---", "--- a", "...", "?", "? a", "?a", ":", ": a", ":a", "a:", "a: b", "a:b", "a #b", "a#b", "#a",
		",", "a,b", "[a]", "{a}", "a]", "&a", "*a", "!a", "|a", ">a", "'a", "\"a", "%a", "@a", "`a", "a'b", "a\"b", "a\\b",
		"a\nb", "a\n", "\na", "a\n\n", "a\n\nb\n", " a\nb", "a \nb", "a\n b", "\n", "\n\n", "a\r\nb", "a\rb",
		"é", "日本", "a\u0085b", "a\u2028b", "a\u2029b", "\u00a0", "a\u00a0b", "\ufeffa", "a\ufeff", "\u0007", "a\x00b", "\U0001F600",
		"\ufffe", "\uffff", "\ue000", "\ud7ff",
		strings.Repeat("k", 128), strings.Repeat("k", 129), strings.Repeat("long value ", 20),
		"http://example.com/a?b=c#d", "arn:aws:iam::111122223333:role/app", "/var/run/secrets/aws/token",
	}
	styles := []yaml.Style{0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle, yaml.FlowStyle, yaml.TaggedStyle}
	tags := []string{"", "!!str", "!!int", "!!bool", "!!null", "!!float", "!!timestamp", "tag:yaml.org,2002:str", "!", "!custom"}
	scalar := func(v string, style yaml.Style, tag string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: style, Tag: tag}
	}
	written, all := 0, 0
	defer func() {
		t.Logf("the emitter wrote %d of %d", written, all)
		// Folded and tagged scalars, tags the encoder writes, keys on several
		// lines or longer than 128 bytes: more than half the cases.
		if written < all/5 {
			t.Errorf("the emitter wrote only %d of %d; it gives up on too much", written, all)
		}
	}()
	for _, v := range values {
		for _, style := range styles {
			for _, tag := range tags {
				s := func() *yaml.Node { return scalar(v, style, tag) }
				name := fmt.Sprintf("%q %v %q", v, style, tag)
				block := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
					scalar("value", 0, ""), s(),
					s(), scalar("key", 0, ""),
					scalar("items", 0, ""), {Kind: yaml.SequenceNode, Content: []*yaml.Node{s(), s()}},
					scalar("nested", 0, ""), {Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("deeper", 0, ""), {Kind: yaml.SequenceNode, Content: []*yaml.Node{
						{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("a", 0, ""), s(), scalar("b", 0, ""), s()}}}}}},
				}}
				flow := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{
					scalar("value", 0, ""), s(),
					s(), scalar("key", 0, ""),
					scalar("items", 0, ""), {Kind: yaml.SequenceNode, Content: []*yaml.Node{s(), s()}},
				}}
				inBlock := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("flow", 0, ""), flow, scalar("after", 0, ""), s()}}
				for _, node := range []*yaml.Node{block, flow, inBlock, {Kind: yaml.SequenceNode, Content: []*yaml.Node{s(), {Kind: yaml.SequenceNode, Content: []*yaml.Node{s(), s()}}}}} {
					all++
					if sameAsYAMLv3(t, node) {
						written++
					}
					documentSameAsYAMLv3(t, node)
				}
				if t.Failed() {
					t.Fatalf("with the scalar %s", name)
				}
			}
		}
	}
}

// Collections: empty, nested, in flow and block, sequences in sequences.
func TestEmitterOnCollections(t *testing.T) {
	for _, text := range []string{
		"a: []\nb: {}\nc: [[], {}]\nd: {e: [], f: {}}\n",
		"- - a\n  - b\n- - - c\n- []\n- {}\n- {a: b}\n- [a, [b, c], {d: e}]\n",
		"a:\n- b:\n  - c\n  - - d\n    - e\n  f: g\n",
		"a: {b: {c: [d, {e: f}]}}\n",
		"a: !!map {b: c}\nd: !!seq [e]\ng: !!map\n  h: i\n",
		"a:\n  b:\n    c:\n      d: |\n        text\n          more\n      e: |-\n        x\n      f: |+\n        y\n\n",
		"a:\n- |\n  in a list\n- |2\n    indented first\n- \"quoted\"\n",
		"? [complex]\n: key\n",
		"a: &x 1\nb: *x\n",
		"# comment\na: b\n",
		"a: b # comment\n",
		"a: >\n  folded\n",
		"!tagged {a: b}\n",
	} {
		for _, node := range documents([]byte(text)) {
			sameAsYAMLv3(t, node)
			documentSameAsYAMLv3(t, node)
		}
		if t.Failed() {
			t.Fatalf("in\n%s", text)
		}
	}
}

// FuzzEmitter holds the emitter to yaml.v3 on any document.
func FuzzEmitter(f *testing.F) {
	for _, data := range yamlFiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, node := range documents(data) {
			sameAsYAMLv3(t, node)
			documentSameAsYAMLv3(t, node)
		}
		if nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read(); err == nil {
			for _, n := range nodes {
				sameAsYAMLv3(t, n.YNode())
			}
		}
	})
}
