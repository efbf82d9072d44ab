package workload

import (
	"errors"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// listEntry is one entry the patch owns in a list of named maps (volumes,
// volumeMounts, env). Every edit of such a list follows one rule, written
// here once: add the entry, leave an identical one alone, and report every
// entry that claims the same place with other content as a *Conflict: the
// user's value is never overwritten.
type listEntry struct {
	// list is the list's field in its parent map.
	list string
	// entry is what the patch adds.
	entry *yaml.RNode
	// claims reports whether an existing entry is about the same thing as
	// ours: the same name, or (for mounts) the same path.
	claims func(existing namedElement) (bool, error)
	// check returns nil when a claiming entry is the same as ours, else a
	// *Conflict saying what differs and what to do.
	check func(existing namedElement) error
	// beforeAdd, when set, runs once no entry claims the place, before ours
	// is appended: a last check against sources outside the list (envFrom).
	beforeAdd func() error
}

// addTo applies the rule to the list in parent (a map).
func (l listEntry) addTo(parent *yaml.RNode) error {
	_, err := l.add(parent)
	return err
}

// add applies the rule and says whether it appended the entry: the stamp
// records only what the patch added, never an identical entry the user wrote.
func (l listEntry) add(parent *yaml.RNode) (bool, error) {
	list, err := lookupField(parent, l.list, yaml.SequenceNode, l.list)
	if err != nil {
		return false, err
	}
	existing, err := namedElements(list, l.list)
	if err != nil {
		return false, err
	}
	var conflicts []error
	found := false
	for _, e := range existing {
		claimed, err := l.claims(e)
		if err != nil {
			return false, err
		}
		if !claimed {
			continue
		}
		if err := l.check(e); err != nil {
			conflicts = append(conflicts, err)
			continue
		}
		found = true
	}
	if len(conflicts) > 0 {
		return false, errors.Join(conflicts...)
	}
	if found {
		return false, nil
	}
	if l.beforeAdd != nil {
		if err := l.beforeAdd(); err != nil {
			return false, err
		}
	}
	list, err = createField(parent, l.list, yaml.SequenceNode, l.list)
	if err != nil {
		return false, err
	}
	return true, appendElement(list, l.entry)
}

// sameContentOr is the check of entries that must be identical: the same
// data, whatever the key order, quoting or comments; conflict explains any
// other.
func sameContentOr(entry *yaml.RNode, conflict func(existing namedElement) error) func(namedElement) error {
	return func(e namedElement) error {
		if sameContent(e.Node.YNode(), entry.YNode()) {
			return nil
		}
		return conflict(e)
	}
}

// sameName is the claim of lists keyed by name.
func sameName(name string) func(namedElement) (bool, error) {
	return func(e namedElement) (bool, error) { return e.Name == name, nil }
}
