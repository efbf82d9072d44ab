package workload

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Patch applies a plan.PodPatch to the pod template of a workload.
type Patch struct {
	Pod plan.PodPatch
	// Containers names the containers (or initContainers) to patch; empty
	// means every container and initContainer, native sidecars included.
	// ephemeralContainers are never patched: they are added to running pods
	// for debugging and have no place in a template.
	Containers []string
	// SkipContainers are left alone even when Containers selects them: a
	// pod template's own opt-out.
	SkipContainers []string
	// EnvSources resolves envFrom ConfigMaps and Secrets for conflict checks;
	// nil skips those checks.
	EnvSources EnvSources
}

// Apply applies the patch to a pod template. Volumes go on the pod spec;
// mounts and env on every selected container; labels on the template's
// metadata. All problems of the workload are returned together as a flat
// errors.Join of *Conflict and *Malformed errors, and on any error the
// workload is left as it was. Applying a patch to its own output changes
// nothing.
func (p Patch) Apply(t PodTemplate) error {
	if p.Pod.IsEmpty() {
		return nil
	}
	// Edit a copy and swap it in only when everything applied, so that an
	// error never leaves a half-patched template behind.
	template := t.Node.Copy()
	var errs []error
	for _, label := range p.Pod.Labels {
		_, err := TemplateLabel{Key: label.Key, Value: label.Value}.Filter(template)
		errs = append(errs, t.attribute(err, "", t.Field)...)
	}
	if len(p.Pod.Tokens) > 0 || len(p.Pod.ConfigMapVolumes) > 0 || len(p.Pod.Env) > 0 || len(p.Pod.DefaultEnv) > 0 {
		errs = append(errs, p.applyToPodSpec(t, template)...)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	*t.Node.YNode() = *template.YNode()
	return nil
}

// applyToPodSpec adds the volumes to the pod spec of template and the mounts
// and env to its selected containers.
func (p Patch) applyToPodSpec(t PodTemplate, template *yaml.RNode) []error {
	specPath := t.field("spec")
	spec, err := createField(template, "spec", yaml.MappingNode, "spec")
	if err != nil {
		return t.attribute(err, "", t.Field)
	}
	containers, err := selectContainers(spec, p.Containers, p.SkipContainers)
	if err != nil {
		return t.attribute(err, "", specPath)
	}
	if len(containers) == 0 {
		// Every container opted out: the pod needs no token either.
		return nil
	}
	var errs []error
	var mounts []VolumeMount
	for _, token := range p.Pod.Tokens {
		_, err := ProjectedTokenVolume{Token: token}.Filter(spec)
		errs = append(errs, t.attribute(err, "", specPath)...)
		mounts = append(mounts, VolumeMount{VolumeName: token.VolumeName, MountPath: token.MountPath})
	}
	for _, volume := range p.Pod.ConfigMapVolumes {
		_, err := ConfigMapVolume{Volume: volume}.Filter(spec)
		errs = append(errs, t.attribute(err, "", specPath)...)
		mounts = append(mounts, VolumeMount{VolumeName: volume.VolumeName, MountPath: volume.MountPath})
	}
	for _, c := range containers {
		containerPath := joinPath(specPath, c.Path)
		_, err := StaticCredentials{Credentials: p.Pod.StaticCredentials, Sources: p.EnvSources, Namespace: t.Namespace}.Filter(c.Node)
		errs = append(errs, t.attribute(err, c.Name, containerPath)...)
		for _, env := range p.Pod.Env {
			_, err := EnvVar{Name: env.Key, Value: env.Value, Sources: p.EnvSources, Namespace: t.Namespace}.Filter(c.Node)
			err = p.explainCredentialFile(err, env.Key, spec, c.Node, t.Namespace)
			errs = append(errs, t.attribute(err, c.Name, containerPath)...)
		}
		for _, env := range p.Pod.DefaultEnv {
			_, err := EnvVar{Name: env.Key, Value: env.Value, Sources: p.EnvSources, Namespace: t.Namespace, Default: true}.Filter(c.Node)
			errs = append(errs, t.attribute(err, c.Name, containerPath)...)
		}
		for _, mount := range mounts {
			_, err := mount.Filter(c.Node)
			errs = append(errs, t.attribute(err, c.Name, containerPath)...)
		}
	}
	return errs
}

// selectedContainer is a container or initContainer the patch applies to.
type selectedContainer struct {
	Name string
	Node *yaml.RNode
	// Path is relative to the pod spec, e.g. initContainers[name=proxy].
	Path string
}

// selectContainers returns the containers and initContainers of podSpec
// named in names, or all of them when names is empty, less those in skip.
// Naming only containers the pod does not have is a conflict: the selection
// is wrong.
func selectContainers(podSpec *yaml.RNode, names, skip []string) ([]selectedContainer, error) {
	var all []selectedContainer
	var described []string
	for _, field := range []string{"containers", "initContainers"} {
		list, err := lookupField(podSpec, field, yaml.SequenceNode, field)
		if err != nil {
			return nil, err
		}
		elements, err := namedElements(list, field)
		if err != nil {
			return nil, err
		}
		for _, e := range elements {
			all = append(all, selectedContainer{
				Name: e.Name,
				Node: e.Node,
				Path: fmt.Sprintf("%s[name=%s]", field, e.Name),
			})
			described = append(described, fmt.Sprintf("%s (%s)", e.Name, field))
		}
	}
	if len(all) == 0 {
		return nil, &Malformed{Location: Location{Field: "containers"}, Message: "the pod template has no containers; add one"}
	}
	var selected []selectedContainer
	for _, c := range all {
		if len(names) == 0 || slices.Contains(names, c.Name) {
			selected = append(selected, c)
		}
	}
	if len(selected) == 0 {
		return nil, &Conflict{
			Location: Location{Field: "containers"},
			Message: fmt.Sprintf("none of the selected containers %s exists; the pod template has %s: "+
				"fix the container selection", strings.Join(names, ", "), strings.Join(described, ", ")),
		}
	}
	return slices.DeleteFunc(selected, func(c selectedContainer) bool { return slices.Contains(skip, c.Name) }), nil
}
