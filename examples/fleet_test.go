package examples

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

// fleetSpecs are the spec files of examples/fleet, one per cluster, as
// docs/fleet.md passes them to trust: clusters/*/cross-cloud-access.yaml.
func fleetSpecs(t *testing.T) []string {
	t.Helper()
	specs, err := filepath.Glob(filepath.Join("fleet", "clusters", "*", "cross-cloud-access.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 5 {
		t.Fatalf("examples/fleet has %d clusters; docs/fleet.md shows 5", len(specs))
	}
	return specs
}

// The fleet's five clusters share one AWS role, one Google pool and one
// Azure identity within every quota: trust prints one OIDC provider, one
// statement and one Google provider per cluster, and an Azure credential
// each.
func TestFleetTrust(t *testing.T) {
	specs := fleetSpecs(t)
	out, stderr, err := run(t, ".", filepath.Join("..", "bin", "cross-cloud-access"), append([]string{"trust", "--format", "terraform"}, specs...)...)
	if err != nil {
		t.Fatalf("trust over the fleet: %v\n%s", err, stderr)
	}
	golden.Compare(t, filepath.Join("fleet", "trust.tf"), []byte(out))
	out, stderr, err = run(t, ".", filepath.Join("..", "bin", "cross-cloud-access"), append([]string{"trust"}, specs...)...)
	if err != nil {
		t.Fatalf("trust over the fleet: %v\n%s", err, stderr)
	}
	var doc struct {
		AWS struct {
			OIDCProviders []json.RawMessage `json:"oidcProviders"`
			Roles         []struct {
				AssumeRolePolicy struct {
					Statement []json.RawMessage `json:"Statement"`
				} `json:"assumeRolePolicy"`
			} `json:"roles"`
		} `json:"aws"`
		GCP struct {
			WorkloadIdentityPools []struct {
				Providers []json.RawMessage `json:"providers"`
			} `json:"workloadIdentityPools"`
		} `json:"gcp"`
		Azure struct {
			FederatedIdentityCredentials []json.RawMessage `json:"federatedIdentityCredentials"`
		} `json:"azure"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	got := []int{len(doc.AWS.OIDCProviders), len(doc.AWS.Roles), len(doc.GCP.WorkloadIdentityPools), len(doc.Azure.FederatedIdentityCredentials)}
	if want := []int{5, 1, 1, 5}; !equalInts(got, want) {
		t.Fatalf("OIDC providers, roles, pools, credentials = %v, want %v", got, want)
	}
	if n := len(doc.AWS.Roles[0].AssumeRolePolicy.Statement); n != 5 {
		t.Errorf("the role has %d statements, want one per cluster", n)
	}
	if n := len(doc.GCP.WorkloadIdentityPools[0].Providers); n != 5 {
		t.Errorf("the pool has %d providers, want one per cluster", n)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Each cluster's Flux Component is what export writes from its spec and the
// base today: the check docs/fleet.md tells CI to run.
func TestFleetFluxComponentsAreCurrent(t *testing.T) {
	base, stderr, err := run(t, ".", "go", "tool", "kustomize", "build", filepath.Join("fleet", "base"))
	if err != nil {
		t.Fatalf("kustomize build fleet/base: %v\n%s", err, stderr)
	}
	for _, spec := range fleetSpecs(t) {
		cluster := filepath.Base(filepath.Dir(spec))
		t.Run(cluster, func(t *testing.T) {
			cmd := filepath.Join("..", "bin", "cross-cloud-access")
			out, stderr, err := runStdin(t, base, cmd, "export", "--check", "--config", spec, "--out", filepath.Join("fleet", "flux", cluster, "cross-cloud-access"), "-")
			if err != nil {
				t.Errorf("export --check for %s: %v\n%s%s", cluster, err, out, stderr)
			}
			if strings.Contains(out+stderr, "differ") {
				t.Errorf("export --check for %s reports a difference:\n%s%s", cluster, out, stderr)
			}
		})
	}
}
