package workload

import (
	"encoding/base64"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// EnvSources resolves the ConfigMaps and Secrets that containers read through
// envFrom, so that a variable they provide can be checked for conflicts.
type EnvSources interface {
	// Lookup returns the data of the object of kind "ConfigMap" or "Secret"
	// (Secret data base64-decoded, stringData applied over it) and whether
	// it was found. namespace "" is the same as "default".
	Lookup(kind, namespace, name string) (data map[string]string, found bool)
}

// NewEnvSources indexes the v1 ConfigMaps and Secrets among items (the
// ResourceList items). An object without a namespace is taken to be in
// "default", the rule the function selects workloads by: a workload without a
// namespace and a ConfigMap in "default" (or the reverse) are checked against
// each other rather than silently assumed apart. Objects that cannot be read are
// skipped: validating them is not this package's job, and an unknown source
// only means fewer conflict checks.
func NewEnvSources(items []*yaml.RNode) EnvSources {
	sources := envSourceIndex{}
	for _, item := range items {
		if item.IsNil() || item.YNode().Kind != yaml.MappingNode {
			continue
		}
		kind, _, _ := lookupScalar(item, "kind", "kind")
		apiVersion, _, _ := lookupScalar(item, "apiVersion", "apiVersion")
		if apiVersion != "v1" || (kind != "ConfigMap" && kind != "Secret") {
			continue
		}
		metadata, err := lookupField(item, "metadata", yaml.MappingNode, "metadata")
		if err != nil || metadata == nil {
			continue
		}
		name, _, _ := lookupScalar(metadata, "name", "metadata.name")
		namespace, _, _ := lookupScalar(metadata, "namespace", "metadata.namespace")
		data := scalarMap(item, "data")
		if kind == "Secret" {
			for key, encoded := range data {
				decoded, err := base64.StdEncoding.DecodeString(encoded)
				if err != nil {
					delete(data, key)
					continue
				}
				data[key] = string(decoded)
			}
			for key, value := range scalarMap(item, "stringData") {
				data[key] = value
			}
		}
		sources[envSourceKey{kind, EffectiveNamespace(namespace), name}] = data
	}
	return sources
}

// envFromProvider returns the envFrom entry of container that provides the
// variable name, with the key and value it provides it through, or nil. Of
// several sources the last one wins, as in Kubernetes. Sources that sources
// does not know are not checked.
func envFromProvider(container *yaml.RNode, sources EnvSources, namespace, name string) (*envFromSource, error) {
	envFrom, err := lookupField(container, "envFrom", yaml.SequenceNode, "envFrom")
	if err != nil || envFrom == nil {
		return nil, err
	}
	var provider *envFromSource
	for i, n := range envFrom.YNode().Content {
		source, err := readEnvFromSource(n, i)
		if err != nil {
			return nil, err
		}
		if source == nil {
			continue
		}
		data, found := sources.Lookup(source.Kind, namespace, source.Name)
		if !found {
			continue
		}
		if value, ok := data[strings.TrimPrefix(name, source.Prefix)]; ok && strings.HasPrefix(name, source.Prefix) {
			source.Key, source.Value = strings.TrimPrefix(name, source.Prefix), value
			provider = source
		}
	}
	return provider, nil
}

// envSourceIndex is the EnvSources of NewEnvSources.
type envSourceIndex map[envSourceKey]map[string]string

type envSourceKey struct{ Kind, Namespace, Name string }

// Lookup implements EnvSources.
func (s envSourceIndex) Lookup(kind, namespace, name string) (map[string]string, bool) {
	data, found := s[envSourceKey{kind, EffectiveNamespace(namespace), name}]
	return data, found
}

// EffectiveNamespace is where an object written without a namespace is taken
// to land, for selecting workloads and for finding their envFrom sources.
func EffectiveNamespace(namespace string) string {
	if namespace == "" {
		return "default"
	}
	return namespace
}

// scalarMap returns the scalar entries of the map field key of item; entries
// of other kinds are skipped.
func scalarMap(item *yaml.RNode, key string) map[string]string {
	values := map[string]string{}
	m, err := lookupField(item, key, yaml.MappingNode, key)
	if err != nil || m == nil {
		return values
	}
	content := m.YNode().Content
	for i := 0; i+1 < len(content); i += 2 {
		if content[i].Kind == yaml.ScalarNode && content[i+1].Kind == yaml.ScalarNode {
			values[content[i].Value] = content[i+1].Value
		}
	}
	return values
}
