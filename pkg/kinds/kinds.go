// Package kinds is the one table of object kinds that carry pod templates,
// keyed by API group and kind, with where each keeps its templates. The spec's
// validation checks spec.workloads.selector.kinds against it, pkg/workload
// finds templates with it, and the tests generate and decode workloads from
// it: a new kind is one row here.
//
// Kinds are keyed by group, not by kind alone: Knative's Service is not the
// core Service, and OpenKruise's StatefulSet is not apps/v1's.
package kinds

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is one kind of object with pod templates.
type Kind struct {
	// Group is the API group; "" is the core group.
	Group string
	// Versions are the API versions read; a template path can differ
	// between versions, so an unlisted version is not guessed at.
	Versions []string
	Kind     string
	// Paths are where the pod templates are (see Path for the grammar).
	Paths []Path
}

// APIVersions lists the apiVersion values (group/version, or version for the
// core group) the row reads.
func (k Kind) APIVersions() []string {
	out := make([]string, len(k.Versions))
	for i, v := range k.Versions {
		out[i] = apiVersion(k.Group, v)
	}
	return out
}

// String is the kind as a selector writes it: Kind for the core group, else
// Kind.group.
func (k Kind) String() string {
	if k.Group == "" {
		return k.Kind
	}
	return k.Kind + "." + k.Group
}

// Selects reports whether a selector entry, "Kind" or "Kind.group", names
// this kind. A bare Kind names that kind in every group of the table.
func (k Kind) Selects(entry string) bool {
	kind, group, grouped := strings.Cut(entry, ".")
	if kind != k.Kind {
		return false
	}
	return !grouped || group == k.Group
}

func apiVersion(group, version string) string {
	if group == "" {
		return version
	}
	return group + "/" + version
}

// Table is a list of kinds; a lookup is a scan, which beats a map at this size.
type Table []Kind

// Builtin are the kinds the function knows without being told: Kubernetes'
// own workload kinds.
var Builtin = Table{
	{Group: "", Versions: []string{"v1"}, Kind: "Pod", Paths: []Path{Root}},
	{Group: "apps", Versions: []string{"v1"}, Kind: "Deployment", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "apps", Versions: []string{"v1"}, Kind: "StatefulSet", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "apps", Versions: []string{"v1"}, Kind: "DaemonSet", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "apps", Versions: []string{"v1"}, Kind: "ReplicaSet", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "batch", Versions: []string{"v1"}, Kind: "Job", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "batch", Versions: []string{"v1"}, Kind: "CronJob", Paths: []Path{MustParsePath("spec.jobTemplate.spec.template")}},
	{Group: "", Versions: []string{"v1"}, Kind: "PodTemplate", Paths: []Path{MustParsePath("template")}},
}

// Lookup finds the row for an object's apiVersion and kind.
func (t Table) Lookup(apiVersion, kind string) (Kind, bool) {
	for _, k := range t {
		if k.Kind == kind && slices.Contains(k.APIVersions(), apiVersion) {
			return k, true
		}
	}
	return Kind{}, false
}

// Selects reports whether a selector entry names at least one kind of the
// table.
func (t Table) Selects(entry string) bool {
	return slices.ContainsFunc(t, func(k Kind) bool { return k.Selects(entry) })
}

// Names lists the kind names of the table once each, in table order, for
// messages.
func (t Table) Names() []string {
	var out []string
	for _, k := range t {
		if !slices.Contains(out, k.Kind) {
			out = append(out, k.Kind)
		}
	}
	return out
}

// Path is where pod templates sit in an object, from its root: field names
// joined by ".", with "[*]" after a field for every element of a list and "*"
// for every value of a map, e.g. spec.template,
// spec.replicatedJobs[*].template.spec.template,
// spec.pytorchReplicaSpecs.*.template. The empty path is the object itself
// (a Pod is its own template).
type Path struct {
	steps []Step
	text  string
}

// Step is one step of a Path.
type Step struct {
	// Field is the map key to descend into; "" for the wildcards.
	Field string
	// EachElement descends into every element of a list.
	EachElement bool
	// EachValue descends into every value of a map.
	EachValue bool
}

// Root is the path of an object that is its own pod template.
var Root = Path{}

// ParsePath reads a path in the grammar of Path.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return Root, nil
	}
	var steps []Step
	for i, part := range strings.Split(s, ".") {
		switch {
		case part == "*":
			if i == 0 {
				return Path{}, fmt.Errorf("path %q starts with *; want a field name first, e.g. spec.replicaSpecs.*.template", s)
			}
			steps = append(steps, Step{EachValue: true})
		case strings.HasSuffix(part, "[*]"):
			field := strings.TrimSuffix(part, "[*]")
			if !isFieldName(field) {
				return Path{}, fmt.Errorf("path %q: %q is not a field name followed by [*]", s, part)
			}
			steps = append(steps, Step{Field: field}, Step{EachElement: true})
		case isFieldName(part):
			steps = append(steps, Step{Field: part})
		default:
			return Path{}, fmt.Errorf("path %q: %q is not a field name; want letters, digits and _ joined by '.', with [*] for every list element and * for every map value", s, part)
		}
	}
	return Path{steps: steps, text: s}, nil
}

// MustParsePath is ParsePath for the table's own rows.
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

// Steps are the path's steps in order.
func (p Path) Steps() []Step { return slices.Clone(p.steps) }

// String is the path as written.
func (p Path) String() string { return p.text }

// Fixed reports whether the path has no wildcard: it names at most one
// template.
func (p Path) Fixed() bool {
	return !slices.ContainsFunc(p.steps, func(s Step) bool { return s.Field == "" })
}

// Fields are the field names of a fixed path (nil for Root).
func (p Path) Fields() []string {
	var out []string
	for _, s := range p.steps {
		out = append(out, s.Field)
	}
	return out
}

func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
