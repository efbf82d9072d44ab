package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
	"github.com/crosscloud-dev/cross-cloud-access/internal/image"
)

const (
	// testVersion is stamped into the test's binaries, as `make image`
	// stamps VERSION.
	testVersion = "v0.0.0-image-test"
	// testRevision stands for the commit the binaries come from.
	testRevision = "0123456789abcdef0123456789abcdef01234567"
	// testEpoch is the test's SOURCE_DATE_EPOCH.
	testEpoch = "1764547200"
	// goldenCase is the golden case of the function (testdata/) the image's
	// binary runs: the GKE -> AWS path, as kpt runs it with `image:`.
	goldenCase = "article-gke-to-aws"
)

var (
	repoRoot = filepath.Join("..", "..", "..")
	metadata = filepath.Join(repoRoot, "metadata.yaml")
	// binaries are the function built for each platform of the image.
	binaries = map[image.Platform]string{}
)

// TestMain builds the function for each platform of the image with the
// flags of the Makefile's go-build, as `make image` does.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "docker" {
		os.Exit(fakeDocker(os.Args[1:]))
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "image-binaries-")
	if err == nil {
		err = buildBinaries(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the function:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if firstLayout.dir != "" {
		os.RemoveAll(filepath.Dir(firstLayout.dir))
	}
	os.Exit(code)
}

func buildBinaries(dir string) error {
	for _, p := range image.Platforms() {
		out := filepath.Join(dir, p.OS+"-"+p.Architecture)
		build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+testVersion, "-o", out, "./fn/cross-cloud-access")
		build.Dir = repoRoot
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
		if output, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w\n%s", p, err, output)
		}
		binaries[p] = out
	}
	return nil
}

// binaryArgs are the -binary arguments for binaries, in the given order.
func binaryArgs(files map[image.Platform]string, order []image.Platform) []string {
	var args []string
	for _, p := range order {
		args = append(args, p.String()+"="+files[p])
	}
	return args
}

// tree is the SHA-256 of every file of a folder by its path in it.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		files[strings.TrimPrefix(p, dir)] = fmt.Sprintf("%x", sha256.Sum256(data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// firstLayout is the layout of binaries in the platforms' order, built
// once: the reproducibility test compares a second build with it and the
// registry test pushes it.
var firstLayout struct {
	once        sync.Once
	dir, digest string
	err         error
}

func buildFirstLayout(t *testing.T) (dir, digest string) {
	t.Helper()
	firstLayout.once.Do(func() {
		parent, err := os.MkdirTemp("", "image-layout-")
		if err != nil {
			firstLayout.err = err
			return
		}
		firstLayout.dir = filepath.Join(parent, "layout")
		firstLayout.digest, firstLayout.err = run(firstLayout.dir, testVersion, testRevision, metadata, binaryArgs(binaries, image.Platforms()), testEpoch)
	})
	if firstLayout.err != nil {
		t.Fatal(firstLayout.err)
	}
	return firstLayout.dir, firstLayout.digest
}

// The same binaries, version, revision and SOURCE_DATE_EPOCH give the same
// digest and the same layout, byte for byte, even when the binaries' files
// have other times and modes and are given in another order; another
// creation time gives another digest.
func TestSameBinariesGiveTheSameImage(t *testing.T) {
	first, digest := buildFirstLayout(t)
	copies := map[image.Platform]string{}
	later := time.Now().Add(time.Hour)
	for p, file := range binaries {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		c := filepath.Join(t.TempDir(), "cross-cloud-access")
		if err := os.WriteFile(c, data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(c, later, later); err != nil {
			t.Fatal(err)
		}
		copies[p] = c
	}
	platforms := image.Platforms()
	reversed := []image.Platform{platforms[1], platforms[0]}
	second := filepath.Join(t.TempDir(), "second")
	again, err := run(second, testVersion, testRevision, metadata, binaryArgs(copies, reversed), testEpoch)
	if err != nil {
		t.Fatal(err)
	}
	if again != digest {
		t.Errorf("the second build's digest is %s, the first's %s", again, digest)
	}
	if diff := cmp.Diff(tree(t, first), tree(t, second)); diff != "" {
		t.Errorf("the two layouts differ (-first +second):\n%s", diff)
	}

	// One platform is enough to see the time in the digest.
	amd64 := []image.Platform{{OS: "linux", Architecture: "amd64"}}
	at := func(epoch string) string {
		t.Helper()
		d, err := run(filepath.Join(t.TempDir(), "layout"), testVersion, testRevision, metadata, binaryArgs(binaries, amd64), epoch)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if at(testEpoch) == at("1764547201") {
		t.Error("another SOURCE_DATE_EPOCH gave the same digest: the creation time is not in the image")
	}
}

func TestRunRefusesBadArguments(t *testing.T) {
	out := filepath.Join(t.TempDir(), "layout")
	amd64 := image.Platform{OS: "linux", Architecture: "amd64"}
	for _, tc := range []struct {
		name         string
		out, version string
		args         []string
		epoch, want  string
	}{
		{"no -o", "", testVersion, binaryArgs(binaries, image.Platforms()), testEpoch, "-o is required"},
		{"no SOURCE_DATE_EPOCH", out, testVersion, binaryArgs(binaries, image.Platforms()), "", "SOURCE_DATE_EPOCH"},
		{"SOURCE_DATE_EPOCH negative", out, testVersion, binaryArgs(binaries, image.Platforms()), "-1", "SOURCE_DATE_EPOCH"},
		{"SOURCE_DATE_EPOCH a date", out, testVersion, binaryArgs(binaries, image.Platforms()), "2026-12-01", "SOURCE_DATE_EPOCH"},
		{"-binary without a path", out, testVersion, []string{"linux/amd64"}, testEpoch, "want OS/ARCH=PATH"},
		{"-binary for darwin", out, testVersion, []string{"darwin/arm64=" + binaries[amd64]}, testEpoch, "is not one the image is built for"},
		{"-binary missing", out, testVersion, []string{"linux/amd64=" + filepath.Join(t.TempDir(), "missing")}, testEpoch, "no such file"},
		{"arm64 binary as amd64", out, testVersion, []string{"linux/amd64=" + binaries[image.Platform{OS: "linux", Architecture: "arm64"}]}, testEpoch, "is built for EM_AARCH64"},
		{"version with a line break", out, "v1\nv2", binaryArgs(binaries, image.Platforms()), testEpoch, "is not a tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			digest, err := run(tc.out, tc.version, testRevision, metadata, tc.args, tc.epoch)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run: %q, %v; want an error saying %q", digest, err, tc.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a failed run left %s behind (%v)", out, err)
			}
		})
	}
}

// The layout pushed with crane (as docs/image.md says) to a registry and
// pulled back is the image kpt and Argo CD run: both platforms, a non-root
// numeric user, the function as entrypoint, its labels, one layer with the
// binary and nothing else (no shell). The binary of this machine's platform,
// taken out of the pulled image, prints its version and renders a golden
// case, chrooted into a folder holding the binary alone when the test runs
// as root.
func TestPushedImage(t *testing.T) {
	layout, digest := buildFirstLayout(t)
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	ref := strings.TrimPrefix(reg.URL, "http://") + "/crosscloud-dev/cross-cloud-access:" + testVersion
	push := exec.Command("go", "tool", "crane", "push", layout, ref)
	push.Dir = repoRoot
	pushed, err := push.Output()
	if err != nil {
		t.Fatalf("crane push: %v\n%s", err, stderrOf(err))
	}
	if got := strings.TrimSpace(string(pushed)); !strings.HasSuffix(got, "@"+digest) {
		t.Errorf("crane push printed %q, want the layout's digest %s", got, digest)
	}

	tag, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(tag)
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	if d, err := idx.Digest(); err != nil || d.String() != digest {
		t.Errorf("the pulled index is %v (%v), the layout's %s", d, err, digest)
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if manifest.MediaType != types.OCIImageIndex {
		t.Errorf("the index's media type is %s, want %s", manifest.MediaType, types.OCIImageIndex)
	}
	wantLabels := map[string]string{
		image.LabelTitle:       "cross-cloud-access",
		image.LabelSource:      "https://github.com/crosscloud-dev/cross-cloud-access",
		image.LabelLicenses:    "MIT",
		image.LabelVersion:     testVersion,
		image.LabelRevision:    testRevision,
		image.LabelDescription: readDescription(t),
	}
	if diff := cmp.Diff(wantLabels, manifest.Annotations); diff != "" {
		t.Errorf("the index's annotations (-want +got):\n%s", diff)
	}
	var platforms []string
	for _, desc := range manifest.Manifests {
		if desc.Platform == nil {
			t.Fatalf("manifest %s has no platform", desc.Digest)
		}
		if desc.ArtifactType != "" {
			t.Errorf("manifest %s has artifactType %q: skopeo 1.9 re-encodes such an index, changing its digest", desc.Digest, desc.ArtifactType)
		}
		p := image.Platform{OS: desc.Platform.OS, Architecture: desc.Platform.Architecture}
		platforms = append(platforms, p.String())
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(p.OS+"-"+p.Architecture, func(t *testing.T) {
			binary := checkImage(t, img, p, wantLabels)
			if p.OS == runtime.GOOS && p.Architecture == runtime.GOARCH {
				runImageBinary(t, binary)
			}
		})
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, platforms); diff != "" {
		t.Errorf("the index's platforms (-want +got):\n%s", diff)
	}
}

func stderrOf(err error) string {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return string(exitErr.Stderr)
	}
	return ""
}

func readDescription(t *testing.T) string {
	t.Helper()
	m, err := image.ReadMetadata(metadata)
	if err != nil {
		t.Fatal(err)
	}
	return m.Description
}

// checkImage checks one platform's image and returns its binary.
func checkImage(t *testing.T, img v1.Image, p image.Platform, wantLabels map[string]string) []byte {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != p.OS || cfg.Architecture != p.Architecture {
		t.Errorf("the config says %s/%s", cfg.OS, cfg.Architecture)
	}
	epoch, _ := strconv.ParseInt(testEpoch, 10, 64)
	if !cfg.Created.Time.Equal(time.Unix(epoch, 0)) {
		t.Errorf("created %v, want SOURCE_DATE_EPOCH %s", cfg.Created.Time, testEpoch)
	}
	user, group, _ := strings.Cut(cfg.Config.User, ":")
	uid, uidErr := strconv.Atoi(user)
	gid, gidErr := strconv.Atoi(group)
	if uidErr != nil || gidErr != nil || uid == 0 || gid == 0 {
		t.Errorf("user %q: want a numeric user and group, not root", cfg.Config.User)
	}
	if diff := cmp.Diff([]string{image.BinaryPath}, cfg.Config.Entrypoint); diff != "" {
		t.Errorf("entrypoint (-want +got):\n%s", diff)
	}
	if len(cfg.Config.Cmd) != 0 {
		t.Errorf("cmd %q: the function takes no default arguments", cfg.Config.Cmd)
	}
	if diff := cmp.Diff([]string{"PATH=/usr/local/bin"}, cfg.Config.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantLabels, cfg.Config.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want one: the binary", len(layers))
	}
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
		t.Errorf("the layer's media type is %s, want %s", mt, types.OCILayer)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var entries []string
	var binary []byte
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, fmt.Sprintf("%s %v %d:%d", h.Name, h.FileInfo().Mode(), h.Uid, h.Gid))
		switch path.Base(strings.TrimSuffix(h.Name, "/")) {
		case "sh", "bash", "ash", "dash", "busybox":
			t.Errorf("the image holds a shell: %s", h.Name)
		}
		if !h.ModTime.Equal(time.Unix(epoch, 0)) {
			t.Errorf("%s is dated %v, want SOURCE_DATE_EPOCH", h.Name, h.ModTime)
		}
		switch "/" + h.Name {
		case image.BinaryPath:
			if binary, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		case "/etc/passwd", "/etc/group":
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]string{"etc/passwd": image.Passwd, "etc/group": image.Group}[h.Name]; string(data) != want {
				t.Errorf("/%s is %q, want %q", h.Name, data, want)
			}
		}
	}
	want := []string{
		"etc/ drwxr-xr-x 0:0",
		"etc/group -rw-r--r-- 0:0",
		"etc/passwd -rw-r--r-- 0:0",
		"usr/ drwxr-xr-x 0:0",
		"usr/local/ drwxr-xr-x 0:0",
		"usr/local/bin/ drwxr-xr-x 0:0",
		"usr/local/bin/cross-cloud-access -rwxr-xr-x 0:0",
	}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("the layer's files (-want +got):\n%s", diff)
	}
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		t.Fatalf("the binary is not an ELF file: %v", err)
	}
	defer f.Close()
	if want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[p.Architecture]; f.Machine != want {
		t.Errorf("the binary is built for %s, want %s", f.Machine, want)
	}
	return binary
}

// runImageBinary runs the image's binary as the image runs it: with the
// image's environment only and, as root, chrooted into a folder holding the
// binary alone, as the image's user.
func runImageBinary(t *testing.T, binary []byte) {
	t.Helper()
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, filepath.FromSlash(image.BinaryPath))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, binary, 0o755); err != nil {
		t.Fatal(err)
	}
	user, group, _ := strings.Cut(image.User, ":")
	uid, uidErr := strconv.ParseUint(user, 10, 32)
	gid, gidErr := strconv.ParseUint(group, 10, 32)
	if uidErr != nil || gidErr != nil {
		t.Fatalf("image.User %q is not UID:GID", image.User)
	}
	command := func(args ...string) *exec.Cmd {
		cmd := exec.Command(file, args...)
		cmd.Env = []string{image.PathEnv}
		if os.Geteuid() == 0 {
			cmd = exec.Command(image.BinaryPath, args...)
			cmd.Env = []string{image.PathEnv}
			cmd.Dir = "/"
			cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		}
		return cmd
	}
	if os.Geteuid() != 0 {
		t.Log("not root: the image's binary runs on this machine's files, as this user")
	}

	version, err := command("version").Output()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, stderrOf(err))
	}
	if got := strings.TrimSpace(string(version)); got != testVersion {
		t.Errorf("version printed %q, want %q", got, testVersion)
	}

	dir := filepath.Join(repoRoot, "testdata", goldenCase)
	config, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rl, err := benchdata.Wrap(config, input)
	if err != nil {
		t.Fatal(err)
	}
	fn := command()
	fn.Stdin = bytes.NewReader(rl)
	out, err := fn.Output()
	if err != nil {
		t.Fatalf("the function on %s: %v\n%s", goldenCase, err, stderrOf(err))
	}
	want, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(out)); diff != "" {
		t.Errorf("the image's function on %s differs from its golden (-want +got):\n%s", goldenCase, diff)
	}
}

// kptExample is the kpt package of the examples: its Kptfile runs the
// function as an exec mutator, and kpt's render of it is checked in.
var kptExample = filepath.Join(repoRoot, "examples", "kpt-gke-to-aws")

// The example kpt package with `image:` in its Kptfile instead of `exec:`,
// rendered by the real kpt through the Docker stand-in (docker_test.go),
// gives the render checked in for the exec function: kpt runs the image as
// `docker run --user nobody --network none`, so this also shows that the
// image's passwd file has nobody and that the function needs no network.
func TestKptRendersWithTheImage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the Docker stand-in chroots into the image and changes user: it needs root")
	}
	kpt, err := exec.LookPath("kpt")
	if err != nil {
		t.Skip("kpt is not on PATH")
	}
	layout, _ := buildFirstLayout(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "docker")); err != nil {
		t.Fatal(err)
	}
	meta, err := image.ReadMetadata(metadata)
	if err != nil {
		t.Fatal(err)
	}
	ref := meta.Image + ":" + testVersion
	pkg := filepath.Join(t.TempDir(), "kpt-gke-to-aws")
	if err := os.CopyFS(pkg, os.DirFS(kptExample)); err != nil {
		t.Fatal(err)
	}
	const execLine, imageLine = "    - exec: cross-cloud-access\n", "    - image: "
	kptfile, err := os.ReadFile(filepath.Join(pkg, "Kptfile"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(kptfile), execLine) != 1 {
		t.Fatalf("the example's Kptfile has no line %q to replace:\n%s", execLine, kptfile)
	}
	withImage := strings.Replace(string(kptfile), execLine, imageLine+ref+"\n", 1)
	if err := os.WriteFile(filepath.Join(pkg, "Kptfile"), []byte(withImage), 0o644); err != nil {
		t.Fatal(err)
	}

	log := filepath.Join(t.TempDir(), "docker.log")
	render := exec.Command(kpt, "fn", "render", pkg, "-o", "stdout")
	render.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		fakeDockerLayoutEnv+"="+layout, fakeDockerImageEnv+"="+ref, fakeDockerLogEnv+"="+log)
	out, err := render.Output()
	if err != nil {
		t.Fatalf("kpt fn render with the image: %v\n%s", err, stderrOf(err))
	}
	calls, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(calls), "run --rm -i --network none --user nobody") || !strings.Contains(string(calls), " "+ref+"\n") {
		t.Errorf("kpt did not run the image as expected; the stand-in saw:\n%s", calls)
	}
	// The render holds the Kptfile: put its exec line back to compare.
	got := strings.Replace(string(out), imageLine+ref+"\n", execLine, 1)
	want, err := os.ReadFile(filepath.Join(kptExample, ".expected", "render.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("kpt's render with the image differs from the exec render checked in (-want +got):\n%s", diff)
	}
}
