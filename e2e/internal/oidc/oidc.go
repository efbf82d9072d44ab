// Package oidc verifies OIDC ID tokens (RS256 JWTs) the way a relying party
// does: it fetches the issuer's discovery document at
// <issuer>/.well-known/openid-configuration, follows jwks_uri, and checks the
// signature, issuer and time claims. The Google and Azure stand-ins use it.
package oidc

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Claims are the decoded claims of a verified token.
type Claims map[string]any

// String returns the string claim name, or "".
func (c Claims) String(name string) string {
	s, _ := c[name].(string)
	return s
}

// Audiences returns the aud claim as a list (it may be a string or a list).
func (c Claims) Audiences() []string {
	switch v := c["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, a := range v {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// AudienceIn reports whether one of the token's audiences is among
// accepted, the check a relying party makes after verifying the token.
func (c Claims) AudienceIn(accepted []string) bool {
	return slices.ContainsFunc(c.Audiences(), func(aud string) bool { return slices.Contains(accepted, aud) })
}

// Verifier verifies tokens of any issuer it is asked about, fetching
// discovery and keys over HTTP on each call (issuers here are local and keys
// rotate never, but fetching each time is what a strict relying party does).
type Verifier struct {
	// HTTPClient fetches discovery documents and key sets.
	HTTPClient *http.Client
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// Verify checks that raw is an RS256 JWT signed by a key of issuer (found by
// OIDC discovery), that its iss claim is issuer, and that it is within its
// validity period. It returns the claims.
func (v *Verifier) Verify(ctx context.Context, issuer, raw string) (Claims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("token is not a JWT")
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, fmt.Errorf("decode token header: %w", err)
	}
	if header.Alg != "RS256" {
		return nil, fmt.Errorf("unsupported token algorithm %q", header.Alg)
	}
	var claims Claims
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, fmt.Errorf("decode token claims: %w", err)
	}
	if got := claims.String("iss"); got != issuer {
		return nil, fmt.Errorf("token issuer %q is not the trusted issuer %q", got, issuer)
	}
	keys, err := v.keys(ctx, issuer)
	if err != nil {
		return nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("decode token signature: %w", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	verified := false
	for _, k := range keys {
		if header.Kid != "" && k.Kid != "" && k.Kid != header.Kid {
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			continue
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, fmt.Errorf("token signature does not match any key of issuer %s", issuer)
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	const leeway = 30 * time.Second
	exp, ok := claims["exp"].(float64)
	if !ok {
		return nil, errors.New("token has no exp claim")
	}
	if now.After(time.Unix(int64(exp), 0).Add(leeway)) {
		return nil, fmt.Errorf("token expired at %s", time.Unix(int64(exp), 0).UTC().Format(time.RFC3339))
	}
	if nbf, ok := claims["nbf"].(float64); ok && now.Add(leeway).Before(time.Unix(int64(nbf), 0)) {
		return nil, errors.New("token is not valid yet")
	}
	return claims, nil
}

func (v *Verifier) keys(ctx context.Context, issuer string) ([]jwk, error) {
	var doc discovery
	if err := v.getJSON(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return nil, fmt.Errorf("OIDC discovery for %s: %w", issuer, err)
	}
	if doc.Issuer != issuer {
		return nil, fmt.Errorf("discovery document of %s names issuer %q", issuer, doc.Issuer)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := v.getJSON(ctx, doc.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("fetch JWKS of %s: %w", issuer, err)
	}
	return set.Keys, nil
}

func (v *Verifier) getJSON(ctx context.Context, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := v.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("decode %s: %w", url, err)
	}
	return nil
}

func (k jwk) publicKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" {
		return nil, fmt.Errorf("key type %q", k.Kty)
	}
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, err
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, err
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
}

func decodeSegment(seg string, into any) error {
	data, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

// UnverifiedClaims decodes the claims of a JWT without checking anything.
// Use it only to describe a token in messages or to copy its claims.
func UnverifiedClaims(raw string) (Claims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("token is not a JWT")
	}
	var claims Claims
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, fmt.Errorf("decode token claims: %w", err)
	}
	return claims, nil
}

// Resign returns raw with its claims replaced by claims, keeping its header
// and signing it with key (RS256). The e2e suite uses it to make an expired
// token exactly as the cluster would have issued it earlier.
func Resign(raw string, claims Claims, key *rsa.PrivateKey) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", errors.New("token is not a JWT")
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	signingInput := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
