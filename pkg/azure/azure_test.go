package azure

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

const (
	tenant = "00000000-0000-0000-0000-000000000001"
	client = "00000000-0000-0000-0000-000000000002"
)

func TestPlan(t *testing.T) {
	webhook := []plan.TokenLimit{{Target: "azure",
		Elsewhere: "in mode webhook the Azure workload identity webhook projects it; set the webhook's own pod annotation azure.workload.identity/service-account-token-expiration instead"}}
	for _, tc := range []struct {
		name  string
		azure v1alpha1.Azure
		want  plan.Target
	}{{
		name:  "webhook annotates the ServiceAccount and labels pods",
		azure: v1alpha1.Azure{Mode: "webhook", TokenExpirationSeconds: 3600},
		want: plan.Target{Name: "azure",
			ServiceAccountAnnotations: []plan.KeyValue{{Key: ClientIDAnnotation, Value: client}, {Key: TenantIDAnnotation, Value: tenant}},
			Pod: plan.PodPatch{Labels: []plan.KeyValue{{Key: "azure.workload.identity/use", Value: "true"}},
				StaticCredentials: StaticCredentials, TokenLimits: webhook}},
	}, {
		name:  "webhook writes a non-default expiration",
		azure: v1alpha1.Azure{Mode: "webhook", TokenExpirationSeconds: 7200},
		want: plan.Target{Name: "azure",
			ServiceAccountAnnotations: []plan.KeyValue{{Key: ClientIDAnnotation, Value: client}, {Key: TenantIDAnnotation, Value: tenant},
				{Key: TokenExpirationAnnotation, Value: "7200"}},
			Pod: plan.PodPatch{Labels: []plan.KeyValue{{Key: "azure.workload.identity/use", Value: "true"}},
				StaticCredentials: StaticCredentials, TokenLimits: webhook}},
	}, {
		name:  "projected mirrors the webhook's injection",
		azure: v1alpha1.Azure{Mode: "projected", TokenExpirationSeconds: 3600, AuthorityHost: v1alpha1.DefaultAzureAuthorityHost},
		want: plan.Target{Name: "azure", Pod: plan.PodPatch{
			Tokens: []plan.ProjectedToken{{VolumeName: "azure-identity-token", MountPath: "/var/run/secrets/azure/tokens",
				Path: "azure-identity-token", Audience: "api://AzureADTokenExchange", ExpirationSeconds: 3600}},
			Env: []plan.KeyValue{{Key: "AZURE_CLIENT_ID", Value: client}, {Key: "AZURE_TENANT_ID", Value: tenant},
				{Key: "AZURE_FEDERATED_TOKEN_FILE", Value: "/var/run/secrets/azure/tokens/azure-identity-token"},
				{Key: "AZURE_AUTHORITY_HOST", Value: "https://login.microsoftonline.com/"}},
			StaticCredentials: StaticCredentials,
			TokenLimits:       []plan.TokenLimit{{Target: "azure", Min: 3600, Max: 86400, Why: "what Azure workload identity accepts"}}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			z := tc.azure
			z.TenantID, z.ClientID = tenant, client
			got, err := Plan(&v1alpha1.Spec{Azure: &z})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(plan.Target{}, "Windows")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
