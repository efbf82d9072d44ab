// Package googleemu is a STAND-IN for Google's Security Token Service
// (sts.googleapis.com/v1/token), IAM Service Account Credentials
// (iamcredentials.googleapis.com ... :generateAccessToken) and the IAM check
// in front of Cloud Storage. Nothing runnable offline implements these, so
// this small emulator does what Google documents for OIDC workload identity
// federation, configured from the trust document:
//
//   - STS verifies the subject token's signature and expiry against the
//     provider's issuer (OIDC discovery, JWKS), checks its audience against
//     the provider's allowed audiences (or the default audience, the
//     provider's resource name with or without https:), applies the
//     attribute mapping (google.subject=assertion.sub by default) and the
//     attribute condition, and returns a federated access token.
//   - IAM Credentials lets a caller impersonate a service account only when
//     an IAM binding grants roles/iam.workloadIdentityUser (or
//     roles/iam.serviceAccountTokenCreator) on it to a member matching the
//     caller (principal://.../subject/SUB, principalSet://.../*,
//     principalSet://.../attribute.NAME/VALUE).
//   - StorageGate lets a request through to the storage backend only with a
//     token minted here whose identity a rendered resource binding grants a
//     role on the bucket holding the permission the request needs
//     (storage.objects.list, get, create or delete), under the binding's IAM
//     condition when it has one (evaluated with cel-go; see storage.go).
//
// It is not Google: token formats, quotas and many error details differ.
package googleemu

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/httpjson"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/trust"
)

// Emulator holds the GCP trust configuration and the tokens it minted.
type Emulator struct {
	verifier *oidc.Verifier
	logger   *log.Logger

	mu     sync.Mutex
	config trust.GCP
	tokens map[string]*identity
	// impersonations counts service account tokens issued since Configure.
	impersonations int
}

// identity is who a minted access token speaks for.
type identity struct {
	// members are the IAM member strings that match this identity.
	members []string
	// name is a human readable principal (for messages and introspection).
	name    string
	expires time.Time
}

// New returns an emulator verifying subject tokens with verifier.
func New(verifier *oidc.Verifier, logger *log.Logger) *Emulator {
	return &Emulator{verifier: verifier, logger: logger, tokens: map[string]*identity{}}
}

// Configure replaces the trusted pools, the IAM bindings on service
// accounts and the resource bindings (grants on buckets).
func (e *Emulator) Configure(cfg trust.GCP) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.config = cfg
	e.impersonations = 0
}

// Impersonations returns how many service account access tokens were
// issued since the last Configure.
func (e *Emulator) Impersonations() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.impersonations
}

// STSHandler serves sts.googleapis.com.
func (e *Emulator) STSHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/token", e.exchangeToken)
	mux.HandleFunc("POST /v1/introspect", e.introspect)
	return mux
}

// IAMCredentialsHandler serves iamcredentials.googleapis.com.
func (e *Emulator) IAMCredentialsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/projects/{project}/serviceAccounts/{account}", e.generateAccessToken)
	return mux
}

// stsError writes an OAuth 2.0 error as Google's STS does.
func (e *Emulator) stsError(w http.ResponseWriter, status int, code, description string) {
	e.logger.Printf("google sts: refused: %s: %s", code, description)
	httpjson.Write(w, e.logger.Printf, status, map[string]string{"error": code, "error_description": description})
}

// googleError writes a Google API error.
func (e *Emulator) googleError(w http.ResponseWriter, service string, status int, statusName, message string) {
	e.logger.Printf("google %s: refused (%d): %s", service, status, message)
	httpjson.Write(w, e.logger.Printf, status, map[string]any{"error": map[string]any{
		"code": status, "message": message, "status": statusName,
		"errors": []map[string]string{{"message": message, "domain": "global", "reason": strings.ToLower(statusName)}},
	}})
}

// formOrJSON reads request parameters sent as a form or a JSON object.
func formOrJSON(r *http.Request) (url.Values, error) {
	// Anything but a JSON body goes to ParseForm, which reports an
	// unparsable Content-Type itself.
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && ct == "application/json" {
		var m map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil {
			return nil, fmt.Errorf("decode JSON body: %w", err)
		}
		v := url.Values{}
		for k, val := range m {
			if s, ok := val.(string); ok {
				// Google accepts camelCase in JSON bodies.
				v.Set(snake(k), s)
			}
		}
		return v, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, fmt.Errorf("parse form: %w", err)
	}
	return r.PostForm, nil
}

func snake(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			b.WriteByte('_')
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

var providerName = regexp.MustCompile(`^(?:https:)?//iam\.googleapis\.com/projects/([^/]+)/locations/global/workloadIdentityPools/([^/]+)/providers/([^/]+)$`)

func (e *Emulator) exchangeToken(w http.ResponseWriter, r *http.Request) {
	params, err := formOrJSON(r)
	if err != nil {
		e.stsError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if gt := params.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:token-exchange" {
		e.stsError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported", gt))
		return
	}
	if tt := params.Get("subject_token_type"); tt != "urn:ietf:params:oauth:token-type:jwt" && tt != "urn:ietf:params:oauth:token-type:id_token" {
		e.stsError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("subject_token_type %q is not supported for an OIDC provider", tt))
		return
	}
	audience := params.Get("audience")
	m := providerName.FindStringSubmatch(audience)
	if m == nil {
		e.stsError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("invalid audience %q: expected //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER", audience))
		return
	}
	projectNumber, poolID, providerID := m[1], m[2], m[3]
	e.mu.Lock()
	pool, provider := e.findProvider(projectNumber, poolID, providerID)
	e.mu.Unlock()
	if provider == nil {
		e.stsError(w, http.StatusBadRequest, "invalid_target", fmt.Sprintf("The target service indicated by the \"audience\" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist: %s", audience))
		return
	}
	claims, err := e.verifier.Verify(r.Context(), provider.IssuerURI, params.Get("subject_token"))
	if err != nil {
		e.stsError(w, http.StatusBadRequest, "invalid_grant", "The subject token is invalid: "+err.Error())
		return
	}
	resource := fmt.Sprintf("//iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s/providers/%s", projectNumber, poolID, providerID)
	allowed := provider.AllowedAudiences
	if len(allowed) == 0 {
		allowed = []string{resource, "https:" + resource}
	}
	if !claims.AudienceIn(allowed) {
		e.stsError(w, http.StatusBadRequest, "invalid_grant", fmt.Sprintf("The audience in ID Token %v does not match the expected audience %v.", claims.Audiences(), allowed))
		return
	}
	attrs, err := mapAttributes(provider.AttributeMapping, claims)
	if err != nil {
		e.stsError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return
	}
	if ok, err := evalCondition(provider.AttributeCondition, attrs, claims); err != nil {
		e.stsError(w, http.StatusBadRequest, "invalid_grant", err.Error())
		return
	} else if !ok {
		e.stsError(w, http.StatusBadRequest, "unauthorized_client", "The given credential is rejected by the attribute condition.")
		return
	}
	subject := attrs["google.subject"]
	if subject == "" {
		e.stsError(w, http.StatusBadRequest, "invalid_grant", "The mapped google.subject is empty.")
		return
	}
	poolRes := fmt.Sprintf("//iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s", pool.ProjectNumber, pool.PoolID)
	principal := "principal:" + poolRes + "/subject/" + subject
	members := []string{principal, "principalSet:" + poolRes + "/*"}
	for k, v := range attrs {
		if name, ok := strings.CutPrefix(k, "attribute."); ok {
			members = append(members, "principalSet:"+poolRes+"/attribute."+name+"/"+v)
		}
		if k == "google.groups" {
			members = append(members, "principalSet:"+poolRes+"/group/"+v)
		}
	}
	lifetime := time.Hour
	if exp, ok := claims["exp"].(float64); ok {
		if left := time.Until(time.Unix(int64(exp), 0)); left < lifetime {
			lifetime = left
		}
	}
	token := e.mint(&identity{members: members, name: principal, expires: time.Now().Add(lifetime)})
	e.logger.Printf("google sts: exchanged token of %s for %s", claims.String("sub"), principal)
	httpjson.Write(w, e.logger.Printf, http.StatusOK, map[string]any{
		"access_token":      token,
		"issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
		"token_type":        "Bearer",
		"expires_in":        int(lifetime.Seconds()),
	})
}

func (e *Emulator) findProvider(projectNumber, poolID, providerID string) (*trust.GCPPool, *trust.GCPProvider) {
	for i := range e.config.WorkloadIdentityPools {
		pool := &e.config.WorkloadIdentityPools[i]
		if pool.ProjectNumber != projectNumber || pool.PoolID != poolID {
			continue
		}
		for j := range pool.Providers {
			if pool.Providers[j].ProviderID == providerID {
				return pool, &pool.Providers[j]
			}
		}
	}
	return nil, nil
}

func (e *Emulator) mint(id *identity) string {
	// rand.Text: 26 base32 characters (128 bits); it cannot fail.
	token := "ya29.stand-in." + rand.Text()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tokens[token] = id
	return token
}

// caller returns the identity of the request's bearer token, or nil.
func (e *Emulator) caller(r *http.Request) *identity {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.tokens[strings.TrimSpace(token)]
	if id == nil || time.Now().After(id.expires) {
		return nil
	}
	return id
}

func (e *Emulator) introspect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		e.stsError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	e.mu.Lock()
	id := e.tokens[r.PostForm.Get("token")]
	e.mu.Unlock()
	if id == nil || time.Now().After(id.expires) {
		httpjson.Write(w, e.logger.Printf, http.StatusOK, map[string]any{"active": false})
		return
	}
	httpjson.Write(w, e.logger.Printf, http.StatusOK, map[string]any{
		"active": true, "username": id.name, "sub": id.name, "exp": id.expires.Unix(), "iat": time.Now().Unix(),
		"client_id": "stand-in", "scope": "https://www.googleapis.com/auth/cloud-platform",
	})
}

func (e *Emulator) generateAccessToken(w http.ResponseWriter, r *http.Request) {
	const service = "iamcredentials"
	email, ok := strings.CutSuffix(r.PathValue("account"), ":generateAccessToken")
	if !ok {
		e.googleError(w, service, http.StatusNotFound, "NOT_FOUND", "unknown method")
		return
	}
	caller := e.caller(r)
	if caller == nil {
		e.googleError(w, service, http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
		return
	}
	var body struct {
		Scope    []string `json:"scope"`
		Lifetime string   `json:"lifetime"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		e.googleError(w, service, http.StatusBadRequest, "INVALID_ARGUMENT", "decode body: "+err.Error())
		return
	}
	if len(body.Scope) == 0 {
		e.googleError(w, service, http.StatusBadRequest, "INVALID_ARGUMENT", "Scope required.")
		return
	}
	lifetime := time.Hour
	if body.Lifetime != "" {
		d, err := time.ParseDuration(body.Lifetime)
		if err != nil || d <= 0 || d > 12*time.Hour {
			e.googleError(w, service, http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("invalid lifetime %q", body.Lifetime))
			return
		}
		lifetime = d
	}
	if !e.mayImpersonate(caller, email) {
		e.googleError(w, service, http.StatusForbidden, "PERMISSION_DENIED",
			fmt.Sprintf("Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist). (caller %s, service account %s)", caller.name, email))
		return
	}
	expires := time.Now().Add(lifetime)
	token := e.mint(&identity{members: []string{"serviceAccount:" + email}, name: email, expires: expires})
	e.mu.Lock()
	e.impersonations++
	e.mu.Unlock()
	e.logger.Printf("google iamcredentials: %s impersonates %s", caller.name, email)
	httpjson.Write(w, e.logger.Printf, http.StatusOK, map[string]string{"accessToken": token, "expireTime": expires.UTC().Format(time.RFC3339)})
}

func (e *Emulator) mayImpersonate(caller *identity, email string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, b := range e.config.IAMBindings {
		if b.Role != "roles/iam.workloadIdentityUser" && b.Role != "roles/iam.serviceAccountTokenCreator" {
			continue
		}
		res := b.Resource
		if i := strings.LastIndex(res, "/"); i >= 0 {
			res = res[i+1:]
		}
		if res != email {
			continue
		}
		for _, m := range caller.members {
			if memberMatches(b.Member, m) {
				return true
			}
		}
	}
	return false
}

// memberMatches reports whether an IAM member from a binding or grant names
// the identity member have (both may use the principal:// scheme with or
// without the double slash after the colon).
func memberMatches(granted, have string) bool {
	return normalizeMember(granted) == normalizeMember(have)
}

func normalizeMember(m string) string {
	for _, p := range []string{"principal:", "principalSet:"} {
		if rest, ok := strings.CutPrefix(m, p); ok {
			return p + "//" + strings.TrimPrefix(rest, "//")
		}
	}
	return m
}
