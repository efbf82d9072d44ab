package trust

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

// goldenBlock is a README code block preceded by a marker naming the golden
// file it shows: <!-- golden: testdata/CASE/FILE -->.
var goldenBlock = regexp.MustCompile("(?s)<!-- golden: ([^ ]+) -->\n```([a-z]*)\n(.*?)```\n")

// The README shows real, tested output: its examples are the golden files.
// With -update its blocks are rewritten from the files.
func TestReadmeExamplesAreTheGoldenFiles(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goldenBlock.FindAllSubmatchIndex(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md embeds no golden file")
	}
	var fromGoldens strings.Builder
	last := 0
	for _, m := range blocks {
		path, lang := string(readme[m[2]:m[3]]), string(readme[m[4]:m[5]])
		shown, err := os.ReadFile(filepath.FromSlash(path))
		if err != nil {
			t.Fatalf("README.md embeds %s: %v", path, err)
		}
		fromGoldens.Write(readme[last:m[0]])
		fromGoldens.WriteString("<!-- golden: " + path + " -->\n```" + lang + "\n" + string(shown) + "```\n")
		last = m[1]
	}
	fromGoldens.Write(readme[last:])
	golden.Compare(t, "README.md", []byte(fromGoldens.String()))
}
