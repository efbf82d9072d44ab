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
		for _, d := range duplicateKeys(item.YNode(), nil) {
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

// pathPart is a map key, or a list index when key is empty.
type pathPart struct {
	key   string
	index int
}

// duplicateKeys walks every node of an item; the path of a key is built
// only for the rare duplicate, since the walk runs over every item.
func duplicateKeys(n *yaml.Node, path []pathPart) []duplicateKey {
	var out []duplicateKey
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = append(out, duplicateKeys(c, path)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			out = append(out, duplicateKeys(c, append(path, pathPart{index: i}))...)
		}
	case yaml.MappingNode:
		var seen map[string]int
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if seen == nil {
				seen = make(map[string]int, len(n.Content)/2)
			}
			if line, dup := seen[key.Value]; dup {
				out = append(out, duplicateKey{path: fieldPath(append(path, pathPart{key: key.Value})), key: key.Value, first: line, second: key.Line})
			} else {
				seen[key.Value] = key.Line
			}
			if child := n.Content[i+1]; child.Kind == yaml.MappingNode || child.Kind == yaml.SequenceNode {
				out = append(out, duplicateKeys(child, append(path, pathPart{key: key.Value}))...)
			}
		}
	}
	return out
}

// fieldPath joins path parts as kpt writes field paths: list indexes
// follow their field without a dot.
func fieldPath(parts []pathPart) string {
	var b strings.Builder
	for i, p := range parts {
		switch {
		case p.key == "":
			fmt.Fprintf(&b, "[%d]", p.index)
		case i > 0:
			b.WriteString("." + p.key)
		default:
			b.WriteString(p.key)
		}
	}
	return b.String()
}
