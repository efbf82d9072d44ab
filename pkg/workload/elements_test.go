package workload

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestListEntryAddsLeavesOrConflicts(t *testing.T) {
	entry := mapNode(keyValue{"name", stringNode("ours")}, keyValue{"value", stringNode("v")})
	conflict := func(namedElement) error { return &Conflict{Message: "other content"} }
	for _, tc := range []struct {
		name, parent, want string
		wantConflicts      int
		wantBeforeAdd      bool
	}{
		{"absent list: created with ours", "{}", "{list: [{name: ours, value: v}]}", 0, true},
		{"other entries: ours appended", "{list: [{name: theirs, value: x}]}", "{list: [{name: theirs, value: x}, {name: ours, value: v}]}", 0, true},
		{"identical entry: left alone", "{list: [{value: v, name: ours}]}", "{list: [{value: v, name: ours}]}", 0, false},
		{"same name, other content: a conflict, nothing written", "{list: [{name: ours, value: x}]}", "{list: [{name: ours, value: x}]}", 1, false},
		{"two claims that differ: both reported", "{list: [{name: ours, value: x}, {name: ours, value: y}]}", "{list: [{name: ours, value: x}, {name: ours, value: y}]}", 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := yaml.MustParse(tc.parent)
			ranBeforeAdd := false
			err := listEntry{
				list:      "list",
				entry:     entry.Copy(),
				claims:    sameName("ours"),
				check:     sameContentOr(entry, conflict),
				beforeAdd: func() error { ranBeforeAdd = true; return nil },
			}.addTo(parent)
			var conflicts int
			for _, e := range leafErrors(err) {
				var c *Conflict
				if !errors.As(e, &c) {
					t.Fatalf("unexpected error %v", e)
				}
				conflicts++
			}
			if conflicts != tc.wantConflicts {
				t.Errorf("%d conflicts, want %d: %v", conflicts, tc.wantConflicts, err)
			}
			if ranBeforeAdd != tc.wantBeforeAdd {
				t.Errorf("beforeAdd ran = %v, want %v", ranBeforeAdd, tc.wantBeforeAdd)
			}
			if diff := cmp.Diff(yaml.MustParse(tc.want).MustString(), parent.MustString()); diff != "" {
				t.Errorf("list (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListEntryStopsWhenBeforeAddRefuses(t *testing.T) {
	parent := yaml.MustParse("{}")
	refused := &Conflict{Message: "envFrom provides it"}
	err := listEntry{
		list:      "env",
		entry:     mapNode(keyValue{"name", stringNode("A")}),
		claims:    sameName("A"),
		check:     func(namedElement) error { return nil },
		beforeAdd: func() error { return refused },
	}.addTo(parent)
	if !errors.Is(err, refused) || parent.Field("env") != nil {
		t.Fatalf("err = %v, env = %v; want the refusal and no list", err, parent.Field("env"))
	}
}
