package plan

import "slices"

// ContainerPatch is what the containers of one spec.containers entry get in
// place of the pod patch's env and ConfigMap mounts: the same tokens (one
// per audience, so the same subject everywhere), their own role, Google
// service account or client ID.
type ContainerPatch struct {
	// Identity names the entry ("spec.containers[0]") in the stamp and in
	// messages.
	Identity string
	// Names are the containers (or initContainers) it is for.
	Names []string
	// Env, DefaultEnv and ConfigMapVolumes replace the pod patch's for
	// these containers.
	Env              []KeyValue
	DefaultEnv       []KeyValue
	ConfigMapVolumes []ConfigMapVolume
}

// Container is what the named container gets: the ContainerPatch of its
// spec.containers entry, or the pod patch's own env and ConfigMap mounts
// (with no Identity) when no entry names it.
func (p PodPatch) Container(name string) ContainerPatch {
	for _, c := range p.Containers {
		if slices.Contains(c.Names, name) {
			return c
		}
	}
	return ContainerPatch{Env: p.Env, DefaultEnv: p.DefaultEnv, ConfigMapVolumes: p.ConfigMapVolumes}
}

// AddContainers gives the containers of one spec.containers entry (names,
// at identity) the pod patch of the plan of that entry's view of the spec
// (v1alpha1.Spec.ForContainers). The view's ConfigMaps the plan lacks are
// emitted too: a Google service account's credential configuration is
// named after it, so one name always holds one content and containers that
// share an account share its ConfigMap.
func (p *Plan) AddContainers(identity string, names []string, view Plan) {
	p.ConfigMaps = appendConfigMaps(p.ConfigMaps, view.ConfigMaps)
	p.Pod.Containers = append(p.Pod.Containers, view.Pod.containerPatch(identity, names))
	if p.Windows != nil && view.Windows != nil {
		p.Windows.ConfigMaps = appendConfigMaps(p.Windows.ConfigMaps, view.Windows.ConfigMaps)
		p.Windows.Pod.Containers = append(p.Windows.Pod.Containers, view.Windows.Pod.containerPatch(identity, names))
	}
	if view.WindowsErr != nil && p.WindowsErr == nil {
		p.WindowsErr = view.WindowsErr
	}
}

// containerPatch is the part of a view's pod patch that differs by
// container.
func (p PodPatch) containerPatch(identity string, names []string) ContainerPatch {
	return ContainerPatch{Identity: identity, Names: names, Env: p.Env, DefaultEnv: p.DefaultEnv, ConfigMapVolumes: p.ConfigMapVolumes}
}

func appendConfigMaps(to, more []ConfigMap) []ConfigMap {
	for _, cm := range more {
		if !slices.ContainsFunc(to, func(c ConfigMap) bool { return c.Name == cm.Name }) {
			to = append(to, cm)
		}
	}
	return to
}
