package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/resourcelist"
)

// errNoInput stops a run that would wait forever for a person to type YAML:
// a spec, no resource files and stdin a terminal.
var errNoInput = errors.New("no resources to read: give resource files after the spec, or pipe them on stdin (Helm does, as a post-renderer)")

// standalone is `cross-cloud-access SPEC [RESOURCES... | -]`: a spec file
// and resources in, a plain YAML stream out, as Helm wants from a
// post-renderer. kyaml's own standalone mode concatenates the files before
// parsing them, so a file not ending in a newline or "---" would run into
// the next one; here every file is parsed alone.
type standalone struct {
	// namespace is where objects without one count as being, as Helm
	// installs them into the release namespace; empty: "default".
	namespace string
	// errorsInOutput writes an error to stdout as a YAML list and exits 0
	// (writeErrorList): Helm 4 shows nothing else of a plugin's failure.
	errorsInOutput bool
	stdin          io.Reader
	// stdinIsTerminal says nobody piped anything in.
	stdinIsTerminal bool
	stdout, stderr  io.Writer
}

func (s standalone) run(args []string) error {
	specData, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("reading the spec: %w", err)
	}
	docs, err := (&kio.ByteReader{Reader: bytes.NewReader(specData), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return fmt.Errorf("reading the spec %s: %w", args[0], err)
	}
	if len(docs) != 1 {
		// Taking the first would drop the others without a word.
		return fmt.Errorf("reading the spec %s: it holds %d documents; want one CrossCloudAccess (put more specs among the resources: each CrossCloudAccess there is a spec too)", args[0], len(docs))
	}
	config := docs[0]
	paths := args[1:]
	if len(paths) == 0 {
		if s.stdinIsTerminal {
			return errNoInput
		}
		paths = []string{"-"}
	}
	// The text of every object read, to write those the function leaves
	// alone exactly as they came.
	sources := resourcelist.NewSources()
	items, err := resourcelist.ReadFiles(s.stdin, paths, sources)
	if err != nil {
		return err
	}

	var namespaced []*yaml.RNode
	if s.namespace != "" {
		if namespaced, err = function.CountAsNamespace(s.namespace, config, items); err != nil {
			return err
		}
	}
	if err := function.Unplaced(config, items, namespaced, s.namespace); err != nil {
		var u *function.UnplacedError
		if errors.As(err, &u) {
			return fmt.Errorf("%w (Helm: --post-renderer-args=--namespace=%s, for the release namespace %s); if they are installed in another one, the spec must name it",
				err, u.Want, u.Want)
		}
		return err
	}

	out, results := function.Run(config, items)
	for _, r := range results {
		fmt.Fprintln(s.stderr, r.String())
	}
	if results.ExitCode() != 0 {
		return fmt.Errorf("%w: nothing written", function.ErrInvalid)
	}
	// The chart's objects leave as they came: a cluster-scoped object must
	// not get a namespace, and Helm places the others itself.
	for _, n := range namespaced {
		if err := n.PipeE(yaml.Lookup("metadata"), yaml.Clear("namespace")); err != nil {
			return fmt.Errorf("restoring %s %s: %w", n.GetKind(), n.GetName(), err)
		}
	}
	// Objects nothing changed leave as they came, the others as kyaml
	// writes them, with their block scalars' values kept.
	if err := resourcelist.WriteStream(s.stdout, out, sources); err != nil {
		return fmt.Errorf("writing the output: %w", err)
	}
	return nil
}

// isTerminal reports whether f is a terminal rather than a pipe or a file.
// /dev/null is a character device too, but reading it ends at once.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	if err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(info, null)
}
