package workload

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The functions here read and create fields of hand-written YAML without
// trusting its shape: a field of the wrong kind is a *Malformed error, never a
// panic. Field paths in errors are relative to the node the edit was given.

// kindName names what a node holds, for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return fmt.Sprintf("the scalar %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	default:
		return "a document"
	}
}

// wantedKinds names the kinds of node a field may need to be.
var wantedKinds = map[yaml.Kind]string{
	yaml.MappingNode:  "a map",
	yaml.SequenceNode: "a list",
	yaml.ScalarNode:   "a scalar",
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == yaml.NodeTagNull
}

func wrongKind(path string, n *yaml.Node, want yaml.Kind) *Malformed {
	return &Malformed{
		Location: Location{Field: path},
		Message:  fmt.Sprintf("is %s, want %s", kindName(n), wantedKinds[want]),
	}
}

// requireMap returns an error unless an edit was given a map to edit.
func requireMap(n *yaml.RNode) error {
	if n.IsNil() {
		return &Malformed{Message: "nothing to edit"}
	}
	if n.YNode().Kind != yaml.MappingNode {
		return &Malformed{Message: fmt.Sprintf("the edited node is %s, want a map", kindName(n.YNode()))}
	}
	return nil
}

// lookupField returns the value of key in the mapping parent, or nil when the
// key is absent or null. path is the field's path, for errors. A scalar
// wanted and written as an alias of one is read through it, as kubectl
// reads it (serviceAccountName: *sa); an alias of a map or a list is not:
// an edit of it would change every place that refers to the anchor.
func lookupField(parent *yaml.RNode, key string, want yaml.Kind, path string) (*yaml.RNode, error) {
	value := fieldValue(parent.YNode(), key)
	if value != nil && want == yaml.ScalarNode && value.Kind == yaml.AliasNode && value.Alias != nil && value.Alias.Kind == yaml.ScalarNode {
		value = value.Alias
	}
	if value == nil || isNull(value) {
		return nil, nil
	}
	if value.Kind != want {
		return nil, wrongKind(path, value, want)
	}
	return yaml.NewRNode(value), nil
}

// fieldValue returns the value node of key in the mapping m, or nil. It reads
// the node directly instead of through RNode.Field, which allocates for every
// field visited: lookups run once per list element and edit.
func fieldValue(m *yaml.Node, key string) *yaml.Node {
	_, value := field(m, key)
	return value
}

// field returns the key and value nodes of key in the mapping m, or nils.
func field(m *yaml.Node, key string) (keyNode, value *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// lookupScalar returns the string value of key in the mapping parent and
// whether it is set (absent and null are unset).
func lookupScalar(parent *yaml.RNode, key, path string) (value string, set bool, err error) {
	n, err := lookupField(parent, key, yaml.ScalarNode, path)
	if err != nil || n == nil {
		return "", false, err
	}
	return n.YNode().Value, true, nil
}

// createField returns the value of key in the mapping parent, creating it
// with the wanted kind when it is absent, and turning a null value into an
// empty one in place so that comments on it survive.
func createField(parent *yaml.RNode, key string, want yaml.Kind, path string) (*yaml.RNode, error) {
	keyNode, value := field(parent.YNode(), key)
	if value == nil {
		created := yaml.NewRNode(&yaml.Node{Kind: want})
		if err := parent.PipeE(yaml.SetField(key, created)); err != nil {
			return nil, fmt.Errorf("set %s: %w", path, err)
		}
		return created, nil
	}
	if isNull(value) {
		value.Kind, value.Tag, value.Value, value.Style = want, "", "", 0
	}
	if value.Kind != want {
		return nil, wrongKind(path, value, want)
	}
	if want == yaml.SequenceNode {
		toBlockStyle(keyNode, value)
	}
	return yaml.NewRNode(value), nil
}

// toBlockStyle turns a list written in flow style (`env: []`) into block
// style, so that what we add reads like the rest of a manifest instead of a
// one-line blob. The list's line comment (`env: [] # TODO`) moves to its
// key: left on a block list, the YAML encoder writes it after the list's
// last element or drops it, and kpt would write it back to the source
// file there.
func toBlockStyle(key, list *yaml.Node) {
	if list.Style&yaml.FlowStyle == 0 {
		return
	}
	list.Style &^= yaml.FlowStyle
	if list.LineComment != "" && key.LineComment == "" {
		key.LineComment, list.LineComment = list.LineComment, ""
	}
}

// appendElement appends to a list; createField has already turned a flow
// list into block style.
func appendElement(list *yaml.RNode, element *yaml.RNode) error {
	if err := list.PipeE(yaml.Append(element.YNode())); err != nil {
		return fmt.Errorf("append: %w", err)
	}
	return nil
}

// namedElements returns the elements of a list of named maps (containers,
// volumes, env), each with its name. An element that is not a map or has no
// name is malformed: a duplicate could hide behind it.
func namedElements(list *yaml.RNode, path string) ([]namedElement, error) {
	if list == nil {
		return nil, nil
	}
	var elements []namedElement
	for i, n := range list.YNode().Content {
		if n.Kind != yaml.MappingNode {
			return nil, wrongKind(fmt.Sprintf("%s[%d]", path, i), n, yaml.MappingNode)
		}
		name := fieldValue(n, "name")
		if name != nil && name.Kind != yaml.ScalarNode {
			return nil, wrongKind(fmt.Sprintf("%s[%d].name", path, i), name, yaml.ScalarNode)
		}
		if name == nil || isNull(name) || name.Value == "" {
			return nil, &Malformed{Location: Location{Field: fmt.Sprintf("%s[%d]", path, i)}, Message: "has no name; give it one"}
		}
		elements = append(elements, namedElement{Name: name.Value, Node: yaml.NewRNode(n), Index: i})
	}
	return elements, nil
}

// namedElement is one element of a list of named maps.
type namedElement struct {
	Name  string
	Node  *yaml.RNode
	Index int
}

// sameContent reports whether two nodes hold the same data, whatever the key
// order, quoting or comments.
func sameContent(a, b *yaml.Node) bool {
	var av, bv any
	if a.Decode(&av) != nil || b.Decode(&bv) != nil {
		return false
	}
	return reflect.DeepEqual(av, bv)
}

// keyValue is one entry of a map being built.
type keyValue struct {
	Key   string
	Value *yaml.Node
}

// mapNode builds a block-style map, keeping the order of entries.
func mapNode(entries ...keyValue) *yaml.RNode {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, e := range entries {
		m.Content = append(m.Content, yaml.NewStringRNode(e.Key).YNode(), e.Value)
	}
	return yaml.NewRNode(m)
}

// listNode builds a block-style list.
func listNode(elements ...*yaml.RNode) *yaml.RNode {
	l := &yaml.Node{Kind: yaml.SequenceNode}
	for _, e := range elements {
		l.Content = append(l.Content, e.YNode())
	}
	return yaml.NewRNode(l)
}

// stringNode is a string scalar, quoted on output when it would otherwise
// read as another type ("true", "8080").
// stringNode is v as a YAML string that every reader reads as a string:
// quoted where a YAML 1.1 reader (kubectl, the API server) would take it for
// a bool, a number or null ("yes", "on", "1:20").
func stringNode(v string) *yaml.Node {
	n := yaml.NewStringRNode(v).YNode()
	if mayReadAsNonString(v) && yaml.IsValueNonString(v) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// mayReadAsNonString is a cheap test that rules out most strings before the
// YAML 1.1 parse, which costs a parser per value: YAML 1.1's booleans and
// nulls are words of at most five letters starting with one of yYnNtTfFoO,
// and its numbers, timestamps and ~ start with a digit, a sign, a dot or ~.
func mayReadAsNonString(v string) bool {
	if v == "" {
		return false
	}
	switch c := v[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == '~':
		return true
	case strings.IndexByte("yYnNtTfFoO", c) >= 0:
		return len(v) <= 5
	}
	return false
}

func intNode(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.FormatInt(v, 10)}
}

func boolNode(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(v)}
}
