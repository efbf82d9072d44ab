package resourcelist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFilesReadsEachFileAloneAndStdinForDash(t *testing.T) {
	dir := t.TempDir()
	// No final line break: concatenated, the next file's first line would
	// run into this one's last.
	first := filepath.Join(dir, "first.yaml")
	if err := os.WriteFile(first, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}"), 0o644); err != nil {
		t.Fatal(err)
	}
	items, err := ReadFiles(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\nx: &x [1]\ny: *x\n"), []string{first, "-"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].GetName() != "a" || items[1].GetName() != "b" {
		t.Fatalf("read %d items %v; want ConfigMaps a and b", len(items), items)
	}
	if !strings.Contains(items[1].MustString(), "y: *x") {
		t.Errorf("the alias was expanded:\n%s", items[1].MustString())
	}
	for _, c := range []struct {
		stdin string
		paths []string
		want  string
	}{
		{"", []string{filepath.Join(dir, "absent.yaml")}, "reading " + filepath.Join(dir, "absent.yaml")},
		{"kind: [", []string{"-"}, "reading stdin"},
	} {
		if _, err := ReadFiles(strings.NewReader(c.stdin), c.paths, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadFiles(%v) = %v; want an error saying %q", c.paths, err, c.want)
		}
	}
}
