package workload

import (
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// StaticCredentials refuses a container that still sets a variable of the
// plan's StaticCredentials, in env or through an envFrom source among the
// input: the SDKs would use that credential before the keyless one, so the
// migration would look done while the old keys are still in use.
type StaticCredentials struct {
	Credentials []plan.StaticCredential
	// Sources resolves the ConfigMaps and Secrets of the container's
	// envFrom; nil skips that check.
	Sources EnvSources
	// Namespace is the workload's namespace as written.
	Namespace string
}

// Filter returns one *Conflict per static credential the container sets;
// it never edits the container. An entry with an empty value sets nothing
// the SDKs would use.
func (s StaticCredentials) Filter(container *yaml.RNode) (*yaml.RNode, error) {
	if len(s.Credentials) == 0 {
		return container, nil
	}
	if err := requireMap(container); err != nil {
		return container, err
	}
	list, err := lookupField(container, "env", yaml.SequenceNode, "env")
	if err != nil {
		return container, err
	}
	env, err := namedElements(list, "env")
	if err != nil {
		return container, err
	}
	var conflicts []error
	for _, credential := range s.Credentials {
		for _, entry := range env {
			if entry.Name != credential.Name || !setsValue(entry.Node.YNode()) {
				continue
			}
			conflicts = append(conflicts, &Conflict{
				Location: Location{Field: fmt.Sprintf("env[name=%s]", credential.Name)},
				Message: fmt.Sprintf("%s is set in env: %s; remove the entry",
					credential.Name, explain(credential)),
			})
		}
		if s.Sources == nil {
			continue
		}
		provider, err := envFromProvider(container, s.Sources, s.Namespace, credential.Name)
		if err != nil {
			return container, err
		}
		if provider == nil || provider.Value == "" {
			continue
		}
		conflicts = append(conflicts, &Conflict{
			Location: Location{Field: fmt.Sprintf("envFrom[%d]", provider.Index)},
			Message: fmt.Sprintf("%s %q provides %s (key %q) through envFrom: %s; remove key %q from the %s or stop using the %s here",
				provider.Kind, provider.Name, credential.Name, provider.Key, explain(credential),
				provider.Key, provider.Kind, provider.Kind),
		})
	}
	return container, errors.Join(conflicts...)
}

// explain says what the credential is and why it would be used instead of
// the keyless one.
func explain(c plan.StaticCredential) string {
	return fmt.Sprintf("%s, which %s: the pod would keep using it instead of the keyless credentials", c.What, c.Why)
}

// setsValue reports whether an env entry sets its variable: a non-empty
// value, or any valueFrom (its value is not known here).
func setsValue(entry *yaml.Node) bool {
	if valueFrom := fieldValue(entry, "valueFrom"); valueFrom != nil && !isNull(valueFrom) {
		return true
	}
	value := fieldValue(entry, "value")
	return value != nil && value.Kind == yaml.ScalarNode && !isNull(value) && value.Value != ""
}
