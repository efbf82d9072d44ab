package examples

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// runBlock is a shell block of the documentation that a test runs: <!--
// run: DIR --> then a fenced sh block then <!-- end -->, indented alike in a
// list item. DIR (a folder of the
// repository) is copied into an empty folder, the block runs there with sh
// -e, cross-cloud-access and kustomize on PATH, and every file of DIR it
// writes must come out as committed: a block that regenerates a committed
// output proves the output current.
var runBlock = regexp.MustCompile("(?s)<!-- run: (\\S+) -->\n([ \t]*)```sh\n(.*?)[ \t]*```\n[ \t]*<!-- end -->")

var (
	kustomizeOnce sync.Once
	kustomizeDir  string
	kustomizeErr  error
)

// kustomizeOnPath builds the pinned kustomize once, for blocks that call it
// by name as users do.
func kustomizeOnPath(t *testing.T) string {
	t.Helper()
	kustomizeOnce.Do(func() {
		kustomizeDir, kustomizeErr = os.MkdirTemp("", "kustomize-bin")
		if kustomizeErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(kustomizeDir, "kustomize"), "sigs.k8s.io/kustomize/kustomize/v5")
		cmd.Dir = ".."
		var out []byte
		if out, kustomizeErr = cmd.CombinedOutput(); kustomizeErr != nil {
			kustomizeErr = &exec.Error{Name: "go build kustomize: " + string(out), Err: kustomizeErr}
		}
	})
	if kustomizeErr != nil {
		t.Fatal(kustomizeErr)
	}
	return kustomizeDir
}

func TestDocsCommandsRun(t *testing.T) {
	ran := map[string]int{}
	for _, page := range docPages(t) {
		text, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(page)))
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range runBlock.FindAllStringSubmatch(string(text), -1) {
			// A block in a list item is indented: its lines lose the indent.
			dir, indent, script := m[1], m[2], m[3]
			script = strings.ReplaceAll("\n"+script, "\n"+indent, "\n")[1:]
			ran[page]++
			t.Run(page+"#"+strconv.Itoa(i+1), func(t *testing.T) {
				work := t.TempDir()
				src := filepath.Join("..", filepath.FromSlash(dir))
				if err := os.CopyFS(filepath.Join(work, filepath.FromSlash(dir)), os.DirFS(src)); err != nil {
					t.Fatal(err)
				}
				root, err := filepath.Abs("..")
				if err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command("sh", "-e", "-c", script)
				cmd.Dir = work
				cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+kustomizeOnPath(t)+string(os.PathListSeparator)+os.Getenv("PATH"))
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Run(); err != nil {
					t.Fatalf("the block of %s failed: %v\n%s\n--- block\n%s", page, err, out.String(), script)
				}
				err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					rel, err := filepath.Rel(src, path)
					if err != nil {
						return err
					}
					want, err := os.ReadFile(path)
					if err != nil {
						return err
					}
					got, err := os.ReadFile(filepath.Join(work, filepath.FromSlash(dir), rel))
					if err != nil {
						t.Errorf("the block of %s removed %s/%s", page, dir, rel)
						return nil
					}
					if !bytes.Equal(got, want) {
						t.Errorf("the block of %s writes %s/%s other than it is committed; run it and commit the result", page, dir, filepath.ToSlash(rel))
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}
	for _, page := range []string{"docs/fleet.md", "docs/issuer-migration.md"} {
		if ran[page] == 0 {
			t.Errorf("%s has no tested command block (<!-- run: DIR -->)", page)
		}
	}
}
