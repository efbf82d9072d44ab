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
