// Package plan holds the plain values that sit between a validated spec and the
// YAML edits: what each cloud target needs on the ServiceAccount, which objects
// it adds, and what it needs in every selected pod template. Nothing here
// touches YAML nodes, so every target's plan can be compared in unit tests.
package plan

// Target is what one cloud needs for one ServiceAccount.
type Target struct {
	// Name identifies the cloud ("aws", "gcp", "azure") in messages.
	Name string
	// Mode is the resolved mode, e.g. "projected" or "webhook".
	Mode string
	// ServiceAccountAnnotations are set on the ServiceAccount.
	ServiceAccountAnnotations []KeyValue
	// ConfigMaps are emitted beside the ServiceAccount, in its namespace.
	ConfigMaps []ConfigMap
	// Pod is applied to every selected pod template; empty for webhook modes.
	Pod PodPatch
}

// KeyValue is one ordered entry of a string map; order is kept so output is
// stable and reads in a sensible order.
type KeyValue struct {
	Key   string
	Value string
}

// ConfigMap is a ConfigMap the target emits.
type ConfigMap struct {
	Name string
	Data []KeyValue
}

// PodPatch is everything a target adds to a pod template.
type PodPatch struct {
	// Labels are set on the pod template's metadata.
	Labels []KeyValue
	// Tokens are projected service account token volumes, one per audience.
	Tokens []ProjectedToken
	// ConfigMapVolumes mount a ConfigMap into every selected container.
	ConfigMapVolumes []ConfigMapVolume
	// Env is set on every selected container.
	Env []KeyValue
}

// IsEmpty reports whether the patch changes nothing.
func (p PodPatch) IsEmpty() bool {
	return len(p.Labels) == 0 && len(p.Tokens) == 0 && len(p.ConfigMapVolumes) == 0 && len(p.Env) == 0
}

// ProjectedToken is a projected volume with one serviceAccountToken source,
// mounted read-only at MountPath in every selected container. The token file is
// MountPath + "/" + Path.
type ProjectedToken struct {
	VolumeName        string
	MountPath         string
	Path              string
	Audience          string
	ExpirationSeconds int64
}

// File is the path of the token file inside the container.
func (t ProjectedToken) File() string { return t.MountPath + "/" + t.Path }

// ConfigMapVolume is a ConfigMap volume mounted read-only at MountPath.
type ConfigMapVolume struct {
	VolumeName    string
	ConfigMapName string
	MountPath     string
}
