package trust

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// terraformProvider is a provider the Terraform output may need.
type terraformProvider struct {
	// source is its registry address.
	source string
}

// terraformProviders are the providers by the local name resource types
// start with.
var terraformProviders = map[string]terraformProvider{
	"aws":     {source: "hashicorp/aws"},
	"google":  {source: "hashicorp/google"},
	"azurerm": {source: "hashicorp/azurerm"},
	"azuread": {source: "hashicorp/azuread"},
}

// terraformResourceType is what one resource type, written the way the
// output writes it, needs from its provider.
type terraformResourceType struct {
	provider string
	// minVersion is the first provider release that takes the resource as
	// written; "" when every release the other resources need does.
	minVersion string
	// why is what needs minVersion; it becomes a comment of the
	// required_providers block.
	why string
	// source is where minVersion was read: the provider's changelog or
	// source at a release tag.
	source string
}

// terraformResourceTypes are the resource types the Terraform output writes.
// A renderer that writes a type not listed here fails, so the versions block
// cannot miss a provider or a requirement.
var terraformResourceTypes = map[string]terraformResourceType{
	"aws_iam_openid_connect_provider": {
		provider: "aws", minVersion: "5.81.0",
		why:    "aws_iam_openid_connect_provider without thumbprint_list",
		source: "hashicorp/terraform-provider-aws PR #37255 (.changelog/37255.txt: \"Make `thumbprint_list` attribute optional\"), released in 5.81.0",
	},
	"aws_iam_role": {
		provider: "aws",
		why:      "name, path and assume_role_policy",
		source:   "hashicorp/terraform-provider-aws: arguments of the resource in every 5.x release",
	},
	"aws_eks_pod_identity_association": {
		provider: "aws", minVersion: "5.29.0",
		why:    "aws_eks_pod_identity_association",
		source: "hashicorp/terraform-provider-aws CHANGELOG.md 5.29.0 (November 30, 2023): New Resource (#34566)",
	},
	"google_iam_workload_identity_pool": {
		provider: "google", minVersion: "4.29.0",
		why:    "google_iam_workload_identity_pool and _provider (GA)",
		source: "hashicorp/terraform-provider-google CHANGELOG_v4.md 4.29.0 (July 18, 2022): New Resource (#12065); google/resource_iam_workload_identity_pool.go first at tag v4.29.0",
	},
	"google_iam_workload_identity_pool_provider": {
		provider: "google", minVersion: "4.29.0",
		why:    "google_iam_workload_identity_pool and _provider (GA)",
		source: "hashicorp/terraform-provider-google CHANGELOG_v4.md 4.29.0 (July 18, 2022): New Resource (#12065); attribute_condition and oidc.allowed_audiences in google/resource_iam_workload_identity_pool_provider.go at tag v4.29.0",
	},
	"google_service_account_iam_member": {
		provider: "google",
		why:      "principal:// members, kept as written",
		source:   "hashicorp/terraform-provider-google google/iam.go iamMemberIsCaseSensitive (principal:, principalSet:) at tag v4.29.0",
	},
	"azurerm_federated_identity_credential": {
		provider: "azurerm", minVersion: "4.65.0",
		why:    "azurerm_federated_identity_credential.user_assigned_identity_id",
		source: "hashicorp/terraform-provider-azurerm internal/services/managedidentity/federated_identity_credential_resource.go: user_assigned_identity_id first at tag v4.65.0 (parent_id before; resource_group_name required before v4.60.0, deprecated from it; removed in v5.0.0)",
	},

	"aws_iam_role_policy": {
		provider: "aws",
		why:      "name, role and policy (a grant's inline policy)",
		source:   "hashicorp/terraform-provider-aws: arguments of the resource in every 5.x release",
	},
	"aws_iam_role_policy_attachment": {
		provider: "aws",
		why:      "role and policy_arn (a grant's managed policy)",
		source:   "hashicorp/terraform-provider-aws: arguments of the resource in every 5.x release",
	},
	"google_storage_bucket_iam_member": {
		provider: "google", minVersion: "3.30.0",
		why:    "google_storage_bucket_iam_member with a condition block",
		source: "hashicorp/terraform-provider-google CHANGELOG_v3.md 3.30.0 (July 13, 2020): \"made the condition block GA for all IAM resource and datasource types\" (#6748)",
	},
	"google_pubsub_topic_iam_member": {
		provider: "google",
		why:      "topic, role and member",
		source:   "hashicorp/terraform-provider-google: arguments of the resource in every 4.x release",
	},
	"google_pubsub_subscription_iam_member": {
		provider: "google",
		why:      "subscription, role and member",
		source:   "hashicorp/terraform-provider-google: arguments of the resource in every 4.x release",
	},
	"google_secret_manager_secret_iam_member": {
		provider: "google", minVersion: "3.24.0",
		why:    "google_secret_manager_secret_iam_member",
		source: "hashicorp/terraform-provider-google CHANGELOG_v3.md 3.24.0 (June 01, 2020): New Resources google_secret_manager_secret_iam_* (#6432)",
	},
	"google_project_iam_member": {
		provider: "google",
		why:      "project, role and member",
		source:   "hashicorp/terraform-provider-google: arguments of the resource in every 4.x release",
	},
	"azurerm_role_assignment": {
		provider: "azurerm", minVersion: "3.87.0",
		why:    "azurerm_role_assignment.principal_type",
		source: "hashicorp/terraform-provider-azurerm commit 278a468c (#24271, first in tag v3.87.0): principal_type becomes an optional argument of azurerm_role_assignment (computed only before)",
	},
	"azuread_service_principal": {
		provider: "azuread", minVersion: "2.44.0",
		why:    "data azuread_service_principal by client_id",
		source: "hashicorp/terraform-provider-azuread CHANGELOG.md 2.44.0 (October 20, 2023): data.azuread_service_principal supports client_id, application_id deprecated (#1214)",
	},
}

// requiredProviders is what the output's resource types need of each
// provider: its version constraint and why.
type requiredProviders map[string]*providerRequirement

type providerRequirement struct {
	minVersion string
	why        []string // what needs minVersion
}

// need records that the output writes a resource of resourceType.
func (r requiredProviders) need(resourceType string) error {
	t, ok := terraformResourceTypes[resourceType]
	if !ok {
		return fmt.Errorf("resource type %s has no row in terraformResourceTypes: add its provider and the version it needs", resourceType)
	}
	req := r[t.provider]
	if req == nil {
		req = &providerRequirement{}
		r[t.provider] = req
	}
	switch c := compareVersions(t.minVersion, req.minVersion); {
	case c > 0:
		req.minVersion, req.why = t.minVersion, []string{t.why}
	case c == 0 && t.minVersion != "" && !slices.Contains(req.why, t.why):
		req.why = append(req.why, t.why)
	}
	return nil
}

// block writes the terraform { required_providers { ... } } block.
func (r requiredProviders) block(body *hclwrite.Body) {
	providers := body.AppendNewBlock("terraform", nil).Body().AppendNewBlock("required_providers", nil).Body()
	for _, name := range sortedKeys(r) {
		req := r[name]
		attrs := []hclwrite.ObjectAttrTokens{objectField("source", stringTokens(terraformProviders[name].source))}
		if req.minVersion != "" {
			attrs = append(attrs, objectField("version", hclwrite.TokensForValue(cty.StringVal(">= "+req.minVersion))))
			appendComments(providers, req.minVersion+" for "+strings.Join(req.why, ", ")+".")
		}
		providers.SetAttributeRaw(name, hclwrite.TokensForObject(attrs))
	}
}

// compareVersions compares two dotted release numbers; "" is lowest.
func compareVersions(a, b string) int {
	if a == "" || b == "" {
		return strings.Compare(a, b)
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(as) - len(bs)
}
