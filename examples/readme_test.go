package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

// embedBlock is a block of the documentation that must equal a file of the
// repository: <!-- embed: PATH --> then a fenced block then <!-- end -->.
var embedBlock = regexp.MustCompile("(?s)<!-- embed: (\\S+) -->\n(.*?)<!-- end -->")

// includeBlock is a block of the documentation that is a markdown file of
// the repository without its title, its headings one level deeper:
// <!-- include: PATH --> then the text then <!-- end -->.
var includeBlock = regexp.MustCompile("(?s)<!-- include: (\\S+) -->\n(.*?)<!-- end -->")

// excerptBlock is a fenced block written by hand that shows parts of a file:
// <!-- excerpt: PATH --> then a fenced block then <!-- end -->. Lines of the
// form "# ..." (any indentation) mark what is left out; every run of lines
// between them must be lines of the file as they are, in the file's order.
var excerptBlock = regexp.MustCompile("(?s)<!-- excerpt: (\\S+) -->\n```[a-z]*\n(.*?)```\n<!-- end -->")

// docPages are the markdown pages whose blocks and links are checked, as
// paths relative to the repository root: the README and docs/*.md.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatal("docs/ has no markdown page")
	}
	sort.Strings(pages)
	rel := []string{"README.md"}
	for _, p := range pages {
		rel = append(rel, filepath.ToSlash(strings.TrimPrefix(p, ".."+string(filepath.Separator))))
	}
	return rel
}

// The README and the docs pages show real examples; this keeps them from
// drifting. With -update the embed and include blocks are rewritten from the
// files; an excerpt is written by hand and only checked.
func TestReadmeAndDocsBlocksMatchTheirFiles(t *testing.T) {
	total := 0
	for _, page := range docPages(t) {
		n := syncBlocks(t, page)
		if page == "README.md" && n == 0 {
			t.Error("README.md embeds no example")
		}
		total += n
	}
	if total == 0 {
		t.Fatal("no page embeds an example")
	}
}

// syncBlocks checks (or with -update rewrites) the embed, include and
// excerpt blocks of one page and returns how many embed blocks it has.
func syncBlocks(t *testing.T, page string) int {
	t.Helper()
	pagePath := filepath.Join("..", filepath.FromSlash(page))
	text, err := os.ReadFile(pagePath)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	updated := embedBlock.ReplaceAllStringFunc(string(text), func(block string) string {
		m := embedBlock.FindStringSubmatch(block)
		found++
		data, err := os.ReadFile(filepath.Join("..", m[1]))
		if err != nil {
			t.Errorf("%s embeds %s: %v", page, m[1], err)
			return block
		}
		fence := map[string]string{".json": "json", ".tf": "hcl", ".sh": "sh"}[filepath.Ext(m[1])]
		if fence == "" {
			fence = "yaml"
		}
		want := "<!-- embed: " + m[1] + " -->\n```" + fence + "\n" + strings.TrimSuffix(string(data), "\n") + "\n```\n<!-- end -->"
		return want
	})
	updated = includeBlock.ReplaceAllStringFunc(updated, func(block string) string {
		m := includeBlock.FindStringSubmatch(block)
		data, err := os.ReadFile(filepath.Join("..", m[1]))
		if err != nil {
			t.Errorf("%s includes %s: %v", page, m[1], err)
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
		return want
	})
	for _, m := range excerptBlock.FindAllStringSubmatch(updated, -1) {
		data, err := os.ReadFile(filepath.Join("..", m[1]))
		if err != nil {
			t.Errorf("%s shows an excerpt of %s: %v", page, m[1], err)
			continue
		}
		if missing := excerptMismatch(string(data), m[2]); missing != "" {
			t.Errorf("%s's excerpt of %s is stale (edit it by hand); these lines are not in the file in this order:\n%s", page, m[1], missing)
		}
	}
	golden.Compare(t, pagePath, []byte(updated))
	return found
}

// excerptMismatch returns the first run of an excerpt's lines that is not
// found in file after the previous run, or "" when the whole excerpt is.
func excerptMismatch(file, excerpt string) string {
	file = "\n" + strings.TrimSuffix(file, "\n") + "\n"
	var runs [][]string
	var run []string
	for _, line := range strings.Split(strings.TrimSuffix(excerpt, "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "# ...") {
			runs, run = append(runs, run), nil
			continue
		}
		run = append(run, line)
	}
	runs = append(runs, run)
	pos := 0
	for _, run := range runs {
		if len(run) == 0 {
			continue
		}
		want := "\n" + strings.Join(run, "\n") + "\n"
		i := strings.Index(file[pos:], want)
		if i < 0 {
			return strings.Join(run, "\n")
		}
		pos += i + len(want) - 1
	}
	return ""
}

func TestExcerptMismatch(t *testing.T) {
	file := "a: 1\nb:\n  c: 2\n  d: 3\ne: 4\n"
	for _, tc := range []struct {
		name, excerpt string
		ok            bool
	}{
		{"whole file", file, true},
		{"runs in order with gaps", "a: 1\n# ...\n  d: 3\ne: 4\n", true},
		{"indented marker", "b:\n  # ... c\n  d: 3\n", true},
		{"runs out of order", "e: 4\n# ...\na: 1\n", false},
		{"a run not in the file", "a: 1\n  d: 3\n", false},
		{"a partial line", "a: 1\nb:\n  c:\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := excerptMismatch(file, tc.excerpt) == ""; got != tc.ok {
				t.Errorf("excerptMismatch(%q) found = %v, want %v", tc.excerpt, got, tc.ok)
			}
		})
	}
}

// mdLink is a markdown link or image target: [text](TARGET) or ![alt](TARGET).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// htmlAnchor is an explicit anchor: <a id="NAME"></a>.
var htmlAnchor = regexp.MustCompile(`<a id="([^"]+)"></a>`)

// Links between the README and the docs pages are relative and must point
// to files of the repository (and, for a markdown page, to a heading or
// anchor it has), so moving a page cannot break them unnoticed.
func TestReadmeAndDocsLinksResolve(t *testing.T) {
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		anchors[path] = markdownAnchors(string(data))
		return anchors[path]
	}
	links := 0
	for _, page := range docPages(t) {
		pagePath := filepath.Join("..", filepath.FromSlash(page))
		data, err := os.ReadFile(pagePath)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range proseLines(string(data)) {
			for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				links++
				path, fragment, _ := strings.Cut(target, "#")
				if strings.HasPrefix(path, "/") {
					t.Errorf("%s links to %s; make it relative to the page", page, target)
					continue
				}
				resolved := pagePath
				if path != "" {
					resolved = filepath.Join(filepath.Dir(pagePath), filepath.FromSlash(path))
					if _, err := os.Stat(resolved); err != nil {
						t.Errorf("%s links to %s, which does not exist", page, target)
						continue
					}
				}
				if fragment != "" && strings.HasSuffix(resolved, ".md") && !anchorsOf(resolved)[fragment] {
					t.Errorf("%s links to %s, but %s has no heading or anchor %q", page, target, filepath.Base(resolved), fragment)
				}
			}
		}
	}
	if links == 0 {
		t.Fatal("the README and docs pages have no relative link")
	}
}

// proseLines returns the lines of a markdown text outside fenced code blocks.
func proseLines(text string) []string {
	var lines []string
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			lines = append(lines, line)
		}
	}
	return lines
}

// markdownAnchors returns the fragments a markdown page can be linked to:
// its explicit <a id> anchors and its headings' slugs as GitHub makes them
// (lower case, punctuation dropped, spaces to hyphens, -1, -2... for repeats).
func markdownAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, line := range proseLines(text) {
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		heading := strings.TrimLeft(line, "#")
		if heading == line || !strings.HasPrefix(heading, " ") {
			continue
		}
		var slug strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
			switch {
			case r == ' ':
				slug.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				slug.WriteRune(r)
			}
		}
		s := slug.String()
		if n := seen[s]; n > 0 {
			anchors[s+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[s] = true
		}
		seen[s]++
	}
	return anchors
}

func TestMarkdownAnchorsAreGitHubSlugs(t *testing.T) {
	text := "# Worked examples\n\n## EKS -> AWS (IRSA)\n\n```sh\n# not a heading\n```\n\n## The cloud side: `trust`\n\n### AWS\n\n### AWS\n\n<a id=\"kpt\"></a>\n"
	got := markdownAnchors(text)
	for _, want := range []string{"worked-examples", "eks---aws-irsa", "the-cloud-side-trust", "aws", "aws-1", "kpt"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a comment in a code block was taken for a heading")
	}
}
