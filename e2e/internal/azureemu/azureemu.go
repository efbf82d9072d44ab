// Package azureemu is a STAND-IN for the Microsoft Entra ID token endpoint
// (login.microsoftonline.com) as used by workload identity federation.
// Nothing runnable offline implements it, so this small emulator does what
// Entra ID documents for a client-credentials request with a federated
// client assertion: it finds the federated identity credentials of the
// requested application (client ID) in the tenant, verifies the assertion
// against the credential's issuer (OIDC discovery, JWKS, signature, expiry)
// and requires its subject and audience to match the credential exactly.
// It also serves the tenant discovery documents MSAL reads first.
// It is not Entra ID: tokens are opaque and error details are abridged.
package azureemu

import (
	"crypto/rand"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/httpjson"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/trust"
)

// Emulator serves login.microsoftonline.com for the configured credentials.
type Emulator struct {
	verifier *oidc.Verifier
	logger   *log.Logger
	// Host is the authority host name the discovery documents point back to.
	host string

	mu          sync.Mutex
	credentials []trust.AzureFederatedCredential
}

// New returns an emulator answering as host (e.g. login.microsoftonline.com).
func New(host string, verifier *oidc.Verifier, logger *log.Logger) *Emulator {
	return &Emulator{verifier: verifier, logger: logger, host: host}
}

// Configure replaces the federated identity credentials.
func (e *Emulator) Configure(creds []trust.AzureFederatedCredential) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.credentials = append([]trust.AzureFederatedCredential(nil), creds...)
}

// Handler serves the authority host.
func (e *Emulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /common/discovery/instance", e.instanceDiscovery)
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", e.tenantDiscovery)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", e.token)
	return mux
}

func (e *Emulator) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, e.logger.Printf, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": fmt.Sprintf("https://%s/common/v2.0/.well-known/openid-configuration", e.host),
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": e.host,
			"preferred_cache":   e.host,
			"aliases":           []string{e.host},
		}},
	})
}

func (e *Emulator) tenantDiscovery(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	base := fmt.Sprintf("https://%s/%s", e.host, tenant)
	httpjson.Write(w, e.logger.Printf, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"issuer":                                base + "/v2.0",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
	})
}

func (e *Emulator) refuse(w http.ResponseWriter, status int, code string, aadsts int, msg string) {
	e.logger.Printf("azure: refused: AADSTS%d: %s", aadsts, msg)
	httpjson.Write(w, e.logger.Printf, status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s", aadsts, msg),
		"error_codes":       []int{aadsts},
	})
}

func (e *Emulator) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		e.refuse(w, http.StatusBadRequest, "invalid_request", 900144, "cannot parse the request body: "+err.Error())
		return
	}
	form := r.PostForm
	tenant := r.PathValue("tenant")
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		e.refuse(w, http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("grant type %q is not supported by the stand-in", gt))
		return
	}
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		e.refuse(w, http.StatusBadRequest, "invalid_request", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	clientID := form.Get("client_id")
	assertion := form.Get("client_assertion")
	e.mu.Lock()
	var candidates []trust.AzureFederatedCredential
	for _, c := range e.credentials {
		if strings.EqualFold(c.ClientID, clientID) && strings.EqualFold(c.TenantID, tenant) {
			candidates = append(candidates, c)
		}
	}
	e.mu.Unlock()
	if len(candidates) == 0 {
		e.refuse(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", clientID, tenant))
		return
	}
	unverified, err := oidc.UnverifiedClaims(assertion)
	if err != nil {
		e.refuse(w, http.StatusBadRequest, "invalid_client", 50027, "JWT token is invalid or malformed.")
		return
	}
	var lastErr error
	for _, c := range candidates {
		if c.Issuer != unverified.String("iss") || c.Subject != unverified.String("sub") {
			continue
		}
		claims, err := e.verifier.Verify(r.Context(), c.Issuer, assertion)
		if err != nil {
			lastErr = err
			continue
		}
		if !claims.AudienceIn(c.Audiences) {
			lastErr = fmt.Errorf("assertion audience %v is not one of %v", claims.Audiences(), c.Audiences)
			continue
		}
		e.logger.Printf("azure: issued a token to application %s for %s (credential %s)", clientID, claims.String("sub"), c.Name)
		httpjson.Write(w, e.logger.Printf, http.StatusOK, map[string]any{
			"token_type":     "Bearer",
			"expires_in":     3599,
			"ext_expires_in": 3599,
			"access_token":   "stand-in." + rand.Text(), // 128 random bits; rand.Text cannot fail
		})
		return
	}
	if lastErr != nil {
		e.refuse(w, http.StatusUnauthorized, "invalid_client", 700024, "Client assertion failed validation: "+lastErr.Error())
		return
	}
	e.refuse(w, http.StatusBadRequest, "invalid_request", 70021, fmt.Sprintf("No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%v'.",
		unverified.String("iss"), unverified.String("sub"), unverified.Audiences()))
}
