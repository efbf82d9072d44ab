// Package trust decodes the trust document printed by
// `cross-cloud-access trust --format json`: what each cloud must be told to
// trust (AWS OIDC providers and role trust policies, GCP workload identity
// pools and IAM bindings, Azure federated identity credentials). The e2e
// servers are configured from it. Unknown fields are ignored on purpose so
// the document can grow without breaking the suite.
package trust

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Document is the whole trust document.
type Document struct {
	AWS   *AWS   `json:"aws,omitempty"`
	GCP   *GCP   `json:"gcp,omitempty"`
	Azure *Azure `json:"azure,omitempty"`
}

// AWS is what AWS IAM must hold: OIDC identity providers and roles.
type AWS struct {
	OIDCProviders []AWSOIDCProvider `json:"oidcProviders"`
	Roles         []AWSRole         `json:"roles"`
}

// AWSOIDCProvider is an aws_iam_openid_connect_provider.
type AWSOIDCProvider struct {
	URL          string   `json:"url"`
	ClientIDList []string `json:"clientIdList"`
	ARN          string   `json:"arn"`
}

// AWSRole is an IAM role with its assume-role (trust) policy and what it
// may do: the permissions policy from the specs' grants, kept as the JSON
// trust printed so it reaches the S3 server unchanged.
type AWSRole struct {
	RoleARN           string          `json:"roleArn"`
	AssumeRolePolicy  IAMPolicy       `json:"assumeRolePolicy"`
	PermissionsPolicy json.RawMessage `json:"permissionsPolicy"`
	ManagedPolicyARNs []string        `json:"managedPolicyArns"`
}

// IAMPolicy is an AWS IAM policy document.
type IAMPolicy struct {
	Version   string         `json:"Version"`
	Statement []IAMStatement `json:"Statement"`
}

// IAMStatement is one statement of an IAM policy. Principal and Action keep
// their raw JSON because IAM allows a string or a list.
type IAMStatement struct {
	Effect    string                     `json:"Effect"`
	Principal map[string]json.RawMessage `json:"Principal"`
	Action    json.RawMessage            `json:"Action"`
	Condition map[string]map[string]any  `json:"Condition"`
}

// GCP is what Google Cloud IAM must hold.
type GCP struct {
	WorkloadIdentityPools []GCPPool    `json:"workloadIdentityPools"`
	IAMBindings           []GCPBinding `json:"iamBindings"`
	ResourcePrincipals    []string     `json:"resourcePrincipals"`
	// ResourceBindings are the roles the specs' grants give on resources.
	ResourceBindings []GCPResourceBinding `json:"resourceBindings"`
}

// GCPResourceBinding grants role to member on a resource (a full resource
// name), under a condition when it has one.
type GCPResourceBinding struct {
	Resource  string        `json:"resource"`
	Role      string        `json:"role"`
	Member    string        `json:"member"`
	Condition *GCPCondition `json:"condition"`
}

// GCPCondition is an IAM condition: a CEL expression and its title.
type GCPCondition struct {
	Title      string `json:"title"`
	Expression string `json:"expression"`
}

// GCPPool is a workload identity pool with its providers.
type GCPPool struct {
	ProjectNumber string        `json:"projectNumber"`
	PoolID        string        `json:"poolId"`
	Providers     []GCPProvider `json:"providers"`
}

// GCPProvider is an OIDC workload identity pool provider.
type GCPProvider struct {
	ProviderID         string            `json:"providerId"`
	IssuerURI          string            `json:"issuerUri"`
	AllowedAudiences   []string          `json:"allowedAudiences"`
	AttributeMapping   map[string]string `json:"attributeMapping"`
	AttributeCondition string            `json:"attributeCondition"`
}

// GCPBinding is one IAM binding: member gets role on resource.
type GCPBinding struct {
	Resource string `json:"resource"`
	Role     string `json:"role"`
	Member   string `json:"member"`
}

// Azure is what Microsoft Entra ID must hold.
type Azure struct {
	FederatedIdentityCredentials []AzureFederatedCredential `json:"federatedIdentityCredentials"`
}

// AzureFederatedCredential is a federated identity credential on an app or
// managed identity.
type AzureFederatedCredential struct {
	Name      string   `json:"name"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
	ClientID  string   `json:"clientId"`
	TenantID  string   `json:"tenantId"`
}

// Parse decodes a trust document.
func Parse(data []byte) (*Document, error) {
	var d Document
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("decode trust document: %w", err)
	}
	return &d, nil
}

// Load reads and decodes a trust document file.
func Load(path string) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read trust document: %w", err)
	}
	return Parse(data)
}

// ConditionValues returns the values an IAM condition requires for key
// (for example "<issuer-host-path>:sub") under the given operators
// (for example StringEquals). A key is matched case-sensitively; the issuer
// part may be given with or without its https:// scheme.
func (s IAMStatement) ConditionValues(key string, operators ...string) []string {
	key = strings.TrimPrefix(key, "https://")
	var out []string
	for op, kv := range s.Condition {
		if !slices.Contains(operators, op) {
			continue
		}
		for k, v := range kv {
			if strings.TrimPrefix(k, "https://") != key {
				continue
			}
			out = append(out, stringsOf(v)...)
		}
	}
	return out
}

// FederatedPrincipals returns the Principal.Federated entries of a
// statement: IAM allows one string or a list of them, anything else is an
// error.
func (s IAMStatement) FederatedPrincipals() ([]string, error) {
	raw, ok := s.Principal["Federated"]
	if !ok {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("the statement's Principal.Federated is neither a string nor a list of strings: %s", raw)
	}
	return many, nil
}

func stringsOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
