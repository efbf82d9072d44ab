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
	// Stamp, when its Spec is set, is written on the template with what
	// the patch injected; an earlier stamp of the same spec lets the patch
	// update or remove its own entries. Empty: no stamp is read or written.
	Stamp Stamp
}

// Apply applies the patch to a pod template. Volumes go on the pod spec;
// mounts and env on every selected container, our env first; labels on the
// template's metadata. All problems of the workload are returned together as
// a flat errors.Join of *Conflict and *Malformed errors, and on any error the
// workload is left as it was. Applying a patch to its own output changes
// nothing.
//
// With a stamp, the entries an earlier run of the same spec injected are
// removed first, while they are as that run wrote them, so a changed value is
// updated and a removed cloud's entries go; a user's value is still never
// overwritten. A template stamped by another spec is a *Conflict: two specs
// for one pod would compete.
func (p Patch) Apply(t PodTemplate) error {
	_, err := p.apply(t)
	return err
}

// Missing returns what Apply would add to the template, without changing
// it: empty when every entry of the patch is in place. A value that differs
// is a *Conflict, as in Apply.
func (p Patch) Missing(t PodTemplate) (Injected, error) {
	scratch := t
	scratch.Node = t.Node.Copy()
	p.Stamp = Stamp{}
	return p.apply(scratch)
}

// apply is Apply, and returns what it added.
func (p Patch) apply(t PodTemplate) (Injected, error) {
	stamping := p.Stamp.Spec != ""
	if p.Pod.IsEmpty() && !stamping {
		return Injected{}, nil
	}
	// Edit a copy and swap it in only when everything applied, so that an
	// error never leaves a half-patched template behind.
	template := t.Node.Copy()
	var kept Injected
	var emptiedFields []emptied
	if stamping {
		previous, found, err := t.ReadStamp()
		if err != nil {
			return Injected{}, err
		}
		if found && previous.Spec != p.Stamp.Spec {
			return Injected{}, t.attributed(&Conflict{
				Location: Location{Field: t.field("metadata", "annotations", "["+StampSpec+"]")},
				Message: fmt.Sprintf("is already wired by CrossCloudAccess %q for %s; a second spec for the same pods would compete with it: "+
					"merge the two specs into one, or remove the crosscloud.dev/ stamp annotations if that spec is gone", previous.Spec, previous.Subject),
			})
		}
		if found {
			ours, err := previous.Injected.heldAsWritten(template, previous.InjectedDigest)
			if err != nil {
				return Injected{}, errors.Join(t.attribute(err, "", t.Field)...)
			}
			if ours {
				emptiedFields = removeInjected(template, previous.Injected)
			} else {
				// Someone edited our entries, or wrote another entry of
				// one of their names, since: what is left of them is
				// checked like a user's value, and stays recorded.
				kept = previous.Injected
			}
		}
	}
	var errs []error
	var added Injected
	if p.Pod.HostNetworkUnsupported != "" {
		errs = append(errs, t.refuseHostNetwork(p.Pod.HostNetworkUnsupported)...)
	}
	for _, label := range p.Pod.Labels {
		set, err := TemplateLabel{Key: label.Key, Value: label.Value}.set(template)
		errs = append(errs, t.attribute(err, "", t.Field)...)
		if set {
			added.Labels = append(added.Labels, label.Key)
		}
	}
	// A webhook mode adds nothing to the containers, but its credentials
	// lose to static ones all the same: those are checked in every mode.
	if len(p.Pod.Tokens) > 0 || len(p.Pod.ConfigMapVolumes) > 0 || len(p.Pod.Env) > 0 || len(p.Pod.DefaultEnv) > 0 || len(p.Pod.StaticCredentials) > 0 {
		errs = append(errs, p.applyToPodSpec(t, template, &added)...)
	}
	if len(errs) > 0 {
		return Injected{}, errors.Join(errs...)
	}
	dropEmpty(emptiedFields)
	if stamping {
		stamp := p.Stamp
		patched := t
		patched.Node = template
		identities, err := p.Identities(patched)
		if err != nil {
			return Injected{}, err
		}
		stamp.Identities = identities
		stamp.Injected = added.union(kept.present(template))
		if !stamp.Injected.IsEmpty() {
			digest, err := injectedDigest(template, stamp.Injected)
			if err != nil {
				return Injected{}, errors.Join(t.attribute(err, "", t.Field)...)
			}
			stamp.InjectedDigest = digest
		}
		if err := writeStamp(template, stamp); err != nil {
			return Injected{}, t.attributed(err)
		}
	}
	*t.Node.YNode() = *template.YNode()
	return added, nil
}

// applyToPodSpec adds the volumes to the pod spec of template and the mounts
// and env to its selected containers, recording in added what it added.
func (p Patch) applyToPodSpec(t PodTemplate, template *yaml.RNode, added *Injected) []error {
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
	var tokenMounts []VolumeMount
	for _, token := range p.Pod.Tokens {
		appended, err := ProjectedTokenVolume{Token: token}.add(spec)
		errs = append(errs, t.attribute(err, "", specPath)...)
		if appended {
			added.Volumes = append(added.Volumes, token.VolumeName)
		}
		tokenMounts = append(tokenMounts, VolumeMount{VolumeName: token.VolumeName, MountPath: token.MountPath})
	}
	// Each ConfigMap volume is added once, when a selected container
	// mounts it: a container with an identity of its own mounts its own.
	for _, volume := range p.configMapVolumes(containers) {
		appended, err := ConfigMapVolume{Volume: volume}.add(spec)
		errs = append(errs, t.attribute(err, "", specPath)...)
		if appended {
			added.Volumes = append(added.Volumes, volume.VolumeName)
		}
	}
	for _, c := range containers {
		containerPath := joinPath(specPath, c.Path)
		own := p.Pod.Container(c.Name)
		_, err := StaticCredentials{Credentials: p.Pod.StaticCredentials, Sources: p.EnvSources, Namespace: t.Namespace}.Filter(c.Node)
		errs = append(errs, t.attribute(err, c.Name, containerPath)...)
		var env, mounted []string
		for _, e := range own.Env {
			appended, err := EnvVar{Name: e.Key, Value: e.Value, Sources: p.EnvSources, Namespace: t.Namespace}.add(c.Node)
			err = p.explainCredentialFile(err, e.Key, spec, c.Node, t.Namespace)
			errs = append(errs, t.attribute(err, c.Name, containerPath)...)
			if appended {
				env = append(env, e.Key)
			}
		}
		for _, e := range own.DefaultEnv {
			appended, err := EnvVar{Name: e.Key, Value: e.Value, Sources: p.EnvSources, Namespace: t.Namespace, Default: true}.add(c.Node)
			errs = append(errs, t.attribute(err, c.Name, containerPath)...)
			if appended {
				env = append(env, e.Key)
			}
		}
		moveToFront(c.Node.YNode(), env)
		mounts := slices.Clone(tokenMounts)
		for _, volume := range own.ConfigMapVolumes {
			mounts = append(mounts, VolumeMount{VolumeName: volume.VolumeName, MountPath: volume.MountPath})
		}
		for _, mount := range mounts {
			appended, err := mount.add(c.Node)
			errs = append(errs, t.attribute(err, c.Name, containerPath)...)
			if appended {
				mounted = append(mounted, mount.VolumeName)
			}
		}
		if len(env) > 0 || len(mounted) > 0 {
			added.Containers = append(added.Containers, InjectedContainer{Name: c.Name, Env: env, Mounts: mounted})
		}
	}
	return errs
}

// configMapVolumes are the ConfigMap volumes the containers mount: of the
// pod patch's and then each spec.containers entry's, those a container
// mounts, each once.
func (p Patch) configMapVolumes(containers []selectedContainer) []plan.ConfigMapVolume {
	all := slices.Clone(p.Pod.ConfigMapVolumes)
	for _, group := range p.Pod.Containers {
		all = append(all, group.ConfigMapVolumes...)
	}
	var out []plan.ConfigMapVolume
	for _, v := range all {
		mounted := slices.ContainsFunc(containers, func(c selectedContainer) bool {
			return slices.Contains(p.Pod.Container(c.Name).ConfigMapVolumes, v)
		})
		if mounted && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Identities are the identities of their own (spec.containers) that the
// containers of the template the patch selects get, as the stamp records
// them; empty when none has one.
func (p Patch) Identities(t PodTemplate) (Identities, error) {
	if len(p.Pod.Containers) == 0 {
		return nil, nil
	}
	spec, err := lookupField(t.Node, "spec", yaml.MappingNode, t.field("spec"))
	if err != nil || spec == nil {
		return nil, t.attributed(err)
	}
	containers, err := selectContainers(spec, p.Containers, p.SkipContainers)
	if err != nil {
		return nil, errors.Join(t.attribute(err, "", t.field("spec"))...)
	}
	return p.identities(containers), nil
}

// identities groups the containers that have an identity of their own by
// that identity, in the order of the pod patch's entries.
func (p Patch) identities(containers []selectedContainer) Identities {
	var out Identities
	for _, group := range p.Pod.Containers {
		var names []string
		for _, c := range containers {
			if slices.Contains(group.Names, c.Name) {
				names = append(names, c.Name)
			}
		}
		if len(names) > 0 {
			out = append(out, IdentityContainers{Identity: group.Identity, Containers: names})
		}
	}
	return out
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

// refuseHostNetwork is a *Conflict when the template runs on the host
// network (spec.hostNetwork: true), where the credentials would not reach it,
// for the reason given.
func (t PodTemplate) refuseHostNetwork(reason string) []error {
	spec, err := lookupField(t.Node, "spec", yaml.MappingNode, t.field("spec"))
	if err != nil || spec == nil {
		return t.attribute(err, "", t.Field)
	}
	on, _, err := lookupScalar(spec, "hostNetwork", t.field("spec", "hostNetwork"))
	if err != nil || on != "true" {
		return t.attribute(err, "", t.Field)
	}
	return []error{t.attributed(&Conflict{
		Location: Location{Field: t.field("spec", "hostNetwork")},
		Message:  "is true: " + reason,
	})}
}
