package trust

import (
	"bytes"
	"errors"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
)

// A Trust built by hand may name a role that is not one; the formats that
// need the role's name refuse it rather than write an empty one.
func TestRenderersRefuseARoleThatIsNotARoleARN(t *testing.T) {
	trust := &Trust{AWS: &AWS{OIDCProviders: []AWSOIDCProvider{}, Roles: []AWSRole{{RoleARN: "arn:aws:iam::111122223333:user/u"}}}}
	for _, format := range []string{"terraform", "shell", "krm"} {
		var out bytes.Buffer
		if err := renderers[format](&out, trust); !errors.Is(err, arn.ErrNotRole) {
			t.Errorf("--format %s: error %v, want one wrapping arn.ErrNotRole", format, err)
		}
	}
}
