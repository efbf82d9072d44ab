package examples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/internal/image"
)

const repoURL = "https://github.com/crosscloud-dev/cross-cloud-access/tree/main/"

// The catalog metadata must name folders that exist and the image the
// Makefile builds.
func TestCatalogMetadata(t *testing.T) {
	m, err := image.ReadMetadata(filepath.Join("..", "metadata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Description == "" || len(m.Tags) == 0 || m.License == "" {
		t.Errorf("metadata.yaml lacks a description, tags or license: %+v", m)
	}
	makefile, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(makefile), m.Image+":") {
		t.Errorf("metadata.yaml image %q is not the image the Makefile builds", m.Image)
	}
	if _, err := os.Stat(filepath.Join("..", "LICENSE")); err != nil {
		t.Errorf("metadata.yaml names license %s but there is no LICENSE file", m.License)
	}
	for _, u := range append([]string{m.SourceURL}, m.ExamplePackageURLs...) {
		rel, ok := strings.CutPrefix(u, repoURL)
		if !ok {
			t.Errorf("%s is not a folder of this repository", u)
			continue
		}
		if _, err := os.Stat(filepath.Join("..", rel)); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if len(m.ExamplePackageURLs) > 0 {
		if _, err := os.Stat(filepath.Join("..", strings.TrimPrefix(m.ExamplePackageURLs[0], repoURL), "Kptfile")); err != nil {
			t.Errorf("the example package has no Kptfile: %v", err)
		}
	}
}
