package trust

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/azureid"
)

// ASOAuthorizationAPIVersion is the API version of Azure Service Operator
// v2's role assignments.
const ASOAuthorizationAPIVersion = "authorization.azure.com/v1api20220401"

// azurePrincipalType is what every assignment is to: the service principal
// of an application or managed identity. Saying so spares Azure a directory
// lookup that fails for a principal created moments before.
const azurePrincipalType = "ServicePrincipal"

// ASO RoleAssignment spec (its CRD's field names). The principal's object ID
// comes from a ConfigMap: the spec knows the identity by client ID only.
type asoRoleAssignmentSpec struct {
	Owner                   asoReference    `json:"owner"`
	PrincipalIDFromConfig   asoConfigMapRef `json:"principalIdFromConfig"`
	PrincipalType           string          `json:"principalType"`
	RoleDefinitionReference asoReference    `json:"roleDefinitionReference"`
}

type asoReference struct {
	ARMID string `json:"armId"`
}

type asoConfigMapRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// terraformAzureGrants writes each assignment as an azurerm_role_assignment
// at its exact scope, to the service principal the azuread provider finds
// by client ID.
func terraformAzureGrants(f *terraformFile, t *Trust) error {
	principals := map[string]hclwrite.Tokens{}
	for _, a := range t.Azure.RoleAssignments {
		if _, ok := principals[a.ClientID]; ok {
			continue
		}
		name := f.names.name("data.azuread_service_principal/"+a.ClientID, "azure_principal", a.ClientID)
		body := f.dataSource("azuread_service_principal", name,
			"The service principal of client ID "+a.ClientID+": role assignments name its object ID (hashicorp/azuread).")
		body.SetAttributeValue("client_id", cty.StringVal(a.ClientID))
		principals[a.ClientID] = hclwrite.TokensForTraversal(reference("data", "azuread_service_principal", name, "object_id"))
	}
	for _, a := range t.Azure.RoleAssignments {
		name := f.names.name("azurerm_role_assignment/"+a.ClientID+"/"+a.Scope+"/"+a.RoleDefinitionID, assignmentLabel(a)...)
		body := f.resource("azurerm_role_assignment", name, assignmentComment(a))
		body.SetAttributeValue("scope", cty.StringVal(a.Scope))
		body.SetAttributeValue("role_definition_id", cty.StringVal(a.RoleDefinitionID))
		body.SetAttributeRaw("principal_id", principals[a.ClientID])
		body.SetAttributeValue("principal_type", cty.StringVal(azurePrincipalType))
	}
	return nil
}

// shellAzureGrants writes each assignment as az role assignment create, by
// client ID (az finds the service principal) and role definition GUID.
func shellAzureGrants(s *shellScript, t *Trust) error {
	told := map[string]bool{}
	for _, a := range t.Azure.RoleAssignments {
		comments := []string{assignmentComment(a)}
		if tenant := azureTenantOf(t, a.ClientID); tenant != "" && !told[a.ClientID] {
			told[a.ClientID] = true
			comments = append(comments, fmt.Sprintf("Client ID %s is in Azure tenant %s (az login --tenant %s).", a.ClientID, tenant, shellQuote(tenant)))
		}
		s.section(comments...)
		s.command("az", "role", "assignment", "create", "--assignee", a.ClientID,
			"--role", roleDefinitionGUID(a), "--scope", a.Scope)
	}
	return nil
}

// krmAzureGrants writes each assignment as an Azure Service Operator
// RoleAssignment owned by its scope.
func krmAzureGrants(o *krmOutput, t *Trust) error {
	clients := map[string]bool{}
	for _, a := range t.Azure.RoleAssignments {
		o.add(ASOAuthorizationAPIVersion, "RoleAssignment", a.ClientID+"/"+a.Scope+"/"+a.RoleDefinitionID, assignmentLabel(a),
			asoRoleAssignmentSpec{
				Owner:                   asoReference{ARMID: a.Scope},
				PrincipalIDFromConfig:   asoConfigMapRef{Name: azurePrincipalConfigMap(a.ClientID), Key: "principalId"},
				PrincipalType:           azurePrincipalType,
				RoleDefinitionReference: asoReference{ARMID: a.RoleDefinitionID},
			}, assignmentComment(a))
		clients[a.ClientID] = true
	}
	for _, id := range sortedKeys(clients) {
		o.note(fmt.Sprintf("Azure: RoleAssignments for client ID %s read its service principal's object ID from ConfigMap %s (key principalId): an ASO UserAssignedIdentity writes it with operatorSpec.configMaps.principalId, or create it from `az ad sp show --id %s --query id --output tsv`.",
			id, azurePrincipalConfigMap(id), id))
	}
	return nil
}

// azurePrincipalConfigMap names the ConfigMap that holds the principal ID of
// a client ID's service principal.
func azurePrincipalConfigMap(clientID string) string {
	return "azure-principal-" + clientID
}

// azureTenantOf is the tenant of a client ID, as its federated credentials
// say; "" when none does.
func azureTenantOf(t *Trust, clientID string) string {
	i := slices.IndexFunc(t.Azure.FederatedIdentityCredentials, func(c AzureFederatedIdentityCredential) bool { return c.ClientID == clientID })
	if i < 0 {
		return ""
	}
	return t.Azure.FederatedIdentityCredentials[i].TenantID
}

// roleDefinitionGUID is the GUID at the end of a role definition ID.
func roleDefinitionGUID(a AzureRoleAssignment) string {
	return a.RoleDefinitionID[len(a.RoleDefinitionID)-36:]
}

// assignmentLabel is the readable name of an assignment: the role (a
// custom role by the start of its GUID) and the last name of its scope.
func assignmentLabel(a AzureRoleAssignment) []string {
	role := a.Role
	if azureid.GUID.MatchString(role) {
		role = "role_" + role[:8]
	}
	return []string{role, a.Scope[strings.LastIndex(a.Scope, "/")+1:]}
}

func assignmentComment(a AzureRoleAssignment) string {
	return fmt.Sprintf("Let client ID %s use %s at %s.", a.ClientID, a.Role, a.Scope)
}
