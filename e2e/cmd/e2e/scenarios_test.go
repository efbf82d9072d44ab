package main

import (
	"errors"
	"testing"
)

func TestARenderFailureIsKeptForTheNamespace(t *testing.T) {
	dir := t.TempDir()
	if err := keptFailure(dir, "render-error.txt"); err != nil {
		t.Fatalf("nothing kept yet: %v", err)
	}
	if err := keepFailure(dir, "render-error.txt", errors.New("kustomize build examples/x: exit status 1")); err != nil {
		t.Fatal(err)
	}
	if err := keptFailure(dir, "render-error.txt"); err == nil || err.Error() != "kustomize build examples/x: exit status 1" {
		t.Errorf("kept failure = %v", err)
	}
}

func TestPerContainerScenarioGivesEachRoleItsOwnBucket(t *testing.T) {
	for _, s := range scenarios {
		if len(s.containers) == 0 {
			continue
		}
		buckets := s.roleBuckets()
		if len(buckets) != len(s.containers) || len(s.containers) < 2 {
			t.Errorf("%s: %d containers, roles %v: want at least two containers, each with a role of its own", s.name, len(s.containers), buckets)
		}
		seen := map[string]string{}
		for _, c := range s.containers {
			if other, ok := seen[c.reads]; ok {
				t.Errorf("%s: %s and %s read the same bucket %s; each must be refused what only the other may do", s.name, other, c.name, c.reads)
			}
			seen[c.reads] = c.name
		}
	}
	if (scenario{}).roleBuckets() != nil {
		t.Error("a scenario without containers gives its roles buckets of their own")
	}
}
