package workload

import (
	"fmt"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ProjectedTokenVolume adds a projected volume with one service account token
// source to a pod spec (the node holding containers and volumes).
type ProjectedTokenVolume struct {
	Token plan.ProjectedToken
}

// Filter adds the volume to podSpec, or leaves an identical one alone.
func (v ProjectedTokenVolume) Filter(podSpec *yaml.RNode) (*yaml.RNode, error) {
	_, err := v.add(podSpec)
	return podSpec, err
}

// add is Filter, and says whether the volume was appended.
func (v ProjectedTokenVolume) add(podSpec *yaml.RNode) (bool, error) {
	if err := requireMap(podSpec); err != nil {
		return false, err
	}
	source := mapNode(
		keyValue{"audience", stringNode(v.Token.Audience)},
		keyValue{"expirationSeconds", intNode(v.Token.ExpirationSeconds)},
		keyValue{"path", stringNode(v.Token.Path)},
	)
	volume := mapNode(
		keyValue{"name", stringNode(v.Token.VolumeName)},
		keyValue{"projected", mapNode(keyValue{"sources", listNode(
			mapNode(keyValue{"serviceAccountToken", source.YNode()}),
		).YNode()}).YNode()},
	)
	purpose := fmt.Sprintf("a service account token for audience %q", v.Token.Audience)
	return addVolume(podSpec, v.Token.VolumeName, volume, purpose)
}

// ConfigMapVolume adds a volume of a ConfigMap's keys to a pod spec.
type ConfigMapVolume struct {
	Volume plan.ConfigMapVolume
}

// Filter adds the volume to podSpec, or leaves an identical one alone.
func (v ConfigMapVolume) Filter(podSpec *yaml.RNode) (*yaml.RNode, error) {
	_, err := v.add(podSpec)
	return podSpec, err
}

// add is Filter, and says whether the volume was appended.
func (v ConfigMapVolume) add(podSpec *yaml.RNode) (bool, error) {
	if err := requireMap(podSpec); err != nil {
		return false, err
	}
	volume := mapNode(
		keyValue{"name", stringNode(v.Volume.VolumeName)},
		keyValue{"configMap", mapNode(keyValue{"name", stringNode(v.Volume.ConfigMapName)}).YNode()},
	)
	purpose := fmt.Sprintf("ConfigMap %q", v.Volume.ConfigMapName)
	return addVolume(podSpec, v.Volume.VolumeName, volume, purpose)
}

// addVolume appends volume to podSpec.volumes unless a volume of that name
// exists: identical is fine, anything else is the user's and a conflict.
// purpose says what the volume is for, in messages. It says whether the
// volume was appended.
func addVolume(podSpec *yaml.RNode, name string, volume *yaml.RNode, purpose string) (bool, error) {
	return listEntry{
		list:   "volumes",
		entry:  volume,
		claims: sameName(name),
		check: sameContentOr(volume, func(namedElement) error {
			return &Conflict{
				Location: Location{Field: fmt.Sprintf("volumes[name=%s]", name)},
				Message: fmt.Sprintf("a volume named %q already exists with other content; "+
					"the patch needs this name for %s: rename or remove that volume", name, purpose),
			}
		}),
	}.add(podSpec)
}
