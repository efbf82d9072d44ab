package trust

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/celstring"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
)

// Values Google Cloud defines; they are part of every trust relationship.
const (
	GCPWorkloadIdentityUserRole = "roles/iam.workloadIdentityUser"
	GCPSubjectAttribute         = "google.subject"
	GCPSubjectAssertion         = "assertion.sub"
	GCPAudienceAssertion        = "assertion.aud"
)

// GCPAllowedAudiencesPerProvider is Google's limit on a workload identity
// pool provider's allowed audiences.
var GCPAllowedAudiencesPerProvider = Quota{
	Cloud: "Google Cloud IAM", Name: "allowed audiences per workload identity pool provider", Limit: 10, Unit: "audiences",
	WaysOut: []string{
		"leave spec.gcp.audience unset, so tokens carry the provider's own name and no audience is listed",
		"give ServiceAccounts that need their own audience another provider (spec.gcp.workloadIdentityProvider)",
	},
}

// GCPAttributeConditionLength is Google's limit on a workload identity pool
// provider's attribute condition (the WorkloadIdentityPoolProvider API
// reference: at most 4096 characters).
var GCPAttributeConditionLength = Quota{
	Cloud: "Google Cloud IAM", Name: "attribute condition length", Limit: 4096, Unit: "characters",
	WaysOut: []string{
		"give some of the issuer's ServiceAccounts another provider for the same issuer (spec.gcp.workloadIdentityProvider)",
		"leave spec.gcp.audience unset where it is set, so the condition lists subjects without their audiences",
	},
}

// GCPSubjectLength is Google's limit on the google.subject attribute, which
// trust maps from the token's subject (API reference: at most 127 bytes).
var GCPSubjectLength = Quota{
	Cloud: "Google Cloud IAM", Name: "google.subject length", Limit: 127, Unit: "bytes",
	WaysOut: []string{
		"shorten the namespace or the ServiceAccount name: the subject is system:serviceaccount:NAMESPACE:NAME",
		"reach Google Cloud through GKE Workload Identity (spec.gcp.mode: workloadIdentity) on GKE, which maps no subject",
	},
}

// GCPProvidersPerPool is Google's limit on the providers of one workload
// identity pool. Sources differ on the figure (100 or more), so it is a
// flag: pass the one your project shows.
var GCPProvidersPerPool = Quota{
	Cloud: "Google Cloud IAM", Name: "providers per workload identity pool", Limit: 100, Unit: "providers",
	Flag: "--gcp-providers-per-pool-quota",
	WaysOut: []string{
		"a pool per issuer group: split the clusters over several pools (spec.gcp.workloadIdentityPool) by a stable rule (docs/fleet.md)",
	},
}

// GCP is what Google Cloud IAM must hold.
type GCP struct {
	WorkloadIdentityPools []GCPPool       `json:"workloadIdentityPools"`
	IAMBindings           []GCPIAMBinding `json:"iamBindings"`
	// ResourcePrincipals are federated identities that use resources
	// directly (no service account to impersonate); grant them roles on the
	// resources they need.
	ResourcePrincipals []string `json:"resourcePrincipals"`
	// ResourceBindings are the roles the specs' grants give on resources
	// (gcp_grants.go).
	ResourceBindings []GCPResourceBinding `json:"resourceBindings,omitempty"`
}

// GCPPool is a workload identity pool with the OIDC providers that trust the
// clusters.
type GCPPool struct {
	ProjectNumber string            `json:"projectNumber"`
	PoolID        string            `json:"poolId"`
	Providers     []GCPPoolProvider `json:"providers"`
}

// GCPPoolProvider is an OIDC workload identity pool provider for one issuer.
type GCPPoolProvider struct {
	ProviderID string `json:"providerId"`
	IssuerURI  string `json:"issuerUri"`
	// AllowedAudiences is empty when every token carries the provider's own
	// resource name, which Google accepts without listing it.
	AllowedAudiences   []string          `json:"allowedAudiences"`
	AttributeMapping   map[string]string `json:"attributeMapping"`
	AttributeCondition string            `json:"attributeCondition"`
}

// GCPIAMBinding grants role to member on resource.
type GCPIAMBinding struct {
	Resource string `json:"resource"`
	Role     string `json:"role"`
	Member   string `json:"member"`
}

type gcpBuilder struct {
	providers  map[gcpProviderKey]*gcpProvider
	bindings   map[GCPIAMBinding]bool
	principals map[string]bool
}

type gcpProviderKey struct{ projectNumber, poolID, providerID string }

type gcpProvider struct {
	issuer, issuerFrom string
	subjects           map[string]string // subject -> the audience its tokens carry
	audiences          map[string]bool
	custom             bool // some spec's token carries an audience Google would not accept by default
}

func newGCPBuilder() cloudBuilder {
	return &gcpBuilder{providers: map[gcpProviderKey]*gcpProvider{}, bindings: map[GCPIAMBinding]bool{}, principals: map[string]bool{}}
}

func (b *gcpBuilder) add(s *specTrust) error {
	g, name := s.spec.GCP, s.name
	if g == nil {
		return nil
	}
	switch g.Mode {
	case v1alpha1.ModeWorkloadIdentity:
		sa := s.spec.ServiceAccount
		if g.ProjectID == "" {
			return fmt.Errorf("%w: %s: workloadIdentity needs spec.gcp.projectId", ErrUnsafe, name)
		}
		if !g.Impersonates() {
			// Direct access: the Kubernetes ServiceAccount itself is the
			// principal roles are granted to.
			if g.ProjectNumber == "" {
				return fmt.Errorf("%w: %s: workloadIdentity without serviceAccountEmail needs spec.gcp.projectNumber", ErrUnsafe, name)
			}
			b.principals[gcpid.GKEPrincipal(g.ProjectNumber, g.ProjectID, sa.Namespace, sa.Name)] = true
			return nil
		}
		b.bindings[GCPIAMBinding{
			Resource: ServiceAccountResource(g.ServiceAccountEmail),
			Role:     GCPWorkloadIdentityUserRole,
			Member:   workloadIdentityMember(g.ProjectID, sa.Namespace+"/"+sa.Name),
		}] = true
		return nil
	case v1alpha1.ModeFederated:
	default:
		return fmt.Errorf("%s: spec.gcp.mode %q is not resolved; decode the spec with v1alpha1.Decode", name, g.Mode)
	}
	if g.ProjectNumber == "" || g.WorkloadIdentityPool == "" || g.WorkloadIdentityProvider == "" {
		return fmt.Errorf("%w: %s: federated needs spec.gcp.projectNumber, workloadIdentityPool and workloadIdentityProvider", ErrUnsafe, name)
	}
	if err := checkAudience("spec.gcp.audience", g.Audience); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	// One provider per issuer: the spec's for the cluster's issuer, one of
	// a derived ID for each previous issuer. Each admits the spec's
	// ServiceAccount with the audience its tokens carry.
	for i, iss := range s.issuers() {
		provider := *g
		if i > 0 {
			provider.WorkloadIdentityProvider = PreviousIssuerProvider(g.WorkloadIdentityProvider, iss)
		}
		if err := b.addProvider(s, &provider, iss); err != nil {
			return err
		}
	}
	principal := gcpid.Principal(g.ProjectNumber, g.WorkloadIdentityPool, s.subject)
	if g.Impersonates() {
		b.bindings[GCPIAMBinding{
			Resource: ServiceAccountResource(g.ServiceAccountEmail),
			Role:     GCPWorkloadIdentityUserRole,
			Member:   principal,
		}] = true
	} else {
		b.principals[principal] = true
	}
	return nil
}

// addProvider admits the spec's ServiceAccount to the pool provider that
// g names, which trusts iss; g's audience is what the tokens carry.
func (b *gcpBuilder) addProvider(s *specTrust, g *v1alpha1.GCP, iss string) error {
	key := gcpProviderKey{g.ProjectNumber, g.WorkloadIdentityPool, g.WorkloadIdentityProvider}
	p := b.providers[key]
	if p == nil {
		p = &gcpProvider{issuer: iss, issuerFrom: s.name, subjects: map[string]string{}, audiences: map[string]bool{}}
		b.providers[key] = p
	}
	if p.issuer != iss {
		return fmt.Errorf("%w: %s: workload identity pool provider %s trusts issuer %s (from %s); this spec needs issuer %s: give each cluster its own spec.gcp.workloadIdentityProvider",
			ErrConflict, s.name, g.ProviderResource(), p.issuer, p.issuerFrom, iss)
	}
	p.subjects[s.subject] = g.Audience
	p.audiences[g.Audience] = true
	if g.Audience != "https:"+g.ProviderResource() && g.Audience != g.ProviderResource() {
		p.custom = true
	}
	return nil
}

// PreviousIssuerProvider is the ID of the pool provider that trusts issuer, a
// previous issuer of the clusters whose provider is provider: that ID (cut to
// fit), a dash and eight hex digits of the issuer's hash. It is derived, so
// every run names it the same, and it stays a valid ID: 4 to 32 of
// [a-z0-9-], starting as provider does.
func PreviousIssuerProvider(provider, issuer string) string {
	suffix := "-" + shortHash(issuer)
	return strings.TrimRight(provider[:min(len(provider), gcpProviderIDMax-len(suffix))], "-") + suffix
}

// gcpProviderIDMax is the longest workload identity pool provider ID.
const gcpProviderIDMax = 32

func (b *gcpBuilder) build(t *Trust, limits Limits) error {
	if len(b.providers)+len(b.bindings)+len(b.principals) == 0 {
		return nil
	}
	var errs []error
	subjects := map[string]bool{} // mapped to google.subject by some provider
	g := &GCP{WorkloadIdentityPools: []GCPPool{}, IAMBindings: []GCPIAMBinding{}, ResourcePrincipals: sortedKeys(b.principals)}
	keys := sortedKeysFunc(b.providers, func(a, b gcpProviderKey) int {
		return cmpStrings(a.projectNumber, b.projectNumber, a.poolID, b.poolID, a.providerID, b.providerID)
	})
	for _, k := range keys {
		p := b.providers[k]
		if n := len(g.WorkloadIdentityPools); n == 0 || g.WorkloadIdentityPools[n-1].ProjectNumber != k.projectNumber || g.WorkloadIdentityPools[n-1].PoolID != k.poolID {
			g.WorkloadIdentityPools = append(g.WorkloadIdentityPools, GCPPool{ProjectNumber: k.projectNumber, PoolID: k.poolID})
		}
		provider := GCPPoolProvider{
			ProviderID:         k.providerID,
			IssuerURI:          p.issuer,
			AllowedAudiences:   []string{},
			AttributeMapping:   map[string]string{GCPSubjectAttribute: GCPSubjectAssertion},
			AttributeCondition: SubjectCondition(sortedKeys(p.subjects)),
		}
		if len(p.audiences) > 1 {
			// The provider allows several audiences: each subject is held to
			// its own, so no ServiceAccount gets in with another's audience.
			provider.AttributeCondition = PinnedCondition(p.subjects)
		}
		// Listing any audience makes Google stop accepting the provider's
		// own name, so once one token needs a custom audience every
		// audience in use is listed.
		if p.custom {
			provider.AllowedAudiences = sortedKeys(p.audiences)
		}
		name := fmt.Sprintf("workload identity pool provider %s/%s/%s", k.projectNumber, k.poolID, k.providerID)
		errs = append(errs,
			limits.Check(GCPAllowedAudiencesPerProvider, name, len(provider.AllowedAudiences)),
			limits.Check(GCPAttributeConditionLength, "the attribute condition of "+name, utf8.RuneCountInString(provider.AttributeCondition)))
		for subject := range p.subjects {
			subjects[subject] = true
		}
		pool := &g.WorkloadIdentityPools[len(g.WorkloadIdentityPools)-1]
		pool.Providers = append(pool.Providers, provider)
	}
	g.IAMBindings = sortedKeysFunc(b.bindings, func(a, b GCPIAMBinding) int {
		return cmpStrings(a.Resource, b.Resource, a.Role, b.Role, a.Member, b.Member)
	})
	// Empty lists stay [] rather than null, so readers can range over them.
	if g.IAMBindings == nil {
		g.IAMBindings = []GCPIAMBinding{}
	}
	if g.ResourcePrincipals == nil {
		g.ResourcePrincipals = []string{}
	}
	for _, pool := range g.WorkloadIdentityPools {
		errs = append(errs, limits.Check(GCPProvidersPerPool, fmt.Sprintf("workload identity pool %s/%s", pool.ProjectNumber, pool.PoolID), len(pool.Providers)))
	}
	for _, subject := range sortedKeys(subjects) {
		errs = append(errs, limits.Check(GCPSubjectLength, "the google.subject "+subject, len(subject)))
	}
	t.GCP = g
	return errors.Join(errs...)
}

// poolRef identifies a pool: its project number and pool ID.
type poolRef struct{ projectNumber, poolID string }

// principalPool reads the pool and the subject of a principal.
func principalPool(member string) (poolRef, string, bool) {
	number, pool, subject, ok := gcpid.ParsePrincipal(member)
	return poolRef{number, pool}, subject, ok
}

// The parts of a GKE Workload Identity member,
// serviceAccount:PROJECT.svc.id.goog[NAMESPACE/NAME]; the formats read the
// ServiceAccount back to name a grant after it.
const (
	workloadIdentityPrefix = "serviceAccount:"
	workloadIdentityPool   = ".svc.id.goog["
)

// workloadIdentityMember is the member GKE Workload Identity gives the
// ServiceAccount ksa ("NAMESPACE/NAME") of a cluster in project.
func workloadIdentityMember(project, ksa string) string {
	return workloadIdentityPrefix + project + workloadIdentityPool + ksa + "]"
}

// workloadIdentityKSA reads "NAMESPACE/NAME" from a GKE Workload Identity
// member.
func workloadIdentityKSA(member string) (string, bool) {
	rest, ok := strings.CutPrefix(member, workloadIdentityPrefix)
	if !ok {
		return "", false
	}
	_, ksa, ok := strings.Cut(rest, workloadIdentityPool)
	if !ok {
		return "", false
	}
	return strings.TrimSuffix(ksa, "]"), true
}

// ServiceAccountResource is the resource name of a Google service account,
// projects/PROJECT/serviceAccounts/EMAIL, with the project read from the email
// because Terraform's service_account_id does not accept the "-" wildcard.
func ServiceAccountResource(email string) string {
	project, ok := gcpid.EmailProject(email)
	if !ok {
		project = "-"
	}
	return "projects/" + project + "/serviceAccounts/" + email
}

// SubjectCondition is the CEL attribute condition that admits exactly the
// given token subjects: "assertion.sub == 'S'" for one, an "in" list for more.
func SubjectCondition(subjects []string) string {
	quoted := make([]string, len(subjects))
	for i, s := range subjects {
		quoted[i] = celString(s)
	}
	if len(quoted) == 1 {
		return GCPSubjectAssertion + " == " + quoted[0]
	}
	return GCPSubjectAssertion + " in [" + strings.Join(quoted, ", ") + "]"
}

// PinnedCondition admits each subject only with the audience its tokens
// carry: "(assertion.sub == 'S' && 'A' in assertion.aud) || ...", by subject.
// Kubernetes writes aud as a list, which "in" reads.
func PinnedCondition(audienceOf map[string]string) string {
	var terms []string
	for _, subject := range sortedKeys(audienceOf) {
		terms = append(terms, "("+GCPSubjectAssertion+" == "+celString(subject)+" && "+celString(audienceOf[subject])+" in "+GCPAudienceAssertion+")")
	}
	return strings.Join(terms, " || ")
}

// celString is s as a single-quoted CEL string literal, as Google's IAM
// documentation writes conditions.
func celString(s string) string { return celstring.Quote(s, '\'') }
