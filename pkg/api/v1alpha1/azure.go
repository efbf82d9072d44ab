package v1alpha1

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/azureid"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
)

// EntraAuthorityHosts are the Microsoft Entra ID clouds' authority hosts:
// public, US Government and China.
var EntraAuthorityHosts = []string{"https://login.microsoftonline.com/", "https://login.microsoftonline.us/", "https://login.chinacloudapi.cn/"}

// EntraAuthority reports whether the authority host is one of Entra ID's.
func (z *Azure) EntraAuthority() bool { return slices.Contains(EntraAuthorityHosts, z.AuthorityHost) }

// wantClientID is what a client ID must be, for messages.
const wantClientID = "the application or managed identity client ID, a GUID"

var guid = azureid.GUID

// Azure is access to an Entra ID application or managed identity through a
// federated identity credential.
type Azure struct {
	Mode                   Mode   `json:"mode,omitempty" jsonschema:"enum=auto,enum=webhook,enum=projected"`
	TenantID               string `json:"tenantId"`
	ClientID               string `json:"clientId,omitempty"`
	AuthorityHost          string `json:"authorityHost,omitempty"`
	TokenExpirationSeconds int64  `json:"tokenExpirationSeconds,omitempty"`
	// Grants are role assignments, for `trust` (azure_grants.go).
	Grants *AzureGrants `json:"grants,omitempty"`
}

// defaults resolves auto to webhook on AKS, which runs the workload
// identity webhook, and to projected elsewhere.
func (z *Azure) defaults(c *Cluster) {
	if z.Mode == "" || z.Mode == ModeAuto {
		z.Mode = ModeProjected
		if c.Provider == ProviderAKS {
			z.Mode = ModeWebhook
		}
	}
	defaultString(&z.AuthorityHost, DefaultAzureAuthorityHost)
	defaultInt(&z.TokenExpirationSeconds, DefaultAzureTokenExpirationSeconds)
	if z.Grants != nil {
		z.Grants.defaults()
	}
}

func (z *Azure) check(v *checker, c *Cluster) {
	provider := c.Provider
	v.required("spec.azure.tenantId", z.TenantID, guid.MatchString, "the directory (tenant) ID, a GUID such as 00000000-0000-0000-0000-000000000000")
	if z.Mode == ModeWebhook {
		v.required("spec.azure.clientId", z.ClientID, guid.MatchString, wantClientID)
	} else {
		// Without it the pod still gets the token, and each container sets
		// AZURE_CLIENT_ID itself, as with the Azure webhook.
		v.optional("spec.azure.clientId", z.ClientID, guid.MatchString, "the application or managed identity client ID, a GUID, or none to let containers set AZURE_CLIENT_ID")
	}
	if u, err := url.Parse(z.AuthorityHost); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
		!issuer.IsPlainURL(z.AuthorityHost) || u.String() != z.AuthorityHost {
		v.errorf("spec.azure.authorityHost", "%s is not valid; want an https URL such as %s", strconv.QuoteToASCII(z.AuthorityHost), DefaultAzureAuthorityHost)
	} else if !z.EntraAuthority() {
		v.warnf("spec.azure.authorityHost", "%q is not an Entra ID cloud's authority (%s): tokens go to that host; only the platform's own functionConfig may name another, a spec among the items may not",
			z.AuthorityHost, strings.Join(EntraAuthorityHosts, ", "))
	}
	v.between("spec.azure.tokenExpirationSeconds", z.TokenExpirationSeconds, MinAzureTokenExpirationSeconds, MaxTokenExpirationSeconds, "what Azure workload identity accepts")
	if z.Grants != nil {
		z.Grants.check(v, "spec.azure.grants", z.ClientID)
	}
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
