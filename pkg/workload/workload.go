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
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Workload is one object that carries a pod template.
type Workload struct {
	// Object is the whole object.
	Object *yaml.RNode
	Kind   string
	Name   string
	// Namespace is metadata.namespace as written; "" when absent.
	Namespace string
	// Template holds the pod's metadata and spec: the Pod object itself for a
	// Pod.
	Template *yaml.RNode
	// TemplatePath is the path of Template from the object's root, e.g.
	// ["spec", "jobTemplate", "spec", "template"]; empty for a Pod.
	TemplatePath []string
}

// String names the workload as "Kind namespace/name" for messages.
func (w Workload) String() string { return describe(w.Kind, w.Namespace, w.Name) }

// podTemplatePaths says where each workload kind keeps its pod template. Kinds
// are matched with their API group, so a CRD that happens to be called
// Deployment is not mistaken for one.
var podTemplatePaths = map[[2]string][]string{
	{"v1", "Pod"}:              nil,
	{"v1", "PodTemplate"}:      {"template"},
	{"apps/v1", "Deployment"}:  {"spec", "template"},
	{"apps/v1", "StatefulSet"}: {"spec", "template"},
	{"apps/v1", "DaemonSet"}:   {"spec", "template"},
	{"apps/v1", "ReplicaSet"}:  {"spec", "template"},
	{"batch/v1", "Job"}:        {"spec", "template"},
	{"batch/v1", "CronJob"}:    {"spec", "jobTemplate", "spec", "template"},
}

// Locate finds the pod template of obj. ok is false for objects that carry no
// pod template we know of; err is set when obj is one of our kinds but its
// template cannot be read.
func Locate(obj *yaml.RNode) (w Workload, ok bool, err error) {
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
	path, known := podTemplatePaths[[2]string{apiVersion, kind}]
	if !known {
		return Workload{}, false, nil
	}
	w = Workload{Object: obj, Kind: kind, Template: obj, TemplatePath: path}
	if err := w.readMetadata(); err != nil {
		return Workload{}, false, err
	}
	for i, key := range path {
		next, err := lookupField(w.Template, key, yaml.MappingNode, strings.Join(path[:i+1], "."))
		if err != nil {
			return Workload{}, false, w.attributed(err)
		}
		if next == nil {
			return Workload{}, false, w.attributed(&Malformed{
				Location: Location{Field: strings.Join(path[:i+1], ".")},
				Message:  "is missing: a " + kind + " needs a pod template; add one or remove the object",
			})
		}
		w.Template = next
	}
	return w, true, nil
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
// root with the workload it is about.
func (w Workload) attributed(err error) error {
	if err == nil {
		return nil
	}
	errs := w.attribute(err, "", "")
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// templateField is the path of a field below the pod template, for messages.
func (w Workload) templateField(parts ...string) string {
	return joinPath(append([]string{strings.Join(w.TemplatePath, ".")}, parts...)...)
}

// ServiceAccountName returns the ServiceAccount the pod template runs as:
// spec.serviceAccountName, else the deprecated spec.serviceAccount, else ""
// (also when the template cannot be read; SetServiceAccountName reports that).
func (w Workload) ServiceAccountName() string {
	name, _, _ := w.serviceAccountName()
	return name
}

// serviceAccountName also says which field the name came from.
func (w Workload) serviceAccountName() (name, field string, err error) {
	spec, err := lookupField(w.Template, "spec", yaml.MappingNode, w.templateField("spec"))
	if err != nil || spec == nil {
		return "", "", err
	}
	for _, field := range []string{"serviceAccountName", "serviceAccount"} {
		name, _, err := lookupScalar(spec, field, w.templateField("spec", field))
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
func (w Workload) SetServiceAccountName(name string) error {
	current, field, err := w.serviceAccountName()
	if err != nil {
		return w.attributed(err)
	}
	if current == name {
		return nil
	}
	if current != "" {
		return w.attributed(&Conflict{
			Location: Location{Field: w.templateField("spec", field)},
			Message: fmt.Sprintf("runs as ServiceAccount %q, want %q; "+
				"set it to %q or leave this workload out of the selection", current, name, name),
		})
	}
	spec, err := createField(w.Template, "spec", yaml.MappingNode, w.templateField("spec"))
	if err != nil {
		return w.attributed(err)
	}
	if err := spec.PipeE(yaml.SetField("serviceAccountName", yaml.NewStringRNode(name))); err != nil {
		return fmt.Errorf("%s: set serviceAccountName: %w", w, err)
	}
	return nil
}
