package flux

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/kyaml/kio"
	sigsyaml "sigs.k8s.io/yaml"
)

// The fleet of docs/fleet.md under Flux: each cluster's Kustomization of
// examples/fleet/flux/kustomizations.yaml, built as kustomize-controller
// builds it from the repository, gives the objects kustomize gives for the
// cluster's overlay running the function.
func TestFleetKustomizationsBuildEachClusterAsTheFunction(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "examples", "fleet", "flux", "kustomizations.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := kio.FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 5 {
		t.Fatalf("kustomizations.yaml has %d Kustomizations; the fleet has 5 clusters", len(nodes))
	}
	for _, n := range nodes {
		var ks unstructured.Unstructured
		if err := sigsyaml.Unmarshal([]byte(n.MustString()), &ks.Object); err != nil {
			t.Fatal(err)
		}
		if ks.GetAPIVersion() != "kustomize.toolkit.fluxcd.io/v1" || ks.GetKind() != "Kustomization" {
			t.Fatalf("%s/%s is not a Flux Kustomization", ks.GetAPIVersion(), ks.GetKind())
		}
		path, _, _ := unstructured.NestedString(ks.Object, "spec", "path")
		cluster := filepath.Base(path)
		t.Run(cluster, func(t *testing.T) {
			// The controller writes into the checkout; build a copy.
			source := t.TempDir()
			if err := os.CopyFS(filepath.Join(source, "examples", "fleet"), os.DirFS(filepath.Join(repoRoot, "examples", "fleet"))); err != nil {
				t.Fatal(err)
			}
			got := normalizeOrder(t, fluxBuildKustomization(t, source, filepath.Join(source, filepath.FromSlash(strings.TrimPrefix(path, "./"))), ks))
			want := normalizeOrder(t, kustomizeWithFunction(t, filepath.Join("examples", "fleet", "clusters", cluster)))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Flux's build of %s differs from the function on clusters/%s (-function +flux):\n%s", path, cluster, diff)
			}
		})
	}
}
