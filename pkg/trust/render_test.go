package trust

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"

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

// lineBreaks are the characters some reader of our output takes for the end
// of a line: sh and HCL take "\n", YAML and editors the others as well.
var lineBreaks = []string{"\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029"}

// hostileTrust puts text after a line break in every value that a comment
// shows: if a comment could be broken out of, the text would become a shell
// command, a Terraform resource or a YAML key.
func hostileTrust(lineBreak string) *Trust {
	inject := func(value string) string {
		return value + lineBreak + "pwned" + lineBreak + `resource "null_resource" "pwned" {}` + lineBreak + "kind: Pwned" + lineBreak
	}
	issuer := inject("https://issuer.example.com")
	principal := inject("principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/subject/s")
	return &Trust{
		AWS: &AWS{
			OIDCProviders: []AWSOIDCProvider{{URL: issuer, ClientIDList: []string{"sts.amazonaws.com"}, ARN: "arn:aws:iam::" + inject("111122223333") + ":oidc-provider/x"}},
			Roles:         []AWSRole{},
		},
		GCP: &GCP{
			WorkloadIdentityPools: []GCPPool{{ProjectNumber: inject("1"), PoolID: "pool", Providers: []GCPPoolProvider{{
				ProviderID: "prov", IssuerURI: issuer,
				AllowedAudiences:   []string{},
				AttributeMapping:   map[string]string{GCPSubjectAttribute: GCPSubjectAssertion},
				AttributeCondition: SubjectCondition([]string{"s"}),
			}}}},
			IAMBindings: []GCPIAMBinding{{
				Resource: "projects/p/serviceAccounts/" + inject("sa@p.iam.gserviceaccount.com"),
				Role:     GCPWorkloadIdentityUserRole,
				Member:   principal,
			}},
			ResourcePrincipals: []string{principal},
		},
		Azure: &Azure{FederatedIdentityCredentials: []AzureFederatedIdentityCredential{{
			Name: "n", Issuer: issuer, Subject: inject("system:serviceaccount:a:b"), Audiences: []string{"api://AzureADTokenExchange"},
			ClientID: inject("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"), TenantID: inject("t"),
		}}},
	}
}

func TestCommentsCannotBeBrokenOutOf(t *testing.T) {
	for _, lineBreak := range lineBreaks {
		t.Run(fmt.Sprintf("%U", []rune(lineBreak)), func(t *testing.T) {
			trust := hostileTrust(lineBreak)
			outputs := map[string]string{}
			for _, format := range []string{"terraform", "shell", "krm"} {
				var out bytes.Buffer
				if err := renderers[format](&out, trust); err != nil {
					t.Fatalf("--format %s: %v", format, err)
				}
				outputs[format] = out.String()
				checkCommentLines(t, format, out.String())
			}

			body := parseHCL(t, []byte(outputs["terraform"]))
			for _, block := range body.Blocks {
				if slices.Contains(block.Labels, "null_resource") {
					t.Errorf("terraform: a value became a block: %s %q", block.Type, block.Labels)
				}
			}

			for _, call := range runWithStubs(t, outputs["shell"]) {
				if call[0] == "pwned" {
					t.Errorf("shell: a value became a command: %q", call)
				}
			}

			objects, err := kio.FromBytes([]byte(outputs["krm"]))
			if err != nil {
				t.Fatalf("krm: output does not parse: %v\n%s", err, outputs["krm"])
			}
			for _, o := range objects {
				if o.GetKind() == "Pwned" {
					t.Errorf("krm: a value became a key: %s", o.MustString())
				}
			}
			// An OIDC provider, a pool, a pool provider, a grant and an
			// Azure credential: any other object came from a value.
			if len(objects) != 5 {
				t.Errorf("krm: %d objects, want the OIDC provider, pool, pool provider, grant and Azure credential", len(objects))
			}
		})
	}
}

// checkCommentLines checks that no comment line of a format's output holds
// a line break other than its own end: any would end the comment for some
// reader and make the rest of the value code.
func checkCommentLines(t *testing.T, format, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") && strings.ContainsAny(line, "\r\u0085\u2028\u2029") {
			t.Errorf("--format %s: a comment line holds a line break: %q", format, line)
		}
	}
}

// gcloudArgList splits a list flag value the way gcloud's ArgList does: on
// commas, unless the value starts with ^DELIM^, then on DELIM.
func gcloudArgList(value string) []string {
	delim := ","
	if rest, ok := strings.CutPrefix(value, "^"); ok {
		if d, body, found := strings.Cut(rest, "^"); found {
			delim, value = d, body
		}
	}
	return strings.Split(value, delim)
}

// gcloud must read back exactly the values the workload side uses, whatever
// the audiences hold: commas, carets, any delimiter.
func TestGcloudListReadsBackAsTheSameValues(t *testing.T) {
	for _, values := range [][]string{
		{"https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/a"},
		{"a,b", "c"},
		{"^x^y", "z"},
		{"a,^b", "c^d"},
		{"a,;b", "c|d", "e#"},
		{"google.subject=assertion.sub"},
	} {
		got, err := gcloudList(values)
		if err != nil {
			t.Errorf("gcloudList(%q): %v", values, err)
			continue
		}
		if back := gcloudArgList(got); !slices.Equal(back, values) {
			t.Errorf("gcloudList(%q) = %q, which gcloud reads as %q", values, got, back)
		}
	}
	if got, err := gcloudList([]string{"a,;|#~@+!*&"}); err == nil {
		t.Errorf("gcloudList with every delimiter = %q, want an error", got)
	}
}
