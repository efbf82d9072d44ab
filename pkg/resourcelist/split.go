package resourcelist

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// splitFrom is the size of input worth parsing in parallel (a variable for
// the tests, which split small inputs too).
var splitFrom = 256 << 10

// itemsPerChunk is how many items one decoder parses.
const itemsPerChunk = 32

// split is a ResourceList's text cut for parsing in parallel: its items,
// a run of them per chunk, and the list around them with the items' lines
// left blank, so that every line keeps its number.
type split struct {
	skeleton []byte
	chunks   []chunk
	items    int
}

// chunk is the text of a run of items and the number of its first line.
type chunk struct {
	text  []byte
	line  int
	items int
}

// splitItems cuts data where a parser of the whole text would find the
// start of an item, if it can tell for sure: the list is in kyaml's layout
// (an "items:" line, and items that start with "- " at the start of a line),
// and there are no comments, whose place between items only the whole text
// decides. Anything it cannot tell is false, for the parser of the whole.
// What could still fool it (a quoted string over several lines, with a
// line that starts with "- ") leaves a chunk the parser refuses.
func splitItems(data []byte) (split, bool) {
	var s split
	if len(data) < splitFrom || bytes.IndexByte(data, '#') >= 0 || hasOtherLineBreaks(data) {
		return s, false
	}
	var start int // of the "items:" line
	switch {
	case bytes.HasPrefix(data, []byte("items:\n")):
		start = 0
	default:
		i := bytes.Index(data, []byte("\nitems:\n"))
		if i < 0 {
			return s, false
		}
		start = i + 1
	}
	regionStart := start + len("items:\n")
	line := 1 + bytes.Count(data[:regionStart], []byte("\n"))
	header := data[:regionStart]

	// The region: lines that start an item ("- " or "-"), continue one (a
	// space) or are empty, up to the first line that starts with anything
	// else: the list's next field.
	pos := regionStart
	lines := 0
	var cur *chunk
	chunkStart := -1
	for pos < len(data) {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		l := data[pos:next]
		switch {
		case len(l) > 0 && l[0] == '-' && (len(l) == 1 || l[1] == ' ' || l[1] == '\n'):
			if cur == nil || cur.items == itemsPerChunk {
				if cur != nil {
					cur.text = data[chunkStart:pos]
				}
				s.chunks = append(s.chunks, chunk{line: line})
				cur = &s.chunks[len(s.chunks)-1]
				chunkStart = pos
			}
			cur.items++
			s.items++
		case len(l) == 0 || l[0] == ' ' || l[0] == '\n':
			if cur == nil {
				return s, false // indented items: not kyaml's layout
			}
		case isLetter(l[0]):
			goto trailer
		default:
			return s, false
		}
		pos = next
		line++
		lines++
	}
trailer:
	if cur == nil {
		return s, false
	}
	cur.text = data[chunkStart:pos]
	s.skeleton = make([]byte, 0, len(header)+lines+len(data)-pos)
	s.skeleton = append(s.skeleton, header...)
	s.skeleton = append(s.skeleton, bytes.Repeat([]byte("\n"), lines)...)
	s.skeleton = append(s.skeleton, data[pos:]...)
	return s, true
}

// parseChunks parses the chunks in parallel into the list's items, and
// reports whether every chunk read as the run of items it should be.
func (s split) parseChunks() ([]*yaml.RNode, bool) {
	items := make([]*yaml.RNode, s.items)
	offsets := make([]int, len(s.chunks))
	for i := 1; i < len(s.chunks); i++ {
		offsets[i] = offsets[i-1] + s.chunks[i-1].items
	}
	var failed sync.Once
	ok := true
	var g group
	workers := runtime.GOMAXPROCS(0)
	per := (len(s.chunks) + workers - 1) / workers
	for w := range workers {
		g.Go(func() {
			for c := w * per; c < min((w+1)*per, len(s.chunks)); c++ {
				nodes, good := parseChunk(s.chunks[c])
				if !good {
					failed.Do(func() { ok = false })
					return
				}
				for j, n := range nodes {
					items[offsets[c]+j] = yaml.NewRNode(n)
				}
			}
		})
	}
	g.Wait()
	return items, ok
}

// parseChunk parses a run of items as the sequence it is, and moves its
// nodes to the lines they are on in the whole text.
func parseChunk(c chunk) ([]*yaml.Node, bool) {
	d := yaml.NewDecoder(bytes.NewReader(c.text))
	var doc yaml.Node
	if err := d.Decode(&doc); err != nil {
		return nil, false
	}
	var rest yaml.Node
	if err := d.Decode(&rest); !errors.Is(err, io.EOF) {
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	seq := doc.Content[0]
	if seq.Kind != yaml.SequenceNode || seq.Style != 0 || seq.Anchor != "" || len(seq.Content) != c.items {
		return nil, false
	}
	for _, n := range seq.Content {
		moveLines(n, c.line-1)
	}
	return seq.Content, true
}

func moveLines(n *yaml.Node, by int) {
	n.Line += by
	for _, child := range n.Content {
		moveLines(child, by)
	}
}

// hasOtherLineBreaks reports line breaks besides "\n": yaml.v3 also counts
// "\r" and NEL, LS and PS (U+0085, U+2028, U+2029) as breaks, and a split
// that counts only "\n" would give the items other line numbers.
func hasOtherLineBreaks(data []byte) bool {
	return bytes.IndexByte(data, '\r') >= 0 || bytes.Contains(data, []byte("\u0085")) ||
		bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029"))
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
