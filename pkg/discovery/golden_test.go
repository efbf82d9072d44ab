package discovery

import (
	"bytes"
	"encoding/json"
	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A case folder under testdata/ holds args.json (the command's arguments;
// {out} is a fresh output folder, {case} the case folder), optionally
// jwks.json (stdin), and either expected.txt (stdout, the output folder shown
// as OUT) with expected/ (every file written), or errors.txt (the error; then
// nothing may be printed or written).
func TestGoldenIssuerCases(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "args.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no testdata/*/args.json (%v)", err)
	}
	for _, argsFile := range dirs {
		dir := filepath.Dir(argsFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var args []string
			readJSON(t, argsFile, &args)
			for i, a := range args {
				a = strings.ReplaceAll(a, "{out}", out)
				args[i] = strings.ReplaceAll(a, "{case}", dir)
			}
			stdin, err := os.ReadFile(filepath.Join(dir, "jwks.json"))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			cmd := Command()
			var stdout, stderr bytes.Buffer
			cmd.SetIn(bytes.NewReader(stdin))
			cmd.SetOut(&stdout)
			cmd.SetErr(&stderr)
			cmd.SetArgs(args)
			runErr := cmd.Execute()
			written := tree(t, out)
			if strings.HasPrefix(filepath.Base(dir), "bad-") {
				if runErr == nil {
					t.Fatalf("want an error, got none; stdout:\n%s", stdout.String())
				}
				if stdout.Len() != 0 || len(written) != 0 {
					t.Errorf("an error must leave no output; stdout %q, files %v", stdout.String(), keys(written))
				}
				golden.Compare(t, filepath.Join(dir, "errors.txt"), []byte(strings.ReplaceAll(runErr.Error(), out, "OUT")+"\n"))
				return
			}
			if runErr != nil {
				t.Fatalf("issuer: %v", runErr)
			}
			golden.Compare(t, filepath.Join(dir, "expected.txt"), []byte(strings.ReplaceAll(stdout.String(), out, "OUT")))
			want := filepath.Join(dir, "expected")
			if *golden.Update {
				if err := os.RemoveAll(want); err != nil {
					t.Fatal(err)
				}
				for name, data := range written {
					path := filepath.Join(want, name)
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			if diff := cmp.Diff(tree(t, want), written); diff != "" {
				t.Errorf("written files differ from %s (-want +got):\n%s", want, diff)
			}
		})
	}
}

// tree reads every file below dir by slash path; a missing dir is empty.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == dir {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
