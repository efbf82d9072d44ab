// Package azure plans access to an Entra ID application or managed identity
// through a federated identity credential: either the annotations and label
// that AKS's workload identity webhook reads, or the projected token and
// environment that webhook would inject, for clusters without it.
package azure

import (
	"strconv"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// Token is where the token goes: the AKS webhook's own paths.
var Token = plan.TokenLocation{VolumeName: "azure-identity-token", MountPath: "/var/run/secrets/azure/tokens", Path: "azure-identity-token"}

// Names the Azure workload identity webhook reads.
const (
	ClientIDAnnotation        = "azure.workload.identity/client-id"
	TenantIDAnnotation        = "azure.workload.identity/tenant-id"
	TokenExpirationAnnotation = "azure.workload.identity/service-account-token-expiration"
	UseLabel                  = "azure.workload.identity/use"
)

// Plan returns what the Azure target needs; the spec must be defaulted and valid.
func Plan(spec *v1alpha1.Spec) (plan.Target, error) {
	z := spec.Azure
	t := plan.Target{Name: "azure"}
	if z.Mode == v1alpha1.ModeWebhook {
		t.ServiceAccountAnnotations = []plan.KeyValue{
			{Key: ClientIDAnnotation, Value: z.ClientID},
			{Key: TenantIDAnnotation, Value: z.TenantID},
		}
		if z.TokenExpirationSeconds != v1alpha1.DefaultAzureTokenExpirationSeconds {
			t.ServiceAccountAnnotations = append(t.ServiceAccountAnnotations,
				plan.KeyValue{Key: TokenExpirationAnnotation, Value: strconv.FormatInt(z.TokenExpirationSeconds, 10)})
		}
		// The webhook only mutates pods that opt in with this label.
		t.Pod.Labels = []plan.KeyValue{{Key: UseLabel, Value: "true"}}
		// EnvironmentCredential comes before the webhook's workload
		// identity in DefaultAzureCredential, whoever wired the pod.
		t.Pod.StaticCredentials = StaticCredentials
		t.Pod.TokenLimits = []plan.TokenLimit{{Target: t.Name,
			Elsewhere: "in mode webhook the Azure workload identity webhook projects it; set the webhook's own pod annotation " + TokenExpirationAnnotation + " instead"}}
		return t, nil
	}
	token := Token.For(v1alpha1.DefaultAzureAudience, z.TokenExpirationSeconds)
	t.Pod.Tokens = []plan.ProjectedToken{token}
	t.Pod.Env = projectedEnv(z, token.File())
	t.Pod.StaticCredentials = StaticCredentials
	t.Pod.TokenLimits = []plan.TokenLimit{{Target: t.Name, Min: v1alpha1.MinAzureTokenExpirationSeconds, Max: v1alpha1.MaxTokenExpirationSeconds,
		Why: "what Azure workload identity accepts"}}
	// The Azure webhook's form for Windows pods.
	t.Windows = &plan.Windows{Pod: t.Pod}
	t.Windows.Pod.Env = projectedEnv(z, plan.WindowsPath(token.File()))
	return t, nil
}

// StaticCredentials are the variables of EnvironmentCredential, which
// DefaultAzureCredential tries before WorkloadIdentityCredential in the
// Azure Identity libraries for .NET, Java, JavaScript, Python and Go.
// AZURE_CLIENT_CERTIFICATE_PASSWORD and AZURE_USERNAME do nothing without
// the certificate path or the password.
var StaticCredentials = []plan.StaticCredential{
	{Name: "AZURE_CLIENT_SECRET", What: "a static client secret", Why: environmentCredentialWins},
	{Name: "AZURE_CLIENT_CERTIFICATE_PATH", What: "a static client certificate", Why: environmentCredentialWins},
	{Name: "AZURE_PASSWORD", What: "a user's password", Why: environmentCredentialWins},
}

const environmentCredentialWins = "DefaultAzureCredential (EnvironmentCredential) uses before workload identity"

// projectedEnv is the environment the Azure webhook would inject.
func projectedEnv(z *v1alpha1.Azure, tokenFile string) []plan.KeyValue {
	var env []plan.KeyValue
	if z.ClientID != "" {
		env = append(env, plan.KeyValue{Key: "AZURE_CLIENT_ID", Value: z.ClientID})
	}
	return append(env,
		plan.KeyValue{Key: "AZURE_TENANT_ID", Value: z.TenantID},
		plan.KeyValue{Key: "AZURE_FEDERATED_TOKEN_FILE", Value: tokenFile},
		plan.KeyValue{Key: "AZURE_AUTHORITY_HOST", Value: z.AuthorityHost})
}
