package workload

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestFlowListLineCommentStaysOnTheKeyLine(t *testing.T) {
	env := EnvVar{Name: "X", Value: "y"}
	mount := VolumeMount{VolumeName: "token", MountPath: "/token"}
	for _, tc := range []struct {
		name, in, want string
		filter         yaml.Filter
	}{
		{"empty env list", "name: app\nenv: [] # TODO\nimage: x # image\n",
			"name: app\nenv: # TODO\n- name: X\n  value: \"y\"\nimage: x # image\n", env},
		{"empty env list, last field", "name: app\nenv: [] # TODO\n",
			"name: app\nenv: # TODO\n- name: X\n  value: \"y\"\n", env},
		{"flow env list with entries", "name: app\nenv: [{name: A, value: b}] # keep\nimage: x\n",
			"name: app\nenv: # keep\n- {name: A, value: b}\n- name: X\n  value: \"y\"\nimage: x\n", env},
		{"empty volumeMounts list", "name: app\nvolumeMounts: [] # mounts\nimage: x\n",
			"name: app\nvolumeMounts: # mounts\n- name: token\n  mountPath: /token\n  readOnly: true\nimage: x\n", mount},
		{"block list: comments untouched", "name: app\nenv: # TODO\n- name: A\n  value: b\n",
			"name: app\nenv: # TODO\n- name: A\n  value: b\n- name: X\n  value: \"y\"\n", env},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := parseYAML(t, tc.in)
			if _, err := tc.filter.Filter(n); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, n.MustString()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlowListKeepsTheKeysOwnComment(t *testing.T) {
	n := parseYAML(t, "name: app\nenv: [] # list\n")
	key := n.YNode().Content[2]
	key.LineComment = "# key"
	if _, err := (EnvVar{Name: "X", Value: "y"}).Filter(n); err != nil {
		t.Fatal(err)
	}
	if key.LineComment != "# key" {
		t.Errorf("key comment = %q, want it kept", key.LineComment)
	}
}
