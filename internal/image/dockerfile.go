package image

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode"
)

// DockerfileStageMarker starts the Dockerfile's final stage: everything
// after this line is DockerfileFinalStage's text.
const DockerfileStageMarker = "# The final stage is written by `go test ./internal/image -update` from internal/image:"

// dockerfileArgs are the labels that vary per build, as the Dockerfile's
// build arguments (`docker build --build-arg VERSION=... --build-arg REVISION=...`).
var dockerfileArgs = map[string]string{LabelVersion: "VERSION", LabelRevision: "REVISION"}

// DockerfileFinalStage is the Dockerfile's final stage: the files, user,
// entrypoint, PATH and labels of the image Index builds, so that an image
// built with Docker is the same image (but for Docker's own timestamps).
// The binary comes from the stage named build, at /out.
func DockerfileFinalStage(m Metadata) (string, error) {
	if err := m.check(); err != nil {
		return "", err
	}
	labels := Build{Metadata: m}.Labels()
	var keys []string
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		value := "${" + dockerfileArgs[k] + "}"
		if dockerfileArgs[k] == "" {
			quoted, err := dockerfileQuote(labels[k])
			if err != nil {
				return "", fmt.Errorf("label %s: %w", k, err)
			}
			value = quoted
		}
		pairs = append(pairs, k+`="`+value+`"`)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "FROM scratch\n")
	fmt.Fprintf(&b, "ARG VERSION=dev\n")
	fmt.Fprintf(&b, "ARG REVISION=\n")
	for _, f := range []struct{ path, content string }{{"/etc/passwd", Passwd}, {"/etc/group", Group}} {
		copied, err := dockerfileHeredocCopy(f.path, f.content)
		if err != nil {
			return "", err
		}
		b.WriteString(copied)
	}
	fmt.Fprintf(&b, "COPY --from=build /out/%s %s\n", path.Base(BinaryPath), BinaryPath)
	fmt.Fprintf(&b, "ENV %s\n", PathEnv)
	fmt.Fprintf(&b, "USER %s\n", User)
	fmt.Fprintf(&b, "ENTRYPOINT [%q]\n", BinaryPath)
	fmt.Fprintf(&b, "LABEL %s\n", strings.Join(pairs, " \\\n      "))
	return b.String(), nil
}

// dockerfileQuote escapes a value for a double-quoted Dockerfile word: the
// escape character, the quote and the variable sign. A line break or other
// non-printable character cannot be written in one line and is an error.
func dockerfileQuote(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unicode.IsPrint(r):
			return "", fmt.Errorf("%q holds %U, which a Dockerfile line cannot hold", s, r)
		case r == '\\' || r == '"' || r == '$':
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

// heredocEnd ends a Dockerfile here-document.
const heredocEnd = "EOF"

// dockerfileHeredocCopy is a COPY of content to file as a here-document
// (Dockerfile syntax 1.4). Its lines are written as they are, so a line that
// would end the document, a variable sign or escape character that BuildKit
// would expand, or a character that is not printable is an error; so is
// content without a final line break.
func dockerfileHeredocCopy(file, content string) (string, error) {
	if !strings.HasSuffix(content, "\n") {
		return "", fmt.Errorf("%s: the content must end with a line break", file)
	}
	for _, line := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
		if line == heredocEnd {
			return "", fmt.Errorf("%s: the line %q would end the here-document", file, line)
		}
		for _, r := range line {
			if !unicode.IsPrint(r) || r == '$' || r == '\\' {
				return "", fmt.Errorf("%s: %q holds %U, which a here-document would not copy as it is", file, line, r)
			}
		}
	}
	return "COPY <<" + heredocEnd + " " + file + "\n" + content + heredocEnd + "\n", nil
}
