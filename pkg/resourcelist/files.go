package resourcelist

import (
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ReadFiles reads the YAML streams a command line names: each path is a
// file, or stdin for "-". Each is parsed as a stream of its own, so a file
// that does not end in a line break cannot run into the next, and as
// Sources.Read parses it: anchors, aliases and merge keys stay as written,
// never expanded (ten levels of ten aliases would expand to ten billion
// nodes). sources, when not nil, records the text of each object.
func ReadFiles(stdin io.Reader, paths []string, sources *Sources) ([]*yaml.RNode, error) {
	var items []*yaml.RNode
	for _, path := range paths {
		name := path
		var data []byte
		var err error
		if path == "-" {
			name = "stdin"
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		nodes, err := sources.Read(data)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		items = append(items, nodes...)
	}
	return items, nil
}

// Parse reads one YAML stream as ReadFiles reads each file, recording no
// text.
func Parse(data []byte) ([]*yaml.RNode, error) {
	var none *Sources
	return none.Read(data)
}
