package v1alpha1

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

const base = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata: {name: t}
spec:
  cluster: {provider: generic, issuer: "https://kubernetes.example.com"}
  serviceAccount: {name: app}
`

// decode runs the whole pipeline on a spec given as the lines after base.
func decode(t *testing.T, extra string) (*CrossCloudAccess, FieldErrors) {
	t.Helper()
	return Decode(kyaml.MustParse(base + extra))
}

func TestValidValuesPass(t *testing.T) {
	for name, extra := range map[string]string{
		"role in aws-cn":           "  aws: {roleArn: 'arn:aws-cn:iam::111122223333:role/x'}\n",
		"role in aws-us-gov":       "  aws: {roleArn: 'arn:aws-us-gov:iam::111122223333:role/x'}\n",
		"role with a path":         "  aws: {roleArn: 'arn:aws:iam::111122223333:role/team/app/reader+=,.@-_'}\n",
		"legacy endpoints":         "  aws: {roleArn: 'arn:aws:iam::111122223333:role/x', stsRegionalEndpoints: legacy, region: us-east-1}\n",
		"GovCloud role and region": "  aws: {roleArn: 'arn:aws-us-gov:iam::111122223333:role/x', region: us-gov-west-1}\n",
		"China role and region":    "  aws: {roleArn: 'arn:aws-cn:iam::111122223333:role/x', region: cn-northwest-1}\n",
		"minimum token expiration": "  aws: {roleArn: 'arn:aws:iam::111122223333:role/x', tokenExpirationSeconds: 600}\n",
		"compute default account":  "  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: prov, serviceAccountEmail: 123-compute@developer.gserviceaccount.com}\n",
		"direct access":            "  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: prov}\n",
		"custom audience":          "  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: prov, audience: my-aud}\n",
		"azure sovereign cloud":    "  azure: {tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47, clientId: 0E5A3F8C-1B2D-4C6E-9F70-123456789ABC, authorityHost: 'https://login.microsoftonline.us/'}\n",
		"azure maximum expiration": "  azure: {tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47, clientId: 0e5a3f8c-1b2d-4c6e-9f70-123456789abc, tokenExpirationSeconds: 86400}\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, errs := decode(t, extra)
			if c == nil || len(errs) != 0 {
				t.Fatalf("want a valid spec, got %v", errs)
			}
		})
	}
}

func TestInvalidValuesNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name, extra, field, mentions string
	}{
		{"account too short", "  aws: {roleArn: 'arn:aws:iam::11112222333:role/x'}\n", "spec.aws.roleArn", "12-digit"},
		{"user not role", "  aws: {roleArn: 'arn:aws:iam::111122223333:user/x'}\n", "spec.aws.roleArn", "role/NAME"},
		{"region", "  aws: {roleArn: 'arn:aws:iam::111122223333:role/x', region: Europe}\n", "spec.aws.region", "eu-west-2"},
		{"session name", "  aws: {roleArn: 'arn:aws:iam::111122223333:role/x', roleSessionName: 'a b'}\n", "spec.aws.roleSessionName", "2 to 64"},
		{"endpoints", "  aws: {roleArn: 'arn:aws:iam::111122223333:role/x', stsRegionalEndpoints: global}\n", "spec.aws.stsRegionalEndpoints", "regional"},
		{"too long expiration", "  aws: {roleArn: 'arn:aws:iam::111122223333:role/x', tokenExpirationSeconds: 86401}\n", "spec.aws.tokenExpirationSeconds", "86400"},
		{"pool too short", "  gcp: {projectNumber: '123', workloadIdentityPool: abc, workloadIdentityProvider: prov}\n", "spec.gcp.workloadIdentityPool", "4 to 32"},
		{"provider uppercase", "  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: Prov}\n", "spec.gcp.workloadIdentityProvider", "lowercase"},
		{"lifetime without impersonation", "  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: prov, tokenLifetimeSeconds: 3600}\n", "spec.gcp.tokenLifetimeSeconds", "serviceAccountEmail"},
		{"lifetime too long", "  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: prov, serviceAccountEmail: abcdef@my-project.iam.gserviceaccount.com, tokenLifetimeSeconds: 43201}\n", "spec.gcp.tokenLifetimeSeconds", "43200"},
		{"federated fields in workloadIdentity mode", "  gcp: {mode: workloadIdentity, serviceAccountEmail: abcdef@my-project.iam.gserviceaccount.com, projectNumber: '1'}\n", "spec.gcp.projectNumber", "no effect"},
		{"azure authority http", "  azure: {tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47, clientId: 0e5a3f8c-1b2d-4c6e-9f70-123456789abc, authorityHost: 'http://login'}\n", "spec.azure.authorityHost", "https"},
		{"region of another partition", "  aws: {roleArn: 'arn:aws-cn:iam::111122223333:role/x', region: us-east-1}\n", "spec.aws.region", "such as cn-north-1"},
		{"GovCloud role, commercial region", "  aws: {roleArn: 'arn:aws-us-gov:iam::111122223333:role/x', region: eu-west-1}\n", "spec.aws.region", "partition aws-us-gov"},
		{"no cloud", "", "spec", "at least one"},
		{"empty selector", "  workloads: {selector: {}}\n  aws: {roleArn: 'arn:aws:iam::111122223333:role/x'}\n", "spec.workloads.selector", "select nothing"},
		{"selector kind without pod template", "  workloads: {selector: {kinds: [Service]}}\n  aws: {roleArn: 'arn:aws:iam::111122223333:role/x'}\n", "spec.workloads.selector.kinds[0]", "Deployment"},
		{"wrong apiVersion", "  aws: {roleArn: 'arn:aws:iam::111122223333:role/x'}\n", "apiVersion", "crosscloud.dev/v1alpha1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := base + tc.extra
			if tc.field == "apiVersion" {
				doc = strings.Replace(doc, "crosscloud.dev/v1alpha1", "crosscloud.dev/v1", 1)
			}
			c, errs := Decode(kyaml.MustParse(doc))
			requireFieldError(t, c, errs, tc.field, tc.mentions)
		})
	}
}

// requireFieldError fails unless the spec was refused with an error at
// field whose message mentions the given text.
func requireFieldError(t *testing.T, c *CrossCloudAccess, errs FieldErrors, field, mentions string) {
	t.Helper()
	if c != nil {
		t.Fatalf("an invalid spec decoded: %+v", c.Spec)
	}
	for _, e := range errs {
		if e.Field == field && strings.Contains(e.Message, mentions) && e.Level() == framework.Error {
			return
		}
	}
	t.Errorf("want an error at %s mentioning %q, got %v", field, mentions, errs)
}

func TestDefaultResolvesModesFromTheCluster(t *testing.T) {
	for _, tc := range []struct {
		provider         Provider
		workloadIdentity bool
		aws, gcp, azure  Mode
	}{
		{ProviderEKS, false, ModeWebhook, ModeFederated, ModeProjected},
		{ProviderGKE, true, ModeProjected, ModeWorkloadIdentity, ModeProjected},
		{ProviderGKE, false, ModeProjected, ModeFederated, ModeProjected},
		{ProviderAKS, false, ModeProjected, ModeFederated, ModeWebhook},
		{ProviderGeneric, false, ModeProjected, ModeFederated, ModeProjected},
	} {
		c := &CrossCloudAccess{Spec: Spec{
			Cluster: Cluster{Provider: tc.provider},
			AWS:     &AWS{}, GCP: &GCP{}, Azure: &Azure{},
		}}
		if tc.provider == ProviderGKE {
			c.Spec.Cluster.GKE = &GKECluster{ProjectID: "my-project", Location: "europe-west2", ClusterName: "c", WorkloadIdentity: tc.workloadIdentity}
		}
		c.Default()
		got := [3]Mode{c.Spec.AWS.Mode, c.Spec.GCP.Mode, c.Spec.Azure.Mode}
		if want := [3]Mode{tc.aws, tc.gcp, tc.azure}; got != want {
			t.Errorf("%s (workloadIdentity %v): modes %v, want %v", tc.provider, tc.workloadIdentity, got, want)
		}
	}
}

func TestDefaultDerivesTheGKEIssuerAndGCPAudience(t *testing.T) {
	c, errs := Decode(kyaml.MustParse(`apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
spec:
  cluster: {provider: gke, gke: {projectId: my-project, location: europe-west2-a, clusterName: oidc-exp-cluster}}
  serviceAccount: {name: app}
  gcp: {projectNumber: "123456789012", workloadIdentityPool: pool, workloadIdentityProvider: prov}
`))
	if c == nil {
		t.Fatal(errs)
	}
	if want := "https://container.googleapis.com/v1/projects/my-project/locations/europe-west2-a/clusters/oidc-exp-cluster"; c.Spec.Cluster.Issuer != want {
		t.Errorf("issuer %q, want %q", c.Spec.Cluster.Issuer, want)
	}
	if want := "https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/pool/providers/prov"; c.Spec.GCP.Audience != want {
		t.Errorf("audience %q, want %q", c.Spec.GCP.Audience, want)
	}
	if c.Spec.ServiceAccount.Namespace != "default" || !*c.Spec.ServiceAccount.Create {
		t.Errorf("service account defaults: %+v", c.Spec.ServiceAccount)
	}
}

func TestAdmissionPolicyDefaultsToV1AndFail(t *testing.T) {
	c, errs := decode(t, "  admissionPolicy: {}\n  aws: {roleArn: 'arn:aws:iam::111122223333:role/x'}\n")
	if c == nil || len(errs) != 0 {
		t.Fatalf("want a valid spec, got %v", errs)
	}
	if got := *c.Spec.AdmissionPolicy; got.APIVersion != AdmissionV1 || got.FailurePolicy != FailurePolicyFail {
		t.Errorf("defaulted admissionPolicy = %+v, want %s and %s", got, AdmissionV1, FailurePolicyFail)
	}
	c, errs = decode(t, "  admissionPolicy: {apiVersion: admissionregistration.k8s.io/v1beta1, failurePolicy: Ignore}\n  aws: {roleArn: 'arn:aws:iam::111122223333:role/x'}\n")
	if c == nil || len(errs) != 0 {
		t.Fatalf("want v1beta1 and Ignore accepted, got %v", errs)
	}
}

func TestAdmissionPolicyRefusesWhatTheAPIServerWouldNotServe(t *testing.T) {
	for _, tc := range []struct{ name, extra, field, mentions string }{
		{"alpha version", "{apiVersion: admissionregistration.k8s.io/v1alpha1}", "spec.admissionPolicy.apiVersion", "v1beta1"},
		{"lowercase failure policy", "{failurePolicy: fail}", "spec.admissionPolicy.failurePolicy", "Fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, errs := decode(t, "  admissionPolicy: "+tc.extra+"\n  aws: {roleArn: 'arn:aws:iam::111122223333:role/x'}\n")
			if c != nil {
				t.Fatal("an invalid spec decoded")
			}
			for _, e := range errs {
				if e.Field == tc.field && strings.Contains(e.Message, tc.mentions) {
					return
				}
			}
			t.Errorf("errors %v do not name %s with %q", errs, tc.field, tc.mentions)
		})
	}
}

func TestServiceAccountLabelsAndAnnotationsFollowKubernetesRulesAndAvoidOurDomains(t *testing.T) {
	const aws = "  aws: {roleArn: 'arn:aws:iam::111122223333:role/x', region: eu-west-2}\n"
	for _, tc := range []struct {
		name, serviceAccount string
		field, mentions      string // "" when valid
	}{
		{"valid", "{name: app, labels: {app.kubernetes.io/part-of: shop, team: ''}, annotations: {Example.com/Owner: 'Team Shop <shop@example.com>'}}", "", ""},
		{"label key with a space", "{name: app, labels: {'my team': a}}", "spec.serviceAccount.labels", "a label key such as"},
		{"label value too long", "{name: app, labels: {team: " + strings.Repeat("a", 64) + "}}", "spec.serviceAccount.labels.team", "at most 63"},
		{"annotation key with two slashes", "{name: app, annotations: {'a/b/c': x}}", "spec.serviceAccount.annotations", "an annotation key such as"},
		{"annotation of the EKS webhook", "{name: app, annotations: {eks.amazonaws.com/role-arn: x}}", "spec.serviceAccount.annotations", "under eks.amazonaws.com/"},
		{"label of the Azure webhook", "{name: app, labels: {azure.workload.identity/use: 'true'}}", "spec.serviceAccount.labels", "under azure.workload.identity/"},
		{"a subdomain of ours, any case", "{name: app, annotations: {Team.CrossCloud.dev/x: y}}", "spec.serviceAccount.annotations", "under crosscloud.dev/"},
		{"GKE's", "{name: app, annotations: {iam.gke.io/gcp-service-account: x}}", "spec.serviceAccount.annotations", "under iam.gke.io/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(base, "serviceAccount: {name: app}", "serviceAccount: "+tc.serviceAccount, 1) + aws
			c, errs := Decode(kyaml.MustParse(doc))
			if tc.field == "" {
				if c == nil || len(errs) != 0 {
					t.Fatalf("want a valid spec, got %v", errs)
				}
				return
			}
			requireFieldError(t, c, errs, tc.field, tc.mentions)
		})
	}
}

// ParseSubject is Subject read back; anything else is not a subject.
func TestParseSubject(t *testing.T) {
	for _, tc := range []struct {
		subject         string
		namespace, name string
		ok              bool
	}{
		{"system:serviceaccount:shop:api", "shop", "api", true},
		{ServiceAccount{Namespace: "a", Name: "b.c"}.Subject(), "a", "b.c", true},
		{"system:serviceaccount:shop:", "", "", false},
		{"system:serviceaccount::api", "", "", false},
		{"system:serviceaccount:shop:api:x", "", "", false},
		{"system:serviceaccounts:shop", "", "", false},
		{"shop:api", "", "", false},
	} {
		sa, ok := ParseSubject(tc.subject)
		if ok != tc.ok || sa.Namespace != tc.namespace || sa.Name != tc.name {
			t.Errorf("ParseSubject(%q) = %q, %q, %v; want %q, %q, %v", tc.subject, sa.Namespace, sa.Name, ok, tc.namespace, tc.name, tc.ok)
		}
	}
}

// withPreviousIssuers is a valid spec of provider on issuer, with the given
// YAML flow list as spec.cluster.previousIssuers.
func withPreviousIssuers(provider, iss, list string) string {
	return "apiVersion: crosscloud.dev/v1alpha1\nkind: CrossCloudAccess\nmetadata: {name: t}\nspec:\n" +
		"  cluster: {provider: " + provider + ", issuer: '" + iss + "', previousIssuers: " + list + "}\n" +
		"  serviceAccount: {name: app}\n  aws: {roleArn: 'arn:aws:iam::111122223333:role/x'}\n"
}

func TestPreviousIssuersAreIssuersOtherThanTheIssuer(t *testing.T) {
	const iss = "https://issuer.example.com/cluster-1-v2"
	c, errs := Decode(kyaml.MustParse(withPreviousIssuers("generic", iss, "['https://issuer.example.com/cluster-1', 'https://kubernetes.default.svc.cluster.local']")))
	if c == nil || len(errs) != 0 {
		t.Fatalf("want a valid spec, got %v", errs)
	}
	if want := []string{"https://issuer.example.com/cluster-1", "https://kubernetes.default.svc.cluster.local"}; strings.Join(c.Spec.Cluster.PreviousIssuers, " ") != strings.Join(want, " ") {
		t.Errorf("previousIssuers = %q, want %q", c.Spec.Cluster.PreviousIssuers, want)
	}
	for _, tc := range []struct {
		name, list, field, mentions string
	}{
		{"not https", "['http://issuer.example.com/old']", "spec.cluster.previousIssuers[0]", "https"},
		{"a query", "['https://issuer.example.com/old?x=1']", "spec.cluster.previousIssuers[0]", "query"},
		{"a discovery URL", "['https://issuer.example.com/old/.well-known/openid-configuration']", "spec.cluster.previousIssuers[0]", "discovery"},
		{"a line break", "[\"https://issuer.example.com/old\\u2028x\"]", "spec.cluster.previousIssuers[0]", `\u2028`},
		{"empty", "['']", "spec.cluster.previousIssuers[0]", "is empty"},
		{"the issuer itself", "['https://issuer.example.com/old', '" + iss + "']", "spec.cluster.previousIssuers[1]", "equals spec.cluster.issuer"},
		{"twice", "['https://issuer.example.com/old', 'https://issuer.example.com/old']", "spec.cluster.previousIssuers[1]", "repeats spec.cluster.previousIssuers[0]"},
		{"too long", "['https://issuer.example.com/" + strings.Repeat("a", MaxIssuerLength) + "']", "spec.cluster.previousIssuers[0]", "at most 2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, errs := Decode(kyaml.MustParse(withPreviousIssuers("generic", iss, tc.list)))
			requireFieldError(t, c, errs, tc.field, tc.mentions)
		})
	}
}

// A previous issuer need not look like the provider's own: a migration is
// when a cluster leaves that shape, so no warning is given either.
func TestPreviousIssuerOfAnotherShapeIsAccepted(t *testing.T) {
	doc := withPreviousIssuers("eks", "https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC", "['https://issuer.example.com/cluster-1']")
	c, errs := Decode(kyaml.MustParse(doc))
	if c == nil || len(errs) != 0 {
		t.Errorf("want a valid spec without warnings, got %v", errs)
	}
}
