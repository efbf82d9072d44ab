package v1alpha1

import (
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
)

// GCP is access to Google Cloud through GKE Workload Identity or a workload
// identity pool provider that trusts the cluster.
type GCP struct {
	Mode                     Mode   `json:"mode,omitempty" jsonschema:"enum=auto,enum=workloadIdentity,enum=federated"`
	ProjectID                string `json:"projectId,omitempty"`
	ProjectNumber            string `json:"projectNumber,omitempty"`
	WorkloadIdentityPool     string `json:"workloadIdentityPool,omitempty"`
	WorkloadIdentityProvider string `json:"workloadIdentityProvider,omitempty"`
	ServiceAccountEmail      string `json:"serviceAccountEmail,omitempty"`
	Region                   string `json:"region,omitempty"`
	TokenLifetimeSeconds     int64  `json:"tokenLifetimeSeconds,omitempty"`
	TokenExpirationSeconds   int64  `json:"tokenExpirationSeconds,omitempty"`
	Audience                 string `json:"audience,omitempty"`
	// Grants are roles on resources, for `trust` (gcp_grants.go).
	Grants *GCPGrants `json:"grants,omitempty"`

	// projectIDFromCluster says ProjectID was not written but taken from
	// spec.cluster.gke.projectId, whose own check reports what is wrong
	// with it: reported twice, it would name a field the user never wrote.
	projectIDFromCluster bool
}

// defaults resolves auto to workloadIdentity on GKE with Workload Identity
// enabled, and to federated elsewhere.
func (g *GCP) defaults(c *Cluster) {
	if g.Mode == "" || g.Mode == ModeAuto {
		g.Mode = ModeFederated
		if c.Provider == ProviderGKE && c.GKE != nil && c.GKE.WorkloadIdentity {
			g.Mode = ModeWorkloadIdentity
		}
	}
	if g.ProjectID == "" && c.GKE != nil && g.Mode == ModeWorkloadIdentity {
		g.ProjectID = c.GKE.ProjectID
		g.projectIDFromCluster = true
	}
	if g.Mode == ModeFederated {
		defaultString(&g.Audience, "https:"+g.ProviderResource())
		defaultInt(&g.TokenExpirationSeconds, DefaultGCPTokenExpirationSeconds)
	}
	if g.Grants != nil {
		g.Grants.defaults()
	}
}

// ProviderResource is the canonical resource name of the workload identity
// pool provider without a scheme ("//iam.googleapis.com/projects/..."): the
// audience Google STS expects in a token exchange.
func (g *GCP) ProviderResource() string {
	return "//iam.googleapis.com/" + gcpid.ProviderName(g.ProjectNumber, g.WorkloadIdentityPool, g.WorkloadIdentityProvider)
}

// Impersonates reports whether tokens are exchanged for a Google service
// account's token, rather than used directly on resources.
func (g *GCP) Impersonates() bool { return g.ServiceAccountEmail != "" }

func (g *GCP) check(v *checker, c *Cluster) {
	if !g.projectIDFromCluster {
		v.optional("spec.gcp.projectId", g.ProjectID, gcpid.IsProjectID, gcpid.WantProjectID)
	}
	if g.Grants != nil {
		g.Grants.check(v, "spec.gcp.grants")
	}
	switch g.Mode {
	case ModeWorkloadIdentity:
		switch {
		case c.Provider != ProviderGKE:
			v.errorf("spec.gcp.mode", "workloadIdentity needs GKE's metadata server (provider is %q); use federated or auto", c.Provider)
		case c.GKE == nil || !c.GKE.WorkloadIdentity:
			v.errorf("spec.gcp.mode", "workloadIdentity needs spec.cluster.gke.workloadIdentity: true; enable Workload Identity on the cluster or use federated")
		}
		v.optional("spec.gcp.serviceAccountEmail", g.ServiceAccountEmail, gcpid.IsEmail, gcpid.WantEmail+", or none for direct access by the Kubernetes ServiceAccount")
		if c.GKE != nil && g.ProjectID != "" && g.ProjectID != c.GKE.ProjectID {
			// The pool is always PROJECT.svc.id.goog of the cluster's own project.
			v.errorf("spec.gcp.projectId", "%q differs from the cluster's project %q, whose workload identity pool (%s.svc.id.goog) GKE uses; remove it or set it to %q",
				g.ProjectID, c.GKE.ProjectID, c.GKE.ProjectID, c.GKE.ProjectID)
		}
		why := "GKE's metadata server exchanges the token; only serviceAccountEmail, or projectNumber for direct access, is used"
		if g.Impersonates() {
			v.unused("spec.gcp.projectNumber", g.ProjectNumber != "", g.Mode, why)
		} else {
			// Direct access: roles are granted to a principal named by the
			// cluster project's number, which nothing else can tell.
			v.required("spec.gcp.projectNumber", g.ProjectNumber, gcpid.IsProjectNumber, gcpid.WantProjectNumber+" of the cluster's project, for the principal identifier of direct access (or set serviceAccountEmail to impersonate a Google service account)")
		}
		v.unused("spec.gcp.workloadIdentityPool", g.WorkloadIdentityPool != "", g.Mode, why)
		v.unused("spec.gcp.workloadIdentityProvider", g.WorkloadIdentityProvider != "", g.Mode, why)
		v.unused("spec.gcp.audience", g.Audience != "", g.Mode, why)
		v.unused("spec.gcp.region", g.Region != "", g.Mode, "the function writes nothing into the pods, and gcloud on GKE reads the region from the metadata server")
		v.unused("spec.gcp.tokenExpirationSeconds", g.TokenExpirationSeconds != 0, g.Mode, why)
		v.unused("spec.gcp.tokenLifetimeSeconds", g.TokenLifetimeSeconds != 0, g.Mode, why)
	case ModeFederated:
		if c.Provider == ProviderGKE && g.ServiceAccountEmail != "" && g.ProjectNumber == "" && g.WorkloadIdentityPool == "" && g.WorkloadIdentityProvider == "" {
			// Only what GKE Workload Identity needs is set: the cluster's
			// flag was probably forgotten, which makes auto mean federated.
			v.errorf("spec.cluster.gke.workloadIdentity", "is not true, so spec.gcp is in federated mode and needs a workload identity pool; with only serviceAccountEmail set on GKE, spec.cluster.gke.workloadIdentity: true is probably meant (or give projectNumber, workloadIdentityPool and workloadIdentityProvider)")
			return
		}
		v.required("spec.gcp.projectNumber", g.ProjectNumber, gcpid.IsProjectNumber, gcpid.WantProjectNumber)
		for _, f := range []struct{ field, value string }{
			{"spec.gcp.workloadIdentityPool", g.WorkloadIdentityPool},
			{"spec.gcp.workloadIdentityProvider", g.WorkloadIdentityProvider},
		} {
			if strings.HasPrefix(f.value, gcpid.ReservedPrefix) {
				v.errorf(f.field, "%q starts with %s, which Google reserves; want %s", f.value, gcpid.ReservedPrefix, gcpid.WantPoolOrProvider)
				continue
			}
			v.required(f.field, f.value, gcpid.IsPoolOrProvider, gcpid.WantPoolOrProvider)
		}
		v.optional("spec.gcp.serviceAccountEmail", g.ServiceAccountEmail, gcpid.IsEmail, gcpid.WantEmail+", or none for direct resource access")
		v.optional("spec.gcp.region", g.Region, gcpid.IsRegion, gcpid.WantRegion)
		v.required("spec.gcp.audience", g.Audience, audienceText.MatchString, "a token audience without spaces, not starting with -")
		v.between("spec.gcp.tokenExpirationSeconds", g.TokenExpirationSeconds, MinTokenExpirationSeconds, MaxTokenExpirationSeconds, "Kubernetes' minimum to one day")
		if g.TokenLifetimeSeconds != 0 {
			if !g.Impersonates() {
				v.errorf("spec.gcp.tokenLifetimeSeconds", "is the lifetime of an impersonated token and needs spec.gcp.serviceAccountEmail; remove it for direct resource access")
			} else {
				v.between("spec.gcp.tokenLifetimeSeconds", g.TokenLifetimeSeconds, MinGCPTokenLifetimeSeconds, MaxGCPTokenLifetimeSeconds, "what generateAccessToken allows; over 3600 needs the constraints/iam.allowServiceAccountCredentialLifetimeExtension policy")
			}
		}
	default:
		v.errorf("spec.gcp.mode", "%q is not valid; want auto, workloadIdentity or federated", g.Mode)
	}
}
