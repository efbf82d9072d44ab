// Package resourcelist reads and writes what a KRM function reads and
// writes: a ResourceList on stdin and stdout (kustomize, kpt, Argo CD), or a
// plain YAML stream (standalone mode, a Helm post-renderer).
//
// The bytes are kyaml's, byte for byte: Execute writes what
// framework.Execute writes with a kio.ByteReadWriter, and WriteStream what
// kio.ByteWriter writes, but for two bugs of yaml.v3 they do not repeat: a
// folded scalar with more-indented lines, which yaml.v3 writes back with a
// line break more before each of them, is written as a literal block (or
// double-quoted), and an empty null in a flow collection or as a key, which
// yaml.v3 writes as an empty quoted string, is written null, so that each
// reads back as it was read. What differs too is the cost. kyaml encodes
// the whole output as one YAML document through one yaml.v3 encoder, whose event
// buffer keeps every event of the document, after a deep copy of every
// item; that is most of a function's time and memory on large inputs. Here
// items are encoded independently, a batch at a time, in parallel, and
// written as soon as the batches before them are, without a copy.
//
// Items are independent documents for yaml.v3's emitter too: it carries
// nothing from one sequence item to the next but the line it stopped on. A
// batch is encoded as the items of a ResourceList of its own, followed by a
// placeholder item, in the same position and indentation as in the whole
// list; the bytes between the list's header and the placeholder are the
// batch's bytes in the whole list. The tests hold this against kyaml's own
// writer on every golden case, the benchmark inputs and fuzzed documents.
package resourcelist

import (
	"bytes"
	"io"
	"os"
	"runtime/debug"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Execute reads a ResourceList from r, has p process it and writes the
// resulting ResourceList to w: framework.Execute with a
// kio.ByteReadWriter{KeepReaderAnnotations: true}, as command.Build runs a
// processor, with the same output and errors (but for folded scalars and
// empty nulls that would not read back: see the package's documentation). Input that is not
// one ResourceList (or List) document goes to kyaml itself.
func Execute(p framework.ResourceListProcessor, r io.Reader, w io.Writer) error {
	data, err := readAll(r)
	if err != nil {
		return framework.Execute(keepingValues{p}, &kio.ByteReadWriter{Reader: errReader{err}, Writer: w, KeepReaderAnnotations: true})
	}
	in, ok := parse(data)
	if !ok {
		return framework.Execute(keepingValues{p}, &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: w, KeepReaderAnnotations: true})
	}
	rl := framework.ResourceList{Items: in.items, FunctionConfig: in.functionConfig}
	nodeAnnos, err := preprocessAnnotations(rl.Items)
	if err != nil {
		return err
	}
	retErr := p.Process(&rl)
	if err := reconcileAnnotations(rl.Items, nodeAnnos); err != nil {
		return err
	}
	results := in.results
	if len(rl.Results) > 0 {
		b, err := yaml.Marshal(rl.Results)
		if err != nil {
			return err
		}
		if results, err = yaml.Parse(string(b)); err != nil {
			return err
		}
	}
	list := List{APIVersion: in.apiVersion, Kind: in.kind, FunctionConfig: in.functionConfig, Results: results}
	if err := list.Write(w, rl.Items); err != nil {
		return err
	}
	return retErr
}

// keepingValues is a processor whose items' scalars that would not read
// back are restyled after it (keepValues), as List.Write restyles them, for
// the inputs left to kyaml.
type keepingValues struct {
	framework.ResourceListProcessor
}

func (k keepingValues) Process(rl *framework.ResourceList) error {
	err := k.ResourceListProcessor.Process(rl)
	for _, item := range rl.Items {
		if !item.IsNil() {
			keepValues(item.YNode())
		}
	}
	return err
}

// readAll reads r whole, into one buffer of the right size when r is a
// regular file.
func readAll(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if f, ok := r.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
			buf.Grow(int(info.Size()) + bytes.MinRead)
		}
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// errReader hands kyaml the error reading the input met, so that it reports
// it as it would have.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// input is one ResourceList, read as kio.ByteReader reads it.
type input struct {
	apiVersion, kind        string
	items                   []*yaml.RNode
	functionConfig, results *yaml.RNode
}

// parse reads data as kio.ByteReader does when data is one ResourceList or
// List document, and says whether it was: anything else (a stream of
// several documents, CRLF line ends, YAML that does not parse, no items or
// functionConfig) is for kyaml to read, or to refuse with its own message.
func parse(data []byte) (input, bool) {
	// kio.ByteReader replaces CRLF, then splits documents at every line
	// that starts with "---" and is followed by another line; a List is
	// unwrapped only when it is the one document.
	if bytes.Contains(data, []byte("\r\n")) || hasSeparator(data) {
		return input{}, false
	}
	// Decoding allocates what stays: collecting garbage meanwhile finds
	// none and costs a pass over the heap each time it doubles.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	if sp, ok := splitItems(data); ok {
		if in, ok := decode(sp.skeleton, &sp); ok {
			return in, true
		}
	}
	return decode(data, nil)
}

// decode reads the list in data as kio.ByteReader does; with sp, data is
// the list with its items left out, and the items are sp's to parse.
func decode(data []byte, sp *split) (input, bool) {
	var in input
	doc := &yaml.Node{}
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(doc); err != nil {
		return in, false
	}
	if yaml.IsYNodeEmptyDoc(doc) {
		return in, false
	}
	// What ByteReader does to the document before it unwraps it: it can
	// only fail here, on the list itself.
	n := yaml.NewRNode(doc)
	if err := kioutil.CopyLegacyAnnotations(n); err != nil {
		return in, false
	}
	for _, key := range []string{kioutil.IndexAnnotation, legacyIndexAnnotation} {
		if _, err := n.Pipe(yaml.SetAnnotation(key, "0")); err != nil {
			return in, false
		}
	}
	if yaml.IsMissingOrNull(n) {
		return in, false
	}
	meta, err := n.GetMeta()
	if err != nil && err != yaml.ErrMissingMetadata {
		return in, false
	}
	if meta.Kind != kio.ResourceListKind && meta.Kind != "List" {
		return in, false
	}
	items, fc := n.Field("items"), n.Field("functionConfig")
	if items == nil && fc == nil {
		return in, false
	}
	in.apiVersion, in.kind = meta.APIVersion, meta.Kind
	if fc != nil {
		in.functionConfig = fc.Value
	}
	if res := n.Field("results"); res != nil {
		in.results = res.Value
	}
	if sp != nil {
		// The items' lines were left blank: items is null, and the only
		// field of that name, or the split was wrong.
		if items == nil || items.Value.YNode().Tag != yaml.NodeTagNull || countKeys(n.YNode(), "items") != 1 {
			return in, false
		}
		var ok bool
		if in.items, ok = sp.parseChunks(); !ok {
			return in, false
		}
		return in, true
	}
	if items != nil {
		content := items.Value.Content()
		in.items = make([]*yaml.RNode, len(content))
		for i, item := range content {
			in.items[i] = yaml.NewRNode(item)
		}
	}
	return in, true
}

func countKeys(mapping *yaml.Node, key string) int {
	n := 0
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			n++
		}
	}
	return n
}

// hasSeparator reports whether kio.ByteReader would split data into
// several documents: its separator is `\n---.*\n`.
func hasSeparator(data []byte) bool {
	i := bytes.Index(data, []byte("\n---"))
	return i >= 0 && bytes.IndexByte(data[i+4:], '\n') >= 0
}
