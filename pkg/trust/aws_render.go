package trust

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
)

// ACKIAMAPIVersion is the API version of the ACK iam-controller, which
// manages AWS IAM from a cluster.
const ACKIAMAPIVersion = "iam.services.k8s.aws/v1alpha1"

// ACKEKSAPIVersion is the API version of the ACK eks-controller, which manages
// EKS, pod identity associations included, from a cluster.
const ACKEKSAPIVersion = "eks.services.k8s.aws/v1alpha1"

// ACK eks-controller PodIdentityAssociation spec (its CRD's field names).
type ackPodIdentityAssociationSpec struct {
	ClusterName    string `json:"clusterName"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleARN        string `json:"roleARN"`
}

// ACK iam-controller OpenIDConnectProvider spec.
type ackOIDCProviderSpec struct {
	URL       string   `json:"url"`
	ClientIDs []string `json:"clientIDs"`
}

// ACK iam-controller Role spec; the trust policy is a JSON string, as IAM
// takes it.
type ackRoleSpec struct {
	Name                     string `json:"name"`
	Path                     string `json:"path,omitempty"`
	AssumeRolePolicyDocument string `json:"assumeRolePolicyDocument"`
	// InlinePolicies and Policies are the role's grants (ackRoleGrants).
	InlinePolicies map[string]string `json:"inlinePolicies,omitempty"`
	Policies       []string          `json:"policies,omitempty"`
}

func terraformAWS(f *terraformFile, t *Trust) error {
	a := t.AWS
	providerRef := map[string]hcl.Traversal{}
	roleRef := map[string]hcl.Traversal{}
	for _, p := range a.OIDCProviders {
		name := f.names.name("aws_iam_openid_connect_provider/"+p.ARN, oidcProviderLabel(a, p)...)
		providerRef[p.ARN] = reference("aws_iam_openid_connect_provider", name, "arn")
		body := f.resource("aws_iam_openid_connect_provider", name, oidcProviderComment(p),
			"thumbprint_list is optional since hashicorp/aws 5.81: IAM verifies the issuer's TLS certificate itself.")
		body.SetAttributeValue("url", cty.StringVal(p.URL))
		body.SetAttributeValue("client_id_list", stringList(p.ClientIDList))
	}
	for _, r := range a.Roles {
		role, err := parseTrustedRole(r)
		if err != nil {
			return err
		}
		name := f.names.name("aws_iam_role/"+r.RoleARN, role.Name)
		body := f.resource("aws_iam_role", name, roleComment(role)+permissionsNote(r))
		body.SetAttributeValue("name", cty.StringVal(role.Name))
		if role.Path != "/" {
			body.SetAttributeValue("path", cty.StringVal(role.Path))
		}
		roleRef[r.RoleARN] = reference("aws_iam_role", name, "arn")
		statements := make([]hclwrite.Tokens, len(r.AssumeRolePolicy.Statement))
		for i, s := range r.AssumeRolePolicy.Statement {
			principal := objectField("Service", stringTokens(s.Principal.Service))
			if s.Principal.Federated != "" {
				federated := stringTokens(s.Principal.Federated)
				if ref, ok := providerRef[s.Principal.Federated]; ok {
					federated = hclwrite.TokensForTraversal(ref)
				}
				principal = objectField("Federated", federated)
			}
			// Condition keys are quoted, so that each is a literal string.
			conditions := make([]hclwrite.ObjectAttrTokens, 0, len(s.Condition.StringEquals))
			for _, k := range sortedKeys(s.Condition.StringEquals) {
				conditions = append(conditions, hclwrite.ObjectAttrTokens{Name: stringTokens(k), Value: valuesTokens(s.Condition.StringEquals[k])})
			}
			statements[i] = hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
				objectField("Effect", stringTokens(s.Effect)),
				objectField("Principal", hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{principal})),
				objectField("Action", valuesTokens(s.Action)),
				objectField("Condition", hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
					objectField("StringEquals", hclwrite.TokensForObject(conditions)),
				})),
			})
		}
		policy := hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
			objectField("Version", stringTokens(r.AssumeRolePolicy.Version)),
			objectField("Statement", multilineTupleTokens(statements)),
		})
		body.SetAttributeRaw("assume_role_policy", hclwrite.TokensForFunctionCall("jsonencode", policy))
	}
	for _, p := range a.PodIdentityAssociations {
		name := f.names.name("aws_eks_pod_identity_association/"+associationID(p), associationLabel(p)...)
		body := f.resource("aws_eks_pod_identity_association", name, associationComment(p))
		body.SetAttributeValue("cluster_name", cty.StringVal(p.ClusterName))
		body.SetAttributeValue("namespace", cty.StringVal(p.Namespace))
		body.SetAttributeValue("service_account", cty.StringVal(p.ServiceAccount))
		if ref, ok := roleRef[p.RoleARN]; ok {
			body.SetAttributeTraversal("role_arn", ref)
		} else {
			body.SetAttributeValue("role_arn", cty.StringVal(p.RoleARN))
		}
	}
	return nil
}

// valuesTokens writes an IAM policy value the way its JSON reads: one value
// as a string, several as a list.
func valuesTokens(v Values) hclwrite.Tokens {
	if len(v) == 1 {
		return stringTokens(v[0])
	}
	return hclwrite.TokensForValue(stringList(v))
}

func shellAWS(s *shellScript, t *Trust) error {
	for _, p := range t.AWS.OIDCProviders {
		s.section(oidcProviderComment(p))
		s.command(append([]string{"aws", "iam", "create-open-id-connect-provider", "--url", p.URL, "--client-id-list"}, p.ClientIDList...)...)
		s.comment("If the provider exists, add the client IDs to it instead:")
		for _, id := range p.ClientIDList {
			s.commentedCommand("aws", "iam", "add-client-id-to-open-id-connect-provider", "--open-id-connect-provider-arn", p.ARN, "--client-id", id)
		}
	}
	for _, r := range t.AWS.Roles {
		role, err := parseTrustedRole(r)
		if err != nil {
			return err
		}
		policy, err := oneLineJSON(r.AssumeRolePolicy)
		if err != nil {
			return err
		}
		s.section(roleComment(role) + " (this replaces its whole trust policy).")
		s.command("aws", "iam", "update-assume-role-policy", "--role-name", role.Name, "--policy-document", policy)
	}
	for _, p := range t.AWS.PodIdentityAssociations {
		s.section(associationComment(p))
		s.command("aws", "eks", "create-pod-identity-association", "--cluster-name", p.ClusterName,
			"--namespace", p.Namespace, "--service-account", p.ServiceAccount, "--role-arn", p.RoleARN)
	}
	return nil
}

func krmAWS(o *krmOutput, t *Trust) error {
	a := t.AWS
	for _, p := range a.OIDCProviders {
		o.add(ACKIAMAPIVersion, "OpenIDConnectProvider", p.ARN, oidcProviderLabel(a, p),
			ackOIDCProviderSpec{URL: p.URL, ClientIDs: p.ClientIDList}, oidcProviderComment(p))
	}
	for _, r := range a.Roles {
		role, err := parseTrustedRole(r)
		if err != nil {
			return err
		}
		policy, err := encodeJSON(r.AssumeRolePolicy)
		if err != nil {
			return err
		}
		spec := ackRoleSpec{Name: role.Name, AssumeRolePolicyDocument: string(policy)}
		if spec.InlinePolicies, spec.Policies, err = ackRoleGrants(r); err != nil {
			return err
		}
		if role.Path != "/" {
			spec.Path = role.Path
		}
		o.add(ACKIAMAPIVersion, "Role", r.RoleARN, []string{role.Name}, spec,
			roleComment(role)+".",
			// ACK dropped its AdoptedResource kind; adoption is by annotation.
			"To take over a role that exists, annotate this object services.k8s.aws/adoption-policy: adopt-or-create;",
			"ACK then makes the role match this spec.")
	}
	for _, p := range a.PodIdentityAssociations {
		o.add(ACKEKSAPIVersion, "PodIdentityAssociation", associationID(p), associationLabel(p),
			ackPodIdentityAssociationSpec(p), associationComment(p))
	}
	return nil
}

// associationID tells pod identity associations apart in the name tables.
func associationID(p AWSPodIdentityAssociation) string {
	return p.ClusterName + "/" + p.Namespace + "/" + p.ServiceAccount + "/" + p.RoleARN
}

func associationLabel(p AWSPodIdentityAssociation) []string {
	return []string{p.ClusterName, p.Namespace, p.ServiceAccount}
}

func associationComment(p AWSPodIdentityAssociation) string {
	return fmt.Sprintf("EKS cluster %s: pods of ServiceAccount %s/%s get role %s through EKS Pod Identity.", p.ClusterName, p.Namespace, p.ServiceAccount, p.RoleARN)
}

func parseTrustedRole(r AWSRole) (arn.Role, error) {
	role, err := arn.ParseRole(r.RoleARN)
	if err != nil {
		return arn.Role{}, fmt.Errorf("trust for role %q: %w", r.RoleARN, err)
	}
	return role, nil
}

// oidcProviderLabel is the readable name of an OIDC provider: its issuer,
// and its account when another provider has the same issuer in another one.
func oidcProviderLabel(a *AWS, p AWSOIDCProvider) []string {
	for _, q := range a.OIDCProviders {
		if q.URL == p.URL && q.ARN != p.ARN {
			return []string{issuerLabel(p.URL), arn.Account(p.ARN)}
		}
	}
	return []string{issuerLabel(p.URL)}
}

func oidcProviderComment(p AWSOIDCProvider) string {
	return fmt.Sprintf("AWS account %s: trust tokens issued by %s.", arn.Account(p.ARN), p.URL)
}

// roleComment says whose role it is; each format adds what to mind.
func roleComment(role arn.Role) string {
	return fmt.Sprintf("AWS account %s: who may assume role %s", role.Account, role.Name)
}
