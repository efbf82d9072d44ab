package trust

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

const testEKSIssuer = "https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC"

// decodeSpec decodes one CrossCloudAccess the way the command does.
func decodeSpec(t *testing.T, doc string) *v1alpha1.CrossCloudAccess {
	t.Helper()
	spec, errs := v1alpha1.Decode(yaml.MustParse(doc))
	if len(errs.Errors()) > 0 {
		t.Fatalf("spec does not decode: %v\n%s", errs, doc)
	}
	return spec
}

// specYAML is a spec on the EKS cluster, or the given issuer, with the cloud
// sections given as YAML lines under spec.
func specYAML(namespace, name, iss, clouds string) string {
	if iss == "" {
		iss = testEKSIssuer
	}
	return "apiVersion: crosscloud.dev/v1alpha1\nkind: CrossCloudAccess\nmetadata: {name: " + name + "}\nspec:\n" +
		"  cluster: {provider: generic, issuer: " + iss + "}\n" +
		"  serviceAccount: {name: " + name + ", namespace: " + namespace + "}\n" + clouds
}

const (
	awsRoleYAML     = "  aws: {roleArn: 'arn:aws:iam::111122223333:role/app'}\n"
	gcpProviderYAML = "  gcp: {projectNumber: '123456789012', workloadIdentityPool: pool-one, workloadIdentityProvider: prov-one}\n"
	azureAppYAML    = "  azure: {tenantId: 11111111-2222-3333-4444-555555555555, clientId: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}\n"
)

func TestBuildRejectsSpecsThatCannotShareOneOutput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []string
		is    error
		says  string
	}{
		{
			name: "two issuers for one pool provider",
			specs: []string{
				specYAML("a", "one", "", gcpProviderYAML),
				specYAML("b", "two", "https://k8s.example.com", gcpProviderYAML),
			},
			is:   ErrConflict,
			says: "give each cluster its own spec.gcp.workloadIdentityProvider",
		},
		{
			name: "one ServiceAccount, one role, two audiences",
			specs: []string{
				specYAML("a", "one", "", awsRoleYAML),
				specYAML("a", "one", "", "  aws: {roleArn: 'arn:aws:iam::111122223333:role/app', audience: other.example.com}\n"),
			},
			is:   ErrConflict,
			says: `with audience "sts.amazonaws.com"`,
		},
		{
			name: "one client ID in two tenants",
			specs: []string{
				specYAML("a", "one", "", azureAppYAML),
				specYAML("b", "two", "", "  azure: {tenantId: 99999999-2222-3333-4444-555555555555, clientId: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}\n"),
			},
			is:   ErrConflict,
			says: "client ID aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee is in tenant 11111111-2222-3333-4444-555555555555",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var specs []*v1alpha1.CrossCloudAccess
			for _, doc := range tc.specs {
				specs = append(specs, decodeSpec(t, doc))
			}
			trust, err := Build(specs)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Build = %v, %v; want an error wrapping %v that says %q", trust, err, tc.is, tc.says)
			}
		})
	}
}

// Specs built by hand (not through Decode) must still never widen the trust.
func TestBuildRefusesWildcardsAndMissingAudiences(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*v1alpha1.CrossCloudAccess)
	}{
		{"wildcard ServiceAccount", func(c *v1alpha1.CrossCloudAccess) { c.Spec.ServiceAccount.Name = "*" }},
		{"wildcard namespace", func(c *v1alpha1.CrossCloudAccess) { c.Spec.ServiceAccount.Namespace = "team-*" }},
		{"empty ServiceAccount", func(c *v1alpha1.CrossCloudAccess) { c.Spec.ServiceAccount.Name = "" }},
		{"ServiceAccount with an empty DNS label", func(c *v1alpha1.CrossCloudAccess) { c.Spec.ServiceAccount.Name = "api..v2" }},
		{"namespace longer than Kubernetes allows", func(c *v1alpha1.CrossCloudAccess) { c.Spec.ServiceAccount.Namespace = strings.Repeat("n", 64) }},
		{"empty AWS audience", func(c *v1alpha1.CrossCloudAccess) { c.Spec.AWS.Audience = "" }},
		{"wildcard AWS audience", func(c *v1alpha1.CrossCloudAccess) { c.Spec.AWS.Audience = "sts.*" }},
		{"empty GCP audience", func(c *v1alpha1.CrossCloudAccess) { c.Spec.GCP.Audience = "" }},
		{"no pool provider", func(c *v1alpha1.CrossCloudAccess) { c.Spec.GCP.WorkloadIdentityProvider = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := decodeSpec(t, specYAML("a", "one", "", awsRoleYAML+gcpProviderYAML))
			tc.edit(spec)
			if _, err := Build([]*v1alpha1.CrossCloudAccess{spec}); !errors.Is(err, ErrUnsafe) {
				t.Fatalf("Build = %v; want an error wrapping ErrUnsafe", err)
			}
		})
	}
}

func TestBuildMergesAndDeduplicates(t *testing.T) {
	specs := []*v1alpha1.CrossCloudAccess{
		decodeSpec(t, specYAML("b", "two", "", awsRoleYAML+gcpProviderYAML)),
		decodeSpec(t, specYAML("a", "one", "", awsRoleYAML+gcpProviderYAML)),
		decodeSpec(t, specYAML("a", "one", "", awsRoleYAML+gcpProviderYAML)),
		decodeSpec(t, specYAML("a", "one", "", "  aws: {roleArn: 'arn:aws:iam::111122223333:role/other', audience: custom.example.com}\n")),
	}
	trust, err := Build(specs)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(trust.AWS.OIDCProviders); got != 1 {
		t.Fatalf("%d OIDC providers for one issuer in one account", got)
	}
	if diff := cmp.Diff([]string{"custom.example.com", "sts.amazonaws.com"}, trust.AWS.OIDCProviders[0].ClientIDList); diff != "" {
		t.Errorf("client IDs are not the sorted union of audiences (-want +got):\n%s", diff)
	}
	var statements []int
	for _, r := range trust.AWS.Roles {
		statements = append(statements, len(r.AssumeRolePolicy.Statement))
	}
	// One issuer and one audience on a role is one statement, its subjects
	// a sorted list.
	if diff := cmp.Diff([]int{1, 1}, statements); diff != "" {
		t.Errorf("statements per role app, other (-want +got):\n%s", diff)
	}
	got := trust.AWS.Roles[0].AssumeRolePolicy.Statement[0].Condition.StringEquals["oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC:sub"]
	if diff := cmp.Diff(Values{"system:serviceaccount:a:one", "system:serviceaccount:b:two"}, got); diff != "" {
		t.Errorf("subjects of the issuer's statement (-want +got):\n%s", diff)
	}
	pools := trust.GCP.WorkloadIdentityPools
	if len(pools) != 1 || len(pools[0].Providers) != 1 {
		t.Fatalf("want one pool with one provider, got %+v", pools)
	}
	if got, want := pools[0].Providers[0].AttributeCondition, "assertion.sub in ['system:serviceaccount:a:one', 'system:serviceaccount:b:two']"; got != want {
		t.Errorf("attribute condition = %q, want %q", got, want)
	}
	if trust.Azure != nil {
		t.Errorf("no spec uses Azure, yet the trust has %+v", trust.Azure)
	}
}

func TestBuildListsEveryAudienceOnceOneIsCustom(t *testing.T) {
	trust, err := Build([]*v1alpha1.CrossCloudAccess{
		decodeSpec(t, specYAML("a", "one", "", gcpProviderYAML)),
		decodeSpec(t, specYAML("b", "two", "", "  gcp: {projectNumber: '123456789012', workloadIdentityPool: pool-one, workloadIdentityProvider: prov-one, audience: custom}\n")),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"custom", "https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/pool-one/providers/prov-one"}
	if diff := cmp.Diff(want, trust.GCP.WorkloadIdentityPools[0].Providers[0].AllowedAudiences); diff != "" {
		t.Errorf("allowed audiences (-want +got):\n%s", diff)
	}
}

func TestBuildStopsAtCloudLimits(t *testing.T) {
	var gcp, azure []*v1alpha1.CrossCloudAccess
	for i := range 21 {
		name := "sa" + string(rune('a'+i))
		gcp = append(gcp, decodeSpec(t, specYAML("ns", name, "", "  gcp: {projectNumber: '123456789012', workloadIdentityPool: pool-one, workloadIdentityProvider: prov-one, audience: aud-"+name+"}\n")))
		azure = append(azure, decodeSpec(t, specYAML("ns", name, "", azureAppYAML)))
	}
	if _, err := Build(gcp); !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "would need 21 audiences; the Google Cloud IAM quota allowed audiences per workload identity pool provider is 10") {
		t.Errorf("21 audiences on one provider: %v", err)
	}
	if _, err := Build(azure); !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "would need 21 credentials; the Microsoft Entra ID quota federated identity credentials per identity is 20") {
		t.Errorf("21 credentials on one identity: %v", err)
	}
	// Seventy ServiceAccounts of 52-character names on one provider: its
	// condition lists them all, 70 quoted subjects of 77 characters with
	// ", " between them inside "assertion.sub in [...]": 5687 characters.
	var condition []*v1alpha1.CrossCloudAccess
	for i := range 70 {
		condition = append(condition, decodeSpec(t, specYAML("ns", fmt.Sprintf("sa-%02d-%s", i, strings.Repeat("n", 46)), "", gcpProviderYAML)))
	}
	if _, err := Build(condition); !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "the attribute condition of workload identity pool provider 123456789012/pool-one/prov-one would need 5687 characters; the Google Cloud IAM quota attribute condition length is 4096") {
		t.Errorf("70 subjects on one provider: %v", err)
	}
}

func TestSubjectCondition(t *testing.T) {
	for _, tc := range []struct {
		subjects []string
		want     string
	}{
		{[]string{"system:serviceaccount:a:b"}, "assertion.sub == 'system:serviceaccount:a:b'"},
		{[]string{"x", "y"}, "assertion.sub in ['x', 'y']"},
		{[]string{`it's\`}, `assertion.sub == 'it\'s\\'`},
	} {
		if got := SubjectCondition(tc.subjects); got != tc.want {
			t.Errorf("SubjectCondition(%q) = %s, want %s", tc.subjects, got, tc.want)
		}
	}
}

func TestServiceAccountResourceReadsTheProjectOfValidEmailsOnly(t *testing.T) {
	for email, want := range map[string]string{
		"app-runner@my-project.iam.gserviceaccount.com":      "projects/my-project/serviceAccounts/app-runner@my-project.iam.gserviceaccount.com",
		"my-project@appspot.gserviceaccount.com":             "projects/my-project/serviceAccounts/my-project@appspot.gserviceaccount.com",
		"123456789012-compute@developer.gserviceaccount.com": "projects/123456789012/serviceAccounts/123456789012-compute@developer.gserviceaccount.com",
		"odd@example.com": "projects/-/serviceAccounts/odd@example.com",
		// An account ID is 6 to 30 characters, so the spec refuses this
		// email too: no project is read from it.
		"app@my-project.iam.gserviceaccount.com": "projects/-/serviceAccounts/app@my-project.iam.gserviceaccount.com",
	} {
		if got := ServiceAccountResource(email); got != want {
			t.Errorf("ServiceAccountResource(%q) = %q, want %q", email, got, want)
		}
	}
}

// Entra ID: 3 to 120 characters, a letter or digit first, then letters,
// digits, '-' and '_'.
var azureCredentialName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$`)

func TestAzureCredentialNameIsValidStableAndUnique(t *testing.T) {
	long := "system:serviceaccount:" + strings.Repeat("n", 63) + ":" + strings.Repeat("s.", 120) + "s"
	names := map[string]string{}
	for _, tc := range []struct{ issuer, subject string }{
		{testEKSIssuer, "system:serviceaccount:shop:api"},
		{testEKSIssuer, "system:serviceaccount:shop:api.v2"},
		{testEKSIssuer, "system:serviceaccount:shop:api-v2"},
		{"https://k8s.example.com", "system:serviceaccount:shop:api"},
		{testEKSIssuer, long},
	} {
		name := AzureCredentialName(tc.issuer, tc.subject)
		if !azureCredentialName.MatchString(name) {
			t.Errorf("AzureCredentialName(%q, %q) = %q, which Entra ID rejects", tc.issuer, tc.subject, name)
		}
		if again := AzureCredentialName(tc.issuer, tc.subject); again != name {
			t.Errorf("not stable: %q then %q", name, again)
		}
		if prev, ok := names[name]; ok {
			t.Errorf("%q names both %s and %s %s", name, prev, tc.issuer, tc.subject)
		}
		names[name] = tc.issuer + " " + tc.subject
	}
}

func TestIssuerLabelNamesManagedClustersByTheirParts(t *testing.T) {
	for iss, want := range map[string]string{
		testEKSIssuer: "eks_eu_west_2_4e604436",
		"https://container.googleapis.com/v1/projects/my-project/locations/europe-west2-a/clusters/oidc-exp-cluster":        "gke_my_project_oidc_exp_cluster",
		"https://uksouth.oic.prod-aks.azure.com/11111111-2222-3333-4444-555555555555/66666666-7777-8888-9999-000000000000/": "aks_uksouth_66666666",
		"https://k8s.example.com/cluster-1": "k8s_example_com_cluster_1",
		// Not an issuer EKS hands out (its IDs are upper-case), so named
		// like any other.
		"https://oidc.eks.eu-west-2.amazonaws.com/id/4e604436464ffcc52f8b96807f5bd5bc": "oidc_eks_eu_west_2_amazonaws_com_id_4e604436464ffcc52f8b96807f5bd5bc",
	} {
		if got := issuerLabel(iss); got != want {
			t.Errorf("issuerLabel(%q) = %q, want %q", iss, got, want)
		}
	}
}

func TestQuotaCheckNamesTheFlagOfARaisableQuota(t *testing.T) {
	q := AWSRoleTrustPolicyLength
	var limits Limits
	if err := limits.Check(q, "role x", 2048); err != nil {
		t.Errorf("at the default limit: %v", err)
	}
	want := "role x would need 2049 characters (white space not counted); the AWS IAM quota role trust policy length (L-C07B4B0D) is 2048; ways out: "
	raise := "; have the quota raised (up to 8192) and pass the new limit as --aws-trust-policy-quota N"
	if err := limits.Check(q, "role x", 2049); err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), raise) {
		t.Errorf("over the default limit:\n%v", err)
	}
	limits = Limits{q.Name: 4096}
	if err := limits.Check(q, "role x", 4096); err != nil {
		t.Errorf("at a raised limit: %v", err)
	}
	if err := limits.Check(q, "role x", 4097); err == nil || !strings.Contains(err.Error(), "would need 4097 characters (white space not counted); the AWS IAM quota role trust policy length (L-C07B4B0D) is 4096") {
		t.Errorf("over a raised limit: %v", err)
	}
}

func TestQuotaCheck(t *testing.T) {
	q := Quota{Cloud: "AWS IAM", Name: "role trust policy length", Code: "L-C07B4B0D", Limit: 2048, Unit: "characters", WaysOut: []string{"raise the quota", "split the role"}}
	if err := q.Check("role x", 2048); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	err := q.Check("role x", 2049)
	if !errors.Is(err, ErrQuota) {
		t.Fatalf("over the limit: %v does not wrap ErrQuota", err)
	}
	want := "role x would need 2049 characters; the AWS IAM quota role trust policy length (L-C07B4B0D) is 2048; ways out: raise the quota; split the role"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

func TestPreviousIssuerProviderIsAValidStableIDPerIssuer(t *testing.T) {
	ids := map[string]string{}
	for _, tc := range []struct{ provider, issuer string }{
		{"prov", "https://issuer.example.com/a"},
		{"prov", "https://issuer.example.com/b"},
		{strings.Repeat("p", 32), "https://issuer.example.com/a"},
		{strings.Repeat("p", 22) + "-" + strings.Repeat("q", 9), "https://issuer.example.com/a"},
		{"trusted-cluster-1", "https://oidc-exp-issuer.s3.eu-west-2.amazonaws.com/cluster-1"},
	} {
		id := PreviousIssuerProvider(tc.provider, tc.issuer)
		if !regexp.MustCompile(`^[a-z0-9][a-z0-9-]{3,31}$`).MatchString(id) || strings.HasPrefix(id, "gcp-") || strings.Contains(id, "--") {
			t.Errorf("PreviousIssuerProvider(%q, %q) = %q, not a provider ID Google accepts", tc.provider, tc.issuer, id)
		}
		if again := PreviousIssuerProvider(tc.provider, tc.issuer); again != id {
			t.Errorf("not stable: %q then %q", id, again)
		}
		if prev, ok := ids[id]; ok {
			t.Errorf("%q names both %s and %s %s", id, prev, tc.provider, tc.issuer)
		}
		ids[id] = tc.provider + " " + tc.issuer
	}
}
