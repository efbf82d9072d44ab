package workload

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

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
					credential.Name, credential.Explain()),
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
				provider.Kind, provider.Name, credential.Name, provider.Key, credential.Explain(),
				provider.Key, provider.Kind, provider.Kind),
		})
	}
	return container, errors.Join(conflicts...)
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

// explainCredentialFile adds to the conflicts of err about the variable name,
// one of the plan's CredentialFiles, what the file the container names
// instead is when it can tell: a static service account key kept in a
// Secret, which the client libraries would use instead of the keyless
// credentials. It is the same conflict as for any other variable, only
// explained, so that a key file is never reported twice.
func (p Patch) explainCredentialFile(err error, name string, podSpec, container *yaml.RNode, namespace string) error {
	if err == nil || !slices.Contains(p.Pod.CredentialFiles, name) {
		return err
	}
	for _, leaf := range leafErrors(err) {
		var c *Conflict
		if !errors.As(leaf, &c) || c.Field != fmt.Sprintf("env[name=%s]", name) {
			continue
		}
		entry := envEntry(container, name)
		if entry == nil {
			continue
		}
		value := fieldValue(entry, "value")
		if value == nil || value.Kind != yaml.ScalarNode {
			continue
		}
		if what := secretFile(podSpec, container, value.Value, p.EnvSources, namespace); what != "" {
			c.Message += fmt.Sprintf("; %q is %s, which the Google client libraries and gcloud would use instead of the keyless credentials: remove the entry and that mount",
				value.Value, what)
		}
	}
	return err
}

// envEntry is the env entry of container named name, or nil.
func envEntry(container *yaml.RNode, name string) *yaml.Node {
	env := fieldValue(container.YNode(), "env")
	if env == nil || env.Kind != yaml.SequenceNode {
		return nil
	}
	for _, e := range env.Content {
		if n := fieldValue(e, "name"); n != nil && n.Value == name {
			return e
		}
	}
	return nil
}

// secretFile says what the file at path is when container mounts it from a
// Secret volume: a static service account key when the Secret is in the
// input and the file's JSON says "type": "service_account", else a file of
// that Secret, where such keys are kept. "" when the file is not from a
// Secret, or the Secret's file is another kind of credential.
func secretFile(podSpec, container *yaml.RNode, path string, sources EnvSources, namespace string) string {
	mounts := fieldValue(container.YNode(), "volumeMounts")
	if mounts == nil || mounts.Kind != yaml.SequenceNode {
		return ""
	}
	for _, m := range mounts.Content {
		mountPath, volumeName := fieldValue(m, "mountPath"), fieldValue(m, "name")
		if mountPath == nil || volumeName == nil || !strings.HasPrefix(path, strings.TrimSuffix(mountPath.Value, "/")+"/") {
			continue
		}
		secretName, key := mountedSecretKey(podSpec, volumeName.Value, strings.TrimPrefix(path, strings.TrimSuffix(mountPath.Value, "/")+"/"))
		if secretName == "" {
			continue
		}
		where := fmt.Sprintf("key %q of Secret %q, mounted at %s", key, secretName, mountPath.Value)
		data, found := map[string]string(nil), false
		if sources != nil {
			data, found = sources.Lookup("Secret", namespace, secretName)
		}
		if !found {
			return "a file of a Secret (" + where + "), where static service account keys are kept"
		}
		var file struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(data[key]), &file) != nil || file.Type != "service_account" {
			return ""
		}
		return "a static service account key (" + where + ")"
	}
	return ""
}

// mountedSecretKey is the Secret and key a file at relative path in volume
// comes from; "" when the volume is not a Secret volume.
func mountedSecretKey(podSpec *yaml.RNode, volume, relative string) (secretName, key string) {
	volumes := fieldValue(podSpec.YNode(), "volumes")
	if volumes == nil || volumes.Kind != yaml.SequenceNode {
		return "", ""
	}
	for _, v := range volumes.Content {
		if n := fieldValue(v, "name"); n == nil || n.Value != volume {
			continue
		}
		secret := fieldValue(v, "secret")
		name := fieldValue(secret, "secretName")
		if name == nil {
			return "", ""
		}
		key = relative
		if items := fieldValue(secret, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for _, item := range items.Content {
				if p, k := fieldValue(item, "path"), fieldValue(item, "key"); p != nil && k != nil && p.Value == relative {
					key = k.Value
				}
			}
		}
		return name.Value, key
	}
	return "", ""
}

// UncheckedSecret is a Secret that a selected container reads through
// envFrom and that is not among the input: whether it provides one of the
// plan's static credentials cannot be known. It is advice, not a conflict:
// the Secret may well hold nothing of the kind.
type UncheckedSecret struct {
	Location
	// Secret is the Secret's name.
	Secret string
}

// UncheckedSecrets lists the envFrom Secrets of the containers the patch
// applies to that Patch.EnvSources does not know, when the plan has static
// credentials to check. Containers are selected as Apply selects them.
func (p Patch) UncheckedSecrets(t PodTemplate) ([]UncheckedSecret, error) {
	if len(p.Pod.StaticCredentials) == 0 || p.EnvSources == nil {
		return nil, nil
	}
	spec, err := lookupField(t.Node, "spec", yaml.MappingNode, t.field("spec"))
	if err != nil || spec == nil {
		return nil, t.attributed(err)
	}
	containers, err := selectContainers(spec, p.Containers, p.SkipContainers)
	if err != nil {
		return nil, t.attributed(err)
	}
	var out []UncheckedSecret
	for _, c := range containers {
		envFrom, err := lookupField(c.Node, "envFrom", yaml.SequenceNode, "envFrom")
		if err != nil || envFrom == nil {
			return nil, t.attributed(err)
		}
		for i, n := range envFrom.YNode().Content {
			source, err := readEnvFromSource(n, i)
			if err != nil {
				return nil, t.attributed(err)
			}
			if source == nil || source.Kind != "Secret" {
				continue
			}
			if _, found := p.EnvSources.Lookup("Secret", t.Namespace, source.Name); found {
				continue
			}
			out = append(out, UncheckedSecret{
				Location: Location{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Container: c.Name,
					Field: joinPath(t.field("spec"), c.Path, fmt.Sprintf("envFrom[%d]", i))},
				Secret: source.Name,
			})
		}
	}
	return out, nil
}

// CredentialNames are the names of the static credentials, for messages.
func CredentialNames(credentials []plan.StaticCredential) string {
	names := make([]string, len(credentials))
	for i, c := range credentials {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
