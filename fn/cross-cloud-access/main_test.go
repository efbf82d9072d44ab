package main

import (
	"os/exec"
	"path/filepath"
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

// `go install MODULE/fn/...@VERSION` names a binary after its package's
// folder: users must get `cross-cloud-access`, the name every example and
// kustomize `exec.path` uses, and nothing else.
func TestGoInstallOfFnInstallsOnlyCrossCloudAccess(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.Name}} {{.Target}}", "./fn/...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var binaries []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, target, _ := strings.Cut(line, " ")
		if name == "main" {
			binaries = append(binaries, strings.TrimSuffix(filepath.Base(target), ".exe"))
		}
	}
	if len(binaries) != 1 || binaries[0] != "cross-cloud-access" {
		t.Errorf("go install ./fn/... would install %v; want exactly [cross-cloud-access]", binaries)
	}
}
