// Package golden is the one golden-file harness of the module's tests: it
// compares output with checked-in files and, under -update, rewrites them.
// Only tests import it, so only test binaries know the -update flag.
package golden

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Update makes Compare write the golden files instead of checking them.
var Update = flag.Bool("update", false, "rewrite golden files; read the diff before committing")

// Compare fails t with a diff when got differs from the golden file at path.
// A missing file is the golden of empty output, so output that is usually
// empty (a list of errors) needs a file only when it is not. With -update,
// Compare writes got to path instead, creating its folder, and removes the
// file when got is empty.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading the golden file: %v", err)
	}
	if string(want) == string(got) {
		return
	}
	if *Update {
		write(t, path, got)
		return
	}
	t.Errorf("%s differs from the output (-want +got); if the change is intended, rerun the test with -update and read the diff before committing:\n%s",
		path, cmp.Diff(string(want), string(got)))
}

func write(t testing.TB, path string, got []byte) {
	t.Helper()
	if len(got) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("removing the golden file: %v", err)
		}
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("creating the golden file's folder: %v", err)
	}
	if err := os.WriteFile(path, got, 0o644); err != nil {
		t.Fatalf("writing the golden file: %v", err)
	}
}

// Cases returns the names of the folders under dir that hold a file named
// file, sorted: the golden cases of a test. It fails t when there is none.
func Cases(t testing.TB, dir, file string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*", file))
	if err != nil {
		t.Fatalf("listing the golden cases: %v", err)
	}
	var names []string
	for _, path := range paths {
		names = append(names, filepath.Base(filepath.Dir(path)))
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatalf("no golden case: no %s", filepath.Join(dir, "*", file))
	}
	return names
}
