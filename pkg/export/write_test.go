package export

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// entries lists what is below dir, links not followed: path -> mode and
// content (a link's target).
func entries(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entry := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			entry += " -> " + link
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			entry += " " + string(data)
		}
		out[strings.TrimPrefix(path, dir)] = entry
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The review's case, through the command: a committed Component folder
// whose patches folder links outside and whose kustomization.yaml is a
// dangling link. Nothing may be written outside --out.
func TestExportNeverWritesThroughALinkInsideOut(t *testing.T) {
	work := t.TempDir()
	outside := filepath.Join(work, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "component")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"patches": "../outside", "kustomization.yaml": "../outside/planted.yaml"} {
		if err := os.Symlink(target, filepath.Join(out, link)); err != nil {
			t.Fatal(err)
		}
	}
	config := filepath.Join(work, "spec.yaml")
	write(t, config, string(placementSpec("apps")))
	input := filepath.Join(work, "input.yaml")
	write(t, input, placementDeployment("apps"))
	before := entries(t, work)
	for _, force := range []bool{false, true} {
		args := []string{"--config", config, "--out", out, input}
		if force {
			args = append(args, "--force")
		}
		stderr, err := runExport(t, args...)
		if !errors.Is(err, ErrLink) {
			t.Errorf("export (force %v) = %v; want ErrLink\n%s", force, err, stderr)
		}
		if after := entries(t, work); len(after) != len(before) {
			t.Errorf("export (force %v) changed the files: %v; want %v", force, after, before)
		}
	}
}

func TestWriteNeverFollowsALink(t *testing.T) {
	files := []File{{Path: "kustomization.yaml", Content: Header + "kind: Component\n"}, {Path: "patches/p.yaml", Content: Header + "[]\n"}}
	for _, c := range []struct {
		name    string
		link    string // below --out, or "" for --out itself
		target  string
		force   bool
		wantErr bool
	}{
		{"a folder export writes into", "patches", "../outside", true, true},
		{"a file export writes, dangling", "kustomization.yaml", "../outside/planted.yaml", false, true},
		{"a file export writes, replaced with --force", "kustomization.yaml", "../outside/planted.yaml", true, false},
		{"a file export writes, pointing at a generated file", "kustomization.yaml", "../outside/generated.yaml", false, true},
		{"--out itself", "", "outside", true, true},
		{"a link export does not write: kept as a link", "docs", "../outside", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			work := t.TempDir()
			outside := filepath.Join(work, "outside")
			write(t, filepath.Join(outside, "generated.yaml"), Header+"kind: Component\n")
			out := filepath.Join(work, "component")
			if c.link == "" {
				if err := os.Symlink(c.target, out); err != nil {
					t.Fatal(err)
				}
			} else {
				write(t, filepath.Join(out, "README.md"), "notes\n")
				if err := os.Symlink(c.target, filepath.Join(out, c.link)); err != nil {
					t.Fatal(err)
				}
			}
			before := entries(t, outside)
			err := Writer{Force: c.force}.Write(out, files)
			if c.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrLink)) {
				t.Errorf("Write = %v; want an ErrLink error: %v", err, c.wantErr)
			}
			if after := entries(t, outside); len(after) != len(before) || after["/generated.yaml"] != before["/generated.yaml"] {
				t.Errorf("the folder outside --out changed: %v; want %v", after, before)
			}
			if c.wantErr {
				return
			}
			got := entries(t, out)
			if !strings.HasPrefix(got["/kustomization.yaml"], "-") || !strings.HasPrefix(got["/patches/p.yaml"], "-") {
				t.Errorf("the Component's files are not regular files inside --out: %v", got)
			}
			if c.link == "docs" && got["/docs"] != "Lrwxrwxrwx -> ../outside" {
				t.Errorf("the link export does not write was not kept as it was: %q", got["/docs"])
			}
		})
	}
}

// A private Component folder stays private, every mode is kept, and a
// special file stops the export instead of vanishing.
func TestWriteKeepsModesAndRefusesSpecialFiles(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "component")
	write(t, filepath.Join(out, "private", "secret.txt"), "mine\n")
	write(t, filepath.Join(out, "kustomization.yaml"), Header+"old\n")
	for path, mode := range map[string]fs.FileMode{"private/secret.txt": 0o600, "private": 0o700, "kustomization.yaml": 0o600, ".": 0o700} {
		if err := os.Chmod(filepath.Join(out, path), mode); err != nil {
			t.Fatal(err)
		}
	}
	files := []File{{Path: "kustomization.yaml", Content: Header + "new\n"}, {Path: "patches/p.yaml", Content: Header + "[]\n"}}
	if err := Write(out, files); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{".": fs.ModeDir | 0o700, "private": fs.ModeDir | 0o700, "private/secret.txt": 0o600, "kustomization.yaml": 0o600} {
		info, err := os.Lstat(filepath.Join(out, path))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != want {
			t.Errorf("%s has mode %v after the export; want %v", path, info.Mode(), want)
		}
	}

	if err := syscall.Mkfifo(filepath.Join(out, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := entries(t, out)
	err := Write(out, files)
	if !errors.Is(err, ErrSpecialFile) || !strings.Contains(err.Error(), "pipe is not a file, a folder or a symbolic link (a named pipe)") {
		t.Errorf("Write over a named pipe = %v; want ErrSpecialFile naming it", err)
	}
	if after := entries(t, out); len(after) != len(before) || after["/pipe"] != before["/pipe"] {
		t.Errorf("the refused export changed the folder: %v; want %v", after, before)
	}
	// A pipe where export writes is refused before it is opened (reading it
	// would block).
	if err := os.Remove(filepath.Join(out, "kustomization.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(out, "kustomization.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := (Writer{Force: true}).Write(out, files); !errors.Is(err, ErrSpecialFile) {
		t.Errorf("Write over a named pipe at kustomization.yaml = %v; want ErrSpecialFile", err)
	}
	if stale, err := Diff(out, files); err != nil || len(stale) == 0 || !strings.Contains(strings.Join(stale, " "), "kustomization.yaml (not a file") {
		t.Errorf("Diff = %v, %v; want kustomization.yaml named as not a file", stale, err)
	}
}
