package v1alpha1

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kinds"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
)

// FieldError is one problem with a spec: where it is and what would be valid.
// Its severity is kpt's: warnings and infos do not stop the function; errors
// do. The zero severity is an error, so a problem is never lost as a warning.
type FieldError struct {
	Field    string
	Message  string
	Severity framework.Severity
}

// Level is the error's severity, with the zero value read as an error.
func (e FieldError) Level() framework.Severity {
	if e.Severity == "" {
		return framework.Error
	}
	return e.Severity
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
		if e.Level() == framework.Error {
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
	// audienceText is any token audience: printable ASCII, no spaces, and
	// no leading "-", which a command line would read as an option.
	audienceText = regexp.MustCompile(`^[\x21-\x2c\x2e-\x7e][\x21-\x7e]{0,255}$`)
	// eksClusterName is what CreateCluster accepts.
	eksClusterName = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
)

// Check reports every error and warning of a defaulted spec, each with its
// field path and what would be valid.
//
// The spec does not implement kyaml's framework.Defaulter and Validator:
// one run reads several specs (the functionConfig and those among the items),
// and each problem must become a Result located on its own spec and field,
// which those hooks' single error cannot carry.
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
	if ns := c.Metadata.Namespace; ns != "" && s.ServiceAccount.Namespace != ns {
		// A team's spec must not wire, or re-point, another namespace's
		// workloads; only the platform's namespace-less spec may.
		v.errorf("spec.serviceAccount.namespace", "is %q but the spec is in namespace %q, and a namespaced spec acts only in its own namespace; remove it or set it to %q (a spec without metadata.namespace may name any)",
			s.ServiceAccount.Namespace, ns, ns)
	}
	if s.Workloads != nil {
		v.workloads(s.Workloads, s.Kinds())
	}
	if s.AdmissionPolicy != nil {
		s.AdmissionPolicy.check(v)
	}
	if len(s.clouds()) == 0 {
		v.errorf("spec", "names no cloud; set at least one of spec.aws, spec.gcp, spec.azure")
	}
	for _, cl := range s.clouds() {
		cl.check(v, &s.Cluster)
	}
	v.containers(s)
	return v.out
}

type checker struct{ out FieldErrors }

func (v *checker) errorf(field, format string, args ...any) {
	v.out = append(v.out, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *checker) warnf(field, format string, args ...any) {
	v.out = append(v.out, FieldError{Field: field, Message: fmt.Sprintf(format, args...), Severity: framework.Warning})
}

// required reports a field that is empty or does not have the given shape.
func (v *checker) required(field, value string, valid func(string) bool, want string) {
	if value == "" {
		v.errorf(field, "is required; want %s", want)
		return
	}
	v.optional(field, value, valid, want)
}

// optional reports a field that is set and does not have the given shape.
func (v *checker) optional(field, value string, valid func(string) bool, want string) {
	if value != "" && !valid(value) {
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
func (v *checker) unused(field string, set bool, mode Mode, why string) {
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
		v.required("spec.cluster.gke.projectId", g.ProjectID, gcpid.IsProjectID, gcpid.WantProjectID)
		v.required("spec.cluster.gke.location", g.Location, kname.IsLabel, "a region or zone such as europe-west2 or europe-west2-a")
		v.required("spec.cluster.gke.clusterName", g.ClusterName, kname.IsLabel, "a GKE cluster name: lowercase letters, digits and hyphens")
		if derived := issuer.GKE(g.ProjectID, g.Location, g.ClusterName); c.Issuer != derived {
			v.errorf("spec.cluster.issuer", "%q differs from the issuer of spec.cluster.gke (%q); remove one of them", c.Issuer, derived)
			return
		}
	}
	if e := c.EKS; e != nil {
		if c.Provider != ProviderEKS {
			v.errorf("spec.cluster.eks", "is only valid with provider eks (provider is %q); remove it or set provider: eks", c.Provider)
		}
		v.required("spec.cluster.eks.clusterName", e.ClusterName, eksClusterName.MatchString, "an EKS cluster name: 1 to 100 letters, digits, '-' and '_', starting with a letter or digit")
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
	if provider, added := issuer.SlashAdded(c.Issuer); added {
		v.errorf("spec.cluster.issuer", "%q ends in /, which the iss claim of %s tokens never has, and clouds compare the issuer with it verbatim: remove the trailing slash",
			c.Issuer, strings.ToUpper(provider))
		return
	}
	if region, domain, ok := c.eksIssuerRegion(); ok && arn.IsRegion(region) {
		if partition := arn.RegionPartition(region); domain != arn.DNSSuffix(partition) {
			v.errorf("spec.cluster.issuer", "%q names region %s, of partition %s, whose EKS issuers are under %s, not %s: want https://oidc.eks.%s.%s/id/..., as aws eks describe-cluster prints it (cluster.identity.oidc.issuer)",
				c.Issuer, region, partition, arn.DNSSuffix(partition), domain, region, arn.DNSSuffix(partition))
			return
		}
	}
	if msg := issuer.ProviderMismatch(string(c.Provider), c.Issuer); msg != "" {
		v.warnf("spec.cluster.issuer", "%s", msg)
	}
	v.previousIssuers(c)
}

// previousIssuers checks each issuer a migration still trusts by the
// issuer's own grammar: every cloud gets a provider or credential for it, so
// it must be one they can fetch and compare verbatim.
func (v *checker) previousIssuers(c *Cluster) {
	seen := map[string]int{}
	for i, prev := range c.PreviousIssuers {
		field := fmt.Sprintf("spec.cluster.previousIssuers[%d]", i)
		if len(prev) > MaxIssuerLength {
			v.errorf(field, "is %d characters long; want an issuer URL of at most %d characters", len(prev), MaxIssuerLength)
			continue
		}
		if err := issuer.Parse(prev); err != nil {
			v.errorf(field, "%v", err)
			continue
		}
		if prev == c.Issuer {
			v.errorf(field, "equals spec.cluster.issuer; list only the issuers the cluster signed tokens with before it (remove this entry)")
			continue
		}
		if first, ok := seen[prev]; ok {
			v.errorf(field, "repeats spec.cluster.previousIssuers[%d]; list each issuer once", first)
			continue
		}
		// No provider shape is asked of it, unlike the issuer: a cluster
		// that migrates is often leaving its provider's shape (a
		// self-hosted issuer, a kOps or Talos move).
		seen[prev] = i
	}
}

// eksIssuerRegion is the region and domain an EKS issuer names, with ok
// false when the issuer is not shaped like one.
func (c *Cluster) eksIssuerRegion() (region, domain string, ok bool) {
	m, ok := issuer.Identify(c.Issuer)
	if !ok || m.Provider != string(ProviderEKS) {
		return "", "", false
	}
	return m.Parts["region"], m.Parts["domain"], true
}

func (v *checker) serviceAccount(sa *ServiceAccount) {
	if len(sa.Name) > kname.MaxSubdomainLength {
		v.errorf("spec.serviceAccount.name", "is %d characters long; want at most %d", len(sa.Name), kname.MaxSubdomainLength)
	} else {
		v.required("spec.serviceAccount.name", sa.Name, kname.IsSubdomain, kname.WantSubdomain)
	}
	if len(sa.Namespace) > kname.MaxLabelLength {
		v.errorf("spec.serviceAccount.namespace", "is %d characters long; want at most %d", len(sa.Namespace), kname.MaxLabelLength)
	} else {
		v.required("spec.serviceAccount.namespace", sa.Namespace, kname.IsLabel, kname.WantLabel)
	}
	v.metadata("spec.serviceAccount.labels", sa.Labels, kname.IsLabelKey, kname.WantLabelKey, kname.IsLabelValue, kname.WantLabelValue)
	v.metadata("spec.serviceAccount.annotations", sa.Annotations, kname.IsAnnotationKey, kname.WantAnnotationKey, nil, "")
}

// ReservedKeyDomains are the key prefixes of the labels and annotations the
// function itself writes (the clouds' webhooks read them): the spec sets
// those through its cloud fields, never by hand.
var ReservedKeyDomains = []string{"eks.amazonaws.com", "iam.gke.io", "azure.workload.identity", Group}

// metadata checks the keys (and, with validValue, the values) of a label or
// annotation map, in key order.
func (v *checker) metadata(field string, m map[string]string, validKey func(string) bool, wantKey string, validValue func(string) bool, wantValue string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !validKey(k) {
			v.errorf(field, "key %q is not valid; want %s", k, wantKey)
			continue
		}
		if domain := reservedDomain(k); domain != "" {
			v.errorf(field, "key %q is under %s/, which the function writes from the spec's cloud fields; remove it, or use a key under your own domain", k, domain)
			continue
		}
		if validValue != nil && !validValue(m[k]) {
			v.errorf(field+"."+k, "%q is not valid; want %s", m[k], wantValue)
		}
	}
}

// reservedDomain is the reserved domain k's prefix is, or is under; "" when
// none.
func reservedDomain(k string) string {
	prefix, _, found := strings.Cut(strings.ToLower(k), "/")
	if !found {
		return ""
	}
	for _, d := range ReservedKeyDomains {
		if prefix == d || strings.HasSuffix(prefix, "."+d) {
			return d
		}
	}
	return ""
}

func (v *checker) workloads(w *Workloads, table kinds.Table) {
	v.podTemplates(w.PodTemplates)
	for i, name := range w.Containers {
		v.required(fmt.Sprintf("spec.workloads.containers[%d]", i), name, kname.IsLabel, "a container name (DNS-1123 label)")
	}
	sel := w.Selector
	if sel == nil {
		return
	}
	if len(sel.Kinds) == 0 && len(sel.Names) == 0 && len(sel.Labels) == 0 {
		v.errorf("spec.workloads.selector", "is empty and would select nothing; set kinds, names or labels, or remove it")
	}
	for i, kind := range sel.Kinds {
		if !table.Selects(kind) {
			v.errorf(fmt.Sprintf("spec.workloads.selector.kinds[%d]", i), "%q has no pod template; want one of %s (each as Kind, or Kind.group for one API group)", kind, strings.Join(table.Names(), ", "))
		}
	}
	for i, name := range sel.Names {
		v.required(fmt.Sprintf("spec.workloads.selector.names[%d]", i), name, kname.IsSubdomain, "an object name (DNS-1123 subdomain)")
	}
	keys := make([]string, 0, len(sel.Labels))
	for k := range sel.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.required("spec.workloads.selector.labels", k, kname.IsLabelKey, kname.WantLabelKey)
		v.optional("spec.workloads.selector.labels."+k, sel.Labels[k], kname.IsLabelValue, kname.WantLabelValue)
	}
}

// Duplicate is a spec for a ServiceAccount that an earlier spec of the same
// run already configures: two specs would wire two identities (even two
// issuers) into one pod, so the second is an error wherever specs are read.
type Duplicate struct {
	// Index and First are the positions of the second spec and the first.
	Index, First int
	// Message says which ServiceAccount and which spec came first.
	Message string
	// Same says the two specs say the same (one spec read twice, say from
	// two files): not an error, but to be used once.
	Same bool
}

// DuplicateServiceAccounts lists every spec whose ServiceAccount an earlier
// spec already names: what one run of the function (one cluster's
// manifests) must refuse.
func DuplicateServiceAccounts(specs []*CrossCloudAccess) []Duplicate {
	return duplicates(specs, func(c *CrossCloudAccess) string { return "" }, "")
}

// DuplicateClusterServiceAccounts lists every spec whose issuer and
// ServiceAccount an earlier spec already names: what trust, which merges the
// specs of several clusters, must refuse.
func DuplicateClusterServiceAccounts(specs []*CrossCloudAccess) []Duplicate {
	return duplicates(specs, func(c *CrossCloudAccess) string { return c.Spec.Cluster.Issuer }, " of issuer ")
}

func duplicates(specs []*CrossCloudAccess, scope func(*CrossCloudAccess) string, scopeText string) []Duplicate {
	var out []Duplicate
	seen := map[[2]string]int{}
	for i, c := range specs {
		sa := c.Spec.ServiceAccount
		key := sa.Namespace + "/" + sa.Name
		where := [2]string{scope(c), key}
		if first, ok := seen[where]; ok {
			if reflect.DeepEqual(c.Spec, specs[first].Spec) {
				out = append(out, Duplicate{Index: i, First: first, Same: true})
				continue
			}
			of := ""
			if scopeText != "" {
				of = scopeText + where[0]
			}
			out = append(out, Duplicate{Index: i, First: first,
				Message: fmt.Sprintf("ServiceAccount %s%s is already configured by %s %q; merge the two specs into one (one spec may name aws, gcp and azure together)",
					key, of, Kind, specs[first].Metadata.Name)})
			continue
		}
		seen[where] = i
	}
	return out
}
