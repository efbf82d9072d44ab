package kubecheck

import (
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/kinds"
)

// Every Kubernetes kind the function patches must be one whose output the
// tests can decode strictly: a row added to the table without its Go type
// here would be patched but never checked.
func TestEveryBuiltinKindHasAKubernetesType(t *testing.T) {
	for _, k := range kinds.Kubernetes {
		for _, v := range k.APIVersions() {
			if !Known(v, k.Kind) {
				t.Errorf("%s %s is in the kinds table but has no Kubernetes type here", v, k.Kind)
			}
		}
	}
}
