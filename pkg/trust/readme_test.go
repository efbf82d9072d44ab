package trust

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goldenBlock is a README code block preceded by a marker naming the golden
// file it shows: <!-- golden: testdata/CASE/FILE -->.
var goldenBlock = regexp.MustCompile("(?s)<!-- golden: ([^ ]+) -->\n```([a-z]*)\n(.*?)```\n")

// The README shows real, tested output: its examples are the golden files.
func TestReadmeExamplesAreTheGoldenFiles(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goldenBlock.FindAllSubmatchIndex(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md embeds no golden file")
	}
	var updated strings.Builder
	last := 0
	for _, m := range blocks {
		path, lang, shown := string(readme[m[2]:m[3]]), string(readme[m[4]:m[5]]), string(readme[m[6]:m[7]])
		want, err := os.ReadFile(filepath.FromSlash(path))
		if err != nil {
			t.Fatalf("README.md embeds %s: %v", path, err)
		}
		if *update {
			updated.Write(readme[last:m[0]])
			updated.WriteString("<!-- golden: " + path + " -->\n```" + lang + "\n" + string(want) + "```\n")
			last = m[1]
			continue
		}
		if shown != string(want) {
			t.Errorf("README.md shows an outdated %s (run go test ./pkg/trust -update)", path)
		}
	}
	if *update {
		updated.Write(readme[last:])
		if err := os.WriteFile("README.md", []byte(updated.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
