package examples

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

// One aws block serves an EKS cluster (mode auto: the EKS webhook) and a GKE
// cluster (mode auto: projected), region included: on EKS the region is a
// default in the pods' env, which the webhook keeps (it adds the cluster's
// region only to a container that sets none); on GKE it is set beside the
// role's other variables.
func TestOneAWSBlockServesEKSAndGKE(t *testing.T) {
	for _, tc := range []struct {
		cluster string
		// annotated says the ServiceAccount carries the role for the EKS
		// webhook; projected says the pods get the token themselves.
		annotated, projected bool
	}{
		{cluster: "eks", annotated: true},
		{cluster: "gke", projected: true},
	} {
		t.Run(tc.cluster, func(t *testing.T) {
			dir := filepath.Join("one-aws-block", tc.cluster)
			out, stderr, err := run(t, ".", "go", "tool", "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", dir)
			if err != nil {
				t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr)
			}
			golden.Compare(t, filepath.Join(dir, "expected.yaml"), []byte(out))
			checkObjects(t, out)
			nodes, err := kio.FromBytes([]byte(out))
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range nodes {
				switch n.GetKind() {
				case "ServiceAccount":
					_, got := n.GetAnnotations()["eks.amazonaws.com/role-arn"]
					if got != tc.annotated {
						t.Errorf("ServiceAccount role-arn annotation present = %v; want %v", got, tc.annotated)
					}
				case "Deployment":
					env, err := n.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=api]", "env"))
					if err != nil || env == nil {
						t.Fatalf("the Deployment's container has no env: %v", err)
					}
					text := env.MustString()
					if !strings.Contains(text, "name: AWS_REGION\n  value: eu-west-2") {
						t.Errorf("the container's env lacks AWS_REGION=eu-west-2:\n%s", text)
					}
					if got := strings.Contains(text, "AWS_WEB_IDENTITY_TOKEN_FILE"); got != tc.projected {
						t.Errorf("AWS_WEB_IDENTITY_TOKEN_FILE present = %v; want %v", got, tc.projected)
					}
				}
			}
		})
	}
}
