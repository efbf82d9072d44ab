package function

import (
	"bytes"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

// spec.cluster.previousIssuers is for trust only: pods are wired the same
// whatever issuer signed their tokens, so the function's output must be
// byte for byte the same with and without it, in every accepted case.
func TestPreviousIssuersLeaveTheOutputUnchanged(t *testing.T) {
	compared := 0
	for _, name := range golden.Cases(t, goldenRoot, "input.yaml") {
		dir := filepath.Join(goldenRoot, name)
		config := readOptional(t, filepath.Join(dir, "config.yaml"))
		if len(config) == 0 {
			continue
		}
		node, err := yaml.Parse(string(config))
		if err != nil || node.YNode().Kind != yaml.MappingNode || node.GetKind() != "CrossCloudAccess" {
			continue
		}
		cluster, err := node.Pipe(yaml.Lookup("spec", "cluster"))
		if err != nil || cluster == nil {
			continue
		}
		input := readOptional(t, filepath.Join(dir, "input.yaml"))
		if bytes.Contains(input, []byte("kind: CrossCloudAccess")) {
			continue // a copy among the items would no longer be the same spec
		}
		without, err := runFunction(t, config, input)
		if err != nil {
			continue // a refused case; its message is another test's
		}
		if err := cluster.PipeE(yaml.SetField("previousIssuers", yaml.NewListRNode("https://issuer.example.com/retired-1", "https://issuer.example.com/retired-2"))); err != nil {
			t.Fatal(err)
		}
		compared++
		t.Run(name, func(t *testing.T) {
			with, err := runFunction(t, []byte(node.MustString()), input)
			if err != nil {
				t.Fatalf("with previousIssuers the function fails: %v\n%s", err, with)
			}
			// The ResourceList echoes the functionConfig; the rest is what
			// the function made of it.
			if w, wo := withoutConfig(t, with), withoutConfig(t, without); w != wo {
				t.Errorf("previousIssuers changed the items or results:\n--- without\n%s\n--- with\n%s", wo, w)
			}
		})
	}
	if compared < 20 {
		t.Fatalf("compared %d cases; want every accepted case with a spec", compared)
	}
}

// withoutConfig is a written ResourceList without its functionConfig.
func withoutConfig(t *testing.T, out []byte) string {
	t.Helper()
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatalf("output is not YAML: %v", err)
	}
	if err := rl.PipeE(yaml.Clear("functionConfig")); err != nil {
		t.Fatal(err)
	}
	return rl.MustString()
}
