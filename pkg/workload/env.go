package workload

import (
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// EnvVar sets an environment variable on a container.
type EnvVar struct {
	Name  string
	Value string
	// Sources resolves the ConfigMaps and Secrets of the container's envFrom;
	// nil skips that check.
	Sources EnvSources
	// Namespace is the workload's namespace as written, to find envFrom
	// sources in.
	Namespace string
	// Default sets the variable only where the container does not set it
	// itself: any value of its own, in env or through envFrom, stays.
	Default bool
}

// Filter appends {name, value} to the container's env, or leaves an
// identical entry alone. The same name with another value or a valueFrom is a
// conflict, and so is an envFrom source that provides the variable with
// another value: Kubernetes lets an explicit env entry silently win over
// envFrom, so adding ours would hide the user's value.
func (e EnvVar) Filter(container *yaml.RNode) (*yaml.RNode, error) {
	_, err := e.add(container)
	return container, err
}

// add is Filter, and says whether the variable was appended.
func (e EnvVar) add(container *yaml.RNode) (bool, error) {
	if err := requireMap(container); err != nil {
		return false, err
	}
	entry := mapNode(keyValue{"name", stringNode(e.Name)}, keyValue{"value", stringNode(plan.EnvValue(e.Value))})
	add := listEntry{
		list:      "env",
		entry:     entry,
		claims:    sameName(e.Name),
		check:     e.compare,
		beforeAdd: func() error { return e.checkEnvFrom(container) },
	}
	if e.Default {
		add.check = func(namedElement) error { return nil }
		add.beforeAdd = func() error {
			if err := e.checkEnvFrom(container); err != nil {
				var provided *Conflict
				if errors.As(err, &provided) {
					return errProvidedElsewhere
				}
				return err
			}
			return nil
		}
	}
	added, err := add.add(container)
	if err != nil && !errors.Is(err, errProvidedElsewhere) {
		return false, err
	}
	return added, nil
}

// errProvidedElsewhere stops a default from being added where envFrom
// already provides the variable.
var errProvidedElsewhere = errors.New("provided through envFrom")

// compare returns a conflict unless entry sets the variable to e.Value, as
// written in an env entry (plan.EnvValue).
func (e EnvVar) compare(entry namedElement) error {
	field := fmt.Sprintf("env[name=%s]", e.Name)
	written := plan.EnvValue(e.Value)
	if valueFrom := fieldValue(entry.Node.YNode(), "valueFrom"); valueFrom != nil && !isNull(valueFrom) {
		return &Conflict{
			Location: Location{Field: field},
			Message: fmt.Sprintf("%s is already set from valueFrom, want the value %q; "+
				"remove that entry or replace it with value: %q", e.Name, written, written),
		}
	}
	value, _, err := lookupScalar(entry.Node, "value", fmt.Sprintf("env[%d].value", entry.Index))
	if err != nil {
		return err
	}
	if value != written {
		return &Conflict{
			Location: Location{Field: field},
			Message: fmt.Sprintf("%s is already set to %q, want %q; "+
				"remove that entry or set it to %q", e.Name, value, written, written),
		}
	}
	return nil
}

// checkEnvFrom returns a conflict when the container's envFrom provides the
// variable with another value. Of several sources the last one wins, as in
// Kubernetes. Sources that EnvSources does not know are not checked.
func (e EnvVar) checkEnvFrom(container *yaml.RNode) error {
	if e.Sources == nil {
		return nil
	}
	provider, err := envFromProvider(container, e.Sources, e.Namespace, e.Name)
	if err != nil {
		return err
	}
	if provider == nil || provider.Value == e.Value {
		return nil
	}
	return &Conflict{
		Location: Location{Field: fmt.Sprintf("envFrom[%d]", provider.Index)},
		Message: fmt.Sprintf("%s %q provides %s (key %q) through envFrom with the value %q, want %q; "+
			"an env entry would silently override it: set key %q to %q or stop using that %s here",
			provider.Kind, provider.Name, e.Name, provider.Key, provider.Value, e.Value,
			provider.Key, e.Value, provider.Kind),
	}
}

// envFromSource is one envFrom entry, and the key it provides our variable
// through once found.
type envFromSource struct {
	Index      int
	Kind       string // ConfigMap or Secret
	Name       string
	Prefix     string
	Key, Value string
}

// readEnvFromSource reads envFrom[index]; nil when it names no source.
func readEnvFromSource(n *yaml.Node, index int) (*envFromSource, error) {
	path := fmt.Sprintf("envFrom[%d]", index)
	if n.Kind != yaml.MappingNode {
		return nil, wrongKind(path, n, yaml.MappingNode)
	}
	entry := yaml.NewRNode(n)
	prefix, _, err := lookupScalar(entry, "prefix", path+".prefix")
	if err != nil {
		return nil, err
	}
	for _, ref := range []struct{ field, kind string }{{"configMapRef", "ConfigMap"}, {"secretRef", "Secret"}} {
		refNode, err := lookupField(entry, ref.field, yaml.MappingNode, path+"."+ref.field)
		if err != nil {
			return nil, err
		}
		if refNode == nil {
			continue
		}
		name, _, err := lookupScalar(refNode, "name", path+"."+ref.field+".name")
		if err != nil {
			return nil, err
		}
		return &envFromSource{Index: index, Kind: ref.kind, Name: name, Prefix: prefix}, nil
	}
	return nil, nil
}
