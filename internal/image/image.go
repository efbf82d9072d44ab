// Package image builds the function's container image without a container
// engine: an OCI image index of one image per Linux platform, each a single
// layer holding the static binary, written as an OCI image layout that
// crane, skopeo, oras and registries' own tools push as it is.
//
// The image is reproducible: the same binaries, version, revision and
// creation time give the same bytes and so the same digest. Nothing of the
// machine reaches it: tar entries are written in a fixed order with fixed
// owners, modes and times (the files' own are ignored), and the gzip header
// carries no name or time.
//
// The Dockerfile at the repository's root builds the same files, user,
// entrypoint and labels with Docker; its final stage is written from the
// values here (DockerfileFinalStage) and checked by this package's tests.
package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// BinaryPath is where the function is in the image, and its entrypoint.
	// The Argo CD plugin's sidecar image keeps the function at the same path.
	BinaryPath = "/usr/local/bin/cross-cloud-access"
	// User is the numeric user and group the function runs as: not root, and
	// numeric so that a runtime can check runAsNonRoot without /etc/passwd
	// (the image has none). 65532 is distroless's "nonroot".
	User = "65532:65532"
	// PathEnv is the image's PATH: the one folder with a program in it, so
	// that a command naming cross-cloud-access (an Argo CD plugin's generate
	// command) finds it whatever the runtime's default.
	PathEnv = "PATH=/usr/local/bin"
)

// Passwd and Group are the image's /etc/passwd and /etc/group. kpt runs an
// `image:` function with `docker run --user nobody`, and Docker looks that
// name up in the image's passwd file: without it the run fails. nonroot is
// User. No login shell exists in the image; the accounts only name ids.
const (
	Passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	Group = "root:x:0:\n" +
		"nobody:x:65534:\n" +
		"nonroot:x:65532:\n"
)

// Label keys of the OCI image spec (annotations.md), set on each image's
// config and on the index.
const (
	LabelTitle       = "org.opencontainers.image.title"
	LabelDescription = "org.opencontainers.image.description"
	LabelSource      = "org.opencontainers.image.source"
	LabelLicenses    = "org.opencontainers.image.licenses"
	LabelVersion     = "org.opencontainers.image.version"
	LabelRevision    = "org.opencontainers.image.revision"
)

// RefNameAnnotation names an image of a layout's index.json (the tag skopeo's
// oci:DIR:TAG and crane's --index use).
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// Platform is a platform the image is built for, as os/arch.
type Platform struct{ OS, Architecture string }

func (p Platform) String() string { return p.OS + "/" + p.Architecture }

// elfMachine is the machine a binary must be built for, per platform: the
// platforms the image can be built for.
var elfMachine = map[Platform]elf.Machine{
	{OS: "linux", Architecture: "amd64"}: elf.EM_X86_64,
	{OS: "linux", Architecture: "arm64"}: elf.EM_AARCH64,
}

// Platforms are the platforms the image can be built for, sorted.
func Platforms() []Platform {
	var out []Platform
	for p := range elfMachine {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// ParsePlatform reads os/arch, one of Platforms.
func ParsePlatform(s string) (Platform, error) {
	osName, arch, _ := strings.Cut(s, "/")
	p := Platform{OS: osName, Architecture: arch}
	if _, ok := elfMachine[p]; !ok {
		var known []string
		for _, k := range Platforms() {
			known = append(known, k.String())
		}
		return Platform{}, fmt.Errorf("platform %q is not one the image is built for; want one of %s", s, strings.Join(known, ", "))
	}
	return p, nil
}

// Binary is the function built for one platform.
type Binary struct {
	Platform Platform
	// Data is the executable's content.
	Data []byte
}

// Build is what an image is built from besides its binaries.
type Build struct {
	// Version is the function's version (what `cross-cloud-access version`
	// prints), a tag: letters, digits, '_', '.', '-', not starting with '.'
	// or '-', at most 128 characters.
	Version string
	// Revision is the full hash of the commit the binaries were built from.
	Revision string
	// Created is the image's creation time: the commit's time
	// (SOURCE_DATE_EPOCH), never the clock, so that a rebuild is identical.
	// It is also the time of every file in the layer.
	Created time.Time
	// Metadata describes the function (the kpt catalog's metadata.yaml).
	Metadata Metadata
}

// tagPattern is a tag of the OCI distribution spec.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// commitPattern is a full git commit hash (SHA-1 or SHA-256).
var commitPattern = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

func (b Build) check() error {
	if !tagPattern.MatchString(b.Version) {
		return fmt.Errorf("version %q is not a tag: want letters, digits, '_', '.' or '-', not starting with '.' or '-', at most 128 characters (git describe --tags --always)", b.Version)
	}
	if !commitPattern.MatchString(b.Revision) {
		return fmt.Errorf("revision %q is not a full commit hash: want 40 (or 64) lowercase hex digits (git rev-parse HEAD)", b.Revision)
	}
	if b.Created.IsZero() || b.Created.Before(time.Unix(0, 0)) {
		return fmt.Errorf("creation time %v is before 1970: want the commit's time (SOURCE_DATE_EPOCH=$(git log -1 --format=%%ct))", b.Created)
	}
	return b.Metadata.check()
}

// Labels are the labels of each image's config and the annotations of the
// index: where the image comes from and what it is.
func (b Build) Labels() map[string]string {
	return map[string]string{
		LabelTitle:       path.Base(BinaryPath),
		LabelDescription: b.Metadata.Description,
		LabelSource:      b.Metadata.Repository(),
		LabelLicenses:    b.Metadata.License,
		LabelVersion:     b.Version,
		LabelRevision:    b.Revision,
	}
}

// Index builds the image index: one image per binary, in the order of
// their platforms' names (the order binaries are given in does not matter).
func Index(b Build, binaries []Binary) (v1.ImageIndex, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	if len(binaries) == 0 {
		return nil, fmt.Errorf("no binary: want one per platform (%v)", Platforms())
	}
	sorted := append([]Binary(nil), binaries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Platform.String() < sorted[j].Platform.String() })
	for i := 1; i < len(sorted); i++ {
		if sorted[i-1].Platform == sorted[i].Platform {
			return nil, fmt.Errorf("two binaries for %s: want one per platform", sorted[i].Platform)
		}
	}
	labels := b.Labels()
	var adds []mutate.IndexAddendum
	for _, bin := range sorted {
		if err := checkExecutable(bin); err != nil {
			return nil, err
		}
		img, err := platformImage(b, labels, bin)
		if err != nil {
			return nil, fmt.Errorf("the %s image: %w", bin.Platform, err)
		}
		adds = append(adds, mutate.IndexAddendum{
			Add:        withoutArtifactType{img},
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: bin.Platform.OS, Architecture: bin.Platform.Architecture}},
		})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	annotated, ok := mutate.Annotations(idx, labels).(v1.ImageIndex)
	if !ok {
		return nil, fmt.Errorf("annotating the index gave no index")
	}
	return annotated, nil
}

// withoutArtifactType is an image whose descriptor in the index has no
// artifactType. go-containerregistry writes the config's media type there
// (OCI 1.1 allows it), but tools that predate the field re-encode such an
// index when they copy it (skopeo 1.9 does), and the digest changes on the
// way to the registry; Docker's own indexes of images do not carry it.
type withoutArtifactType struct{ v1.Image }

// Descriptor is the image's descriptor: size, digest and media type.
func (i withoutArtifactType) Descriptor() (*v1.Descriptor, error) {
	size, err := i.Size()
	if err != nil {
		return nil, err
	}
	digest, err := i.Digest()
	if err != nil {
		return nil, err
	}
	mediaType, err := i.MediaType()
	if err != nil {
		return nil, err
	}
	return &v1.Descriptor{MediaType: mediaType, Size: size, Digest: digest}, nil
}

// checkExecutable refuses a binary that cannot run in the image: not a
// Linux ELF executable for its platform's machine, or dynamically linked
// (the image has no loader or libc: build with CGO_ENABLED=0).
func checkExecutable(bin Binary) error {
	f, err := elf.NewFile(bytes.NewReader(bin.Data))
	if err != nil {
		return fmt.Errorf("the %s binary is not an ELF executable: %w", bin.Platform, err)
	}
	defer f.Close()
	if want := elfMachine[bin.Platform]; f.Machine != want {
		return fmt.Errorf("the %s binary is built for %s, want %s (GOOS=%s GOARCH=%s)", bin.Platform, f.Machine, want, bin.Platform.OS, bin.Platform.Architecture)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("the %s binary is an ELF %s, not an executable", bin.Platform, f.Type)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("the %s binary is dynamically linked; the image has no loader or libc: build it with CGO_ENABLED=0", bin.Platform)
		}
	}
	return nil
}

// platformImage is the image of one platform: one layer with the binary.
func platformImage(b Build, labels map[string]string, bin Binary) (v1.Image, error) {
	layerTar, err := binaryLayer(bin.Data, b.Created)
	if err != nil {
		return nil, err
	}
	compressed, err := gzipped(layerTar)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(compressed)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: bin.Platform.Architecture,
		OS:           bin.Platform.OS,
		Created:      v1.Time{Time: b.Created},
		Config: v1.Config{
			User:       User,
			Entrypoint: []string{BinaryPath},
			Env:        []string{PathEnv},
			Labels:     labels,
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: b.Created},
			CreatedBy: "cross-cloud-access " + b.Version + " at " + BinaryPath,
		},
	})
}

// layerFile is a file or folder of the layer.
type layerFile struct {
	name string // relative to the root; a folder's ends in "/"
	mode int64
	data []byte
}

// layerFiles are the image's files: the accounts, the binary and the
// folders above them, in tar order (each folder before what it holds).
func layerFiles(binary []byte) []layerFile {
	files := []layerFile{
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(Group)},
		{name: "etc/passwd", mode: 0o644, data: []byte(Passwd)},
	}
	dir := strings.TrimPrefix(path.Dir(BinaryPath), "/")
	parts := strings.Split(dir, "/")
	for i := range parts {
		files = append(files, layerFile{name: strings.Join(parts[:i+1], "/") + "/", mode: 0o755})
	}
	return append(files, layerFile{name: strings.TrimPrefix(BinaryPath, "/"), mode: 0o755, data: binary})
}

// binaryLayer is the layer's tar: layerFiles owned by root with fixed modes
// and the creation time, nothing taken from the machine that builds it.
func binaryLayer(binary []byte, created time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range layerFiles(binary) {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: created, Format: tar.FormatPAX}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gzipped compresses data once, with a header that carries no name and no
// time. The default level: on the function's binary the best level saves
// 0.3% of the layer for 1.5 times the time.
func gzipped(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
