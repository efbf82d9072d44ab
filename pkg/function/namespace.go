package function

import (
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
)

// The commands that read plain files (standalone mode, export) take
// --namespace: the namespace that objects without one are applied in (a Helm
// release's, the namespace: of the kustomization that lists a Component).
// These two steps are that flag's meaning, for every command alike.

// CountAsNamespace gives every object without a namespace the namespace ns
// for this run, and returns them so their namespace can be taken off again
// afterwards. A spec that names no namespace takes ns too: the workloads it
// is for are there.
func CountAsNamespace(ns string, config *yaml.RNode, items []*yaml.RNode) ([]*yaml.RNode, error) {
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

// ErrUnplaced is wrapped by an *UnplacedError.
var ErrUnplaced = errors.New("the workloads are not in the spec's namespace")

// UnplacedError is a run that would wire nothing because the workloads have
// no namespace of their own and the spec's ServiceAccount is in another
// namespace than they count as.
type UnplacedError struct {
	// Workloads is how many workloads have no namespace; CountAs is the
	// namespace they count as, Namespace the --namespace given ("" for none).
	Workloads          int
	CountAs, Namespace string
	// Want is the spec's ServiceAccount's namespace, Account its name.
	Want, Account string
}

func (e *UnplacedError) Error() string {
	how := "without --namespace"
	if e.Namespace != "" {
		how = "with --namespace " + e.Namespace
	}
	workloads := fmt.Sprintf("the %d workloads without a namespace count", e.Workloads)
	if e.Workloads == 1 {
		workloads = "the 1 workload without a namespace counts"
	}
	return fmt.Sprintf("%v: %s as %q (%s), but the spec's ServiceAccount is %s/%s, so none of them would be wired; pass the namespace they are applied in with --namespace",
		ErrUnplaced, workloads, e.CountAs, how, e.Want, e.Account)
}

func (e *UnplacedError) Unwrap() error { return ErrUnplaced }

// Unplaced refuses a run that would wire nothing because the workloads have
// no namespace of their own and the spec's ServiceAccount is in another
// namespace than they count as (namespace, the --namespace given, or
// kubectl's default): the usual first run of a Helm post-renderer, where Helm
// leaves namespaces to install time, or an export of a namespace-less base.
// Helm, Argo CD and Flux hide warnings, so it is an error. namespaced are the
// objects CountAsNamespace gave the namespace.
func Unplaced(config *yaml.RNode, items, namespaced []*yaml.RNode, namespace string) error {
	spec, errs := v1alpha1.Decode(config.Copy())
	if spec == nil || len(errs.Errors()) > 0 {
		return nil // Run reports what is wrong with the spec
	}
	want := spec.Spec.ServiceAccount.Namespace
	assumed := workload.EffectiveNamespace(namespace)
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
			return nil // something is in the spec's namespace
		}
		if n.GetNamespace() != "" && !given[n] {
			continue
		}
		if _, ok, err := workload.BuiltinLocator.Locate(n); ok && err == nil {
			without++
		}
	}
	if without == 0 || want == assumed {
		return nil
	}
	return &UnplacedError{Workloads: without, CountAs: assumed, Namespace: namespace, Want: want, Account: spec.Spec.ServiceAccount.Name}
}
