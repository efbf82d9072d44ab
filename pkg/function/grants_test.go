package function

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

// grantsOf are grants for each cloud block of a spec, valid in every mode:
// what they add is cloud-side only.
var grantsOf = map[string]string{
	"aws": `s3: [{bucket: oidc-exp-s3-bucket, prefix: reports/, level: readWrite}]
statements: [{actions: [sqs:ReceiveMessage], resources: ['arn:aws:sqs:eu-west-2:111122223333:jobs']}]`,
	"gcp": `gcs: [{bucket: oidc-exp-gcs-bucket, prefix: reports/}]
roles: [{role: roles/pubsub.subscriber, resource: '//pubsub.googleapis.com/projects/my-project/subscriptions/jobs'}]`,
	"azure": `blob: [{storageAccount: /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/oidcexp, container: data}]`,
}

// Grants are cloud-side only: every golden case whose functionConfig names a
// cloud writes byte for byte the same items and results (the stamp's digest
// included) when the spec also carries grants for each of its clouds. (The
// ResourceList also echoes the functionConfig, which does differ.)
func TestGrantsChangeNothingTheFunctionWrites(t *testing.T) {
	compared := 0
	for _, name := range golden.Cases(t, goldenRoot, "input.yaml") {
		dir := filepath.Join(goldenRoot, name)
		config := readOptional(t, filepath.Join(dir, "config.yaml"))
		input := readOptional(t, filepath.Join(dir, "input.yaml"))
		withGrants, added := addGrants(t, config)
		if added == 0 || holdsCopyOf(t, input, config) {
			// A copy of the functionConfig among the items (kpt passes
			// one) would no longer be the same spec once only the
			// functionConfig has grants.
			continue
		}
		t.Run(name, func(t *testing.T) {
			want, wantErr := runFunction(t, config, input)
			if wantErr != nil {
				t.Skip("the case is a refusal; grants cannot make it valid")
			}
			got, err := runFunction(t, withGrants, input)
			if err != nil {
				t.Fatalf("with grants the function failed: %v\n%s", err, got)
			}
			for _, field := range []string{"items", "results"} {
				w, g := fieldOf(t, want, field), fieldOf(t, got, field)
				if w != g {
					t.Errorf("grants changed the %s (-without +with):\n%s", field, cmp.Diff(w, g))
				}
			}
			compared++
		})
	}
	// Guard against a vacuous pass: most golden cases wire some cloud.
	if compared < 40 {
		t.Errorf("only %d cases compared; want the golden cases that wire a cloud", compared)
	}
}

// addGrants gives each cloud block of a functionConfig its grants; it
// returns the new config and how many blocks got some. Azure blocks without
// a clientId get none: role assignments need one.
func addGrants(t *testing.T, config []byte) ([]byte, int) {
	t.Helper()
	if len(bytes.TrimSpace(config)) == 0 {
		return nil, 0
	}
	node, err := yaml.Parse(string(config))
	if err != nil {
		return nil, 0
	}
	added := 0
	for _, cloud := range []string{"aws", "gcp", "azure"} {
		block, err := node.Pipe(yaml.Lookup("spec", cloud))
		if err != nil || block == nil || block.YNode().Kind != yaml.MappingNode {
			continue
		}
		if cloud == "azure" {
			if id, _ := block.Pipe(yaml.Lookup("clientId")); id == nil {
				continue
			}
		}
		grants := grantsOf[cloud]
		if cloud == "aws" {
			// A statement's resources are in the role's partition.
			if role, _ := block.Pipe(yaml.Lookup("roleArn")); role != nil {
				if partition, _, ok := strings.Cut(strings.TrimPrefix(yaml.GetValue(role), "arn:"), ":"); ok && partition != "aws" {
					grants = strings.ReplaceAll(grants, "arn:aws:", "arn:"+partition+":")
				}
			}
		}
		if err := block.PipeE(yaml.SetField("grants", yaml.MustParse(grants))); err != nil {
			t.Fatal(err)
		}
		added++
	}
	return []byte(node.MustString()), added
}

// fieldOf is one field of a ResourceList as YAML text, "" when absent.
func fieldOf(t *testing.T, rl []byte, field string) string {
	t.Helper()
	node, err := yaml.Parse(string(rl))
	if err != nil {
		t.Fatal(err)
	}
	value, err := node.Pipe(yaml.Lookup(field))
	if err != nil || value == nil {
		return ""
	}
	return value.MustString()
}

// holdsCopyOf reports whether the items hold a spec with the functionConfig's
// name.
func holdsCopyOf(t *testing.T, input, config []byte) bool {
	t.Helper()
	items, err := kio.FromBytes(input)
	if err != nil {
		return false
	}
	name := yaml.MustParse(string(config)).GetName()
	for _, item := range items {
		if isSpec(item) && item.GetName() == name {
			return true
		}
	}
	return false
}
