package image

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
)

// goodMetadata is the repository's own metadata.yaml.
func goodMetadata(t *testing.T) Metadata {
	t.Helper()
	m, err := ReadMetadata(filepath.Join("..", "..", "metadata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func goodBuild(t *testing.T) Build {
	return Build{
		Version:  "v0.1.0",
		Revision: strings.Repeat("0123456789", 4),
		Created:  time.Unix(1764547200, 0).UTC(),
		Metadata: goodMetadata(t),
	}
}

// Values that reach labels, the layout's tag or a Dockerfile line are
// checked where they enter: a line break (U+2028 and U+0085 too), a leading
// '-' or '.', a path, a short hash, a clock before 1970.
func TestBuildRefusesValuesThatWouldMakeAWrongImage(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Build)
		want string
	}{
		{"version empty", func(b *Build) { b.Version = "" }, "is not a tag"},
		{"version with a line break", func(b *Build) { b.Version = "v1\nLABEL x=y" }, "is not a tag"},
		{"version with U+2028", func(b *Build) { b.Version = "v1\u2028x" }, "is not a tag"},
		{"version with U+0085", func(b *Build) { b.Version = "v1\u0085x" }, "is not a tag"},
		{"version with a leading dash", func(b *Build) { b.Version = "-rf" }, "is not a tag"},
		{"version with a leading dot", func(b *Build) { b.Version = ".hidden" }, "is not a tag"},
		{"version with a path", func(b *Build) { b.Version = "../../etc" }, "is not a tag"},
		{"version of 129 characters", func(b *Build) { b.Version = strings.Repeat("a", 129) }, "is not a tag"},
		{"revision short", func(b *Build) { b.Revision = "da7d0a6" }, "not a full commit hash"},
		{"revision upper case", func(b *Build) { b.Revision = strings.Repeat("ABCDEF0123", 4) }, "not a full commit hash"},
		{"revision with a line break", func(b *Build) { b.Revision = strings.Repeat("0123456789", 4) + "\n" }, "not a full commit hash"},
		{"created unset", func(b *Build) { b.Created = time.Time{} }, "before 1970"},
		{"created before 1970", func(b *Build) { b.Created = time.Unix(-1, 0) }, "before 1970"},
		{"description with a line break", func(b *Build) { b.Metadata.Description = "a\nb" }, "description holds U+000A"},
		{"description with U+2028", func(b *Build) { b.Metadata.Description = "a\u2028b" }, "description holds U+2028"},
		{"license with U+0085", func(b *Build) { b.Metadata.License = "MIT\u0085" }, "license holds U+0085"},
		{"license empty", func(b *Build) { b.Metadata.License = "" }, "license is empty"},
		{"source not a repository folder", func(b *Build) { b.Metadata.SourceURL = "https://github.com/crosscloud-dev/cross-cloud-access" }, "not a folder of a repository"},
		{"source over http", func(b *Build) { b.Metadata.SourceURL = "http://github.com/o/r/tree/main/fn" }, "not a folder of a repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := goodBuild(t)
			tc.edit(&b)
			_, err := Index(b, []Binary{{Platform: Platform{"linux", "amd64"}, Data: []byte("not reached")}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Index: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestParsePlatform(t *testing.T) {
	for _, s := range []string{"linux/amd64", "linux/arm64"} {
		if p, err := ParsePlatform(s); err != nil || p.String() != s {
			t.Errorf("ParsePlatform(%q) = %v, %v", s, p, err)
		}
	}
	for _, s := range []string{"", "linux", "darwin/arm64", "windows/amd64", "linux/arm/v7", "linux/amd64/", "LINUX/AMD64"} {
		_, err := ParsePlatform(s)
		if err == nil || !strings.Contains(err.Error(), "want one of linux/amd64, linux/arm64") {
			t.Errorf("ParsePlatform(%q): %v, want an error listing the platforms", s, err)
		}
	}
}

// machinePlatform is the image platform of an ELF machine, if any.
func machinePlatform(m elf.Machine) (Platform, bool) {
	for p, machine := range elfMachine {
		if machine == m {
			return p, true
		}
	}
	return Platform{}, false
}

// A binary that cannot run in the image is refused when the image is
// built, not found out when kpt runs it: not an executable, built for
// another machine, or needing a loader and libc the image does not have.
func TestIndexRefusesBinariesThatCannotRunInTheImage(t *testing.T) {
	b := goodBuild(t)
	if _, err := Index(b, nil); err == nil || !strings.Contains(err.Error(), "no binary") {
		t.Errorf("no binaries: %v", err)
	}
	script := []byte("#!/bin/sh\nexec true\n")
	if _, err := Index(b, []Binary{{Platform: Platform{"linux", "amd64"}, Data: script}}); err == nil || !strings.Contains(err.Error(), "not an ELF executable") {
		t.Errorf("a script: %v", err)
	}

	if runtime.GOOS != "linux" {
		t.Skip("the ELF cases read this machine's executables: Linux only")
	}
	// A dynamically linked program of this machine (Debian's ls).
	ls, err := exec.LookPath("ls")
	if err != nil {
		t.Skip("no ls on PATH")
	}
	data, err := os.ReadFile(ls)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(ls)
	if err != nil {
		t.Skipf("%s is not an ELF file: %v", ls, err)
	}
	machine := f.Machine
	f.Close()
	native, ok := machinePlatform(machine)
	if !ok {
		t.Skipf("%s is built for %s, not a machine of the image", ls, machine)
	}
	_, err = Index(b, []Binary{{Platform: native, Data: data}})
	if err == nil || !strings.Contains(err.Error(), "dynamically linked") || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("a dynamically linked %s binary: %v", native, err)
	}
	for _, other := range Platforms() {
		if other == native {
			continue
		}
		_, err := Index(b, []Binary{{Platform: other, Data: data}})
		if err == nil || !strings.Contains(err.Error(), "is built for "+machine.String()) {
			t.Errorf("a %s binary given as %s: %v", native, other, err)
		}
	}
	twice := []Binary{{Platform: native, Data: data}, {Platform: native, Data: data}}
	if _, err := Index(b, twice); err == nil || !strings.Contains(err.Error(), "two binaries for "+native.String()) {
		t.Errorf("two binaries for one platform: %v", err)
	}
}

// An earlier layout is replaced; any other folder is left alone.
func TestWriteLayoutNeverDeletesAFolderThatIsNotALayout(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteLayout(dir, nil, "v1")
	if err == nil || !strings.Contains(err.Error(), "is not an OCI image layout") {
		t.Fatalf("WriteLayout over a folder of notes: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("the folder's file is gone: %v", err)
	}
	if err := WriteLayout(t.TempDir(), nil, "-v1"); err == nil || !strings.Contains(err.Error(), "tag") {
		t.Errorf("a tag with a leading dash: %v", err)
	}
}

func TestRepository(t *testing.T) {
	m := goodMetadata(t)
	if got, want := m.Repository(), "https://github.com/crosscloud-dev/cross-cloud-access"; got != want {
		t.Errorf("Repository() = %q, want %q", got, want)
	}
}

// Writing a layout where one is replaces it, whole.
func TestWriteLayoutReplacesAnEarlierLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	for _, tag := range []string{"v1", "v2"} {
		if err := WriteLayout(dir, empty.Index, tag); err != nil {
			t.Fatalf("writing the layout tagged %s: %v", tag, err)
		}
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(index), `"v2"`) || strings.Contains(string(index), `"v1"`) {
		t.Errorf("index.json after writing v1 then v2:\n%s", index)
	}
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil || len(entries) != 1 {
		t.Errorf("beside the layout: %v (%v); want no staging folder left", entries, err)
	}
}

// kpt runs image functions as `--user nobody`, and User must name an
// account: both are in the image's passwd and group files.
func TestAccountsHoldNobodyAndTheUser(t *testing.T) {
	uid, gid, _ := strings.Cut(User, ":")
	ids := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(Passwd, "\n"), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) != 7 {
			t.Fatalf("passwd line %q: want 7 fields", line)
		}
		ids[fields[0]] = fields[2] + ":" + fields[3]
	}
	if ids["nobody"] == "" {
		t.Error("no nobody in /etc/passwd: kpt's docker run --user nobody would fail")
	}
	if ids["nonroot"] != uid+":"+gid {
		t.Errorf("nonroot is %q in /etc/passwd, User is %s", ids["nonroot"], User)
	}
	for _, want := range []string{"nobody:x:65534:\n", "nonroot:x:" + gid + ":\n"} {
		if !strings.Contains(Group, want) {
			t.Errorf("/etc/group lacks %q", want)
		}
	}
}
