package resourcelist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// List is what items are wrapped in: a ResourceList (or a List) with its
// functionConfig and results, either of which may be nil.
type List struct {
	APIVersion, Kind        string
	FunctionConfig, Results *yaml.RNode
}

// Write writes items wrapped in l, byte for byte what
// kio.ByteWriter{WrappingKind: l.Kind, WrappingAPIVersion: l.APIVersion,
// FunctionConfig: l.FunctionConfig, Results: l.Results,
// KeepReaderAnnotations: true} writes, but for folded scalars that would
// not read back and empty nulls yaml.v3 would write as an empty quoted
// string, which it restyles first (keepValues). Unlike ByteWriter it does
// not copy the items first: it clears their empty annotations and metadata in place,
// as ByteWriter does on its copies, and it drops them from items once they
// are written, so that their memory can go while the rest is written.
func (l List) Write(w io.Writer, items []*yaml.RNode) error {
	writer := func() kio.ByteWriter {
		return kio.ByteWriter{Writer: w, KeepReaderAnnotations: true, FunctionConfig: l.FunctionConfig, Results: l.Results,
			WrappingKind: l.Kind, WrappingAPIVersion: l.APIVersion}
	}
	if l.Kind == "" || len(items) == 0 || hasNil(items) {
		for _, item := range items {
			if !item.IsNil() {
				keepValues(item.YNode())
			}
		}
		return writer().Write(items)
	}
	if err := forEach(items, yaml.ClearEmptyAnnotations); err != nil {
		return err
	}
	head, tail, ok := l.frame()
	if !ok {
		for _, item := range items {
			keepValues(item.YNode())
		}
		return writer().Write(items)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(head); err != nil {
		return err
	}
	last := len(items) - 1
	err := encodeOrdered(bw, items, func(e *emitter, dst []byte, batch []*yaml.RNode, end int) ([]byte, error) {
		return encodeItems(e, dst, batch, end == last && tail == "")
	})
	if err != nil {
		return err
	}
	if _, err := bw.WriteString(tail); err != nil {
		return err
	}
	return bw.Flush()
}

// placeholder stands for the items while the list's own lines are encoded.
const placeholder = "resourcelist-placeholder-9f3c1b7e"

// wrapper is the document kio.ByteWriter encodes: the list's fields in its
// order, with items in its items field.
func (l List) wrapper(items []*yaml.Node) *yaml.Node {
	list := &yaml.Node{
		Kind: yaml.MappingNode,
		Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "apiVersion"},
			{Kind: yaml.ScalarNode, Value: l.APIVersion},
			{Kind: yaml.ScalarNode, Value: "kind"},
			{Kind: yaml.ScalarNode, Value: l.Kind},
			{Kind: yaml.ScalarNode, Value: "items"}, {Kind: yaml.SequenceNode, Content: items},
		}}
	if l.FunctionConfig != nil {
		list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "functionConfig"}, l.FunctionConfig.YNode())
	}
	if l.Results != nil {
		list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "results"}, l.Results.YNode())
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{list}}
}

// frame is the list's text before its first item and after its last one:
// the list encoded with one placeholder item, split around it. The line
// break that ends the placeholder's line belongs to what follows it, and
// is written by the last item, which ends its own line.
func (l List) frame() (head, tail string, ok bool) {
	var buf bytes.Buffer
	if err := encode(&buf, true, l.wrapper([]*yaml.Node{{Kind: yaml.ScalarNode, Value: placeholder}})); err != nil {
		return "", "", false
	}
	text := buf.String()
	line := "\n- " + placeholder + "\n"
	i := bytes.Index(buf.Bytes(), []byte(line))
	if i < 0 || bytes.Count(buf.Bytes(), []byte(placeholder)) != 1 || !bytes.HasSuffix(buf.Bytes()[:i+1], []byte("\nitems:\n")) {
		return "", "", false
	}
	return text[:i+1], text[i+len(line):], true
}

// itemsKey starts the text of a list of items alone; placeholderItem ends
// it when something follows the items.
const (
	itemsKey        = "items:\n"
	placeholderItem = "- " + placeholder + "\n"
)

// encodeItems appends the text of a run of items of the list to dst, each
// by the emitter or, if it cannot, by yaml.v3.
func encodeItems(e *emitter, dst []byte, items []*yaml.RNode, endsDocument bool) ([]byte, error) {
	for i, item := range items {
		last := endsDocument && i == len(items)-1
		start := len(dst)
		e.buf = dst
		// The emitter leaves folded scalars and empty nulls where yaml.v3
		// would quote them to yaml.v3; those that would not read back as
		// they were are restyled first.
		if e.item(item.YNode()) || keepValues(item.YNode()) && e.reset(dst, start) && e.item(item.YNode()) {
			dst = e.buf
			if last && e.openEnded {
				// yaml.v3 closes the stream with a document end marker.
				dst = append(dst, "...\n"...)
			}
			continue
		}
		var err error
		if dst, err = encodeItem(e.buf[:start], item, last); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// encodeItem appends the text of an item of the list to dst: the item
// encoded by yaml.v3 as the only item of a list of its own, in the same
// position, and followed by a placeholder item unless it ends the document.
func encodeItem(dst []byte, item *yaml.RNode, endsDocument bool) ([]byte, error) {
	content := []*yaml.Node{item.YNode()}
	if !endsDocument {
		content = append(content, &yaml.Node{Kind: yaml.ScalarNode, Value: placeholder})
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{
		Kind:    yaml.MappingNode,
		Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "items"}, {Kind: yaml.SequenceNode, Content: content}},
	}}}
	buf := bytes.NewBuffer(dst)
	start := buf.Len()
	if err := encode(buf, endsDocument, doc); err != nil {
		return buf.Bytes(), err
	}
	text := buf.Bytes()[start:]
	if !bytes.HasPrefix(text, []byte(itemsKey)) || !endsDocument && !bytes.HasSuffix(text, []byte(placeholderItem)) {
		return buf.Bytes(), fmt.Errorf("resourcelist: an item encoded alone does not read as part of the list:\n%s", text)
	}
	end := len(text)
	if !endsDocument {
		end -= len(placeholderItem)
	}
	n := copy(text, text[len(itemsKey):end])
	return buf.Bytes()[:start+n], nil
}

// encode writes doc with kyaml's encoder settings; closing the stream adds
// the document end marker yaml.v3 writes after an open-ended last scalar.
func encode(w io.Writer, close bool, doc *yaml.Node) error {
	e := yaml.NewEncoder(w)
	if err := e.Encode(doc); err != nil {
		return err
	}
	if close {
		return e.Close()
	}
	return nil
}

func hasNil(items []*yaml.RNode) bool {
	for _, item := range items {
		if item.IsNil() {
			return true
		}
	}
	return false
}

// Batches: small enough that the encoder's buffers stay small and the
// first bytes leave early, large enough to amortize an encoder.
const (
	batchSize = 16
	// parallelFrom is the fewest items worth more than one goroutine.
	parallelFrom = 4 * batchSize
)

// encodeOrdered encodes items a batch at a time, in parallel on large
// inputs, and writes the batches to w in order as they are ready, with a
// bounded number in flight. The written items are dropped from items.
func encodeOrdered(w io.Writer, items []*yaml.RNode, encodeBatch func(e *emitter, dst []byte, batch []*yaml.RNode, last int) ([]byte, error)) error {
	workers := runtime.GOMAXPROCS(0)
	if len(items) < parallelFrom || workers == 1 {
		var e emitter
		var buf []byte
		for start := 0; start < len(items); start += batchSize {
			end := min(start+batchSize, len(items))
			var err error
			if buf, err = encodeBatch(&e, buf[:0], items[start:end], end-1); err != nil {
				return err
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
			clear(items[start:end])
		}
		return nil
	}

	type batch struct {
		start, end int
		buf        []byte
		err        error
		done       chan struct{}
	}
	// Buffers go back here once written, for the batches to come.
	buffers := make(chan []byte, 4*workers+workers)
	jobs := make(chan *batch)
	// inFlight holds the batches in order; its capacity bounds the memory
	// of encoded text waiting for the batches before it.
	inFlight := make(chan *batch, 4*workers)
	stop := make(chan struct{})
	var g group
	for range workers {
		g.Go(func() {
			var e emitter
			for b := range jobs {
				func() {
					// A batch that panics is done too: the writer stops at it,
					// and the panic reaches the caller once all have stopped.
					defer close(b.done)
					b.err = errPanicked
					var buf []byte
					select {
					case buf = <-buffers:
					default:
					}
					b.buf, b.err = encodeBatch(&e, buf, items[b.start:b.end], b.end-1)
				}()
			}
		})
	}
	go func() {
		defer close(inFlight)
		defer close(jobs)
		for start := 0; start < len(items); start += batchSize {
			b := &batch{start: start, end: min(start+batchSize, len(items)), done: make(chan struct{})}
			select {
			case inFlight <- b:
			case <-stop:
				return
			}
			select {
			case jobs <- b:
			case <-stop:
				close(b.done)
				return
			}
		}
	}()
	var err error
	for b := range inFlight {
		<-b.done
		if err == nil {
			err = b.err
			if err == nil {
				_, err = w.Write(b.buf)
			}
			if err != nil {
				close(stop)
			}
		}
		select {
		case buffers <- b.buf[:0]:
		default:
		}
		clear(items[b.start:b.end])
	}
	g.Wait()
	return err
}

// errPanicked marks a batch whose encoding panicked; the panic itself is
// what the caller sees.
var errPanicked = errors.New("resourcelist: encoding panicked")

// WriteStream writes nodes as a YAML stream, byte for byte what
// kio.ByteWriter{Writer: w}.Write(nodes) writes: each node its own document,
// without the annotations a kio.ByteReader adds, in the sequence indentation
// the reader recorded. Unlike ByteWriter it does not copy the nodes first:
// it clears those annotations in place, as ByteWriter does on its copies,
// and drops the nodes from the slice once they are written.
//
// With sources (nil for none), a node read by sources.Read that nothing
// changed since is written as the text it was read from, and a node that
// changed keeps the values of its block scalars: one yaml.v3 would not read
// back as it was is written in a style that reads back the same.
func WriteStream(w io.Writer, nodes []*yaml.RNode, sources *Sources) error {
	if len(nodes) == 0 || hasNil(nodes) || (len(nodes) == 1 && jsonFile(nodes[0])) {
		return kio.ByteWriter{Writer: w}.Write(nodes)
	}
	wide := make([]bool, len(nodes))
	err := forEachIndex(len(nodes), func(i int) error {
		n := nodes[i]
		wide[i] = n.GetAnnotations()[kioutil.SeqIndentAnnotation] == string(yaml.WideSequenceStyle)
		for _, key := range []string{kioutil.IndexAnnotation, legacyIndexAnnotation, kioutil.SeqIndentAnnotation} {
			if _, err := n.Pipe(yaml.ClearAnnotation(key)); err != nil {
				return err
			}
		}
		return yaml.ClearEmptyAnnotations(n)
	})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	last := len(nodes) - 1
	err = encodeOrdered(bw, nodes, func(e *emitter, dst []byte, batch []*yaml.RNode, end int) ([]byte, error) {
		start := end + 1 - len(batch)
		for j, n := range batch {
			i := start + j
			if i > 0 {
				dst = append(dst, "---\n"...)
			}
			if text, ok := sources.unchanged(n); ok {
				dst = append(dst, text...)
				continue
			}
			doc := unwrapBareSequence(n.Document())
			at := len(dst)
			e.buf = dst
			// The emitter leaves folded scalars and empty nulls where yaml.v3
			// would quote them to yaml.v3, and keeps values only with
			// sources: without, the bytes are kyaml's.
			if e.document(doc, wide[i]) || sources != nil && keepValues(doc) && e.reset(dst, at) && e.document(doc, wide[i]) {
				dst = e.buf
				if i == last && e.openEnded {
					dst = append(dst, "...\n"...)
				}
				continue
			}
			var err error
			if dst, err = encodeDocument(e.buf[:at], doc, wide[i], i == last); err != nil {
				return dst, err
			}
		}
		return dst, nil
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// keepValues gives every scalar under n that yaml.v3 would not write back
// as it is a form that reads back the same, and reports whether it changed
// one. yaml.v3 writes a folded scalar whose text has more-indented lines
// with one line break more before each of them, at every writing
// (kustomize, which writes with it, does the same): it becomes literal, or
// double quoted. And it writes an empty null in a flow collection or as a
// key as an empty quoted string, since an empty plain scalar is not allowed
// there: it is written null. Other scalars read back as they are.
func keepValues(n *yaml.Node) bool {
	return keepValuesIn(n, false, false)
}

// keepValuesIn is keepValues for a node in a flow collection (flow), or a
// key of a mapping (key).
func keepValuesIn(n *yaml.Node, flow, key bool) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		if (flow || key) && isEmptyNull(n) {
			n.Value = "null"
			return true
		}
		if n.Style&yaml.FoldedStyle == 0 || readsBack(n) {
			return false
		}
		n.Style = n.Style&^yaml.FoldedStyle | yaml.LiteralStyle
		if !readsBack(n) {
			n.Style = n.Style&^yaml.LiteralStyle | yaml.DoubleQuotedStyle
		}
		return true
	}
	flow = flow || n.Style&yaml.FlowStyle != 0
	changed := false
	for i, child := range n.Content {
		changed = keepValuesIn(child, flow, n.Kind == yaml.MappingNode && i%2 == 0) || changed
	}
	return changed
}

// isEmptyNull reports whether n is a null written as nothing: a plain
// scalar without a value, whose tag is null or resolved from the text.
func isEmptyNull(n *yaml.Node) bool {
	quoted := yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle | yaml.TaggedStyle
	return n.Kind == yaml.ScalarNode && n.Value == "" && n.Style&quoted == 0 && (n.Tag == "" || shortTag(n.Tag) == yaml.NodeTagNull)
}

// readsBack reports whether yaml.v3 reads the scalar n back as it is,
// written as a value in a mapping.
func readsBack(n *yaml.Node) bool {
	scalar := *n
	scalar.HeadComment, scalar.LineComment, scalar.FootComment, scalar.Anchor = "", "", "", ""
	var buf bytes.Buffer
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "k"}, &scalar}}
	if err := yaml.NewEncoder(&buf).Encode(doc); err != nil {
		return false
	}
	var back yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &back); err != nil || len(back.Content) != 1 || len(back.Content[0].Content) != 2 {
		return false
	}
	return back.Content[0].Content[1].Value == n.Value
}

// jsonFile is kio.ByteWriter's test for writing a lone node as JSON: it
// came from a file whose name says JSON.
func jsonFile(n *yaml.RNode) bool {
	path, _, _ := kioutil.GetFileAnnotations(n)
	if path == "" {
		return false
	}
	for _, glob := range kio.JSONMatch {
		if match, _ := filepath.Match(glob, filepath.Base(path)); match {
			return true
		}
	}
	return false
}

// unwrapBareSequence is kio's upWrapBareSequenceNode: a sequence a reader
// wrapped in a map to annotate it leaves as the sequence.
func unwrapBareSequence(node *yaml.Node) *yaml.Node {
	seq, err := yaml.NewRNode(node).Pipe(yaml.Lookup(yaml.BareSeqNodeWrappingKey))
	if err == nil && !seq.IsNilOrEmpty() {
		return seq.YNode()
	}
	return node
}

// encodeDocument appends yaml.v3's text for one document of a stream to
// dst, without the separator before it, and with the stream's end marker
// if it is the last and needs one.
func encodeDocument(dst []byte, doc *yaml.Node, wide, last bool) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	e := yaml.NewEncoder(buf)
	if wide {
		e.DefaultSeqIndent()
	} else {
		e.CompactSeqIndent()
	}
	if err := e.Encode(doc); err != nil {
		return buf.Bytes(), err
	}
	if last {
		if err := e.Close(); err != nil {
			return buf.Bytes(), err
		}
	}
	return buf.Bytes(), nil
}
