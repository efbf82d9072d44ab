package resourcelist

import (
	"bytes"
	"errors"
	"hash/maphash"
	"io"
	"regexp"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Sources remembers the text each object of a YAML stream was read from,
// so that WriteStream can write the objects nothing changed exactly as
// they came: the same values (yaml.v3 does not always write back the value
// it read: a folded scalar with more-indented lines gains line breaks),
// the same comments, quotes and layout. An object counts as changed when
// anything yaml.v3 would write differs: a value, a style, a comment, a key.
type Sources struct {
	seed maphash.Seed
	mu   sync.Mutex
	docs map[*yaml.RNode]source
}

type source struct {
	text []byte
	sum  uint64
}

// NewSources is an empty record of sources.
func NewSources() *Sources {
	return &Sources{seed: maphash.MakeSeed(), docs: map[*yaml.RNode]source{}}
}

// separator is kio.ByteReader's document separator.
var separator = regexp.MustCompile(`\n---.*\n`)

// Read reads a YAML stream as kio.ByteReader{OmitReaderAnnotations: true}
// does, to the same objects or the same error, and records the text of
// each object that is a document of its own (not an item of a List). s may
// be nil: then it only reads.
func (s *Sources) Read(data []byte) ([]*yaml.RNode, error) {
	kyaml := func() ([]*yaml.RNode, error) {
		return (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	}
	text := data
	if bytes.Contains(text, []byte("\r\n")) {
		text = bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))
	}
	var values [][]byte
	if len(text) > 0 {
		prev := 0
		for _, loc := range separator.FindAllIndex(text, -1) {
			rest := strings.TrimSpace(string(text[loc[0]+4 : loc[1]]))
			if len(rest) > 0 && rest[0] != '#' {
				return kyaml() // an invalid separator: kyaml's error
			}
			values = append(values, text[prev:loc[0]])
			prev = loc[1]
		}
		values = append(values, text[prev:])
	}
	var out []*yaml.RNode
	for i, value := range values {
		if i != len(values)-1 {
			// The split takes the line break before the separator.
			value = append(value[:len(value):len(value)], '\n')
		}
		d := yaml.NewDecoder(bytes.NewReader(value))
		doc := &yaml.Node{}
		if err := d.Decode(doc); err != nil {
			if errors.Is(err, io.EOF) {
				continue
			}
			return kyaml()
		}
		if yaml.IsYNodeEmptyDoc(doc) {
			continue
		}
		n := yaml.NewRNode(doc)
		if yaml.IsMissingOrNull(n) {
			continue
		}
		meta, err := n.GetMeta()
		if err != nil && err != yaml.ErrMissingMetadata {
			return kyaml()
		}
		if len(values) == 1 && (meta.Kind == kio.ResourceListKind || meta.Kind == "List") &&
			(n.Field("items") != nil || n.Field("functionConfig") != nil) {
			// kyaml unwraps a List that is the only document: its items have
			// no text of their own.
			if items := n.Field("items"); items != nil {
				for _, item := range items.Value.Content() {
					out = append(out, yaml.NewRNode(item))
				}
			}
			continue
		}
		out = append(out, n)
		// kyaml reads the first document of the text and ignores the rest;
		// a text that holds more cannot stand for the object.
		var rest yaml.Node
		if s != nil && errors.Is(d.Decode(&rest), io.EOF) {
			s.record(n, value)
		}
	}
	return out, nil
}

// record keeps the text of a document that can be written back as it is:
// without the "---" line that may start it (the writer writes its own) and
// ending in a line break. A text that holds directives (only the start of a
// stream may), or that reads otherwise with the line break added, is not
// kept: the object is encoded instead.
func (s *Sources) record(n *yaml.RNode, text []byte) {
	if rest, ok := bytes.CutPrefix(text, []byte("---")); ok {
		line, after, found := bytes.Cut(rest, []byte("\n"))
		if len(bytes.TrimRight(line, " \t")) > 0 || !found {
			return
		}
		text = after
	}
	if bytes.HasPrefix(text, []byte("%")) || bytes.Contains(text, []byte("\n%")) || bytes.HasPrefix(text, []byte("\xef\xbb\xbf")) {
		return
	}
	sum := s.sum(n.Document())
	reread := bytes.IndexByte(text, '\r') >= 0
	if len(text) > 0 && text[len(text)-1] != '\n' {
		// The writer ends every text with a line break. On the last line of
		// a file that may change a value (a block scalar keeps its final
		// break): such a text is encoded instead.
		text = append(text[:len(text):len(text)], '\n')
		if separator.Match(text) {
			// The break made a last line such as "--- {a: b}" a document
			// separator, which the reader refuses.
			return
		}
		reread = true
	}
	if reread {
		// Read takes a CRLF for one line break: after a lone CR, the break
		// the writer added makes one of two, and a block scalar loses a
		// line. The text is kept only if it reads the same as Read will.
		var doc yaml.Node
		if err := yaml.NewDecoder(bytes.NewReader(bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n")))).Decode(&doc); err != nil || s.sum(&doc) != sum {
			return
		}
	}
	s.mu.Lock()
	s.docs[n] = source{text: text, sum: sum}
	s.mu.Unlock()
}

// unchanged is the text n was read from, if nothing changed it since.
func (s *Sources) unchanged(n *yaml.RNode) ([]byte, bool) {
	if s == nil {
		return nil, false
	}
	s.mu.Lock()
	src, ok := s.docs[n]
	s.mu.Unlock()
	if !ok || s.sum(n.Document()) != src.sum {
		return nil, false
	}
	return src.text, true
}

// sum is a hash of everything yaml.v3 writes of a node tree.
func (s *Sources) sum(n *yaml.Node) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			h.WriteByte(0xff)
			return
		}
		h.WriteByte(byte(n.Kind))
		h.WriteByte(byte(n.Style))
		for _, field := range [...]string{n.Tag, n.Value, n.Anchor, n.HeadComment, n.LineComment, n.FootComment} {
			h.WriteString(field)
			h.WriteByte(0)
		}
		var count [8]byte
		for i, c := 0, len(n.Content); i < 8; i, c = i+1, c>>8 {
			count[i] = byte(c)
		}
		h.Write(count[:])
		for _, child := range n.Content {
			walk(child)
		}
	}
	walk(n)
	return h.Sum64()
}
