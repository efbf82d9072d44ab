package function

import (
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// checkShapes refuses items whose YAML would mean one thing to the function
// and another to kubectl: a key written twice (the function reads the first,
// kubectl keeps the last), a merge key (kubectl reads the fields it merges
// in, the function only those written out), a tag that changes a value
// (kubectl decodes !!binary, the function would read the base64 text), and
// List objects, whose items would be applied without the function ever
// seeing them as workloads.
func checkShapes(items []*yaml.RNode) framework.Results {
	var results framework.Results
	for i, item := range items {
		if item.IsNil() {
			continue
		}
		object := ref(item)
		for _, m := range misreadings(item.YNode(), nil) {
			results = append(results, &framework.Result{Severity: framework.Error, Message: m.message,
				ResourceRef: object, Field: shapeField(object, i, m.path), File: file(item)})
		}
		if object != nil && strings.HasSuffix(object.Kind, "List") && item.Field("items") != nil {
			results = append(results, &framework.Result{Severity: framework.Error,
				Message:     fmt.Sprintf("is a %s: the objects in its items are applied but never seen as workloads here, so none of them would be wired; write each object as its own document", object.Kind),
				ResourceRef: object, Field: &framework.Field{Path: "items"}, File: file(item)})
		}
	}
	return results
}

// shapeField says where a misreading is: its path in the object the Result
// names, or, for an item with no kind to name it by, its path from the
// ResourceList's items. A misreading of a named object as a whole (a tag on
// the object itself) needs no field.
func shapeField(object *yaml.ResourceIdentifier, index int, path string) *framework.Field {
	switch {
	case object == nil && (path == "" || strings.HasPrefix(path, "[")):
		return &framework.Field{Path: fmt.Sprintf("items[%d]%s", index, path)}
	case object == nil:
		return &framework.Field{Path: fmt.Sprintf("items[%d].%s", index, path)}
	case path == "":
		return nil
	}
	return &framework.Field{Path: path}
}

// misreading is a place in an item that kubectl and the function would read
// differently, and what to do about it.
type misreading struct {
	path, message string
}

// pathPart is a map key, or a list index when key is empty.
type pathPart struct {
	key   string
	index int
}

// plainTags are the tags of YAML's core schema, which read the same to
// yaml.v3 and to kubectl's YAML 1.1 reader when written explicitly.
var plainTags = map[string]bool{
	yaml.NodeTagString: true, yaml.NodeTagInt: true, yaml.NodeTagBool: true, yaml.NodeTagFloat: true,
	yaml.NodeTagNull: true, yaml.NodeTagMap: true, yaml.NodeTagSeq: true,
}

// misreadings walks every node of an item once, aliases not followed (an
// anchor is walked where it is written); the path of a finding is built only
// for the rare finding, since the walk runs over every item.
func misreadings(n *yaml.Node, path []pathPart) []misreading {
	var out []misreading
	if n.Style&yaml.TaggedStyle != 0 && !plainTags[n.ShortTag()] {
		out = append(out, misreading{path: fieldPath(path), message: fmt.Sprintf(
			"has the YAML tag %s: kubectl converts the value, this function would read it as written; write the value out plainly, without a tag", strconv.QuoteToASCII(n.ShortTag()))})
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = append(out, misreadings(c, path)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			out = append(out, misreadings(c, append(path, pathPart{index: i}))...)
		}
	case yaml.MappingNode:
		var seen map[string]int
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if seen == nil {
				seen = make(map[string]int, len(n.Content)/2)
			}
			at := append(path, pathPart{key: key.Value})
			if line, dup := seen[key.Value]; dup {
				out = append(out, misreading{path: fieldPath(at), message: fmt.Sprintf(
					"has key %q twice (lines %d and %d); kubectl keeps the last and this function would read the first: remove one of them", key.Value, line, key.Line)})
			} else {
				seen[key.Value] = key.Line
			}
			if key.ShortTag() == mergeTag {
				out = append(out, misreading{path: fieldPath(at), message: "is a YAML merge key: kubectl reads the fields it merges in, this function only the fields written out, " +
					"so it would miss a serviceAccountName or write an env list that hides the merged one: write the merged fields out (yq 'explode(.)' does)"})
			} else {
				out = append(out, misreadings(key, at)...)
			}
			out = append(out, misreadings(n.Content[i+1], at)...)
		}
	}
	return out
}

// mergeTag is the tag yaml.v3 gives the key << of a merge.
const mergeTag = "!!merge"

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
