package function

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestCheckShapesRefusesWhatKubectlReadsOtherwise(t *testing.T) {
	for _, tc := range []struct {
		name, item string
		want       []string // each must appear in one message
	}{
		{"a duplicate key at the top", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nmetadata: {name: b}\n", []string{`"metadata" twice (lines 3 and 4)`}},
		{"a duplicate key deep inside", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    image: x\n    image: y\n", []string{`"image" twice`}},
		{"a List that reached the items still wrapped", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n", []string{"is a List"}},
		{"a typed list", "apiVersion: v1\nkind: PodList\nitems: []\n", []string{"is a PodList"}},
		{"a plain object", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n", nil},
		{"a kind that only ends in List without items", "apiVersion: example.com/v1\nkind: Checklist\nspec: {}\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := checkShapes([]*yaml.RNode{yaml.MustParse(tc.item)})
			if len(results) != len(tc.want) {
				t.Fatalf("got %d results %v, want %d", len(results), results, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(results[i].Message, w) {
					t.Errorf("result %q lacks %q", results[i].Message, w)
				}
			}
		})
	}
}
