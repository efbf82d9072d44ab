// Package oidctest serves a throwaway OIDC issuer (discovery document and
// JWKS) over TLS and signs tokens with its key, for unit tests.
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/httpjson"
)

// Issuer is a test OIDC issuer.
type Issuer struct {
	// URL is the issuer URL (the TLS test server's address).
	URL string
	// Client trusts the issuer's TLS certificate.
	Client *http.Client
	key    *rsa.PrivateKey
}

// New starts an issuer that is closed when the test ends.
func New(t *testing.T) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &Issuer{key: key}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			httpjson.Write(w, t.Logf, http.StatusOK, map[string]any{"issuer": iss.URL, "jwks_uri": iss.URL + "/openid/v1/jwks"})
		case "/openid/v1/jwks":
			httpjson.Write(w, t.Logf, http.StatusOK, map[string]any{"keys": []map[string]string{{
				"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
				"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
				"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
			}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	iss.URL = srv.URL
	iss.Client = srv.Client()
	return iss
}

// Token signs a token for subject and audience, valid for ttl from now
// (negative ttl: already expired).
func (i *Issuer) Token(t *testing.T, subject, audience string, ttl time.Duration) string {
	t.Helper()
	now := time.Now()
	claims := map[string]any{"iss": i.URL, "sub": subject, "aud": []string{audience},
		"iat": now.Add(-time.Minute).Add(min(ttl, 0)).Unix(), "exp": now.Add(ttl).Unix()}
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k1"}`))
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := header + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, i.key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}
