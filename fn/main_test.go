package main

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

// The minimal spec that --help shows must be one the function accepts.
func TestHelpShowsAValidMinimalSpec(t *testing.T) {
	_, after, ok := strings.Cut(usage, "A minimal spec:\n")
	if !ok {
		t.Fatal("--help has no minimal spec")
	}
	var lines []string
	for _, line := range strings.Split(after, "\n") {
		lines = append(lines, strings.TrimPrefix(line, "  "))
	}
	node, err := yaml.Parse(strings.Join(lines, "\n"))
	if err != nil {
		t.Fatalf("the spec in --help is not YAML: %v", err)
	}
	spec, errs := v1alpha1.Decode(node)
	if spec == nil || len(errs) > 0 {
		t.Fatalf("the spec in --help is not valid: %v", errs)
	}
}
