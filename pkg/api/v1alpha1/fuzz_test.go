package v1alpha1

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// FuzzDecode feeds arbitrary functionConfig documents to Decode. It must
// never panic, must return a spec exactly when it found no error, and every
// problem it reports must say where (a field path) and what (a message). A
// spec it returns must pass Validate.
func FuzzDecode(f *testing.F) {
	var paths []string
	for _, pattern := range []string{
		filepath.Join("..", "..", "..", "testdata", "*", "*.yaml"),
		filepath.Join("..", "..", "workload", "testdata", "*", "*.yaml"),
		// trust's cases hold the specs with grants of every cloud.
		filepath.Join("..", "..", "trust", "testdata", "*", "input.yaml"),
	} {
		found, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		paths = append(paths, found...)
	}
	for _, path := range paths {
		if filepath.Base(path) == "expected.yaml" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, document := range bytes.Split(data, []byte("\n---\n")) {
			f.Add(document)
		}
	}
	f.Fuzz(func(t *testing.T, document []byte) {
		node, err := yaml.Parse(string(document))
		if err != nil {
			return
		}
		spec, found := Decode(node)
		errs := found.Errors()
		if (spec == nil) != (len(errs) > 0) {
			t.Fatalf("Decode returned spec %v with %d errors; want a spec exactly when there is no error: %v", spec != nil, len(errs), found)
		}
		for _, e := range found {
			if e.Field == "" || e.Message == "" {
				t.Fatalf("a problem without a field path or message: %#v", e)
			}
		}
		if spec != nil {
			if errs := spec.Check().Errors(); len(errs) > 0 {
				t.Fatalf("Decode returned a spec that does not check: %v", errs)
			}
		}
	})
}
