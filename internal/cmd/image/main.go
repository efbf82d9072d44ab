// Command image writes the function's container image as an OCI image
// layout, with no container engine (`make image`, `make release`): one image
// per Linux platform, from the static binaries built beforehand, in one
// index. It prints the index's digest. The creation time is
// SOURCE_DATE_EPOCH (the commit's time), so the same commit gives the same
// digest; see docs/image.md.
//
//	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) go run ./internal/cmd/image \
//	  -version v0.1.0 -revision $(git rev-parse HEAD) -o dist/IMAGE \
//	  -binary linux/amd64=PATH -binary linux/arm64=PATH
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/internal/image"
)

// binaryFlags collects -binary OS/ARCH=PATH.
type binaryFlags []string

func (b *binaryFlags) String() string     { return strings.Join(*b, " ") }
func (b *binaryFlags) Set(v string) error { *b = append(*b, v); return nil }

func main() {
	var binaries binaryFlags
	flag.Var(&binaries, "binary", "OS/ARCH=PATH: the static binary of one platform (repeat per platform)")
	out := flag.String("o", "", "the folder to write the OCI image layout to (replaced if it holds one)")
	version := flag.String("version", "", "the binaries' version: the image's version label and the layout's tag")
	revision := flag.String("revision", "", "the full hash of the commit the binaries were built from")
	metadata := flag.String("metadata", "metadata.yaml", "the kpt catalog metadata: the image's description, license and source")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "image: unexpected arguments %q: give binaries with -binary OS/ARCH=PATH\n", flag.Args())
		os.Exit(2)
	}
	digest, err := run(*out, *version, *revision, *metadata, binaries, os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	fmt.Println(digest)
}

func run(out, version, revision, metadataFile string, binaryArgs []string, sourceDateEpoch string) (string, error) {
	if out == "" {
		return "", fmt.Errorf("-o is required: the folder to write the layout to")
	}
	epoch, err := strconv.ParseInt(sourceDateEpoch, 10, 64)
	if err != nil || epoch < 0 {
		return "", fmt.Errorf("SOURCE_DATE_EPOCH=%q: want the commit's time in seconds since 1970 (git log -1 --format=%%ct)", sourceDateEpoch)
	}
	meta, err := image.ReadMetadata(metadataFile)
	if err != nil {
		return "", err
	}
	var bins []image.Binary
	for _, arg := range binaryArgs {
		platform, file, ok := strings.Cut(arg, "=")
		if !ok || file == "" {
			return "", fmt.Errorf("-binary %q: want OS/ARCH=PATH", arg)
		}
		p, err := image.ParsePlatform(platform)
		if err != nil {
			return "", fmt.Errorf("-binary %q: %w", arg, err)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("-binary %q: %w", arg, err)
		}
		bins = append(bins, image.Binary{Platform: p, Data: data})
	}
	build := image.Build{Version: version, Revision: revision, Created: time.Unix(epoch, 0).UTC(), Metadata: meta}
	idx, err := image.Index(build, bins)
	if err != nil {
		return "", err
	}
	if err := image.WriteLayout(out, idx, version); err != nil {
		return "", err
	}
	digest, err := idx.Digest()
	if err != nil {
		return "", err
	}
	return digest.String(), nil
}
