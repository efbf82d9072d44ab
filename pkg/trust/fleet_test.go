package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

// fleetIssuer is the issuer of the i-th cluster of a fleet of generic
// (self-hosted) clusters, shaped like those of examples/fleet.
func fleetIssuer(i int) string {
	return fmt.Sprintf("https://oidc.example.com/fleet/c%03d", i)
}

// fleetSpec is ServiceAccount shop/NAME of the i-th cluster of the fleet, on
// one AWS role, one Google pool (a provider per cluster: a provider trusts
// one issuer) and one Azure identity: as many of those as clouds names.
func fleetSpec(t *testing.T, i int, name, clouds string) *v1alpha1.CrossCloudAccess {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: crosscloud.dev/v1alpha1\nkind: CrossCloudAccess\nmetadata: {name: c%03d-%s}\nspec:\n", i, name)
	fmt.Fprintf(&b, "  cluster: {provider: generic, issuer: '%s'}\n  serviceAccount: {name: %s, namespace: shop}\n", fleetIssuer(i), name)
	if strings.Contains(clouds, "aws") {
		b.WriteString("  aws: {roleArn: 'arn:aws:iam::111122223333:role/shop', region: eu-west-2}\n")
	}
	if strings.Contains(clouds, "gcp") {
		fmt.Fprintf(&b, "  gcp: {projectNumber: '123456789012', workloadIdentityPool: fleet, workloadIdentityProvider: cluster-%03d}\n", i)
	}
	if strings.Contains(clouds, "azure") {
		b.WriteString("  azure: {tenantId: 11111111-2222-3333-4444-555555555555, clientId: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}\n")
	}
	return decodeSpec(t, b.String())
}

// everyQuota is every limit trust holds its output to.
var everyQuota = []Quota{
	AWSRoleTrustPolicyLength, AWSOIDCProvidersPerAccount,
	GCPAllowedAudiencesPerProvider, GCPAttributeConditionLength, GCPSubjectLength, GCPProvidersPerPool,
	AzureCredentialsPerIdentity,
}

// noLimits lifts every quota, to see what the output would be.
func noLimits() Limits {
	l := Limits{}
	for _, q := range everyQuota {
		l[q.Name] = 1 << 30
	}
	return l
}

// breaches measures the JSON trust document the way each cloud counts, with
// no code of the builders, and returns the names of the quotas (at their
// default limits) that it breaks.
func breaches(t *testing.T, out []byte, specs []*v1alpha1.CrossCloudAccess) []string {
	t.Helper()
	var doc struct {
		AWS *struct {
			OIDCProviders []struct {
				ARN string `json:"arn"`
			} `json:"oidcProviders"`
			Roles []struct {
				AssumeRolePolicy json.RawMessage `json:"assumeRolePolicy"`
			} `json:"roles"`
		} `json:"aws"`
		GCP *struct {
			WorkloadIdentityPools []struct {
				Providers []struct {
					AllowedAudiences   []string `json:"allowedAudiences"`
					AttributeCondition string   `json:"attributeCondition"`
				} `json:"providers"`
			} `json:"workloadIdentityPools"`
		} `json:"gcp"`
		Azure *struct {
			FederatedIdentityCredentials []struct {
				ClientID string `json:"clientId"`
			} `json:"federatedIdentityCredentials"`
		} `json:"azure"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	broken := map[string]bool{}
	over := func(q Quota, n int) {
		if n > q.Limit {
			broken[q.Name] = true
		}
	}
	if doc.AWS != nil {
		for _, r := range doc.AWS.Roles {
			// IAM counts characters and leaves white space out.
			over(AWSRoleTrustPolicyLength, utf8.RuneCount(bytes.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, r.AssumeRolePolicy)))
		}
		accounts := map[string]int{}
		for _, p := range doc.AWS.OIDCProviders {
			accounts[strings.Split(p.ARN, ":")[4]]++
		}
		for _, n := range accounts {
			over(AWSOIDCProvidersPerAccount, n)
		}
	}
	if doc.GCP != nil {
		for _, pool := range doc.GCP.WorkloadIdentityPools {
			over(GCPProvidersPerPool, len(pool.Providers))
			for _, p := range pool.Providers {
				over(GCPAllowedAudiencesPerProvider, len(p.AllowedAudiences))
				over(GCPAttributeConditionLength, utf8.RuneCountInString(p.AttributeCondition))
			}
		}
		for _, s := range specs {
			if s.Spec.GCP != nil && s.Spec.GCP.Mode == v1alpha1.ModeFederated {
				over(GCPSubjectLength, len(s.Spec.ServiceAccount.Subject()))
			}
		}
	}
	if doc.Azure != nil {
		identities := map[string]int{}
		for _, c := range doc.Azure.FederatedIdentityCredentials {
			identities[c.ClientID]++
		}
		for _, n := range identities {
			over(AzureCredentialsPerIdentity, n)
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for name := range broken {
			if !yield(name) {
				return
			}
		}
	})
}

// The property of issue 23: for 1 to 200 clusters on one role, one Google
// pool and one Azure identity (with one to three ServiceAccounts each, and
// now and then one whose subject is too long for Google), trust either
// prints output within every quota, the same as it would print without
// limits, or fails naming exactly the quotas that output would break.
func TestFleetOutputIsWithinEveryQuotaOrNamesIt(t *testing.T) {
	const maxClusters = 200
	long := "worker-" + strings.Repeat("x", 100) // subject over 127 bytes
	var pool [][]*v1alpha1.CrossCloudAccess      // specs of each cluster
	for i := 1; i <= maxClusters; i++ {
		var specs []*v1alpha1.CrossCloudAccess
		for k := range 1 + i%3 {
			name := fmt.Sprintf("app-%d", k)
			if i%37 == 0 && k == 0 {
				name = long
			}
			specs = append(specs, fleetSpec(t, i, name, "aws gcp azure"))
		}
		pool = append(pool, specs)
	}
	refused := map[string]int{}
	for n := 1; n <= maxClusters; n++ {
		specs := slices.Concat(pool[:n]...)
		unlimited, err := BuildWithin(specs, noLimits())
		if err != nil {
			t.Fatalf("%d clusters without limits: %v", n, err)
		}
		var want bytes.Buffer
		if err := RenderJSON(&want, unlimited); err != nil {
			t.Fatal(err)
		}
		broken := breaches(t, want.Bytes(), specs)
		got, err := Build(specs)
		if len(broken) == 0 {
			if err != nil {
				t.Fatalf("%d clusters: the output is within every quota, yet: %v", n, err)
			}
			var out bytes.Buffer
			if err := RenderJSON(&out, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want.Bytes()) {
				t.Fatalf("%d clusters: the output differs from the output without limits", n)
			}
			continue
		}
		if !errors.Is(err, ErrQuota) {
			t.Fatalf("%d clusters break %q, yet Build returned %v", n, broken, err)
		}
		for _, q := range everyQuota {
			named := strings.Contains(err.Error(), q.Cloud+" quota "+q.Name)
			if want := slices.Contains(broken, q.Name); named != want {
				t.Fatalf("%d clusters: quota %q is broken: %v, named in the error: %v\n%v", n, q.Name, want, named, err)
			}
			if named {
				refused[q.Name]++
			}
		}
	}
	// Guard against a vacuous pass: the fleet must have met every quota
	// it can meet. A provider's audiences and its condition grow with the
	// ServiceAccounts of one cluster, not with the fleet (other tests meet
	// those).
	for _, q := range everyQuota {
		if refused[q.Name] == 0 && q.Name != GCPAllowedAudiencesPerProvider.Name && q.Name != GCPAttributeConditionLength.Name {
			t.Errorf("no fleet of up to %d clusters met quota %q", maxClusters, q.Name)
		}
	}
	t.Logf("refusals by quota over 1..%d clusters: %v", maxClusters, refused)
}

// perSubject is a trust policy as trust wrote it before it grouped
// subjects: one statement per issuer, audience and ServiceAccount.
func perSubject(doc PolicyDocument) PolicyDocument {
	out := PolicyDocument{Version: doc.Version}
	for _, s := range doc.Statement {
		for key, values := range s.Condition.StringEquals {
			if !strings.HasSuffix(key, ":sub") {
				continue
			}
			for _, v := range values {
				one := s
				one.Condition.StringEquals = map[string]Values{}
				for k, vs := range s.Condition.StringEquals {
					one.Condition.StringEquals[k] = vs
				}
				one.Condition.StringEquals[key] = Values{v}
				out.Statement = append(out.Statement, one)
			}
		}
	}
	return out
}

// policyLength is a policy's length as IAM counts it.
func policyLength(t *testing.T, doc PolicyDocument) int {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return charactersWithoutWhitespace(data)
}

// clustersPerRole is how many clusters, each with perCluster
// ServiceAccounts, one role's trust policy holds within limit: with the
// statements trust writes, and with one statement per ServiceAccount.
// spec makes the k-th spec of the n-th cluster.
func clustersPerRole(t *testing.T, perCluster, limit int, spec func(n, k int) *v1alpha1.CrossCloudAccess) (grouped, ungrouped int) {
	t.Helper()
	var specs []*v1alpha1.CrossCloudAccess
	for n := 1; n <= 120; n++ {
		for k := range perCluster {
			specs = append(specs, spec(n, k))
		}
		built, err := BuildWithin(specs, noLimits())
		if err != nil {
			t.Fatal(err)
		}
		doc := built.AWS.Roles[0].AssumeRolePolicy
		if policyLength(t, doc) <= limit {
			grouped = n
		}
		if policyLength(t, perSubject(doc)) <= limit {
			ungrouped = n
		}
	}
	return grouped, ungrouped
}

// thousands writes n as docs do: 2,048.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if len(s) > 3 {
		s = s[:len(s)-3] + "," + s[len(s)-3:]
	}
	return s
}

// The figures docs/fleet.md gives for clusters per role are the ones
// measured here.
func TestClustersPerRole(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "fleet.md"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	fleet := func(n, k int) *v1alpha1.CrossCloudAccess {
		return fleetSpec(t, n, fmt.Sprintf("app-%d", k), "aws")
	}
	for _, perCluster := range []int{1, 3} {
		for _, limit := range []int{AWSRoleTrustPolicyLength.Limit, AWSRoleTrustPolicyLength.Max} {
			grouped, ungrouped := clustersPerRole(t, perCluster, limit, fleet)
			want = append(want, fmt.Sprintf("| %d | %s | %d | %d |", perCluster, thousands(limit), ungrouped, grouped))
		}
	}
	// EKS issuers: each cluster's own, 32 hex digits long.
	eks, _ := clustersPerRole(t, 1, AWSRoleTrustPolicyLength.Limit, func(n, _ int) *v1alpha1.CrossCloudAccess {
		return decodeSpec(t, specYAML("shop", "api", fmt.Sprintf("https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5B%04d", n),
			"  aws: {roleArn: 'arn:aws:iam::111122223333:role/shop'}\n"))
	})
	want = append(want, fmt.Sprintf("%d per role at the default quota", eks))
	// EKS Pod Identity: cluster names of 20 characters on one statement.
	pods, _ := clustersPerRole(t, 1, AWSRoleTrustPolicyLength.Limit, func(n, _ int) *v1alpha1.CrossCloudAccess {
		return decodeSpec(t, fmt.Sprintf("apiVersion: crosscloud.dev/v1alpha1\nkind: CrossCloudAccess\nmetadata: {name: api}\nspec:\n"+
			"  cluster: {provider: eks, issuer: '%s', eks: {clusterName: shop-cluster-%07d}}\n  serviceAccount: {name: api, namespace: shop}\n"+
			"  aws: {mode: podIdentity, roleArn: 'arn:aws:iam::111122223333:role/shop'}\n", testEKSIssuer, n))
	})
	want = append(want, fmt.Sprintf("%d EKS clusters with names of 20 characters", pods))
	for _, line := range want {
		if !strings.Contains(string(page), line) {
			t.Errorf("docs/fleet.md does not say %q, which is what was measured", line)
		}
	}
}

// writeFleet writes the specs of n clusters as clusters/NAME/cross-cloud-access.yaml
// under a new folder, the layout of docs/fleet.md, and returns the files.
func writeFleet(t *testing.T, n int, clouds string) []string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for i := 1; i <= n; i++ {
		spec := fleetSpec(t, i, "api", clouds)
		data, err := sigsyaml.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "clusters", fmt.Sprintf("c%03d", i), "cross-cloud-access.yaml")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
	}
	return files
}

// Five clusters share one role within IAM's default quota; forty are
// refused in every format, naming the quota and its code, printing nothing.
func TestFiveClustersFitOneRoleFortyAreRefused(t *testing.T) {
	five := writeFleet(t, 5, "aws")
	for format := range renderers {
		out, stderr, err := runTrust(t, nil, append([]string{"--format", format}, five...)...)
		if err != nil || out == "" {
			t.Fatalf("5 clusters, --format %s: %v\n%s", format, err, stderr)
		}
	}
	forty := writeFleet(t, 40, "aws")
	for format := range renderers {
		out, _, err := runTrust(t, nil, append([]string{"--format", format}, forty...)...)
		if !errors.Is(err, ErrQuota) || out != "" {
			t.Fatalf("40 clusters, --format %s: want ErrQuota and no output, got %v and %d bytes", format, err, len(out))
		}
		for _, want := range []string{
			"the trust policy of role arn:aws:iam::111122223333:role/shop would need ",
			"the AWS IAM quota role trust policy length (L-C07B4B0D) is 2048",
			"EKS Pod Identity", "several roles", "no raised quota helps (8192 is the most AWS IAM grants)",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("40 clusters: the error does not say %q:\n%v", want, err)
			}
		}
	}
}

// The quota flags set the limits an account was granted, within what the
// cloud grants.
func TestQuotaFlags(t *testing.T) {
	twenty := writeFleet(t, 20, "aws")
	if _, _, err := runTrust(t, nil, twenty...); !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "have the quota raised (up to 8192) and pass the new limit as --aws-trust-policy-quota N") {
		t.Errorf("20 clusters at the default quota: %v", err)
	}
	if out, stderr, err := runTrust(t, nil, append([]string{"--aws-trust-policy-quota", "8192"}, twenty...)...); err != nil || out == "" {
		t.Errorf("20 clusters with --aws-trust-policy-quota 8192: %v\n%s", err, stderr)
	}
	if _, _, err := runTrust(t, nil, append([]string{"--aws-oidc-providers-quota", "19"}, twenty...)...); !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "AWS account 111122223333 would need 20 providers; the AWS IAM quota OpenID Connect providers per account (L-858F3967) is 19") {
		t.Errorf("20 providers with --aws-oidc-providers-quota 19: %v", err)
	}
	for _, args := range [][]string{
		{"--aws-trust-policy-quota", "8193"},
		{"--aws-trust-policy-quota", "0"},
		{"--aws-oidc-providers-quota", "701"},
		{"--gcp-providers-per-pool-quota", "-1"},
	} {
		out, _, err := runTrust(t, nil, append(args, twenty[0])...)
		if !errors.Is(err, ErrInvalidFlag) || out != "" || !strings.Contains(err.Error(), args[0]+" "+args[1]) {
			t.Errorf("%s: want ErrInvalidFlag naming the value and no output, got %v", strings.Join(args, " "), err)
		}
	}
}
