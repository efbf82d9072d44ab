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
		{"a container merging in its env", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nx-app: &app\n  image: x\n  env: [{name: DATABASE_URL, value: db}]\nspec:\n  containers:\n  - name: c\n    <<: *app\n",
			[]string{"is a YAML merge key"}},
		{"serviceAccountName merged into the pod spec", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  <<: {serviceAccountName: runner}\n  containers: [{name: c}]\n",
			[]string{"is a YAML merge key"}},
		{"a serviceAccountName in !!binary", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  serviceAccountName: !!binary cnVubmVy\n  containers: [{name: c}]\n",
			[]string{`has the YAML tag "!!binary"`}},
		{"a local tag", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: !ns jobs}\n", []string{`has the YAML tag "!ns"`}},
		{"core tags written out", "apiVersion: v1\nkind: Pod\nmetadata: {name: !!str a, labels: !!map {n: !!int 1}}\nspec: {containers: !!seq [], x: !!null ~, y: !!bool true, z: !!float 1.5}\n", nil},
		{"an alias, read where it is written", "apiVersion: v1\nkind: Pod\nmetadata: {name: &n a, labels: {n: *n}}\n", nil},
		{"a quoted << is a plain key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {\"<<\": x}\n", nil},
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
				if (results[i].Field == nil || results[i].Field.Path == "") && results[i].ResourceRef == nil {
					t.Errorf("result %q names neither a field nor an object", results[i].Message)
				}
			}
		})
	}
}

// A Result says where the misreading is, even in an item that has no kind to
// name it by: then its field path starts from the ResourceList's items.
func TestCheckShapesSaysWhere(t *testing.T) {
	for _, tc := range []struct {
		name, item, wantPath string
		wantObject           bool
	}{
		{"a field of a named object", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: !ns jobs}\n", "metadata.namespace", true},
		{"a named object as a whole", "!t\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n", "", true},
		{"an item with no kind, as a whole", "!0\n00:\n", "items[1]", false},
		{"a field of an item with no kind", "metadata: {name: !ns a}\n", "items[1].metadata.name", false},
		{"an element of a list with no kind", "- !ns a\n", "items[1][0]", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := yaml.MustParse("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
			results := checkShapes([]*yaml.RNode{plain, yaml.MustParse(tc.item)})
			if len(results) != 1 {
				t.Fatalf("got %d results %v, want 1", len(results), results)
			}
			r := results[0]
			if got := (r.ResourceRef != nil); got != tc.wantObject {
				t.Errorf("names an object: %v, want %v", got, tc.wantObject)
			}
			gotPath := ""
			if r.Field != nil {
				gotPath = r.Field.Path
			}
			if gotPath != tc.wantPath {
				t.Errorf("field path %q, want %q", gotPath, tc.wantPath)
			}
		})
	}
}
