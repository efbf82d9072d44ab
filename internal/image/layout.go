package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// WriteLayout writes idx as an OCI image layout at dir whose index.json names
// exactly idx, tagged tag: `crane push DIR REF` pushes it as it is, `skopeo
// copy --all oci:DIR:TAG ...` finds it by tag. The layout is written beside
// dir first and then renamed, so a failed build leaves no half layout. An
// earlier layout at dir is replaced; any other folder there is an error,
// never deleted.
func WriteLayout(dir string, idx v1.ImageIndex, tag string) error {
	if !tagPattern.MatchString(tag) {
		return fmt.Errorf("tag %q: want letters, digits, '_', '.' or '-', not starting with '.' or '-'", tag)
	}
	if err := replaceable(dir); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	// The layout library creates blobs/sha256 only for an index's children.
	if err := os.MkdirAll(filepath.Join(staging, "blobs", "sha256"), 0o755); err != nil {
		return err
	}
	p, err := layout.Write(staging, empty.Index)
	if err != nil {
		return fmt.Errorf("writing the layout: %w", err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{RefNameAnnotation: tag})); err != nil {
		return fmt.Errorf("writing the layout: %w", err)
	}
	if err := readableByAll(staging); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(staging, dir)
}

// replaceable says whether dir may be written: absent, empty, or an OCI
// image layout (it has an oci-layout file).
func replaceable(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return fmt.Errorf("%s exists and is not an OCI image layout (no oci-layout file); give a new folder or remove it", dir)
	}
	return nil
}

// readableByAll gives the layout's folders mode 0755 and its files 0644:
// the layout library writes some blobs for this user alone and others
// executable, and MkdirTemp made the folder private, but a layout is for
// others to read (a registry's tools, a CI upload) and holds no program.
func readableByAll(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	})
}
