// Package trust renders the cloud side of keyless access from the same
// CrossCloudAccess specs that the function uses for the workload side: the AWS
// IAM OIDC providers and role trust policies, the GCP workload identity pools,
// providers and IAM grants, and the Azure federated identity credentials that
// let exactly the specs' ServiceAccounts in, and nothing else.
//
// Build is a pure function from specs to a Trust value; one renderer per
// format (JSON, Terraform, shell, KRM) writes that value out.
package trust

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
)

// Values the clouds define; they are part of every trust relationship.
const (
	IAMPolicyVersion             = "2012-10-17"
	ActionAssumeRoleWithWebID    = "sts:AssumeRoleWithWebIdentity"
	GCPWorkloadIdentityUserRole  = "roles/iam.workloadIdentityUser"
	GCPSubjectAttribute          = "google.subject"
	GCPSubjectAssertion          = "assertion.sub"
	gcpMaxAllowedAudiences       = 10
	azureMaxCredentialsPerClient = 20
)

// Trust is everything the clouds must be told so that the specs'
// ServiceAccounts, and only they, can get in. Its JSON form is the document
// `cross-cloud-access trust --format json` prints; a cloud no spec uses is nil.
type Trust struct {
	AWS   *AWS   `json:"aws,omitempty"`
	GCP   *GCP   `json:"gcp,omitempty"`
	Azure *Azure `json:"azure,omitempty"`
}

// AWS is what AWS IAM must hold.
type AWS struct {
	OIDCProviders []AWSOIDCProvider `json:"oidcProviders"`
	Roles         []AWSRole         `json:"roles"`
}

// AWSOIDCProvider is an IAM OpenID Connect identity provider for one issuer in
// one account; its client IDs are the audiences the tokens carry.
type AWSOIDCProvider struct {
	URL          string   `json:"url"`
	ClientIDList []string `json:"clientIdList"`
	ARN          string   `json:"arn"`
}

// AWSRole is an IAM role and the trust policy that lets the ServiceAccounts
// assume it.
type AWSRole struct {
	RoleARN          string         `json:"roleArn"`
	AssumeRolePolicy PolicyDocument `json:"assumeRolePolicy"`
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement lets one ServiceAccount of one issuer assume a role.
type Statement struct {
	Effect    string    `json:"Effect"`
	Principal Principal `json:"Principal"`
	Action    string    `json:"Action"`
	Condition Condition `json:"Condition"`
}

// Principal names the IAM OIDC provider that vouches for the token.
type Principal struct {
	Federated string `json:"Federated"`
}

// Condition pins the token's subject and audience. Both keys are always set:
// without the subject any ServiceAccount of the cluster could get in.
type Condition struct {
	StringEquals map[string]string `json:"StringEquals"`
}

// GCP is what Google Cloud IAM must hold.
type GCP struct {
	WorkloadIdentityPools []GCPPool       `json:"workloadIdentityPools"`
	IAMBindings           []GCPIAMBinding `json:"iamBindings"`
	// ResourcePrincipals are federated identities that use resources
	// directly (no service account to impersonate); grant them roles on the
	// resources they need.
	ResourcePrincipals []string `json:"resourcePrincipals"`
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

// Azure is what Microsoft Entra ID must hold.
type Azure struct {
	FederatedIdentityCredentials []AzureFederatedIdentityCredential `json:"federatedIdentityCredentials"`
}

// AzureFederatedIdentityCredential is a federated identity credential on the
// application or managed identity ClientID.
type AzureFederatedIdentityCredential struct {
	Name      string   `json:"name"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
	ClientID  string   `json:"clientId"`
	TenantID  string   `json:"tenantId"`
}

// ErrConflict is wrapped by every error about specs that cannot share one
// output (two issuers for one pool provider, two tenants for one client ID).
var ErrConflict = errors.New("specs conflict")

// ErrUnsafe is wrapped by every error about a spec whose trust would let in
// more than its ServiceAccount (a wildcard or empty subject, no audience).
var ErrUnsafe = errors.New("trust would not be pinned to one ServiceAccount")

// Build merges the trust every spec needs into one de-duplicated, sorted
// value. Specs must be defaulted and valid (v1alpha1.Decode gives such specs);
// conflicts between specs and anything that would need a wildcard are errors.
func Build(specs []*v1alpha1.CrossCloudAccess) (*Trust, error) {
	b := newBuilder()
	var errs []error
	for _, spec := range specs {
		if err := b.add(spec); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return b.trust()
}

// specName says which spec an error is about.
func specName(c *v1alpha1.CrossCloudAccess) string {
	sa := c.Spec.ServiceAccount
	if c.Metadata.Name == "" {
		return fmt.Sprintf("CrossCloudAccess for ServiceAccount %s/%s", sa.Namespace, sa.Name)
	}
	return fmt.Sprintf("CrossCloudAccess %s (ServiceAccount %s/%s)", c.Metadata.Name, sa.Namespace, sa.Name)
}

type builder struct {
	awsProviders map[string]*AWSOIDCProvider // by ARN
	awsRoles     map[string]*awsRole         // by role ARN
	gcpProviders map[gcpProviderKey]*gcpProvider
	gcpBindings  map[GCPIAMBinding]bool
	gcpPrincipal map[string]bool
	azure        map[azureKey]AzureFederatedIdentityCredential
	azureTenant  map[string]tenantOf // client ID -> tenant and the spec that set it
}

type awsRole struct {
	statements map[statementKey]Statement
}

type statementKey struct{ federated, subject string }

type gcpProviderKey struct{ projectNumber, poolID, providerID string }

type gcpProvider struct {
	issuer, issuerFrom string
	subjects           map[string]bool
	audiences          map[string]bool
	custom             bool // some spec's token carries an audience Google would not accept by default
}

type azureKey struct{ clientID, issuer, subject string }

type tenantOf struct{ tenant, from string }

func newBuilder() *builder {
	return &builder{
		awsProviders: map[string]*AWSOIDCProvider{},
		awsRoles:     map[string]*awsRole{},
		gcpProviders: map[gcpProviderKey]*gcpProvider{},
		gcpBindings:  map[GCPIAMBinding]bool{},
		gcpPrincipal: map[string]bool{},
		azure:        map[azureKey]AzureFederatedIdentityCredential{},
		azureTenant:  map[string]tenantOf{},
	}
}

func (b *builder) add(c *v1alpha1.CrossCloudAccess) error {
	if c == nil {
		return fmt.Errorf("%w: a nil spec", ErrUnsafe)
	}
	name := specName(c)
	s := &c.Spec
	subject := s.ServiceAccount.Subject()
	if err := checkSubject(s.ServiceAccount); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := issuer.Parse(s.Cluster.Issuer); err != nil {
		return fmt.Errorf("%s: spec.cluster.issuer %w", name, err)
	}
	var errs []error
	if s.AWS != nil {
		errs = append(errs, b.addAWS(name, s.Cluster.Issuer, subject, s.AWS))
	}
	if s.GCP != nil {
		errs = append(errs, b.addGCP(name, s, subject))
	}
	if s.Azure != nil {
		errs = append(errs, b.addAzure(name, s.Cluster.Issuer, subject, s.Azure))
	}
	return errors.Join(errs...)
}

// checkSubject admits only Kubernetes names: anything else (a "*" above all)
// in the subject could widen the trust beyond one ServiceAccount.
func checkSubject(sa v1alpha1.ServiceAccount) error {
	if !kname.IsServiceAccount(sa.Namespace, sa.Name) {
		return fmt.Errorf("%w: ServiceAccount %q in namespace %q is not a Kubernetes name, so the subject %q would not name one ServiceAccount",
			ErrUnsafe, sa.Name, sa.Namespace, sa.Subject())
	}
	return nil
}

func checkAudience(field, audience string) error {
	if strings.TrimSpace(audience) == "" || strings.ContainsAny(audience, "*?") {
		return fmt.Errorf("%w: %s %q must be one exact audience (not empty, no * or ?)", ErrUnsafe, field, audience)
	}
	return nil
}

func (b *builder) addAWS(name, iss, subject string, a *v1alpha1.AWS) error {
	role, err := arn.ParseRole(a.RoleARN)
	if err != nil {
		return fmt.Errorf("%s: spec.aws.roleArn %q: %w", name, a.RoleARN, err)
	}
	if err := checkAudience("spec.aws.audience", a.Audience); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	hostPath := issuer.HostPath(iss)
	providerARN := role.OIDCProvider(hostPath)
	p := b.awsProviders[providerARN]
	if p == nil {
		p = &AWSOIDCProvider{URL: iss, ARN: providerARN}
		b.awsProviders[providerARN] = p
	}
	if !slices.Contains(p.ClientIDList, a.Audience) {
		p.ClientIDList = append(p.ClientIDList, a.Audience)
	}
	trusted := b.awsRoles[a.RoleARN]
	if trusted == nil {
		trusted = &awsRole{statements: map[statementKey]Statement{}}
		b.awsRoles[a.RoleARN] = trusted
	}
	key := statementKey{providerARN, subject}
	stmt := Statement{
		Effect:    "Allow",
		Principal: Principal{Federated: providerARN},
		Action:    ActionAssumeRoleWithWebID,
		Condition: Condition{StringEquals: map[string]string{
			hostPath + ":aud": a.Audience,
			hostPath + ":sub": subject,
		}},
	}
	if prev, ok := trusted.statements[key]; ok {
		if got := prev.Condition.StringEquals[hostPath+":aud"]; got != a.Audience {
			return fmt.Errorf("%w: %s: role %s already trusts %s from %s with audience %q; one ServiceAccount gets one audience per role (spec.aws.audience is %q)",
				ErrConflict, name, a.RoleARN, subject, iss, got, a.Audience)
		}
		return nil
	}
	trusted.statements[key] = stmt
	return nil
}

func (b *builder) addGCP(name string, s *v1alpha1.Spec, subject string) error {
	g := s.GCP
	switch g.Mode {
	case v1alpha1.ModeWorkloadIdentity:
		if g.ProjectID == "" || g.ServiceAccountEmail == "" {
			return fmt.Errorf("%w: %s: workloadIdentity needs spec.gcp.projectId and spec.gcp.serviceAccountEmail", ErrUnsafe, name)
		}
		b.gcpBindings[GCPIAMBinding{
			Resource: ServiceAccountResource(g.ServiceAccountEmail),
			Role:     GCPWorkloadIdentityUserRole,
			Member:   fmt.Sprintf("serviceAccount:%s.svc.id.goog[%s/%s]", g.ProjectID, s.ServiceAccount.Namespace, s.ServiceAccount.Name),
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
	key := gcpProviderKey{g.ProjectNumber, g.WorkloadIdentityPool, g.WorkloadIdentityProvider}
	p := b.gcpProviders[key]
	if p == nil {
		p = &gcpProvider{issuer: s.Cluster.Issuer, issuerFrom: name, subjects: map[string]bool{}, audiences: map[string]bool{}}
		b.gcpProviders[key] = p
	}
	if p.issuer != s.Cluster.Issuer {
		return fmt.Errorf("%w: %s: workload identity pool provider %s trusts issuer %s (from %s); this spec needs issuer %s: give each cluster its own spec.gcp.workloadIdentityProvider",
			ErrConflict, name, g.ProviderResource(), p.issuer, p.issuerFrom, s.Cluster.Issuer)
	}
	p.subjects[subject] = true
	p.audiences[g.Audience] = true
	if g.Audience != "https:"+g.ProviderResource() && g.Audience != g.ProviderResource() {
		p.custom = true
	}
	principal := fmt.Sprintf("principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/subject/%s",
		g.ProjectNumber, g.WorkloadIdentityPool, subject)
	if g.Impersonates() {
		b.gcpBindings[GCPIAMBinding{
			Resource: ServiceAccountResource(g.ServiceAccountEmail),
			Role:     GCPWorkloadIdentityUserRole,
			Member:   principal,
		}] = true
	} else {
		b.gcpPrincipal[principal] = true
	}
	return nil
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

func (b *builder) addAzure(name, iss, subject string, z *v1alpha1.Azure) error {
	if z.ClientID == "" || z.TenantID == "" {
		return fmt.Errorf("%w: %s: spec.azure needs clientId and tenantId", ErrUnsafe, name)
	}
	if prev, ok := b.azureTenant[z.ClientID]; ok && prev.tenant != z.TenantID {
		return fmt.Errorf("%w: %s: client ID %s is in tenant %s according to %s, not %s",
			ErrConflict, name, z.ClientID, prev.tenant, prev.from, z.TenantID)
	}
	b.azureTenant[z.ClientID] = tenantOf{z.TenantID, name}
	b.azure[azureKey{z.ClientID, iss, subject}] = AzureFederatedIdentityCredential{
		Name:      AzureCredentialName(iss, subject),
		Issuer:    iss,
		Subject:   subject,
		Audiences: []string{v1alpha1.DefaultAzureAudience},
		ClientID:  z.ClientID,
		TenantID:  z.TenantID,
	}
	return nil
}

func (b *builder) trust() (*Trust, error) {
	t := &Trust{}
	var errs []error
	if len(b.awsProviders) > 0 {
		t.AWS = &AWS{OIDCProviders: []AWSOIDCProvider{}, Roles: []AWSRole{}}
		for _, p := range sortedValues(b.awsProviders) {
			sort.Strings(p.ClientIDList)
			t.AWS.OIDCProviders = append(t.AWS.OIDCProviders, *p)
		}
		for _, roleARN := range sortedKeys(b.awsRoles) {
			role := AWSRole{RoleARN: roleARN, AssumeRolePolicy: PolicyDocument{Version: IAMPolicyVersion}}
			keys := sortedKeysFunc(b.awsRoles[roleARN].statements, func(a, b statementKey) int {
				return cmpStrings(a.federated, b.federated, a.subject, b.subject)
			})
			for _, k := range keys {
				role.AssumeRolePolicy.Statement = append(role.AssumeRolePolicy.Statement, b.awsRoles[roleARN].statements[k])
			}
			t.AWS.Roles = append(t.AWS.Roles, role)
		}
	}
	if len(b.gcpProviders)+len(b.gcpBindings)+len(b.gcpPrincipal) > 0 {
		t.GCP = &GCP{WorkloadIdentityPools: []GCPPool{}, IAMBindings: []GCPIAMBinding{}, ResourcePrincipals: sortedKeys(b.gcpPrincipal)}
		keys := sortedKeysFunc(b.gcpProviders, func(a, b gcpProviderKey) int {
			return cmpStrings(a.projectNumber, b.projectNumber, a.poolID, b.poolID, a.providerID, b.providerID)
		})
		for _, k := range keys {
			p := b.gcpProviders[k]
			if n := len(t.GCP.WorkloadIdentityPools); n == 0 || t.GCP.WorkloadIdentityPools[n-1].ProjectNumber != k.projectNumber || t.GCP.WorkloadIdentityPools[n-1].PoolID != k.poolID {
				t.GCP.WorkloadIdentityPools = append(t.GCP.WorkloadIdentityPools, GCPPool{ProjectNumber: k.projectNumber, PoolID: k.poolID})
			}
			provider := GCPPoolProvider{
				ProviderID:         k.providerID,
				IssuerURI:          p.issuer,
				AllowedAudiences:   []string{},
				AttributeMapping:   map[string]string{GCPSubjectAttribute: GCPSubjectAssertion},
				AttributeCondition: SubjectCondition(sortedKeys(p.subjects)),
			}
			// Listing any audience makes Google stop accepting the provider's
			// own name, so once one token needs a custom audience every
			// audience in use is listed.
			if p.custom {
				provider.AllowedAudiences = sortedKeys(p.audiences)
			}
			if len(provider.AllowedAudiences) > gcpMaxAllowedAudiences {
				errs = append(errs, fmt.Errorf("%w: workload identity pool provider %s/%s/%s would need %d allowed audiences; Google allows %d",
					ErrConflict, k.projectNumber, k.poolID, k.providerID, len(provider.AllowedAudiences), gcpMaxAllowedAudiences))
			}
			pool := &t.GCP.WorkloadIdentityPools[len(t.GCP.WorkloadIdentityPools)-1]
			pool.Providers = append(pool.Providers, provider)
		}
		t.GCP.IAMBindings = sortedKeysFunc(b.gcpBindings, func(a, b GCPIAMBinding) int {
			return cmpStrings(a.Resource, b.Resource, a.Role, b.Role, a.Member, b.Member)
		})
		// Empty lists stay [] rather than null, so readers can range over them.
		if t.GCP.IAMBindings == nil {
			t.GCP.IAMBindings = []GCPIAMBinding{}
		}
		if t.GCP.ResourcePrincipals == nil {
			t.GCP.ResourcePrincipals = []string{}
		}
	}
	if len(b.azure) > 0 {
		t.Azure = &Azure{}
		perClient := map[string]int{}
		for _, c := range b.azure {
			t.Azure.FederatedIdentityCredentials = append(t.Azure.FederatedIdentityCredentials, c)
			perClient[c.ClientID]++
		}
		slices.SortFunc(t.Azure.FederatedIdentityCredentials, func(a, b AzureFederatedIdentityCredential) int {
			return cmpStrings(a.ClientID, b.ClientID, a.Name, b.Name)
		})
		for _, id := range sortedKeys(perClient) {
			if perClient[id] > azureMaxCredentialsPerClient {
				errs = append(errs, fmt.Errorf("%w: client ID %s would need %d federated identity credentials; Azure allows %d",
					ErrConflict, id, perClient[id], azureMaxCredentialsPerClient))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
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

func celString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}
