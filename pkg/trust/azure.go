package trust

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

// azureNameMax is the longest federated identity credential name Microsoft
// Entra ID accepts.
const azureNameMax = 120

// AzureCredentialsPerIdentity is Entra ID's limit on federated identity
// credentials on one application or user-assigned managed identity.
var AzureCredentialsPerIdentity = Quota{
	Cloud: "Microsoft Entra ID", Name: "federated identity credentials per identity", Limit: 20, Unit: "credentials",
	WaysOut: []string{
		"split the ServiceAccounts or clusters over several identities (spec.azure.clientId), each holding at most 20",
	},
}

// Azure is what Microsoft Entra ID must hold.
type Azure struct {
	FederatedIdentityCredentials []AzureFederatedIdentityCredential `json:"federatedIdentityCredentials"`
	// RoleAssignments are the roles the specs' grants give the identities
	// (azure_grants.go).
	RoleAssignments []AzureRoleAssignment `json:"roleAssignments,omitempty"`
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

type azureBuilder struct {
	credentials map[azureKey]AzureFederatedIdentityCredential
	tenants     map[string]tenantOf // client ID -> tenant and the spec that set it
}

type azureKey struct{ clientID, issuer, subject string }

type tenantOf struct{ tenant, from string }

func newAzureBuilder() cloudBuilder {
	return &azureBuilder{credentials: map[azureKey]AzureFederatedIdentityCredential{}, tenants: map[string]tenantOf{}}
}

func (b *azureBuilder) add(s *specTrust) error {
	z, name := s.spec.Azure, s.name
	if z == nil {
		return nil
	}
	if z.TenantID == "" {
		return fmt.Errorf("%w: %s: spec.azure needs tenantId", ErrUnsafe, name)
	}
	if z.ClientID == "" {
		// The workload side works without it (containers set their own),
		// but a federated credential belongs to one identity.
		return fmt.Errorf("%s: spec.azure.clientId is not set, so trust cannot tell which application or managed identity gets the federated credential; set clientId to the identity the containers use", name)
	}
	if prev, ok := b.tenants[z.ClientID]; ok && prev.tenant != z.TenantID {
		return fmt.Errorf("%w: %s: client ID %s is in tenant %s according to %s, not %s",
			ErrConflict, name, z.ClientID, prev.tenant, prev.from, z.TenantID)
	}
	b.tenants[z.ClientID] = tenantOf{z.TenantID, name}
	// A credential per issuer: Entra ID matches the token's issuer exactly.
	for _, iss := range s.issuers() {
		b.credentials[azureKey{z.ClientID, iss, s.subject}] = AzureFederatedIdentityCredential{
			Name:      AzureCredentialName(iss, s.subject),
			Issuer:    iss,
			Subject:   s.subject,
			Audiences: []string{v1alpha1.DefaultAzureAudience},
			ClientID:  z.ClientID,
			TenantID:  z.TenantID,
		}
	}
	return nil
}

func (b *azureBuilder) build(t *Trust, limits Limits) error {
	if len(b.credentials) == 0 {
		return nil
	}
	t.Azure = &Azure{}
	perClient := map[string]int{}
	for _, c := range b.credentials {
		t.Azure.FederatedIdentityCredentials = append(t.Azure.FederatedIdentityCredentials, c)
		perClient[c.ClientID]++
	}
	slices.SortFunc(t.Azure.FederatedIdentityCredentials, func(a, b AzureFederatedIdentityCredential) int {
		return cmpStrings(a.ClientID, b.ClientID, a.Name, b.Name)
	})
	var errs []error
	for _, id := range sortedKeys(perClient) {
		errs = append(errs, limits.Check(AzureCredentialsPerIdentity, "client ID "+id, perClient[id]))
	}
	return errors.Join(errs...)
}

var notAzureNameChar = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// AzureCredentialName names the federated identity credential of one
// ServiceAccount of one issuer: "NAMESPACE-NAME-HASH". The namespace and name
// make it readable; the hash of issuer and subject keeps it unique when two
// clusters use the same ServiceAccount name on one identity, or when dots in
// a ServiceAccount name had to become dashes.
func AzureCredentialName(issuer, subject string) string {
	readable := strings.Trim(notAzureNameChar.ReplaceAllString(readableSubject(subject), "-"), "-_")
	suffix := "-" + shortHash(issuer+"\n"+subject)
	if len(readable) > azureNameMax-len(suffix) {
		readable = strings.TrimRight(readable[:azureNameMax-len(suffix)], "-_")
	}
	return readable + suffix
}
