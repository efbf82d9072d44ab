package v1alpha1

import (
	"fmt"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
)

// Defaults that the clouds' own tooling uses, so output matches what EKS's and
// AKS's webhooks would inject.
const (
	DefaultNamespace                   = "default"
	DefaultAWSAudience                 = "sts.amazonaws.com"
	DefaultAWSTokenExpirationSeconds   = 86400
	DefaultSTSRegionalEndpoints        = "regional"
	DefaultGCPTokenExpirationSeconds   = 3600
	DefaultAzureAudience               = "api://AzureADTokenExchange"
	DefaultAzureAuthorityHost          = "https://login.microsoftonline.com/"
	DefaultAzureTokenExpirationSeconds = 3600
)

// Default fills every optional field and resolves each "auto" mode from the
// cluster, so that later stages read only concrete values. It is safe to call
// on an invalid spec: Validate reports what is wrong afterwards.
func (c *CrossCloudAccess) Default() error {
	s := &c.Spec
	if s.Cluster.Issuer == "" && s.Cluster.Provider == ProviderGKE && s.Cluster.GKE != nil {
		s.Cluster.Issuer = issuer.GKE(s.Cluster.GKE.ProjectID, s.Cluster.GKE.Location, s.Cluster.GKE.ClusterName)
	}
	if s.ServiceAccount.Namespace == "" {
		s.ServiceAccount.Namespace = DefaultNamespace
	}
	if s.ServiceAccount.Create == nil {
		create := true
		s.ServiceAccount.Create = &create
	}
	if a := s.AWS; a != nil {
		if a.Mode == "" || a.Mode == ModeAuto {
			a.Mode = ModeProjected
			if s.Cluster.Provider == ProviderEKS {
				a.Mode = ModeWebhook
			}
		}
		defaultString(&a.Audience, DefaultAWSAudience)
		defaultString(&a.STSRegionalEndpoints, DefaultSTSRegionalEndpoints)
		defaultInt(&a.TokenExpirationSeconds, DefaultAWSTokenExpirationSeconds)
	}
	if g := s.GCP; g != nil {
		if g.Mode == "" || g.Mode == ModeAuto {
			g.Mode = ModeFederated
			if s.Cluster.Provider == ProviderGKE && s.Cluster.GKE != nil && s.Cluster.GKE.WorkloadIdentity {
				g.Mode = ModeWorkloadIdentity
			}
		}
		if g.ProjectID == "" && s.Cluster.GKE != nil && g.Mode == ModeWorkloadIdentity {
			g.ProjectID = s.Cluster.GKE.ProjectID
		}
		if g.Mode == ModeFederated {
			defaultString(&g.Audience, "https:"+g.ProviderResource())
			defaultInt(&g.TokenExpirationSeconds, DefaultGCPTokenExpirationSeconds)
		}
	}
	if z := s.Azure; z != nil {
		if z.Mode == "" || z.Mode == ModeAuto {
			z.Mode = ModeProjected
			if s.Cluster.Provider == ProviderAKS {
				z.Mode = ModeWebhook
			}
		}
		defaultString(&z.AuthorityHost, DefaultAzureAuthorityHost)
		defaultInt(&z.TokenExpirationSeconds, DefaultAzureTokenExpirationSeconds)
	}
	return nil
}

// ProviderResource is the canonical resource name of the workload identity
// pool provider without a scheme ("//iam.googleapis.com/projects/..."): the
// audience Google STS expects in a token exchange.
func (g *GCP) ProviderResource() string {
	return fmt.Sprintf("//iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/providers/%s",
		g.ProjectNumber, g.WorkloadIdentityPool, g.WorkloadIdentityProvider)
}

// Impersonates reports whether tokens are exchanged for a Google service
// account's token, rather than used directly on resources.
func (g *GCP) Impersonates() bool { return g.ServiceAccountEmail != "" }

// Subject is the sub claim of the ServiceAccount's tokens.
func (s ServiceAccount) Subject() string {
	return "system:serviceaccount:" + s.Namespace + ":" + s.Name
}

func defaultString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func defaultInt(p *int64, v int64) {
	if *p == 0 {
		*p = v
	}
}
