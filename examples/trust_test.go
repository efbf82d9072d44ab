package examples

import (
	"path/filepath"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
)

// An example whose folder holds trust.sh shows the cloud side of its spec:
// the README's path ends with it. The built binary prints it exactly, grants
// included (-update rewrites it).
func TestExampleTrustScripts(t *testing.T) {
	cases := golden.Cases(t, ".", "trust.sh")
	if len(cases) == 0 {
		t.Fatal("no example keeps its trust.sh")
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			out, stderr, err := run(t, name, "cross-cloud-access", "trust", "--format", "shell", "cross-cloud-access.yaml")
			if err != nil {
				t.Fatalf("trust: %v\n%s", err, stderr)
			}
			golden.Compare(t, filepath.Join(name, "trust.sh"), []byte(out))
		})
	}
}
