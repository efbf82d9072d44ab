package trust

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

func terraformAzure(f *terraformFile, t *Trust) error {
	z := t.Azure
	variables := map[string]string{}
	for _, c := range z.FederatedIdentityCredentials {
		if _, ok := variables[c.ClientID]; ok {
			continue
		}
		v := f.names.name("variable/"+c.ClientID, "azure_identity", c.ClientID)
		variables[c.ClientID] = v
		body := f.block("variable", []string{v}, "The spec names the identity by client ID only; Terraform needs its resource ID.")
		body.SetAttributeValue("description", cty.StringVal("Resource ID of the user-assigned managed identity with client ID "+c.ClientID+" (tenant "+c.TenantID+")"))
		body.SetAttributeRaw("type", hclwrite.TokensForIdentifier("string"))
	}
	for _, c := range z.FederatedIdentityCredentials {
		name := f.names.name("azurerm_federated_identity_credential/"+c.ClientID+"/"+c.Name, c.Name)
		body := f.resource("azurerm_federated_identity_credential", name, credentialComment(c),
			"user_assigned_identity_id needs hashicorp/azurerm 4.65.0 or later; before it the argument was parent_id,",
			"and before 4.60.0 resource_group_name was required as well.")
		body.SetAttributeValue("name", cty.StringVal(c.Name))
		body.SetAttributeTraversal("user_assigned_identity_id", reference("var", variables[c.ClientID]))
		body.SetAttributeValue("issuer", cty.StringVal(c.Issuer))
		body.SetAttributeValue("subject", cty.StringVal(c.Subject))
		body.SetAttributeValue("audience", stringList(c.Audiences))
	}
	return nil
}

func shellAzure(s *shellScript, t *Trust) error {
	looked := map[string]bool{}
	for _, c := range t.Azure.FederatedIdentityCredentials {
		if !looked[c.ClientID] {
			looked[c.ClientID] = true
			s.section(fmt.Sprintf("Azure tenant %s (az login --tenant %s): find the managed identity with client ID %s.", c.TenantID, shellQuote(c.TenantID), c.ClientID))
			s.assign("identity_name", "az", "identity", "list", "--query", "[?clientId=='"+c.ClientID+"'].name | [0]", "--output", "tsv")
			s.assign("identity_group", "az", "identity", "list", "--query", "[?clientId=='"+c.ClientID+"'].resourceGroup | [0]", "--output", "tsv")
		}
		s.section(credentialComment(c))
		args := []string{"az", "identity", "federated-credential", "create", "--name", c.Name,
			"--identity-name", shellVariable("identity_name"), "--resource-group", shellVariable("identity_group"),
			"--issuer", c.Issuer, "--subject", c.Subject, "--audiences"}
		s.command(append(args, c.Audiences...)...)
		params, err := oneLineJSON(map[string]any{"name": c.Name, "issuer": c.Issuer, "subject": c.Subject, "audiences": c.Audiences})
		if err != nil {
			return err
		}
		s.comment("If the client ID is an app registration rather than a managed identity, run instead:")
		s.commentedCommand("az", "ad", "app", "federated-credential", "create", "--id", c.ClientID, "--parameters", params)
	}
	return nil
}

// krmAzure writes an Azure Service Operator FederatedIdentityCredential per
// credential. The spec knows the identity by client ID only, while ASO names
// it by its owner: the UserAssignedIdentity object in the namespace the
// objects are applied to, or the identity's ARM resource ID. owner.name is a
// name to fill in, derived from the client ID, and the comment says so.
func krmAzure(o *krmOutput, t *Trust) error {
	for _, c := range t.Azure.FederatedIdentityCredentials {
		owner := asoIdentityOwner(c.ClientID)
		o.add(ASOManagedIdentityAPIVersion, "FederatedIdentityCredential", c.ClientID+"/"+c.Name, []string{c.Name},
			asoFederatedIdentityCredentialSpec{
				AzureName: c.Name,
				Owner:     asoOwner{Name: owner},
				Issuer:    c.Issuer,
				Subject:   c.Subject,
				Audiences: c.Audiences,
			},
			credentialComment(c),
			"owner.name "+owner+" stands for the ASO UserAssignedIdentity with this client ID, in the namespace of this object:",
			"use that object's name, or for an identity ASO does not manage replace name with armId: the identity's resource ID",
			"(az identity list --query \"[?clientId=='"+c.ClientID+"'].id\" --output tsv). For an app registration use --format terraform or shell.")
	}
	return nil
}

// ASOManagedIdentityAPIVersion is the API version of Azure Service Operator
// v2's managed identity kinds (FederatedIdentityCredential,
// UserAssignedIdentity), served by ASO v2.13.0.
const ASOManagedIdentityAPIVersion = "managedidentity.azure.com/v1api20230131"

// ASO FederatedIdentityCredential spec (its CRD's field names).
type asoFederatedIdentityCredentialSpec struct {
	AzureName string   `json:"azureName"`
	Owner     asoOwner `json:"owner"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

// asoOwner is ASO's reference to the owning resource by Kubernetes name (the
// CRD also takes armId, which the user writes in its place).
type asoOwner struct {
	Name string `json:"name"`
}

// asoIdentityOwner is the owner name written for the identity of a client
// ID: a Kubernetes name that says which identity it stands for.
func asoIdentityOwner(clientID string) string {
	return strings.ReplaceAll(identifier("identity", clientID), "_", "-")
}

func credentialComment(c AzureFederatedIdentityCredential) string {
	return fmt.Sprintf("Let %s from %s sign in as client ID %s.", c.Subject, c.Issuer, c.ClientID)
}
