package workload

import (
	"errors"
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
	if err := requireMap(container); err != nil {
		return container, err
	}
	mount := mapNode(
		keyValue{"name", stringNode(m.VolumeName)},
		keyValue{"mountPath", stringNode(m.MountPath)},
		keyValue{"readOnly", boolNode(true)},
	)
	mounts, err := lookupField(container, "volumeMounts", yaml.SequenceNode, "volumeMounts")
	if err != nil {
		return container, err
	}
	existing, err := namedElements(mounts, "volumeMounts")
	if err != nil {
		return container, err
	}
	var conflicts []error
	found := false
	for _, e := range existing {
		mountPath, _, err := lookupScalar(e.Node, "mountPath", fmt.Sprintf("volumeMounts[%d].mountPath", e.Index))
		if err != nil {
			return container, err
		}
		samePath := path.Clean(mountPath) == path.Clean(m.MountPath)
		if e.Name != m.VolumeName && !samePath {
			continue
		}
		if sameContent(e.Node.YNode(), mount.YNode()) {
			found = true
			continue
		}
		conflicts = append(conflicts, &Conflict{
			Location: Location{Field: fmt.Sprintf("volumeMounts[mountPath=%s]", mountPath)},
			Message:  m.conflictMessage(e.Name, mountPath, samePath),
		})
	}
	if len(conflicts) > 0 {
		return container, errors.Join(conflicts...)
	}
	if found {
		return container, nil
	}
	mounts, err = createField(container, "volumeMounts", yaml.SequenceNode, "volumeMounts")
	if err != nil {
		return container, err
	}
	return container, appendElement(mounts, mount)
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
