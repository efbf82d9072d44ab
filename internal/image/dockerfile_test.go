package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

// The Dockerfile builds, for those who use Docker, the image Index builds:
// its final stage is written from the same values (-update rewrites it).
func TestDockerfileFinalStageIsTheImage(t *testing.T) {
	path := filepath.Join("..", "..", "Dockerfile")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, _, found := strings.Cut(string(data), DockerfileStageMarker+"\n")
	if !found {
		t.Fatalf("%s has no line %q to put the final stage after", path, DockerfileStageMarker)
	}
	stage, err := DockerfileFinalStage(goodMetadata(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FROM scratch\n", "USER " + User + "\n", `ENTRYPOINT ["` + BinaryPath + `"]`, LabelSource + `="https://github.com/crosscloud-dev/cross-cloud-access"`, LabelVersion + `="${VERSION}"`} {
		if !strings.Contains(stage, want) {
			t.Errorf("the final stage lacks %q:\n%s", want, stage)
		}
	}
	golden.Compare(t, path, []byte(head+DockerfileStageMarker+"\n"+stage))
}

// A label value is one double-quoted Dockerfile word: the escape character,
// the quote and the variable sign are escaped, and what cannot be on one
// line is refused.
func TestDockerfileQuote(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "plain words; commas, colons: fine", want: "plain words; commas, colons: fine"},
		{in: `say "hi"`, want: `say \"hi\"`},
		{in: `C:\path`, want: `C:\\path`},
		{in: "$VERSION and ${REVISION}", want: `\$VERSION and \${REVISION}`},
		{in: `end\`, want: `end\\`},
		{in: "two\nlines", err: "U+000A"},
		{in: "carriage\rreturn", err: "U+000D"},
		{in: "line\u2028separator", err: "U+2028"},
		{in: "next\u0085line", err: "U+0085"},
		{in: "tab\there", err: "U+0009"},
	} {
		got, err := dockerfileQuote(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("dockerfileQuote(%q) = %q, %v; want an error naming %s", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("dockerfileQuote(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// The accounts are copied as here-documents, line for line: what BuildKit
// would expand or end the document on is refused.
func TestDockerfileHeredocCopy(t *testing.T) {
	got, err := dockerfileHeredocCopy("/etc/group", "root:x:0:\nnobody:x:65534:\n")
	if want := "COPY <<EOF /etc/group\nroot:x:0:\nnobody:x:65534:\nEOF\n"; err != nil || got != want {
		t.Errorf("dockerfileHeredocCopy = %q, %v; want %q", got, err, want)
	}
	for _, tc := range []struct{ content, err string }{
		{"no final line break", "must end with a line break"},
		{"a\nEOF\nb\n", "would end the here-document"},
		{"home:$HOME\n", "U+0024"},
		{"a\\\n", "U+005C"},
		{"tab\there\n", "U+0009"},
		{"line\u2028separator\n", "U+2028"},
		{"next\u0085line\n", "U+0085"},
		{"carriage\r\n", "U+000D"},
	} {
		if got, err := dockerfileHeredocCopy("/etc/passwd", tc.content); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("dockerfileHeredocCopy(%q) = %q, %v; want an error saying %s", tc.content, got, err, tc.err)
		}
	}
}
