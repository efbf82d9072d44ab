package workload

import (
	"fmt"
	"path"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// VolumeMount mounts a volume read-only into a container. It never uses
// subPath: a subPath mount is not updated when the kubelet refreshes a
// projected token, so the token would expire inside the container.
type VolumeMount struct {
	VolumeName string
	MountPath  string
}

// Filter adds the mount to container, or leaves an identical one alone. A
// mount of the same volume elsewhere, or of another volume at the same path,
// is a conflict.
func (m VolumeMount) Filter(container *yaml.RNode) (*yaml.RNode, error) {
	_, err := m.add(container)
	return container, err
}

// add is Filter, and says whether the mount was appended.
func (m VolumeMount) add(container *yaml.RNode) (bool, error) {
	if err := requireMap(container); err != nil {
		return false, err
	}
	mount := mapNode(
		keyValue{"name", stringNode(m.VolumeName)},
		keyValue{"mountPath", stringNode(m.MountPath)},
		keyValue{"readOnly", boolNode(true)},
	)
	// A mount of the same volume, or of anything at the same path, claims
	// the place.
	mountPathOf := func(e namedElement) (string, error) {
		mountPath, _, err := lookupScalar(e.Node, "mountPath", fmt.Sprintf("volumeMounts[%d].mountPath", e.Index))
		return mountPath, err
	}
	return listEntry{
		list:  "volumeMounts",
		entry: mount,
		claims: func(e namedElement) (bool, error) {
			mountPath, err := mountPathOf(e)
			return e.Name == m.VolumeName || path.Clean(mountPath) == path.Clean(m.MountPath), err
		},
		check: sameContentOr(mount, func(e namedElement) error {
			mountPath, _ := mountPathOf(e) // read without error by claims
			return &Conflict{
				Location: Location{Field: fmt.Sprintf("volumeMounts[mountPath=%s]", mountPath)},
				Message:  m.conflictMessage(e.Name, mountPath, path.Clean(mountPath) == path.Clean(m.MountPath)),
			}
		}),
	}.add(container)
}

func (m VolumeMount) conflictMessage(name, mountPath string, samePath bool) string {
	switch {
	case name != m.VolumeName:
		return fmt.Sprintf("mount path %q is already used by volume %q; the patch mounts volume %q there: "+
			"move or remove that mount", mountPath, name, m.VolumeName)
	case !samePath:
		return fmt.Sprintf("volume %q is already mounted at %q; the patch mounts it at %q: "+
			"remove that mount", name, mountPath, m.MountPath)
	default:
		return fmt.Sprintf("volume %q is already mounted at %q with other settings; the patch wants only "+
			"readOnly: true (no subPath, which would stop token refresh): change or remove that mount",
			name, mountPath)
	}
}
