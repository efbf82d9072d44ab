package workload

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TemplateLabel sets a label on a pod template's metadata (e.g. the one a
// mutating webhook selects pods by).
type TemplateLabel struct {
	Key   string
	Value string
}

// Filter sets the label on template (the node holding metadata and spec), or
// leaves an equal one alone; another value is a conflict.
func (l TemplateLabel) Filter(template *yaml.RNode) (*yaml.RNode, error) {
	_, err := l.set(template)
	return template, err
}

// set is Filter, and says whether the label was added.
func (l TemplateLabel) set(template *yaml.RNode) (bool, error) {
	if err := requireMap(template); err != nil {
		return false, err
	}
	field := labelField(l.Key)
	metadata, err := lookupField(template, "metadata", yaml.MappingNode, "metadata")
	if err != nil {
		return false, err
	}
	var labels *yaml.RNode
	if metadata != nil {
		if labels, err = lookupField(metadata, "labels", yaml.MappingNode, "metadata.labels"); err != nil {
			return false, err
		}
	}
	if labels != nil {
		current, set, err := lookupScalar(labels, l.Key, field)
		if err != nil {
			return false, err
		}
		if set && current == l.Value {
			return false, nil
		}
		if set {
			return false, &Conflict{
				Location: Location{Field: field},
				Message: fmt.Sprintf("label %s is already %q, want %q; set it to %q or remove it",
					l.Key, current, l.Value, l.Value),
			}
		}
	}
	if metadata, err = createField(template, "metadata", yaml.MappingNode, "metadata"); err != nil {
		return false, err
	}
	if labels, err = createField(metadata, "labels", yaml.MappingNode, "metadata.labels"); err != nil {
		return false, err
	}
	if err := labels.PipeE(yaml.SetField(l.Key, yaml.NewRNode(stringNode(l.Value)))); err != nil {
		return false, fmt.Errorf("set label %s: %w", l.Key, err)
	}
	return true, nil
}

// labelField is the field path of a label. Keys with dots are bracketed, as
// in kustomize field paths, so the path still splits into the right parts.
func labelField(key string) string {
	if strings.Contains(key, ".") {
		return "metadata.labels.[" + key + "]"
	}
	return "metadata.labels." + key
}
