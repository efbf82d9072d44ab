package golden

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a testing.TB that keeps what a test would report.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	runtime.Goexit()
}

// record runs f against a recorder in its own goroutine, so that Fatalf can
// stop f as it stops a test.
func record(f func(testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// setUpdate sets -update for one test.
func setUpdate(t *testing.T, on bool) {
	before := *Update
	*Update = on
	t.Cleanup(func() { *Update = before })
}

func TestCompare(t *testing.T) {
	const absent = "\x00absent"
	const eightLines = "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n"
	for _, tc := range []struct {
		name   string
		update bool
		file   string // the golden file before Compare, or absent
		got    string
		// fails matches the failure message; empty when Compare passes.
		fails string
		// after is the golden file after Compare, or absent.
		after string
	}{
		{name: "same output passes", file: "a\nb\n", got: "a\nb\n", after: "a\nb\n"},
		{name: "other output fails with a diff and the -update hint", file: "a\nb\n", got: "a\nc\n", fails: "-update", after: "a\nb\n"},
		{name: "the diff is line by line", file: eightLines, got: strings.Replace(eightLines, "line 5", "changed", 1), fails: `(?m)^-.*line 5\n\+.*changed$`, after: eightLines},
		{name: "missing file fails on output", file: absent, got: "a\n", fails: "-update", after: absent},
		{name: "missing file is empty output", file: absent, got: "", after: absent},
		{name: "empty file is empty output", file: "", got: "", after: ""},
		{name: "empty output fails on a file", file: "a\n", got: "", fails: "-update", after: "a\n"},
		{name: "update writes other output", update: true, file: "a\nb\n", got: "a\nc\n", after: "a\nc\n"},
		{name: "update creates the file and its folder", update: true, file: absent, got: "a\n", after: "a\n"},
		{name: "update removes the file of empty output", update: true, file: "a\n", got: "", after: absent},
		{name: "update leaves no file for empty output", update: true, file: absent, got: "", after: absent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setUpdate(t, tc.update)
			path := filepath.Join(t.TempDir(), "case", "expected.yaml")
			if tc.file != absent {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}

			r := record(func(tb testing.TB) { Compare(tb, path, []byte(tc.got)) })

			switch {
			case r.fatal:
				t.Errorf("Compare stopped the test: %q", r.errors)
			case tc.fails == "" && len(r.errors) != 0:
				t.Errorf("Compare failed: %q", r.errors)
			case tc.fails != "" && len(r.errors) != 1:
				t.Errorf("Compare reported %d failures; want 1: %q", len(r.errors), r.errors)
			case tc.fails != "" && !regexp.MustCompile(tc.fails).MatchString(r.errors[0]):
				t.Errorf("the failure does not match %q:\n%s", tc.fails, r.errors[0])
			case tc.fails != "" && !strings.Contains(r.errors[0], path):
				t.Errorf("the failure does not name %s:\n%s", path, r.errors[0])
			}
			after, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				after = []byte(absent)
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.after, string(after)); diff != "" {
				t.Errorf("the golden file after Compare (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompareStopsOnAnUnreadableFile(t *testing.T) {
	setUpdate(t, false)
	dir := t.TempDir() // a folder cannot be read as a file
	r := record(func(tb testing.TB) { Compare(tb, dir, []byte("a\n")) })
	if !r.fatal {
		t.Errorf("Compare did not stop the test; reported %q", r.errors)
	}
}

func TestCases(t *testing.T) {
	dir := t.TempDir()
	for _, file := range []string{"b/input.yaml", "a/input.yaml", "a/expected.yaml", "c/expected.yaml"} {
		path := filepath.Join(dir, filepath.FromSlash(file))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		file  string
		want  []string
		fatal bool
	}{
		{file: "input.yaml", want: []string{"a", "b"}},
		{file: "expected.yaml", want: []string{"a", "c"}},
		{file: "patch.yaml", fatal: true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var got []string
			r := record(func(tb testing.TB) { got = Cases(tb, dir, tc.file) })
			if r.fatal != tc.fatal {
				t.Errorf("Cases stopped the test: %v, want %v (reported %q)", r.fatal, tc.fatal, r.errors)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Cases (-want +got):\n%s", diff)
			}
		})
	}
}
