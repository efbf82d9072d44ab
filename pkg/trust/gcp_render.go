package trust

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
)

// ConfigConnectorIAMAPIVersion is the API version of Config Connector's IAM
// kinds, which manage Google Cloud IAM from a cluster.
const ConfigConnectorIAMAPIVersion = "iam.cnrm.cloud.google.com/v1beta1"

type kccRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name,omitempty"`
	External   string `json:"external,omitempty"`
}

// Config Connector IAMWorkloadIdentityPool spec.
type kccPoolSpec struct {
	ProjectRef kccRef `json:"projectRef"`
	Location   string `json:"location"`
	ResourceID string `json:"resourceID"`
}

// Config Connector IAMWorkloadIdentityPoolProvider spec.
type kccPoolProviderSpec struct {
	ProjectRef              kccRef            `json:"projectRef"`
	Location                string            `json:"location"`
	WorkloadIdentityPoolRef kccRef            `json:"workloadIdentityPoolRef"`
	ResourceID              string            `json:"resourceID"`
	AttributeMapping        map[string]string `json:"attributeMapping"`
	AttributeCondition      string            `json:"attributeCondition"`
	OIDC                    kccOIDC           `json:"oidc"`
}

type kccOIDC struct {
	IssuerURI        string   `json:"issuerUri"`
	AllowedAudiences []string `json:"allowedAudiences,omitempty"`
}

// Config Connector IAMPolicyMember spec.
type kccPolicyMemberSpec struct {
	Member      string `json:"member"`
	Role        string `json:"role"`
	ResourceRef kccRef `json:"resourceRef"`
	// Condition keeps a grant to object prefixes (gcp_grants_render.go).
	Condition *GCPCondition `json:"condition,omitempty"`
}

func terraformGCP(f *terraformFile, t *Trust) error {
	g := t.GCP
	pools := map[poolRef]string{}
	for _, pool := range g.WorkloadIdentityPools {
		name := f.names.name("google_iam_workload_identity_pool/"+pool.ProjectNumber+"/"+pool.PoolID, pool.PoolID)
		pools[poolRef{pool.ProjectNumber, pool.PoolID}] = name
		body := f.resource("google_iam_workload_identity_pool", name, poolComment(pool))
		body.SetAttributeValue("project", cty.StringVal(pool.ProjectNumber))
		body.SetAttributeValue("workload_identity_pool_id", cty.StringVal(pool.PoolID))
		for _, p := range pool.Providers {
			pname := f.names.name("google_iam_workload_identity_pool_provider/"+pool.ProjectNumber+"/"+pool.PoolID+"/"+p.ProviderID, p.ProviderID)
			body := f.resource("google_iam_workload_identity_pool_provider", pname, poolProviderComment(p, "attribute_condition"))
			body.SetAttributeValue("project", cty.StringVal(pool.ProjectNumber))
			body.SetAttributeTraversal("workload_identity_pool_id", reference("google_iam_workload_identity_pool", name, "workload_identity_pool_id"))
			body.SetAttributeValue("workload_identity_pool_provider_id", cty.StringVal(p.ProviderID))
			body.SetAttributeRaw("attribute_mapping", stringMapTokens(p.AttributeMapping))
			body.SetAttributeValue("attribute_condition", cty.StringVal(p.AttributeCondition))
			oidc := body.AppendNewBlock("oidc", nil).Body()
			oidc.SetAttributeValue("issuer_uri", cty.StringVal(p.IssuerURI))
			if len(p.AllowedAudiences) > 0 {
				oidc.SetAttributeValue("allowed_audiences", stringList(p.AllowedAudiences))
			}
		}
	}
	for _, binding := range g.IAMBindings {
		member := stringTokens(binding.Member)
		if pool, subject, ok := principalPool(binding.Member); ok {
			if ref, ok := pools[pool]; ok {
				// Referring to the pool orders the grant after the pool exists.
				// The pool's name attribute is projects/N/locations/global/workloadIdentityPools/P.
				member = interpolation(gcpid.PrincipalPrefix,
					reference("google_iam_workload_identity_pool", ref, "name"), gcpid.PrincipalSubject+subject)
			}
		}
		name := f.names.name("google_service_account_iam_member/"+binding.Resource+"/"+binding.Role+"/"+binding.Member, bindingLabel(binding)...)
		body := f.resource("google_service_account_iam_member", name, bindingComment(binding))
		body.SetAttributeValue("service_account_id", cty.StringVal(binding.Resource))
		body.SetAttributeValue("role", cty.StringVal(binding.Role))
		body.SetAttributeRaw("member", member)
	}
	for _, principal := range g.ResourcePrincipals {
		readable := []string{"gcp_principal", principal}
		if pool, subject, ok := principalPool(principal); ok {
			readable = []string{"gcp_principal", pool.poolID, readableSubject(subject)}
		}
		name := f.names.name("output/"+principal, readable...)
		body := f.block("output", []string{name},
			"No service account to impersonate: grant this principal roles on the resources it may use",
			"(for example a google_storage_bucket_iam_member whose member is this value).")
		body.SetAttributeValue("description", cty.StringVal("Federated principal to grant roles on Google Cloud resources"))
		body.SetAttributeValue("value", cty.StringVal(principal))
	}
	return nil
}

func shellGCP(s *shellScript, t *Trust) error {
	g := t.GCP
	for _, pool := range g.WorkloadIdentityPools {
		// gcloud refuses a project number in --project for these commands
		// but takes the full resource name, which names the project by
		// number exactly as the trust does.
		s.section(poolComment(pool))
		s.command("gcloud", "iam", "workload-identity-pools", "create", gcpid.PoolName(pool.ProjectNumber, pool.PoolID))
		for _, p := range pool.Providers {
			mapping := make([]string, 0, len(p.AttributeMapping))
			for _, k := range sortedKeys(p.AttributeMapping) {
				mapping = append(mapping, k+"="+p.AttributeMapping[k])
			}
			mappingArg, err := gcloudList(mapping)
			if err != nil {
				return err
			}
			args := []string{"gcloud", "iam", "workload-identity-pools", "providers", "create-oidc",
				gcpid.ProviderName(pool.ProjectNumber, pool.PoolID, p.ProviderID),
				"--issuer-uri=" + p.IssuerURI,
				"--attribute-mapping=" + mappingArg,
				"--attribute-condition=" + p.AttributeCondition}
			if len(p.AllowedAudiences) > 0 {
				audiences, err := gcloudList(p.AllowedAudiences)
				if err != nil {
					return fmt.Errorf("provider %s: %w", p.ProviderID, err)
				}
				args = append(args, "--allowed-audiences="+audiences)
			}
			s.section(poolProviderComment(p, "the attribute condition"),
				"If the provider exists, run `update-oidc` with the same arguments.")
			s.command(args...)
		}
	}
	for _, binding := range g.IAMBindings {
		s.section(bindingComment(binding))
		// The full resource name names the project; with the email alone
		// gcloud needs a configured project.
		s.command("gcloud", "iam", "service-accounts", "add-iam-policy-binding", binding.Resource,
			"--role="+binding.Role, "--member="+binding.Member)
	}
	for _, principal := range g.ResourcePrincipals {
		s.section("No service account to impersonate: grant this principal roles on the resources it may use, e.g.")
		s.commentedCommand("gcloud", "storage", "buckets", "add-iam-policy-binding", "gs://BUCKET",
			"--role=roles/storage.objectViewer", "--member="+principal)
	}
	return nil
}

func krmGCP(o *krmOutput, t *Trust) error {
	g := t.GCP
	for _, pool := range g.WorkloadIdentityPools {
		project := kccRef{External: "projects/" + pool.ProjectNumber}
		poolName := o.add(ConfigConnectorIAMAPIVersion, "IAMWorkloadIdentityPool", pool.ProjectNumber+"/"+pool.PoolID, []string{pool.PoolID},
			kccPoolSpec{ProjectRef: project, Location: "global", ResourceID: pool.PoolID}, poolComment(pool))
		for _, p := range pool.Providers {
			o.add(ConfigConnectorIAMAPIVersion, "IAMWorkloadIdentityPoolProvider", pool.ProjectNumber+"/"+pool.PoolID+"/"+p.ProviderID, []string{p.ProviderID},
				kccPoolProviderSpec{
					ProjectRef: project, Location: "global",
					WorkloadIdentityPoolRef: kccRef{Name: poolName},
					ResourceID:              p.ProviderID,
					AttributeMapping:        p.AttributeMapping,
					AttributeCondition:      p.AttributeCondition,
					OIDC:                    kccOIDC{IssuerURI: p.IssuerURI, AllowedAudiences: p.AllowedAudiences},
				}, poolProviderComment(p, "attributeCondition"))
		}
	}
	for _, binding := range g.IAMBindings {
		o.add(ConfigConnectorIAMAPIVersion, "IAMPolicyMember", binding.Resource+"/"+binding.Role+"/"+binding.Member, bindingLabel(binding),
			kccPolicyMemberSpec{
				Member: binding.Member, Role: binding.Role,
				ResourceRef: kccRef{APIVersion: ConfigConnectorIAMAPIVersion, Kind: "IAMServiceAccount", External: binding.Resource},
			}, bindingComment(binding))
	}
	for _, principal := range g.ResourcePrincipals {
		o.note("Grant roles on the resources it may use (IAMPolicyMember member) to " + principal)
	}
	return nil
}

func poolComment(pool GCPPool) string {
	return fmt.Sprintf("Google Cloud project %s: a workload identity pool for the clusters' tokens.", pool.ProjectNumber)
}

// poolProviderComment names the attribute condition as the format calls it.
func poolProviderComment(p GCPPoolProvider, condition string) string {
	return fmt.Sprintf("Trust tokens issued by %s, for the ServiceAccounts in %s only.", p.IssuerURI, condition)
}

func bindingComment(b GCPIAMBinding) string {
	return fmt.Sprintf("Let %s act as %s.", b.Member, serviceAccountEmail(b))
}

// serviceAccountEmail is the email at the end of the binding's resource,
// projects/PROJECT/serviceAccounts/EMAIL.
func serviceAccountEmail(b GCPIAMBinding) string {
	return b.Resource[strings.LastIndex(b.Resource, "/")+1:]
}

// bindingLabel is the readable name of an IAM binding: the ServiceAccount
// (prefixed "gke" for GKE Workload Identity) and the Google service account
// it may act as.
func bindingLabel(b GCPIAMBinding) []string {
	readable := []string{b.Member}
	if _, subject, ok := principalPool(b.Member); ok {
		readable = []string{readableSubject(subject)}
	} else if ksa, ok := workloadIdentityKSA(b.Member); ok {
		readable = []string{"gke", ksa}
	}
	return append(readable, "to", strings.Split(serviceAccountEmail(b), "@")[0])
}

// gcloudList joins values as one gcloud list flag value. gcloud splits on
// commas unless the value starts with ^DELIM^, so a list whose values hold a
// comma (or whose first value starts with ^) is joined with a delimiter none
// of them holds; when every candidate occurs, it is an error rather than a
// list gcloud would read differently from the workload side.
func gcloudList(values []string) (string, error) {
	all := strings.Join(values, "")
	if !strings.Contains(all, ",") && !strings.HasPrefix(all, "^") {
		return strings.Join(values, ","), nil
	}
	for _, delim := range []string{";", "|", "#", "~", "@", "+", "!", "*", "&"} {
		if !strings.Contains(all, delim) {
			return "^" + delim + "^" + strings.Join(values, delim), nil
		}
	}
	return "", fmt.Errorf("the list %q holds every delimiter gcloud could split it on; use audiences without , ; | # ~ @ + ! * &", values)
}
