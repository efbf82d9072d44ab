package v1alpha1

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kinds"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
)

// FieldError is one problem with a spec: where it is and what would be valid.
// Warnings do not stop the function; errors do.
type FieldError struct {
	Field   string
	Message string
	Warning bool
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// FieldErrors is every problem found in one spec, in field order.
type FieldErrors []FieldError

func (es FieldErrors) Error() string {
	msgs := make([]string, 0, len(es))
	for _, e := range es.Errors() {
		msgs = append(msgs, e.Error())
	}
	return strings.Join(msgs, "; ")
}

// Errors is the subset that must stop the function.
func (es FieldErrors) Errors() FieldErrors {
	var out FieldErrors
	for _, e := range es {
		if !e.Warning {
			out = append(out, e)
		}
	}
	return out
}

// Token lifetime bounds. Kubernetes refuses projected tokens shorter than ten
// minutes; the clouds reject subject tokens that live longer than a day, and
// Azure's workload identity webhook only accepts one to twenty-four hours.
const (
	MinTokenExpirationSeconds      = 600
	MaxTokenExpirationSeconds      = 86400
	MinAzureTokenExpirationSeconds = 3600
	MinGCPTokenLifetimeSeconds     = 600
	MaxGCPTokenLifetimeSeconds     = 43200
	// MaxIssuerLength bounds the issuer URL. Real issuers are about a
	// hundred characters; a longer one is a paste gone wrong, and would be
	// copied into every message and output.
	MaxIssuerLength = 2048
)

var (
	awsRegion       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	roleSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	guid            = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	audienceText    = regexp.MustCompile(`^[\x21-\x7e]{1,256}$`)
)

// Validate reports the errors (not the warnings) of a defaulted spec.
func (c *CrossCloudAccess) Validate() error {
	if errs := c.Check().Errors(); len(errs) > 0 {
		return errs
	}
	return nil
}

// Check reports every error and warning of a defaulted spec, each with its
// field path and what would be valid.
func (c *CrossCloudAccess) Check() FieldErrors {
	v := &checker{}
	if c.APIVersion != APIVersion {
		v.errorf("apiVersion", "is %q; want %q", c.APIVersion, APIVersion)
	}
	if c.Kind != Kind {
		v.errorf("kind", "is %q; want %q", c.Kind, Kind)
	}
	s := &c.Spec
	v.cluster(&s.Cluster)
	v.serviceAccount(&s.ServiceAccount)
	if s.Workloads != nil {
		v.workloads(s.Workloads)
	}
	if s.AWS == nil && s.GCP == nil && s.Azure == nil {
		v.errorf("spec", "names no cloud; set at least one of spec.aws, spec.gcp, spec.azure")
	}
	if s.AWS != nil {
		v.aws(s.AWS, s.Cluster.Provider)
	}
	if s.GCP != nil {
		v.gcp(s.GCP, &s.Cluster)
	}
	if s.Azure != nil {
		v.azure(s.Azure, s.Cluster.Provider)
	}
	return v.out
}

type checker struct{ out FieldErrors }

func (v *checker) errorf(field, format string, args ...any) {
	v.out = append(v.out, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *checker) warnf(field, format string, args ...any) {
	v.out = append(v.out, FieldError{Field: field, Message: fmt.Sprintf(format, args...), Warning: true})
}

// match reports a field that does not have the given shape; required fields
// are also reported when empty.
func (v *checker) match(field, value string, valid func(string) bool, required bool, want string) {
	switch {
	case value == "" && required:
		v.errorf(field, "is required; want %s", want)
	case value != "" && !valid(value):
		v.errorf(field, "%q is not valid; want %s", value, want)
	}
}

func (v *checker) between(field string, value, lo, hi int64, why string) {
	if value < lo || value > hi {
		v.errorf(field, "is %d; want %d to %d seconds (%s)", value, lo, hi, why)
	}
}

// unused reports a field that has no effect in the resolved mode: silently
// ignoring it would hide a misunderstanding.
func (v *checker) unused(field string, set bool, mode, why string) {
	if set {
		v.errorf(field, "has no effect in mode %s (%s); remove it or choose another mode", mode, why)
	}
}

func (v *checker) cluster(c *Cluster) {
	switch c.Provider {
	case ProviderEKS, ProviderGKE, ProviderAKS, ProviderGeneric:
	case "":
		v.errorf("spec.cluster.provider", "is required; want one of eks, gke, aks, generic")
	default:
		v.errorf("spec.cluster.provider", "%q is not valid; want one of eks, gke, aks, generic", c.Provider)
	}
	if g := c.GKE; g != nil {
		if c.Provider != ProviderGKE {
			v.errorf("spec.cluster.gke", "is only valid with provider gke (provider is %q); remove it or set provider: gke", c.Provider)
		}
		v.match("spec.cluster.gke.projectId", g.ProjectID, gcpid.IsProjectID, true, gcpid.WantProjectID)
		v.match("spec.cluster.gke.location", g.Location, kname.IsLabel, true, "a region or zone such as europe-west2 or europe-west2-a")
		v.match("spec.cluster.gke.clusterName", g.ClusterName, kname.IsLabel, true, "a GKE cluster name: lowercase letters, digits and hyphens")
		if derived := issuer.GKE(g.ProjectID, g.Location, g.ClusterName); c.Issuer != derived {
			v.errorf("spec.cluster.issuer", "%q differs from the issuer of spec.cluster.gke (%q); remove one of them", c.Issuer, derived)
			return
		}
	}
	if len(c.Issuer) > MaxIssuerLength {
		v.errorf("spec.cluster.issuer", "is %d characters long; want an issuer URL of at most %d characters, as kubectl get --raw /.well-known/openid-configuration shows it", len(c.Issuer), MaxIssuerLength)
		return
	}
	if c.Issuer == "" && c.Provider == ProviderGKE {
		v.errorf("spec.cluster.issuer", "is required; give the issuer URL or spec.cluster.gke (projectId, location, clusterName) to derive it")
		return
	}
	if err := issuer.Parse(c.Issuer); err != nil {
		v.errorf("spec.cluster.issuer", "%v", err)
		return
	}
	if msg := issuer.ProviderMismatch(string(c.Provider), c.Issuer); msg != "" {
		v.warnf("spec.cluster.issuer", "%s", msg)
	}
}

func (v *checker) serviceAccount(sa *ServiceAccount) {
	if len(sa.Name) > kname.MaxSubdomainLength {
		v.errorf("spec.serviceAccount.name", "is %d characters long; want at most %d", len(sa.Name), kname.MaxSubdomainLength)
	} else {
		v.match("spec.serviceAccount.name", sa.Name, kname.IsSubdomain, true, kname.WantSubdomain)
	}
	if len(sa.Namespace) > kname.MaxLabelLength {
		v.errorf("spec.serviceAccount.namespace", "is %d characters long; want at most %d", len(sa.Namespace), kname.MaxLabelLength)
	} else {
		v.match("spec.serviceAccount.namespace", sa.Namespace, kname.IsLabel, true, kname.WantLabel)
	}
}

func (v *checker) workloads(w *Workloads) {
	for i, name := range w.Containers {
		v.match(fmt.Sprintf("spec.workloads.containers[%d]", i), name, kname.IsLabel, true, "a container name (DNS-1123 label)")
	}
	sel := w.Selector
	if sel == nil {
		return
	}
	if len(sel.Kinds) == 0 && len(sel.Names) == 0 && len(sel.Labels) == 0 {
		v.errorf("spec.workloads.selector", "is empty and would select nothing; set kinds, names or labels, or remove it")
	}
	for i, kind := range sel.Kinds {
		if !kinds.Builtin.Selects(kind) {
			v.errorf(fmt.Sprintf("spec.workloads.selector.kinds[%d]", i), "%q has no pod template; want one of %s (each as Kind, or Kind.group for one API group)", kind, strings.Join(kinds.Builtin.Names(), ", "))
		}
	}
	for i, name := range sel.Names {
		v.match(fmt.Sprintf("spec.workloads.selector.names[%d]", i), name, kname.IsSubdomain, true, "an object name (DNS-1123 subdomain)")
	}
	keys := make([]string, 0, len(sel.Labels))
	for k := range sel.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.match("spec.workloads.selector.labels", k, kname.IsLabelKey, true, kname.WantLabelKey)
		v.match("spec.workloads.selector.labels."+k, sel.Labels[k], kname.IsLabelValue, false, kname.WantLabelValue)
	}
}

func (v *checker) aws(a *AWS, provider Provider) {
	switch _, err := arn.ParseRole(a.RoleARN); {
	case a.RoleARN == "":
		v.errorf("spec.aws.roleArn", "is required; want %s", arn.RoleGrammar)
	case errors.Is(err, arn.ErrNotRole):
		v.errorf("spec.aws.roleArn", "%q is not valid; want %s", a.RoleARN, arn.RoleGrammar)
	case err != nil:
		v.errorf("spec.aws.roleArn", "%v", err)
	}
	v.match("spec.aws.audience", a.Audience, audienceText.MatchString, true, "a token audience without spaces, normally sts.amazonaws.com")
	v.match("spec.aws.region", a.Region, awsRegion.MatchString, false, "an AWS region such as eu-west-2")
	v.match("spec.aws.roleSessionName", a.RoleSessionName, roleSessionName.MatchString, false, "2 to 64 letters, digits and +=,.@_-")
	if a.STSRegionalEndpoints != "regional" && a.STSRegionalEndpoints != "legacy" {
		v.errorf("spec.aws.stsRegionalEndpoints", "%q is not valid; want regional or legacy", a.STSRegionalEndpoints)
	}
	switch a.Mode {
	case ModeWebhook:
		if provider != ProviderEKS {
			v.errorf("spec.aws.mode", "webhook needs the EKS pod identity webhook, which only EKS runs (provider is %q); use projected or auto", provider)
		}
		v.unused("spec.aws.region", a.Region != "", a.Mode, "the EKS webhook sets AWS_REGION from the cluster's region")
		v.unused("spec.aws.roleSessionName", a.RoleSessionName != "", a.Mode, "the EKS webhook has no session-name annotation")
		v.between("spec.aws.tokenExpirationSeconds", a.TokenExpirationSeconds, 3600, MaxTokenExpirationSeconds, "the EKS webhook's eks.amazonaws.com/token-expiration range")
	case ModeProjected:
		v.between("spec.aws.tokenExpirationSeconds", a.TokenExpirationSeconds, MinTokenExpirationSeconds, MaxTokenExpirationSeconds, "Kubernetes' minimum to one day")
	default:
		v.errorf("spec.aws.mode", "%q is not valid; want auto, webhook or projected", a.Mode)
	}
}

func (v *checker) gcp(g *GCP, c *Cluster) {
	v.match("spec.gcp.projectId", g.ProjectID, gcpid.IsProjectID, false, gcpid.WantProjectID)
	switch g.Mode {
	case ModeWorkloadIdentity:
		switch {
		case c.Provider != ProviderGKE:
			v.errorf("spec.gcp.mode", "workloadIdentity needs GKE's metadata server (provider is %q); use federated or auto", c.Provider)
		case c.GKE == nil || !c.GKE.WorkloadIdentity:
			v.errorf("spec.gcp.mode", "workloadIdentity needs spec.cluster.gke.workloadIdentity: true; enable Workload Identity on the cluster or use federated")
		}
		v.match("spec.gcp.serviceAccountEmail", g.ServiceAccountEmail, gcpid.IsEmail, true, gcpid.WantEmail)
		if c.GKE != nil && g.ProjectID != "" && g.ProjectID != c.GKE.ProjectID {
			// The pool is always PROJECT.svc.id.goog of the cluster's own project.
			v.errorf("spec.gcp.projectId", "%q differs from the cluster's project %q, whose workload identity pool (%s.svc.id.goog) GKE uses; remove it or set it to %q",
				g.ProjectID, c.GKE.ProjectID, c.GKE.ProjectID, c.GKE.ProjectID)
		}
		why := "GKE's metadata server exchanges the token; only serviceAccountEmail is used"
		v.unused("spec.gcp.projectNumber", g.ProjectNumber != "", g.Mode, why)
		v.unused("spec.gcp.workloadIdentityPool", g.WorkloadIdentityPool != "", g.Mode, why)
		v.unused("spec.gcp.workloadIdentityProvider", g.WorkloadIdentityProvider != "", g.Mode, why)
		v.unused("spec.gcp.audience", g.Audience != "", g.Mode, why)
		v.unused("spec.gcp.tokenExpirationSeconds", g.TokenExpirationSeconds != 0, g.Mode, why)
		v.unused("spec.gcp.tokenLifetimeSeconds", g.TokenLifetimeSeconds != 0, g.Mode, why)
	case ModeFederated:
		v.match("spec.gcp.projectNumber", g.ProjectNumber, gcpid.IsProjectNumber, true, gcpid.WantProjectNumber)
		for _, f := range []struct{ field, value string }{
			{"spec.gcp.workloadIdentityPool", g.WorkloadIdentityPool},
			{"spec.gcp.workloadIdentityProvider", g.WorkloadIdentityProvider},
		} {
			if strings.HasPrefix(f.value, gcpid.ReservedPrefix) {
				v.errorf(f.field, "%q starts with %s, which Google reserves; want %s", f.value, gcpid.ReservedPrefix, gcpid.WantPoolOrProvider)
				continue
			}
			v.match(f.field, f.value, gcpid.IsPoolOrProvider, true, gcpid.WantPoolOrProvider)
		}
		v.match("spec.gcp.serviceAccountEmail", g.ServiceAccountEmail, gcpid.IsEmail, false, gcpid.WantEmail+", or none for direct resource access")
		v.match("spec.gcp.audience", g.Audience, audienceText.MatchString, true, "a token audience without spaces")
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

func (v *checker) azure(z *Azure, provider Provider) {
	v.match("spec.azure.tenantId", z.TenantID, guid.MatchString, true, "the directory (tenant) ID, a GUID such as 00000000-0000-0000-0000-000000000000")
	v.match("spec.azure.clientId", z.ClientID, guid.MatchString, true, "the application or managed identity client ID, a GUID")
	if u, err := url.Parse(z.AuthorityHost); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		v.errorf("spec.azure.authorityHost", "%q is not valid; want an https URL such as %s", z.AuthorityHost, DefaultAzureAuthorityHost)
	}
	v.between("spec.azure.tokenExpirationSeconds", z.TokenExpirationSeconds, MinAzureTokenExpirationSeconds, MaxTokenExpirationSeconds, "what Azure workload identity accepts")
	switch z.Mode {
	case ModeWebhook:
		if provider != ProviderAKS {
			v.errorf("spec.azure.mode", "webhook needs the Azure workload identity webhook, which AKS runs (provider is %q); use projected or auto", provider)
		}
		v.unused("spec.azure.authorityHost", z.AuthorityHost != DefaultAzureAuthorityHost, z.Mode, "the webhook sets AZURE_AUTHORITY_HOST from its own configuration")
	case ModeProjected:
	default:
		v.errorf("spec.azure.mode", "%q is not valid; want auto, webhook or projected", z.Mode)
	}
}
