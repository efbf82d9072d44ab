package trust

import (
	"fmt"

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
			"hashicorp/azurerm 5.x; on 4.x write parent_id and resource_group_name instead of user_assigned_identity_id.")
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

// krmAzure only notes the credentials: no controller in the KRM output's
// reach manages them.
func krmAzure(o *krmOutput, t *Trust) error {
	o.note(fmt.Sprintf("Azure: %d federated identity credential(s) have no object here; use --format terraform or shell.",
		len(t.Azure.FederatedIdentityCredentials)))
	return nil
}

func credentialComment(c AzureFederatedIdentityCredential) string {
	return fmt.Sprintf("Let %s from %s sign in as client ID %s.", c.Subject, c.Issuer, c.ClientID)
}
