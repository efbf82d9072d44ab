package function

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// checkShapes refuses items whose YAML would mean one thing to the function
// and another to kubectl: a key written twice (the function reads the first,
// kubectl keeps the last), and List objects, whose items would be applied
// without the function ever seeing them as workloads.
func checkShapes(items []*yaml.RNode) framework.Results {
	var results framework.Results
	for _, item := range items {
		if item.IsNil() {
			continue
		}
		for _, d := range duplicateKeys(item.YNode(), "") {
			results = append(results, &framework.Result{Severity: framework.Error,
				Message: fmt.Sprintf("has key %q twice (lines %d and %d); kubectl keeps the last and this function would read the first: remove one of them",
					d.key, d.first, d.second),
				ResourceRef: ref(item), Field: &framework.Field{Path: d.path}, File: file(item)})
		}
		if kind := item.GetKind(); strings.HasSuffix(kind, "List") && item.Field("items") != nil {
			results = append(results, &framework.Result{Severity: framework.Error,
				Message:     fmt.Sprintf("is a %s: the objects in its items are applied but never seen as workloads here, so none of them would be wired; write each object as its own document", kind),
				ResourceRef: ref(item), Field: &framework.Field{Path: "items"}, File: file(item)})
		}
	}
	return results
}

// duplicateKey is a key a mapping holds twice.
type duplicateKey struct {
	path, key     string
	first, second int
}

func duplicateKeys(n *yaml.Node, path string) []duplicateKey {
	var out []duplicateKey
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = append(out, duplicateKeys(c, path)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			out = append(out, duplicateKeys(c, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case yaml.MappingNode:
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			child := strings.TrimPrefix(path+"."+key.Value, ".")
			if line, dup := seen[key.Value]; dup {
				out = append(out, duplicateKey{path: child, key: key.Value, first: line, second: key.Line})
			} else {
				seen[key.Value] = key.Line
			}
			out = append(out, duplicateKeys(n.Content[i+1], child)...)
		}
	}
	return out
}
