package image

import (
	"fmt"
	"os"
	"strings"
	"unicode"

	sigsyaml "sigs.k8s.io/yaml"
)

// Metadata is the kpt functions catalog's metadata.yaml: the one place for
// what the image says about the function (its name, description, license
// and source), so the catalog, the image and the Dockerfile cannot disagree.
type Metadata struct {
	// Image is the published image's name, without a tag.
	Image       string   `json:"image"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	// SourceURL is the function's folder in the repository
	// (REPOSITORY/tree/BRANCH/PATH).
	SourceURL          string   `json:"sourceURL"`
	ExamplePackageURLs []string `json:"examplePackageURLs"`
	Emails             []string `json:"emails"`
	License            string   `json:"license"`
}

// ReadMetadata reads metadata.yaml strictly: a field the catalog does not
// define is an error.
func ReadMetadata(file string) (Metadata, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Metadata{}, err
	}
	var m Metadata
	if err := sigsyaml.UnmarshalStrict(data, &m); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", file, err)
	}
	if err := m.check(); err != nil {
		return Metadata{}, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}

// Repository is the repository SourceURL is a folder of: the image's source
// label, which registries (ghcr.io) use to link the image to it.
func (m Metadata) Repository() string {
	repo, _, _ := strings.Cut(m.SourceURL, "/tree/")
	return repo
}

// check refuses metadata that would make a wrong label or Dockerfile line:
// a missing value, a line break or other control or format character (the
// Unicode line and paragraph separators too), a source that is not an https
// repository folder.
func (m Metadata) check() error {
	for _, f := range []struct{ name, value string }{
		{"image", m.Image}, {"description", m.Description}, {"license", m.License}, {"sourceURL", m.SourceURL},
	} {
		if f.value == "" {
			return fmt.Errorf("%s is empty: the image's labels need it", f.name)
		}
		for _, r := range f.value {
			if !unicode.IsPrint(r) {
				return fmt.Errorf("%s holds %U, not a printable character: a label is one line", f.name, r)
			}
		}
	}
	if !strings.HasPrefix(m.SourceURL, "https://") || !strings.Contains(m.SourceURL, "/tree/") {
		return fmt.Errorf("sourceURL %q is not a folder of a repository: want https://HOST/OWNER/REPOSITORY/tree/BRANCH/PATH", m.SourceURL)
	}
	return nil
}
