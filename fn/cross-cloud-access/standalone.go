package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/resourcelist"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
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
	stdin     io.Reader
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
		if namespaced, err = countAsNamespace(s.namespace, config, items); err != nil {
			return err
		}
	}
	s.warnUnselected(config, items, namespaced)

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

// countAsNamespace gives every object without a namespace the namespace ns
// for this run, and returns them so their namespace can be taken off again.
// A spec that names no namespace takes ns too: the workloads it is for are
// there.
func countAsNamespace(ns string, config *yaml.RNode, items []*yaml.RNode) ([]*yaml.RNode, error) {
	if config.GetNamespace() == "" {
		sa, err := config.Pipe(yaml.Lookup("spec", "serviceAccount", "namespace"))
		if err != nil {
			return nil, fmt.Errorf("reading the spec: %w", err)
		}
		if sa == nil || yaml.GetValue(sa) == "" {
			if err := config.PipeE(yaml.LookupCreate(yaml.MappingNode, "spec", "serviceAccount"), yaml.SetField("namespace", yaml.NewStringRNode(ns))); err != nil {
				return nil, fmt.Errorf("setting the spec's namespace: %w", err)
			}
		}
	}
	var changed []*yaml.RNode
	for _, n := range items {
		if n.YNode().Kind != yaml.MappingNode || n.GetNamespace() != "" {
			continue
		}
		if err := n.SetNamespace(ns); err != nil {
			return nil, fmt.Errorf("setting the namespace of %s %s: %w", n.GetKind(), n.GetName(), err)
		}
		changed = append(changed, n)
	}
	return changed, nil
}

// warnUnselected says why nothing was wired when the workloads have no
// namespace of their own and the spec's ServiceAccount is in another one:
// the usual first run of a post-renderer, where Helm leaves namespaces to
// install time.
func (s standalone) warnUnselected(config *yaml.RNode, items, namespaced []*yaml.RNode) {
	spec, errs := v1alpha1.Decode(config.Copy())
	if spec == nil || len(errs) > 0 {
		return // the function reports what is wrong with the spec
	}
	want := spec.Spec.ServiceAccount.Namespace
	assumed := workload.EffectiveNamespace(s.namespace)
	given := map[*yaml.RNode]bool{}
	for _, n := range namespaced {
		given[n] = true
	}
	without := 0
	for _, n := range items {
		if n.YNode().Kind != yaml.MappingNode {
			continue
		}
		if workload.EffectiveNamespace(n.GetNamespace()) == want && !given[n] {
			return // something is in the spec's namespace
		}
		if n.GetNamespace() != "" && !given[n] {
			continue
		}
		if _, ok, err := workload.BuiltinLocator.Locate(n); ok && err == nil {
			without++
		}
	}
	if without == 0 || want == assumed {
		return
	}
	fmt.Fprintf(s.stderr, "warning: %d workloads have no namespace and count as %q, so ServiceAccount %s/%s selects none of them; "+
		"pass --namespace %s (Helm: --post-renderer-args=--namespace=%s, the release namespace)\n",
		without, assumed, want, spec.Spec.ServiceAccount.Name, want, want)
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
