package nofollow

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestMkdirAllCreatesFoldersAndFollowsNoLink(t *testing.T) {
	root := t.TempDir()
	if err := MkdirAll(root, filepath.Join("a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(filepath.Join(root, "a", "b")); err != nil || !info.IsDir() {
		t.Fatalf("a/b was not created: %v, %v", info, err)
	}
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll(root, filepath.Join("link", "c"), 0o755); !errors.Is(err, ErrLink) {
		t.Errorf("MkdirAll through a link = %v; want ErrLink", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("a folder was created through the link: %v", entries)
	}
	if err := MkdirAll(root, "../escape", 0o755); err == nil {
		t.Error("MkdirAll of ../escape succeeded")
	}
	if err := NotALink(filepath.Join(root, "link")); !errors.Is(err, ErrLink) {
		t.Errorf("NotALink(link) = %v; want ErrLink", err)
	}
	if _, err := CreateTemp(filepath.Join(root, "link"), "x"); !errors.Is(err, ErrLink) {
		t.Errorf("CreateTemp in a linked folder = %v; want ErrLink", err)
	}
	for _, path := range []string{filepath.Join(root, "a"), filepath.Join(root, "absent")} {
		if err := NotALink(path); err != nil {
			t.Errorf("NotALink(%s) = %v", path, err)
		}
	}
}
