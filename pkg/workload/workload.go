// Package workload edits pod templates: it finds the pod template of a
// workload and applies a plan.PodPatch to it (projected service account
// tokens, ConfigMap volumes, read-only mounts, env vars, labels). It is the
// only package that edits pod templates, and it never knows which cloud a
// patch serves.
//
// Edits are made in place on kyaml RNodes, so comments, key order, unknown
// fields and annotations survive. A value the user already set differently is
// never overwritten: it is a *Conflict. Applying a patch to its own output
// changes nothing.
package workload

import (
	"errors"
	"fmt"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/kinds"
)

// Workload is one object that carries pod templates.
type Workload struct {
	object
	// Templates are its pod templates, in the order of the kind's paths and,
	// below a wildcard, of the list or map.
	Templates []PodTemplate
}

// object is the object a template is in, and its names for messages.
type object struct {
	// Object is the whole object.
	Object *yaml.RNode
	Kind   string
	Name   string
	// Namespace is metadata.namespace as written; "" when absent.
	Namespace string
}

// String names the object as "Kind namespace/name" for messages.
func (o object) String() string { return describe(o.Kind, o.Namespace, o.Name) }

// PodTemplate is one pod template of a workload: the node holding the pod's
// metadata and spec (the Pod object itself for a Pod).
type PodTemplate struct {
	object
	Node *yaml.RNode
	// Path is the kinds-table path the template was found by.
	Path kinds.Path
	// Field is the template's own path from the object's root, with list
	// indexes and map keys filled in (spec.workers[1].template); "" for a Pod.
	Field string
	// Fields are the map keys from the root to the template, when no list
	// is crossed (a strategic merge patch can address it by them); nil for
	// a Pod or a template inside a list element.
	Fields []string
	// InList says the path crosses a list element.
	InList bool
}

// PodTemplateLocator finds the pod templates of objects whose kinds are in
// its table.
type PodTemplateLocator struct {
	Kinds kinds.Table
}

// BuiltinLocator knows Kubernetes' own workload kinds.
var BuiltinLocator = PodTemplateLocator{Kinds: kinds.Builtin}

// Locate finds the pod templates of obj. ok is false for objects of kinds the
// table does not have; err is set when obj is of a known kind but a template
// cannot be read.
func (l PodTemplateLocator) Locate(obj *yaml.RNode) (w Workload, ok bool, err error) {
	if obj.IsNil() || (obj.Document().Kind == yaml.DocumentNode && len(obj.Document().Content) == 0) {
		return Workload{}, false, fmt.Errorf("locate pod template: empty object")
	}
	if obj.YNode().Kind != yaml.MappingNode {
		return Workload{}, false, fmt.Errorf("locate pod template: object is %s, want a map", kindName(obj.YNode()))
	}
	apiVersion, _, err := lookupScalar(obj, "apiVersion", "apiVersion")
	if err != nil {
		return Workload{}, false, fmt.Errorf("locate pod template: %w", err)
	}
	kind, _, err := lookupScalar(obj, "kind", "kind")
	if err != nil {
		return Workload{}, false, fmt.Errorf("locate pod template: %w", err)
	}
	row, known := l.Kinds.Lookup(apiVersion, kind)
	if !known {
		return Workload{}, false, nil
	}
	w = Workload{object: object{Object: obj, Kind: kind}}
	if err := w.readMetadata(); err != nil {
		return Workload{}, false, err
	}
	for _, path := range row.Paths {
		found, err := w.follow(obj, path, path.Steps(), location{})
		if err != nil {
			return Workload{}, false, w.attributed(err)
		}
		w.Templates = append(w.Templates, found...)
	}
	return w, true, nil
}

// follow walks the remaining steps of path from node, whose own path is at,
// and returns every template at their end. A fixed step that is missing is
// malformed (the kind needs it); a wildcard over an empty list or map finds
// nothing, which is how such kinds say "no replicas of this role".
func (w Workload) follow(node *yaml.RNode, path kinds.Path, steps []kinds.Step, at location) ([]PodTemplate, error) {
	if len(steps) == 0 {
		return []PodTemplate{{object: w.object, Node: node, Path: path, Field: at.field, Fields: at.fields, InList: at.inList}}, nil
	}
	step := steps[0]
	switch {
	case step.EachElement:
		var out []PodTemplate
		for i, element := range node.YNode().Content {
			found, err := w.follow(yaml.NewRNode(element), path, steps[1:], at.element(i))
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		}
		return out, nil
	case step.EachValue:
		var out []PodTemplate
		content := node.YNode().Content
		for i := 0; i+1 < len(content); i += 2 {
			found, err := w.follow(yaml.NewRNode(content[i+1]), path, steps[1:], at.key(content[i].Value))
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		}
		return out, nil
	}
	field := joinPath(at.field, step.Field)
	want := yaml.MappingNode
	if len(steps) > 1 && steps[1].EachElement {
		want = yaml.SequenceNode
	}
	next, err := lookupField(node, step.Field, want, field)
	if err != nil {
		return nil, err
	}
	if next == nil {
		if step.Optional || len(steps) > 1 && (steps[1].EachElement || steps[1].EachValue) {
			return nil, nil
		}
		return nil, &Malformed{
			Location: Location{Field: field},
			Message:  "is missing: a " + w.Kind + " needs a pod template; add one or remove the object",
		}
	}
	return w.follow(next, path, steps[1:], at.key(step.Field))
}

// location is where follow is in an object: the path for messages, and the
// map keys while no list has been crossed.
type location struct {
	field  string
	fields []string
	inList bool
}

func (l location) key(k string) location {
	return location{field: joinPath(l.field, k), fields: append(slices.Clone(l.fields), k), inList: l.inList}
}

func (l location) element(i int) location {
	return location{field: fmt.Sprintf("%s[%d]", l.field, i), inList: true}
}

func (w *Workload) readMetadata() error {
	metadata, err := lookupField(w.Object, "metadata", yaml.MappingNode, "metadata")
	if err != nil || metadata == nil {
		return w.attributed(err)
	}
	if w.Name, _, err = lookupScalar(metadata, "name", "metadata.name"); err != nil {
		return w.attributed(err)
	}
	if w.Namespace, _, err = lookupScalar(metadata, "namespace", "metadata.namespace"); err != nil {
		return w.attributed(err)
	}
	return nil
}

// attributed completes an error whose field path is relative to the object's
// root with the object it is about.
func (o object) attributed(err error) error {
	if err == nil {
		return nil
	}
	errs := o.attribute(err, "", "")
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// field is the path of a field below the pod template, for messages.
func (t PodTemplate) field(parts ...string) string {
	return joinPath(append([]string{t.Field}, parts...)...)
}

// ServiceAccountName returns the ServiceAccount the pod template runs as:
// spec.serviceAccountName, else the deprecated spec.serviceAccount, else ""
// (also when the template cannot be read; SetServiceAccountName reports that).
func (t PodTemplate) ServiceAccountName() string {
	name, _, _ := t.serviceAccountName()
	return name
}

// serviceAccountName also says which field the name came from.
func (t PodTemplate) serviceAccountName() (name, field string, err error) {
	spec, err := lookupField(t.Node, "spec", yaml.MappingNode, t.field("spec"))
	if err != nil || spec == nil {
		return "", "", err
	}
	for _, field := range []string{"serviceAccountName", "serviceAccount"} {
		name, _, err := lookupScalar(spec, field, t.field("spec", field))
		if err != nil {
			return "", "", err
		}
		if name != "" {
			return name, field, nil
		}
	}
	return "", "", nil
}

// SetServiceAccountName makes the pod template run as the ServiceAccount
// name. It never overwrites: a template that already runs as another
// ServiceAccount (in either field) is a *Conflict, and one that already runs
// as name is left alone.
func (t PodTemplate) SetServiceAccountName(name string) error {
	current, field, err := t.serviceAccountName()
	if err != nil {
		return t.attributed(err)
	}
	if current == name {
		return nil
	}
	if current != "" {
		return t.attributed(&Conflict{
			Location: Location{Field: t.field("spec", field)},
			Message: fmt.Sprintf("runs as ServiceAccount %q, want %q; "+
				"set it to %q or leave this workload out of the selection", current, name, name),
		})
	}
	spec, err := createField(t.Node, "spec", yaml.MappingNode, t.field("spec"))
	if err != nil {
		return t.attributed(err)
	}
	if err := spec.PipeE(yaml.SetField("serviceAccountName", yaml.NewRNode(stringNode(name)))); err != nil {
		return fmt.Errorf("%s: set serviceAccountName: %w", t, err)
	}
	return nil
}

// Annotations are the pod template's own annotations (metadata.annotations
// of the template, or of a Pod).
func (t PodTemplate) Annotations() (map[string]string, error) {
	metadata, err := lookupField(t.Node, "metadata", yaml.MappingNode, t.field("metadata"))
	if err != nil || metadata == nil {
		return nil, t.attributed(err)
	}
	annotations, err := lookupField(metadata, "annotations", yaml.MappingNode, t.field("metadata", "annotations"))
	if err != nil || annotations == nil {
		return nil, t.attributed(err)
	}
	out := map[string]string{}
	content := annotations.YNode().Content
	for i := 0; i+1 < len(content); i += 2 {
		if content[i+1].Kind != yaml.ScalarNode {
			return nil, t.attributed(wrongKind(t.field("metadata", "annotations", content[i].Value), content[i+1], yaml.ScalarNode))
		}
		out[content[i].Value] = content[i+1].Value
	}
	return out, nil
}

// RunsOnWindows reports whether the pod template is scheduled on Windows
// nodes: spec.os.name, or the node selector on kubernetes.io/os (or its
// older beta label), as the clouds' webhooks tell.
func (t PodTemplate) RunsOnWindows() (bool, error) {
	spec, err := lookupField(t.Node, "spec", yaml.MappingNode, t.field("spec"))
	if err != nil || spec == nil {
		return false, t.attributed(err)
	}
	if podOS, err := lookupField(spec, "os", yaml.MappingNode, t.field("spec", "os")); err != nil {
		return false, t.attributed(err)
	} else if podOS != nil {
		name, _, err := lookupScalar(podOS, "name", t.field("spec", "os", "name"))
		if err != nil {
			return false, t.attributed(err)
		}
		if name != "" {
			return name == "windows", nil
		}
	}
	selector, err := lookupField(spec, "nodeSelector", yaml.MappingNode, t.field("spec", "nodeSelector"))
	if err != nil || selector == nil {
		return false, t.attributed(err)
	}
	for _, key := range []string{"kubernetes.io/os", "beta.kubernetes.io/os"} {
		value, _, err := lookupScalar(selector, key, t.field("spec", "nodeSelector", key))
		if err != nil {
			return false, t.attributed(err)
		}
		if value != "" {
			return value == "windows", nil
		}
	}
	return false, nil
}
