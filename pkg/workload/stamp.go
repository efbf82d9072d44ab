package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The stamp: annotations on a wired pod template's own metadata. They let a
// later run tell its own entries from the user's (to update or remove them),
// let verify find templates that an overlay changed after the function ran,
// and roll the workload when its credentials change (a changed annotation
// changes the template, so the controller replaces the pods).
const (
	// StampSpec names the CrossCloudAccess that wired the template.
	StampSpec = "crosscloud.dev/spec"
	// StampSubject is the token subject the cloud's trust was written for,
	// system:serviceaccount:NAMESPACE:NAME.
	StampSubject = "crosscloud.dev/subject"
	// StampClouds lists the spec's clouds, comma-separated.
	StampClouds = "crosscloud.dev/clouds"
	// StampCredentialsDigest is a digest of everything the pod's
	// credentials depend on (ServiceAccount annotations, ConfigMap contents,
	// the pod patch), also in modes that change nothing in the template.
	StampCredentialsDigest = "crosscloud.dev/credentials-digest"
	// StampInjected lists the entries the function added (Injected.String).
	StampInjected = "crosscloud.dev/injected"
	// StampInjectedDigest is a digest of those entries as written, so that a
	// later run removes them only while nobody edited them.
	StampInjectedDigest = "crosscloud.dev/injected-digest"
	// StampIdentities says which containers got an identity of their own
	// (spec.containers), by entry (Identities.String); absent when none did.
	StampIdentities = "crosscloud.dev/identities"
)

// StampAnnotations are the stamp's annotations in the order they are written.
var StampAnnotations = []string{StampSpec, StampSubject, StampClouds, StampCredentialsDigest, StampInjected, StampInjectedDigest, StampIdentities}

// Stamp is what the function wired on a pod template.
type Stamp struct {
	Spec              string
	Subject           string
	Clouds            []string
	CredentialsDigest string
	Injected          Injected
	InjectedDigest    string
	Identities        Identities
}

// Identities records which containers of a template got an identity of
// their own, by the spec.containers entry it came from. The other wired
// containers have the spec's.
type Identities []IdentityContainers

// IdentityContainers are the containers that got one entry's identity.
type IdentityContainers struct {
	// Identity names the entry, "spec.containers[0]".
	Identity   string
	Containers []string
}

// String is the annotation form, "spec.containers[0]=exporter,backup
// spec.containers[1]=metrics".
func (ids Identities) String() string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.Identity + "=" + strings.Join(id.Containers, ",")
	}
	return strings.Join(parts, " ")
}

// ParseIdentities reads the annotation form written by Identities.String.
func ParseIdentities(s string) (Identities, error) {
	var out Identities
	for part := range strings.FieldsSeq(s) {
		identity, value, ok := strings.Cut(part, "=")
		names := strings.Split(value, ",")
		if !ok || identity == "" || slices.Contains(names, "") {
			return nil, fmt.Errorf("%q is not ENTRY=CONTAINER,CONTAINER", part)
		}
		out = append(out, IdentityContainers{Identity: identity, Containers: names})
	}
	return out, nil
}

// Injected names the entries a patch added to a pod template: labels by
// key, volumes by name, and per container the env vars by name and the
// mounts by volume name. Entries the user had already written identically
// are not in it: they stay the user's.
type Injected struct {
	Labels     []string
	Volumes    []string
	Containers []InjectedContainer
}

// InjectedContainer is what a patch added to one container.
type InjectedContainer struct {
	Name   string
	Env    []string
	Mounts []string
}

// IsEmpty reports whether nothing was injected.
func (i Injected) IsEmpty() bool {
	return len(i.Labels) == 0 && len(i.Volumes) == 0 && len(i.Containers) == 0
}

// String is the annotation form, e.g. "volumes=aws-iam-token
// env[app,sidecar]=AWS_ROLE_ARN,AWS_WEB_IDENTITY_TOKEN_FILE mounts[app,sidecar]=aws-iam-token".
func (i Injected) String() string {
	var parts []string
	add := func(key string, names []string) {
		if len(names) > 0 {
			parts = append(parts, key+"="+strings.Join(names, ","))
		}
	}
	add("labels", i.Labels)
	add("volumes", i.Volumes)
	// Containers with the same entries share one key, env[app,sidecar]=...,
	// which keeps the usual stamp (every container alike) short.
	for _, field := range []struct {
		key   string
		names func(InjectedContainer) []string
	}{{"env", func(c InjectedContainer) []string { return c.Env }}, {"mounts", func(c InjectedContainer) []string { return c.Mounts }}} {
		var groups [][]string // container names, per distinct list
		var lists [][]string
		for _, c := range i.Containers {
			names := field.names(c)
			if len(names) == 0 {
				continue
			}
			k := slices.IndexFunc(lists, func(l []string) bool { return slices.Equal(l, names) })
			if k < 0 {
				lists, groups = append(lists, names), append(groups, nil)
				k = len(lists) - 1
			}
			groups[k] = append(groups[k], c.Name)
		}
		for k := range lists {
			add(field.key+"["+strings.Join(groups[k], ",")+"]", lists[k])
		}
	}
	return strings.Join(parts, " ")
}

// ParseInjected reads the annotation form written by Injected.String.
func ParseInjected(s string) (Injected, error) {
	var i Injected
	for part := range strings.FieldsSeq(s) {
		key, value, ok := strings.Cut(part, "=")
		names := strings.Split(value, ",")
		if !ok || slices.Contains(names, "") {
			return Injected{}, fmt.Errorf("%q is not KEY=NAME,NAME", part)
		}
		switch {
		case key == "labels":
			i.Labels = append(i.Labels, names...)
		case key == "volumes":
			i.Volumes = append(i.Volumes, names...)
		case strings.HasPrefix(key, "env[") && strings.HasSuffix(key, "]"):
			for _, name := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(key, "env["), "]"), ",") {
				c := i.container(name)
				c.Env = append(c.Env, names...)
			}
		case strings.HasPrefix(key, "mounts[") && strings.HasSuffix(key, "]"):
			for _, name := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(key, "mounts["), "]"), ",") {
				c := i.container(name)
				c.Mounts = append(c.Mounts, names...)
			}
		default:
			return Injected{}, fmt.Errorf("%q: want labels=, volumes=, env[CONTAINER]= or mounts[CONTAINER]=", part)
		}
	}
	return i, nil
}

// container is the entry of the named container, added when missing.
func (i *Injected) container(name string) *InjectedContainer {
	for k := range i.Containers {
		if i.Containers[k].Name == name {
			return &i.Containers[k]
		}
	}
	i.Containers = append(i.Containers, InjectedContainer{Name: name})
	return &i.Containers[len(i.Containers)-1]
}

// union is i with the entries of j it lacks, in order.
func (i Injected) union(j Injected) Injected {
	out := Injected{Labels: appendMissing(slices.Clone(i.Labels), j.Labels), Volumes: appendMissing(slices.Clone(i.Volumes), j.Volumes)}
	for _, c := range append(slices.Clone(i.Containers), j.Containers...) {
		mine := out.container(c.Name)
		mine.Env = appendMissing(mine.Env, c.Env)
		mine.Mounts = appendMissing(mine.Mounts, c.Mounts)
	}
	return out
}

func appendMissing(list, more []string) []string {
	for _, m := range more {
		if !slices.Contains(list, m) {
			list = append(list, m)
		}
	}
	return list
}

// Digest is the short form of a SHA-256 used in the stamp: 16 hex digits
// are plenty to tell two contents apart and keep the annotation readable.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// ReadStamp returns the pod template's stamp; found is false when it has
// none. A stamp that cannot be read is *Malformed: removing the stamp's
// annotations makes the function start over.
func (t PodTemplate) ReadStamp() (s Stamp, found bool, err error) {
	annotations, err := t.Annotations()
	if err != nil {
		return Stamp{}, false, err
	}
	return readStamp(t, annotations)
}

func readStamp(t PodTemplate, annotations map[string]string) (Stamp, bool, error) {
	spec, found := annotations[StampSpec]
	if !found {
		return Stamp{}, false, nil
	}
	s := Stamp{
		Spec:              spec,
		Subject:           annotations[StampSubject],
		CredentialsDigest: annotations[StampCredentialsDigest],
		InjectedDigest:    annotations[StampInjectedDigest],
	}
	if clouds := annotations[StampClouds]; clouds != "" {
		s.Clouds = strings.Split(clouds, ",")
	}
	injected, err := ParseInjected(annotations[StampInjected])
	if err != nil {
		return Stamp{}, false, t.attributed(&Malformed{
			Location: Location{Field: t.field("metadata", "annotations", "["+StampInjected+"]")},
			Message:  fmt.Sprintf("cannot be read (%v); restore it or remove every crosscloud.dev/ stamp annotation so that the function starts over", err),
		})
	}
	s.Injected = injected
	identities, err := ParseIdentities(annotations[StampIdentities])
	if err != nil {
		return Stamp{}, false, t.attributed(&Malformed{
			Location: Location{Field: t.field("metadata", "annotations", "["+StampIdentities+"]")},
			Message:  fmt.Sprintf("cannot be read (%v); restore it or remove every crosscloud.dev/ stamp annotation so that the function starts over", err),
		})
	}
	s.Identities = identities
	return s, true, nil
}

// writeStamp sets the stamp's annotations on template (the node holding the
// pod's metadata and spec), removing those it does not need.
func writeStamp(template *yaml.RNode, s Stamp) error {
	values := map[string]string{
		StampSpec:              s.Spec,
		StampSubject:           s.Subject,
		StampClouds:            strings.Join(s.Clouds, ","),
		StampCredentialsDigest: s.CredentialsDigest,
		StampInjected:          s.Injected.String(),
		StampInjectedDigest:    s.InjectedDigest,
		StampIdentities:        s.Identities.String(),
	}
	metadata, err := createField(template, "metadata", yaml.MappingNode, "metadata")
	if err != nil {
		return err
	}
	annotations, err := createField(metadata, "annotations", yaml.MappingNode, "metadata.annotations")
	if err != nil {
		return err
	}
	// Six long annotations on one line would hide the template's own
	// metadata: written in block style, they read like any manifest.
	metadata.YNode().Style &^= yaml.FlowStyle
	annotations.YNode().Style &^= yaml.FlowStyle
	// The nodes are edited directly: kyaml's SetField costs more than the
	// rest of the stamp, on every wired template.
	m := annotations.YNode()
	for _, key := range StampAnnotations {
		value := values[key]
		current := fieldValue(m, key)
		switch {
		case value == "":
			removeKeys(m, []string{key})
		case current == nil:
			m.Content = append(m.Content, yaml.NewStringRNode(key).YNode(), stringNode(value))
		case current.Kind != yaml.ScalarNode || current.Value != value:
			*current = *stringNode(value)
		}
	}
	return nil
}

// entries calls visit with each entry i names: its line in the digest, its
// field below the template, and every element of the template with its
// name, in order (none when it is missing).
func (i Injected) entries(template *yaml.RNode, visit func(line, field string, found []*yaml.Node) error) error {
	labels := nodeAt(template.YNode(), "metadata", "labels")
	for _, key := range i.Labels {
		var found []*yaml.Node
		if v := fieldValue(labels, key); v != nil {
			found = []*yaml.Node{v}
		}
		if err := visit("label "+key, "metadata.labels."+key, found); err != nil {
			return err
		}
	}
	spec := fieldValue(template.YNode(), "spec")
	for _, name := range i.Volumes {
		if err := visit("volume "+name, "spec.volumes[name="+name+"]", elementsNamed(fieldValue(spec, "volumes"), "name", name)); err != nil {
			return err
		}
	}
	for _, c := range i.Containers {
		container, list := containerNamed(spec, c.Name)
		at := "spec." + list + "[name=" + c.Name + "]"
		for _, name := range c.Env {
			if err := visit("env "+c.Name+" "+name, at+".env[name="+name+"]", elementsNamed(fieldValue(container, "env"), "name", name)); err != nil {
				return err
			}
		}
		for _, name := range c.Mounts {
			if err := visit("mount "+c.Name+" "+name, at+".volumeMounts[name="+name+"]", elementsNamed(fieldValue(container, "volumeMounts"), "name", name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// injectedDigest is the digest of the entries i names as template holds
// them; a missing entry counts as missing, so a removed entry changes it. An
// entry whose YAML aliases expand past maxCanonicalNodes is *Malformed.
func injectedDigest(template *yaml.RNode, i Injected) (string, error) {
	var lines []string
	err := i.entries(template, func(line, field string, found []*yaml.Node) error {
		var first *yaml.Node
		if len(found) > 0 {
			first = found[0]
		}
		data, ok := encoded(first)
		if !ok {
			return &Malformed{Location: Location{Field: field}, Message: fmt.Sprintf(
				"expands its YAML aliases to more than %d nodes, which the function refuses to read (the entries it writes have none): write the entry out without aliases, or remove it", maxCanonicalNodes)}
		}
		lines = append(lines, line+" "+data)
		return nil
	})
	if err != nil {
		return "", err
	}
	return Digest([]byte(strings.Join(lines, "\n"))), nil
}

// heldAsWritten reports whether template holds the entries i names exactly
// as a stamp with that digest recorded them, each once: only then are they
// the function's to remove. A second entry of one of those names (a user's
// second mount of the volume, a second AWS_ROLE_ARN) is the user's, and the
// entries are then checked as on a first run.
func (i Injected) heldAsWritten(template *yaml.RNode, digest string) (bool, error) {
	once := true
	_ = i.entries(template, func(_, _ string, found []*yaml.Node) error {
		once = once && len(found) <= 1
		return nil
	})
	if !once {
		return false, nil
	}
	got, err := injectedDigest(template, i)
	return got == digest, err
}

// present is i less the entries template no longer has.
func (i Injected) present(template *yaml.RNode) Injected {
	var out Injected
	labels := nodeAt(template.YNode(), "metadata", "labels")
	for _, key := range i.Labels {
		if fieldValue(labels, key) != nil {
			out.Labels = append(out.Labels, key)
		}
	}
	spec := fieldValue(template.YNode(), "spec")
	for _, name := range i.Volumes {
		if elementNamed(fieldValue(spec, "volumes"), "name", name) != nil {
			out.Volumes = append(out.Volumes, name)
		}
	}
	for _, c := range i.Containers {
		container, _ := containerNamed(spec, c.Name)
		for _, name := range c.Env {
			if elementNamed(fieldValue(container, "env"), "name", name) != nil {
				out.container(c.Name).Env = append(out.container(c.Name).Env, name)
			}
		}
		for _, name := range c.Mounts {
			if elementNamed(fieldValue(container, "volumeMounts"), "name", name) != nil {
				out.container(c.Name).Mounts = append(out.container(c.Name).Mounts, name)
			}
		}
	}
	return out
}

// removeInjected removes the entries i names from template. It returns the
// fields it left empty: the caller drops those still empty once the new
// patch is applied, so that removing a cloud leaves no `env: []` behind and
// an updated entry keeps its field's place.
func removeInjected(template *yaml.RNode, i Injected) []emptied {
	var out []emptied
	metadata := fieldValue(template.YNode(), "metadata")
	out = append(out, removeKeysOf(metadata, "labels", i.Labels)...)
	spec := fieldValue(template.YNode(), "spec")
	out = append(out, removeElements(spec, "volumes", i.Volumes)...)
	for _, c := range i.Containers {
		container, _ := containerNamed(spec, c.Name)
		out = append(out, removeElements(container, "env", c.Env)...)
		out = append(out, removeElements(container, "volumeMounts", c.Mounts)...)
	}
	return out
}

// emptied is a map's field whose list or map removeInjected emptied.
type emptied struct {
	parent *yaml.Node
	field  string
}

// dropEmpty removes the fields that are still empty.
func dropEmpty(fields []emptied) {
	for _, f := range fields {
		if v := fieldValue(f.parent, f.field); v != nil && len(v.Content) == 0 {
			removeKeys(f.parent, []string{f.field})
		}
	}
}

// moveToFront puts the env entries named in names first, in that order:
// Kubernetes expands $(VAR) only from earlier entries, so a user variable
// that refers to one of ours must come after it (as export's strategic
// merge, which prepends, also has it).
func moveToFront(container *yaml.Node, names []string) {
	env := fieldValue(container, "env")
	if env == nil || env.Kind != yaml.SequenceNode || len(names) == 0 {
		return
	}
	var first, rest []*yaml.Node
	for _, name := range names {
		if e := elementNamed(env, "name", name); e != nil {
			first = append(first, e)
		}
	}
	for _, e := range env.Content {
		if !slices.Contains(first, e) {
			rest = append(rest, e)
		}
	}
	env.Content = append(first, rest...)
}

// nodeAt follows map keys from n; nil when one is missing or not a map.
func nodeAt(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = fieldValue(n, k)
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

// containerNamed is the container or initContainer of podSpec with that
// name, or nil, and the list it is in ("containers" when none).
func containerNamed(podSpec *yaml.Node, name string) (container *yaml.Node, list string) {
	for _, field := range []string{"containers", "initContainers"} {
		if c := elementNamed(fieldValue(podSpec, field), "name", name); c != nil {
			return c, field
		}
	}
	return nil, "containers"
}

// elementNamed is the first map in list whose key has the value name, or nil.
func elementNamed(list *yaml.Node, key, name string) *yaml.Node {
	if found := elementsNamed(list, key, name); len(found) > 0 {
		return found[0]
	}
	return nil
}

// elementsNamed are the maps in list whose key has the value name.
func elementsNamed(list *yaml.Node, key, name string) []*yaml.Node {
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	var found []*yaml.Node
	for _, e := range list.Content {
		if v := fieldValue(e, key); v != nil && v.Kind == yaml.ScalarNode && v.Value == name {
			found = append(found, e)
		}
	}
	return found
}

// removeElements drops the elements named in names from parent's list
// field; it returns the field when that left it empty.
func removeElements(parent *yaml.Node, field string, names []string) []emptied {
	list := fieldValue(parent, field)
	if list == nil || list.Kind != yaml.SequenceNode || len(names) == 0 || len(list.Content) == 0 {
		return nil
	}
	list.Content = slices.DeleteFunc(list.Content, func(e *yaml.Node) bool {
		v := fieldValue(e, "name")
		return v != nil && slices.Contains(names, v.Value)
	})
	if len(list.Content) == 0 {
		return []emptied{{parent, field}}
	}
	return nil
}

// removeKeysOf drops keys from parent's map field; it returns the field when
// that left it empty.
func removeKeysOf(parent *yaml.Node, field string, keys []string) []emptied {
	m := fieldValue(parent, field)
	if m == nil || m.Kind != yaml.MappingNode || len(keys) == 0 || len(m.Content) == 0 {
		return nil
	}
	removeKeys(m, keys)
	if len(m.Content) == 0 {
		return []emptied{{parent, field}}
	}
	return nil
}

// removeKeys drops keys from the map m.
func removeKeys(m *yaml.Node, keys []string) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	var kept []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !slices.Contains(keys, m.Content[i].Value) {
			kept = append(kept, m.Content[i], m.Content[i+1])
		}
	}
	m.Content = kept
}

// encoded is a node's data in one canonical form (map keys sorted, styles
// and comments left out), "missing" for nil: a digest of it changes with
// the data only. It walks the nodes itself; decoding into Go values and
// marshalling them cost several times more for every wired template. ok is
// false when the node's aliases expand past maxCanonicalNodes.
func encoded(n *yaml.Node) (data string, ok bool) {
	if n == nil {
		return "missing", true
	}
	w := canonicalWriter{budget: maxCanonicalNodes}
	if !w.write(n) {
		return "", false
	}
	return w.b.String(), true
}

// maxCanonicalNodes bounds the nodes the canonical form of one entry may
// visit, aliases expanded. The entries the function writes have about
// twenty; ten levels of ten aliases, a few hundred bytes of YAML, expand to
// ten billion, and an alias cycle forever.
const maxCanonicalNodes = 10_000

// canonicalWriter writes the canonical form while it has budget left.
type canonicalWriter struct {
	b      strings.Builder
	budget int
}

// write writes n; false when the budget ran out.
func (w *canonicalWriter) write(n *yaml.Node) bool {
	if w.budget--; w.budget < 0 {
		return false
	}
	b := &w.b
	switch n.Kind {
	case yaml.ScalarNode:
		b.WriteString(strconv.Quote(n.Value))
	case yaml.SequenceNode:
		b.WriteByte('[')
		for _, c := range n.Content {
			if !w.write(c) {
				return false
			}
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case yaml.MappingNode:
		keys := make([]int, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			keys = append(keys, i)
		}
		slices.SortFunc(keys, func(i, j int) int { return strings.Compare(n.Content[i].Value, n.Content[j].Value) })
		b.WriteByte('{')
		for _, i := range keys {
			b.WriteString(strconv.Quote(n.Content[i].Value))
			b.WriteByte(':')
			if !w.write(n.Content[i+1]) {
				return false
			}
			b.WriteByte(',')
		}
		b.WriteByte('}')
	case yaml.AliasNode:
		if n.Alias != nil {
			return w.write(n.Alias)
		}
	}
	return true
}

// StripStamps removes the stamp's annotations from every map below n, and a
// metadata map that held nothing else: the output as a tool that writes no
// stamp (the exported Component) gives it, for comparisons.
func StripStamps(n *yaml.Node) {
	for _, c := range n.Content {
		StripStamps(c)
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i].Value, n.Content[i+1]
		if key == "annotations" && value.Kind == yaml.MappingNode {
			removeKeys(value, StampAnnotations)
		}
	}
	for _, field := range []string{"annotations", "metadata"} {
		if v := fieldValue(n, field); v != nil && v.Kind == yaml.MappingNode && len(v.Content) == 0 {
			removeKeys(n, []string{field})
		}
	}
}
