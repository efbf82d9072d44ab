package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// embedBlock is a README block that must equal a file of the repository:
// <!-- embed: PATH --> then a fenced block then <!-- end -->.
var embedBlock = regexp.MustCompile("(?s)<!-- embed: (\\S+) -->\n(.*?)<!-- end -->")

// includeBlock is a README block that is a markdown file of the repository
// without its title, its headings one level deeper:
// <!-- include: PATH --> then the text then <!-- end -->.
var includeBlock = regexp.MustCompile("(?s)<!-- include: (\\S+) -->\n(.*?)<!-- end -->")

// The README shows real examples; this keeps them from drifting. With
// -update the blocks are rewritten from the files.
func TestReadmeEmbedsExamples(t *testing.T) {
	readmePath := filepath.Join("..", "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	var failed bool
	updated := embedBlock.ReplaceAllStringFunc(string(readme), func(block string) string {
		m := embedBlock.FindStringSubmatch(block)
		found++
		data, err := os.ReadFile(filepath.Join("..", m[1]))
		if err != nil {
			t.Errorf("README embeds %s: %v", m[1], err)
			failed = true
			return block
		}
		fence := map[string]string{".json": "json", ".tf": "hcl", ".sh": "sh"}[filepath.Ext(m[1])]
		if fence == "" {
			fence = "yaml"
		}
		want := "<!-- embed: " + m[1] + " -->\n```" + fence + "\n" + strings.TrimSuffix(string(data), "\n") + "\n```\n<!-- end -->"
		if block != want {
			if !*update {
				t.Errorf("README's copy of %s is stale; run the examples tests with -update", m[1])
			}
			failed = true
		}
		return want
	})
	updated = includeBlock.ReplaceAllStringFunc(updated, func(block string) string {
		m := includeBlock.FindStringSubmatch(block)
		data, err := os.ReadFile(filepath.Join("..", m[1]))
		if err != nil {
			t.Errorf("README includes %s: %v", m[1], err)
			failed = true
			return block
		}
		var lines []string
		for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			if i == 0 && strings.HasPrefix(line, "# ") {
				continue
			}
			if strings.HasPrefix(line, "#") {
				line = "#" + line
			}
			lines = append(lines, line)
		}
		want := "<!-- include: " + m[1] + " -->\n" + strings.TrimSpace(strings.Join(lines, "\n")) + "\n<!-- end -->"
		if block != want {
			if !*update {
				t.Errorf("README's copy of %s is stale; run the examples tests with -update", m[1])
			}
			failed = true
		}
		return want
	})
	if found == 0 {
		t.Fatal("README embeds no example")
	}
	if *update && failed {
		if err := os.WriteFile(readmePath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
