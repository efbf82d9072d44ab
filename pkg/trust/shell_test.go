package trust

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

func renderShell(t *testing.T, trust *Trust) string {
	t.Helper()
	var out bytes.Buffer
	if err := RenderShell(&out, trust); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func needShell(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not on PATH: %v", name, err)
	}
	return path
}

// commandLines are the lines of a script that run something.
func commandLines(script string) []string {
	var lines []string
	for _, line := range strings.Split(script, "\n") {
		if trimmed := strings.TrimSpace(line); trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			lines = append(lines, line)
		}
	}
	return lines
}

func TestShellParsesLineByLine(t *testing.T) {
	bash := needShell(t, "bash")
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			script := renderShell(t, buildCase(t, name))
			for _, shell := range []string{bash, "sh"} {
				if out, err := exec.Command(shell, "-n", "-c", script).CombinedOutput(); err != nil {
					t.Errorf("%s -n on the whole script: %v\n%s", shell, err, out)
				}
			}
			for _, line := range commandLines(script) {
				if out, err := exec.Command(bash, "-n", "-c", line).CombinedOutput(); err != nil {
					t.Errorf("bash -n: %v\n%s\n%s", err, line, out)
				}
			}
			// The commented alternatives must parse too once uncommented.
			for _, line := range strings.Split(script, "\n") {
				if alt, ok := strings.CutPrefix(line, "#   "); ok {
					if out, err := exec.Command(bash, "-n", "-c", alt).CombinedOutput(); err != nil {
						t.Errorf("bash -n: %v\n%s\n%s", err, alt, out)
					}
				}
			}
		})
	}
}

// runWithStubs runs the script in bash with aws, gcloud and az replaced by
// functions that record their arguments, and returns one argument list per
// call (see shellCalls). A command "pwned", which no script should run, is
// recorded too.
func runWithStubs(t *testing.T, script string) [][]string {
	t.Helper()
	return shellCalls(t, "bash", script)
}

// flagValue returns the value of --name (as "--name value" or "--name=value").
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return "<missing " + name + ">"
}

// oddValue is a value no spec can have today: every character a shell,
// HCL, YAML or gcloud's list syntax treats as special.
const oddValue = `it's "odd" $HOME ` + "`id`" + ` \n !x ;& | * ? [a] {b} ~ #`

// oddTrust holds oddValue wherever a spec's values reach, to prove that
// quoting, not validation, keeps them intact.
func oddTrust() *Trust { return oddTrustWith(oddValue) }

// oddTrustWith holds odd in the values of the trust and its grants that a
// renderer writes into a string, a comment or an argument. Names that make
// Terraform labels, KRM names and ARNs stay plain: the renderers derive
// those, and the spec's validation keeps what they derive from plain.
func oddTrustWith(odd string) *Trust {
	return &Trust{
		AWS: &AWS{
			OIDCProviders: []AWSOIDCProvider{{URL: "https://issuer.example.com/" + odd, ClientIDList: []string{"aud one", odd}, ARN: "arn:aws:iam::111122223333:oidc-provider/x"}},
			Roles: []AWSRole{{RoleARN: "arn:aws:iam::111122223333:role/r", AssumeRolePolicy: PolicyDocument{Version: IAMPolicyVersion, Statement: []Statement{{
				Effect: "Allow", Principal: Principal{Federated: "arn:aws:iam::111122223333:oidc-provider/x"}, Action: Actions{ActionAssumeRoleWithWebID},
				Condition: Condition{StringEquals: map[string]Values{"x:sub": {odd, "system:serviceaccount:a:b"}, "x:aud": {"it's"}}},
			}}},
				PermissionsPolicy: &PermissionsPolicy{Version: IAMPolicyVersion, Statement: []PermissionStatement{{
					Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: []string{"arn:aws:s3:::bucket"},
					Condition: PolicyConditions{"StringLike": {S3PrefixKey: {odd}}},
				}, {
					Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::bucket/" + odd},
				}}},
				ManagedPolicyARNs: []string{"arn:aws:iam::111122223333:policy/" + odd},
			}},
		},
		GCP: &GCP{
			WorkloadIdentityPools: []GCPPool{{ProjectNumber: "1", PoolID: "pool", Providers: []GCPPoolProvider{{
				ProviderID: "prov", IssuerURI: "https://issuer.example.com/" + odd,
				AllowedAudiences:   []string{"a,b", odd},
				AttributeMapping:   map[string]string{GCPSubjectAttribute: GCPSubjectAssertion},
				AttributeCondition: SubjectCondition([]string{odd, "x'y"}),
			}}}},
			IAMBindings:        []GCPIAMBinding{{Resource: "projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com", Role: GCPWorkloadIdentityUserRole, Member: "serviceAccount:p.svc.id.goog[" + odd + "]"}},
			ResourcePrincipals: []string{},
			ResourceBindings: []GCPResourceBinding{{
				Resource: "//storage.googleapis.com/projects/_/buckets/bucket", Role: "roles/storage.objectViewer",
				Member:    "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/subject/" + odd,
				Condition: &GCPCondition{Title: odd, Expression: "resource.name.startsWith(" + celString(odd) + ")"},
			}},
		},
		Azure: &Azure{FederatedIdentityCredentials: []AzureFederatedIdentityCredential{{
			Name: "n", Issuer: "https://issuer.example.com/" + odd, Subject: odd, Audiences: []string{v1alpha1.DefaultAzureAudience},
			ClientID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", TenantID: "t",
		}},
			RoleAssignments: []AzureRoleAssignment{{
				Scope: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/account/blobServices/default/containers/" + odd,
				Role:  "Storage Blob Data Reader", RoleDefinitionID: "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
				ClientID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
			}},
		},
	}
}

func TestShellQuotingSurvivesOddValues(t *testing.T) {
	checkShellCarriesOddTrust(t, oddTrust())
}

// checkShellCarriesOddTrust runs the script rendered from an oddTrustWith
// trust with recording stubs and checks that each command receives the
// trust's values exactly.
func checkShellCarriesOddTrust(t *testing.T, trust *Trust) {
	t.Helper()
	calls := runWithStubs(t, renderShell(t, trust))
	byVerb := map[string][]string{}
	for _, c := range calls {
		byVerb[strings.Join(c[:min(len(c), 5)], " ")] = c
	}
	find := func(prefix string) []string {
		for verb, c := range byVerb {
			if strings.HasPrefix(verb, prefix) {
				return c
			}
		}
		t.Fatalf("no %q call among %q", prefix, calls)
		return nil
	}

	oidc := find("aws iam create-open-id-connect-provider")
	if got := flagValue(oidc, "--url"); got != trust.AWS.OIDCProviders[0].URL {
		t.Errorf("--url = %q, want %q", got, trust.AWS.OIDCProviders[0].URL)
	}
	i := slices.Index(oidc, "--client-id-list")
	if diff := cmp.Diff(trust.AWS.OIDCProviders[0].ClientIDList, oidc[i+1:]); diff != "" {
		t.Errorf("--client-id-list (-want +got):\n%s", diff)
	}
	var policy PolicyDocument
	if err := json.Unmarshal([]byte(flagValue(find("aws iam update-assume-role-policy"), "--policy-document")), &policy); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(trust.AWS.Roles[0].AssumeRolePolicy, policy); diff != "" {
		t.Errorf("--policy-document (-want +got):\n%s", diff)
	}

	provider := find("gcloud iam workload-identity-pools providers create-oidc")
	p := trust.GCP.WorkloadIdentityPools[0].Providers[0]
	for flagName, want := range map[string]string{
		"--issuer-uri":          p.IssuerURI,
		"--attribute-condition": p.AttributeCondition,
		"--attribute-mapping":   "google.subject=assertion.sub",
	} {
		if got := flagValue(provider, flagName); got != want {
			t.Errorf("%s = %q, want %q", flagName, got, want)
		}
	}
	// gcloud reads "^D^" as "split on D": the audiences hold commas.
	audiences := flagValue(provider, "--allowed-audiences")
	if !strings.HasPrefix(audiences, "^") {
		t.Fatalf("--allowed-audiences=%q does not switch delimiter though an audience holds a comma", audiences)
	}
	delim := audiences[1:2]
	if diff := cmp.Diff(p.AllowedAudiences, strings.Split(audiences[3:], delim)); diff != "" {
		t.Errorf("--allowed-audiences split by gcloud (-want +got):\n%s", diff)
	}
	if got := flagValue(find("gcloud iam service-accounts add-iam-policy-binding"), "--member"); got != trust.GCP.IAMBindings[0].Member {
		t.Errorf("--member = %q, want %q", got, trust.GCP.IAMBindings[0].Member)
	}

	fic := find("az identity federated-credential create")
	c := trust.Azure.FederatedIdentityCredentials[0]
	for flagName, want := range map[string]string{
		"--issuer":         c.Issuer,
		"--subject":        c.Subject,
		"--identity-name":  "test-identity",
		"--resource-group": "test-identity",
		"--audiences":      c.Audiences[0],
	} {
		if got := flagValue(fic, flagName); got != want {
			t.Errorf("az %s = %q, want %q", flagName, got, want)
		}
	}
}

func TestShellCommandsCarryTheTrustOfEveryCase(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			trust := buildCase(t, name)
			calls := runWithStubs(t, renderShell(t, trust))
			var policies []PolicyDocument
			var members []string
			for _, c := range calls {
				switch strings.Join(c[:3], " ") {
				case "aws iam update-assume-role-policy":
					var p PolicyDocument
					if err := json.Unmarshal([]byte(flagValue(c, "--policy-document")), &p); err != nil {
						t.Fatal(err)
					}
					policies = append(policies, p)
				case "gcloud iam service-accounts":
					if isServiceAccountGrant(trust, GCPIAMBinding{Resource: ServiceAccountResource(c[4]), Role: flagValue(c, "--role"), Member: flagValue(c, "--member")}) {
						continue // a grant, checked in grants_render_test.go
					}
					members = append(members, flagValue(c, "--member"))
				}
			}
			var wantPolicies []PolicyDocument
			if trust.AWS != nil {
				for _, r := range trust.AWS.Roles {
					wantPolicies = append(wantPolicies, r.AssumeRolePolicy)
				}
			}
			if diff := cmp.Diff(wantPolicies, policies); diff != "" {
				t.Errorf("trust policies (-want +got):\n%s", diff)
			}
			var wantMembers []string
			if trust.GCP != nil {
				for _, b := range trust.GCP.IAMBindings {
					wantMembers = append(wantMembers, b.Member)
				}
			}
			if diff := cmp.Diff(wantMembers, members); diff != "" {
				t.Errorf("IAM members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"sts.amazonaws.com", "sts.amazonaws.com"},
		{"", "''"},
		{"a b", "'a b'"},
		{"x == 'y'", `"x == 'y'"`},
		{"it's $HOME", `'it'\''s $HOME'`},
		{"=starts", "'=starts'"},
	} {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
