package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/go-cmp/cmp"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

// grantSpec is a valid, defaulted spec for one ServiceAccount of a generic
// cluster with the given clouds.
func grantSpec(t *testing.T, name string, aws *v1alpha1.AWS, gcp *v1alpha1.GCP, azure *v1alpha1.Azure) *v1alpha1.CrossCloudAccess {
	t.Helper()
	c := &v1alpha1.CrossCloudAccess{
		APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind,
		Metadata: v1alpha1.ObjectMeta{Name: name},
		Spec: v1alpha1.Spec{
			Cluster:        v1alpha1.Cluster{Provider: v1alpha1.ProviderGeneric, Issuer: "https://k8s.example.com"},
			ServiceAccount: v1alpha1.ServiceAccount{Name: name, Namespace: "apps"},
			AWS:            aws, GCP: gcp, Azure: azure,
		},
	}
	c.Default()
	if errs := c.Check().Errors(); len(errs) > 0 {
		t.Fatalf("spec %s: %v", name, errs)
	}
	return c
}

func awsWithGrants(g v1alpha1.AWSGrants) *v1alpha1.AWS {
	return &v1alpha1.AWS{RoleARN: "arn:aws:iam::111122223333:role/app", Region: "eu-west-2", Grants: &g}
}

func gcpWithGrants(g v1alpha1.GCPGrants) *v1alpha1.GCP {
	return &v1alpha1.GCP{ProjectNumber: "123456789012", WorkloadIdentityPool: "pool-one", WorkloadIdentityProvider: "provider-one", Grants: &g}
}

// requireQuota fails unless err is a quota error naming the quota and what
// would fit.
func requireQuota(t *testing.T, err error, mentions ...string) {
	t.Helper()
	var q *QuotaExceeded
	if !errors.Is(err, ErrQuota) || !errors.As(err, &q) {
		t.Fatalf("Build = %v, want a quota error", err)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("the error does not mention %q: %v", m, err)
		}
	}
}

func TestInlinePolicySizeIsCheckedAsIAMCountsIt(t *testing.T) {
	statements := func(n int) []v1alpha1.AWSStatement {
		var out []v1alpha1.AWSStatement
		for i := range n {
			out = append(out, v1alpha1.AWSStatement{Actions: []string{"sqs:ReceiveMessage"}, Resources: []string{fmt.Sprintf("arn:aws:sqs:eu-west-2:111122223333:queue-%04d", i)}})
		}
		return out
	}
	// One statement, its resources merged; each more queue adds its ARN and
	// a comma and two quotes to the size.
	size := func(n int) int {
		trust, err := Build([]*v1alpha1.CrossCloudAccess{grantSpec(t, "app", awsWithGrants(v1alpha1.AWSGrants{Statements: statements(n)}), nil, nil)})
		if err != nil {
			return -1
		}
		s, err := policySize(trust.AWS.Roles[0].PermissionsPolicy)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	fit := 0
	for n := 1; size(n) > 0; n += 10 {
		fit = n
	}
	if fit < 100 {
		t.Fatalf("only %d queues fit one inline policy", fit)
	}
	_, err := Build([]*v1alpha1.CrossCloudAccess{grantSpec(t, "app", awsWithGrants(v1alpha1.AWSGrants{Statements: statements(fit + 10)}), nil, nil)})
	requireQuota(t, err, "role policy size", "10240", "characters without whitespace", "managedPolicyArns")
}

// IAM does not count whitespace, so the size is the same however the JSON
// is laid out.
func TestPolicySizeIgnoresWhitespace(t *testing.T) {
	p := &PermissionsPolicy{Version: IAMPolicyVersion, Statement: []PermissionStatement{{Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b-c-d/*"}}}}
	got, err := policySize(p)
	if err != nil {
		t.Fatal(err)
	}
	want := len(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b-c-d/*"]}]}`)
	if got != want {
		t.Errorf("policySize = %d, want %d", got, want)
	}
}

func TestManagedPoliciesPerRoleQuota(t *testing.T) {
	specWith := func(n int) []*v1alpha1.CrossCloudAccess {
		var arns []string
		for i := range n {
			arns = append(arns, fmt.Sprintf("arn:aws:iam::111122223333:policy/p%02d", i))
		}
		return []*v1alpha1.CrossCloudAccess{grantSpec(t, "app", awsWithGrants(v1alpha1.AWSGrants{ManagedPolicyARNs: arns}), nil, nil)}
	}
	if _, err := Build(specWith(10)); err != nil {
		t.Errorf("10 managed policies: %v", err)
	}
	_, err := Build(specWith(11))
	requireQuota(t, err, "managed policies per role", "L-0DA4ABF3", "11 managed policies", "--aws-managed-policies-quota")
	if _, err := BuildWithin(specWith(20), Limits{AWSManagedPoliciesPerRole.Name: 20}); err != nil {
		t.Errorf("20 managed policies with the quota raised to 20: %v", err)
	}
}

func TestGCPConditionOperatorsQuota(t *testing.T) {
	specWith := func(n int) []*v1alpha1.CrossCloudAccess {
		var grants []v1alpha1.GCSGrant
		for i := range n {
			grants = append(grants, v1alpha1.GCSGrant{Bucket: "b-c-d", Prefix: fmt.Sprintf("p%d/", i)})
		}
		return []*v1alpha1.CrossCloudAccess{grantSpec(t, "app", nil, gcpWithGrants(v1alpha1.GCPGrants{GCS: grants}), nil)}
	}
	// Two clauses a prefix, joined by ||: six prefixes take 11 operators.
	if _, err := Build(specWith(6)); err != nil {
		t.Errorf("6 prefixes: %v", err)
	}
	_, err := Build(specWith(7))
	requireQuota(t, err, "logical operators", "13 operators", "12")
}

func TestGCPMembersPerPolicyQuota(t *testing.T) {
	var specs []*v1alpha1.CrossCloudAccess
	for i := range 1501 {
		// A pool each, so that no provider's attribute condition outgrows
		// its own quota first: the members all meet on the bucket.
		gcp := gcpWithGrants(v1alpha1.GCPGrants{GCS: []v1alpha1.GCSGrant{{Bucket: "b-c-d"}}})
		gcp.WorkloadIdentityPool = fmt.Sprintf("pool-%04d", i)
		specs = append(specs, grantSpec(t, fmt.Sprintf("app-%04d", i), nil, gcp, nil))
	}
	if _, err := Build(specs[:1500]); err != nil {
		t.Errorf("1500 members: %v", err)
	}
	_, err := Build(specs)
	requireQuota(t, err, "members in all bindings of one allow policy", "1501", "serviceAccountEmail")
}

// The --aws-managed-policies-quota flag sets the account's limit, never
// above what AWS grants; a lower limit (an account's own) is taken.
func TestManagedPoliciesQuotaFlag(t *testing.T) {
	spec := `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata: {name: app}
spec:
  cluster: {provider: generic, issuer: https://k8s.example.com}
  serviceAccount: {name: app, namespace: apps}
  aws:
    roleArn: arn:aws:iam::111122223333:role/app
    region: eu-west-2
    grants:
      managedPolicyArns: [`
	var arns []string
	for i := range 12 {
		arns = append(arns, fmt.Sprintf("arn:aws:iam::111122223333:policy/p%02d", i))
	}
	spec += strings.Join(arns, ", ") + "]\n"
	if _, _, err := runTrust(t, []byte(spec), "-"); !errors.Is(err, ErrQuota) {
		t.Errorf("12 managed policies at the default quota: %v, want a quota error", err)
	}
	if out, stderr, err := runTrust(t, []byte(spec), "--aws-managed-policies-quota", "12", "-"); err != nil || !strings.Contains(out, "p11") {
		t.Errorf("12 managed policies with the quota at 12: %v\n%s", err, stderr)
	}
	if _, _, err := runTrust(t, []byte(spec), "--aws-managed-policies-quota", "11", "-"); !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "is 11") {
		t.Errorf("12 managed policies with the quota at 11: %v, want a quota error at 11", err)
	}
	for _, bad := range []string{"26", "0", "-1"} {
		if _, _, err := runTrust(t, []byte(spec), "--aws-managed-policies-quota", bad, "-"); !errors.Is(err, ErrInvalidFlag) {
			t.Errorf("--aws-managed-policies-quota %s: %v, want ErrInvalidFlag", bad, err)
		}
	}
}

// Every condition trust writes is CEL that Google's own parser (cel-go)
// reads, and its logical operators, counted on the parsed expression, are
// within IAM's limit.
func TestGCPConditionsParseAsCELWithinTheOperatorLimit(t *testing.T) {
	env, err := cel.NewEnv(cel.Variable("resource", cel.DynType), cel.Variable("api", cel.DynType))
	if err != nil {
		t.Fatal(err)
	}
	conditions := 0
	for _, name := range goldenCases(t) {
		trust := buildCase(t, name)
		if trust.GCP == nil {
			continue
		}
		for _, b := range trust.GCP.ResourceBindings {
			if b.Condition == nil {
				continue
			}
			conditions++
			parsed, issues := env.Parse(b.Condition.Expression)
			if issues.Err() != nil {
				t.Errorf("%s: %q does not parse: %v", name, b.Condition.Expression, issues.Err())
				continue
			}
			n := logicalOperators(parsed.NativeRep().Expr())
			if n > GCPConditionOperators.Limit {
				t.Errorf("%s: %d logical operators, over %d", name, n, GCPConditionOperators.Limit)
			}
			if want := strings.Count(b.Condition.Expression, " || ") + strings.Count(b.Condition.Expression, " && "); n != want {
				t.Errorf("%s: the parser counts %d operators, the text %d", name, n, want)
			}
		}
	}
	if conditions < 3 {
		t.Errorf("only %d conditions checked", conditions)
	}
}

// logicalOperators counts && and || in a parsed CEL expression.
func logicalOperators(e ast.Expr) int {
	if e.Kind() != ast.CallKind {
		return 0
	}
	call := e.AsCall()
	n := 0
	if call.FunctionName() == operators.LogicalOr || call.FunctionName() == operators.LogicalAnd {
		n++
	}
	if call.IsMemberFunction() {
		n += logicalOperators(call.Target())
	}
	for _, arg := range call.Args() {
		n += logicalOperators(arg)
	}
	return n
}

// Values trust never gets from a valid spec, in every field of every grant,
// come back out of each format exactly: quoting and escaping keep them
// literal, and no comment, command or block is broken out of.
func TestGrantsKeepOddValuesLiteral(t *testing.T) {
	odd := `it's "odd" $HOME ` + "`id`" + ` \n !x ;& | * ? [a] {b} ~ # ${aws:username} %{x}`
	for _, lineBreak := range lineBreaks {
		t.Run(fmt.Sprintf("%U", []rune(lineBreak)), func(t *testing.T) {
			v := odd + lineBreak + "pwned" + lineBreak + `resource "null_resource" "pwned" {}` + lineBreak + "kind: Pwned"
			trust := &Trust{
				AWS: &AWS{OIDCProviders: []AWSOIDCProvider{}, Roles: []AWSRole{{
					RoleARN:          "arn:aws:iam::111122223333:role/r",
					AssumeRolePolicy: PolicyDocument{Version: IAMPolicyVersion, Statement: []Statement{}},
					PermissionsPolicy: &PermissionsPolicy{Version: IAMPolicyVersion, Statement: []PermissionStatement{{
						Effect: "Allow", Action: []string{v}, Resource: []string{v, "x"},
						Condition: PolicyConditions{"StringLike": {S3PrefixKey: {v}}},
					}}},
					ManagedPolicyARNs: []string{"arn:aws:iam::aws:policy/" + v},
				}}},
				GCP: &GCP{WorkloadIdentityPools: []GCPPool{}, IAMBindings: []GCPIAMBinding{}, ResourcePrincipals: []string{},
					ResourceBindings: []GCPResourceBinding{{
						Resource: "//storage.googleapis.com/projects/_/buckets/b-c-d", Role: "roles/" + v, Member: "serviceAccount:" + v,
						Condition: &GCPCondition{Title: v, Expression: "resource.name.startsWith('" + v + "')"},
					}}},
				Azure: &Azure{FederatedIdentityCredentials: []AzureFederatedIdentityCredential{}, RoleAssignments: []AzureRoleAssignment{{
					Scope: "/subscriptions/22222222-3333-4444-5555-666666666666/" + v, Role: v,
					RoleDefinitionID: "/subscriptions/22222222-3333-4444-5555-666666666666/providers/Microsoft.Authorization/roleDefinitions/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
					ClientID:         "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
				}}},
			}
			want := grantsOfTrust(trust)
			for format, read := range map[string]func(*testing.T, *Trust) grants{"terraform": terraformGrants, "shell": shellGrants, "krm": krmGrants} {
				if format == "krm" && lineBreak == "\u0085" {
					// The YAML encoder writes U+0085 as it is and YAML
					// readers fold it into a space, in every KRM value: no
					// spec can hold it (validation refuses it in every
					// grant field), so only the other formats are held to it.
					continue
				}
				if diff := cmp.Diff(want, read(t, trust).sorted()); diff != "" {
					t.Errorf("%s changed the grants (-want +got):\n%s", format, diff)
				}
			}
			for format, render := range renderers {
				var out strings.Builder
				if err := render(&out, trust); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
				for _, line := range strings.Split(out.String(), "\n") {
					if strings.HasPrefix(strings.TrimSpace(line), "#") && strings.ContainsAny(line, "\r\u0085\u2028\u2029") {
						t.Errorf("--format %s: a comment line holds a line break: %q", format, line)
					}
					// HCL strings escape every line break; in shell and YAML
					// a quoted value may span lines, and the readers above
					// prove it stays one value.
					if format == "terraform" && (strings.HasPrefix(line, "pwned") || strings.HasPrefix(line, `resource "null_resource"`)) {
						t.Errorf("--format %s: a value became a line of its own: %q", format, line)
					}
				}
			}
		})
	}
}

// A spec.containers entry's role gets its own grants and none of the spec's:
// the sidecar with another identity must not inherit the app's permissions.
func TestContainerRolesGetOnlyTheirOwnGrants(t *testing.T) {
	spec := `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata: {name: reports}
spec:
  cluster: {provider: generic, issuer: https://k8s.example.com}
  serviceAccount: {name: reports, namespace: apps}
  containers:
  - names: [exporter]
    aws:
      roleArn: arn:aws:iam::111122223333:role/exporter
      grants: {s3: [{bucket: exports-bucket, level: read}]}
  - names: [auditor]
    aws: {roleArn: arn:aws:iam::111122223333:role/auditor}
  aws:
    roleArn: arn:aws:iam::111122223333:role/app
    region: eu-west-2
    grants: {s3: [{bucket: app-bucket, level: readWrite}]}
`
	out, stderr, err := runTrust(t, []byte(spec), "-")
	if err != nil {
		t.Fatalf("trust: %v\n%s", err, stderr)
	}
	var doc Trust
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	resources := map[string]string{}
	for _, r := range doc.AWS.Roles {
		var got []string
		if r.PermissionsPolicy != nil {
			for _, s := range r.PermissionsPolicy.Statement {
				got = append(got, s.Resource...)
			}
		}
		resources[r.RoleARN] = strings.Join(got, " ")
	}
	for _, tc := range []struct{ role, want, not string }{
		{"arn:aws:iam::111122223333:role/app", "app-bucket", "exports-bucket"},
		{"arn:aws:iam::111122223333:role/exporter", "exports-bucket", "app-bucket"},
	} {
		if got := resources[tc.role]; !strings.Contains(got, tc.want) || strings.Contains(got, tc.not) {
			t.Errorf("role %s may reach %q; want %s and not %s", tc.role, got, tc.want, tc.not)
		}
	}
	if got := resources["arn:aws:iam::111122223333:role/auditor"]; got != "" {
		t.Errorf("the auditor's role, which its entry grants nothing, may reach %q", got)
	}
}
