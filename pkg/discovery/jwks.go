// Package discovery makes a cluster's service account issuer public: from the
// cluster's JWKS and the URL the user will host it at, it writes the OpenID
// discovery document and the key set at the exact paths the clouds fetch
// (the `issuer` subcommand), and it reads both back (the `doctor` subcommand
// checks a published issuer with the same rules).
package discovery

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	jose "github.com/go-jose/go-jose/v4"
)

// Values the clouds and Kubernetes agree on for service account tokens.
const (
	// KeyUseSignature is the only "use" a service account signing key has.
	KeyUseSignature = "sig"
	// SigningAlgorithm is what kube-apiserver signs RSA-keyed tokens with, and
	// what Google STS accepts ("Supported value: RS256").
	SigningAlgorithm = "RS256"
	// MinRSABits is the smallest RSA key worth publishing; kube-apiserver
	// refuses smaller signing keys too.
	MinRSABits = 2048
	// MaxDocumentBytes bounds what is read as a JWKS or discovery document:
	// a Kubernetes JWKS with a few keys is a few kilobytes.
	MaxDocumentBytes = 1 << 20
)

// ErrInvalidJWKS is wrapped by every error about a key set that cannot be
// published as a service account issuer's keys.
var ErrInvalidJWKS = errors.New("invalid JWKS")

// ErrPrivateKey is wrapped when a key set carries private key material:
// publishing it would let anyone sign tokens the clouds accept.
var ErrPrivateKey = errors.New("JWKS holds private key material")

// privateMembers are the JWK members (RFC 7518 section 6) that only private or
// symmetric keys have.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParseJWKS reads a key set as kube-apiserver serves it at /openid/v1/jwks
// and checks that every key can verify service account tokens for the
// clouds: RSA, use "sig", a unique printable kid, alg absent or RS256, at
// least MinRSABits bits, public only.
func ParseJWKS(data []byte) (*jose.JSONWebKeySet, error) {
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: %d bytes; a service account JWKS is a few kilobytes (limit %d)", ErrInvalidJWKS, len(data), MaxDocumentBytes)
	}
	var raw struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: not a JSON key set {\"keys\": [...]} (kubectl get --raw /openid/v1/jwks prints one): %w", ErrInvalidJWKS, err)
	}
	if len(raw.Keys) == 0 {
		return nil, fmt.Errorf("%w: \"keys\" is empty; want the cluster's public signing keys (kubectl get --raw /openid/v1/jwks)", ErrInvalidJWKS)
	}
	set := &jose.JSONWebKeySet{}
	seen := map[string]bool{}
	var errs []error
	for i, members := range raw.Keys {
		key, err := parseKey(members, seen)
		if err != nil {
			errs = append(errs, fmt.Errorf("keys[%d]: %w", i, err))
			continue
		}
		set.Keys = append(set.Keys, key)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

func parseKey(members map[string]json.RawMessage, seen map[string]bool) (jose.JSONWebKey, error) {
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return jose.JSONWebKey{}, fmt.Errorf("%w: member %q; give the public keys only (kubectl get --raw /openid/v1/jwks), never the signing key", ErrPrivateKey, m)
		}
	}
	str := func(name string) (string, error) {
		v, ok := members[name]
		if !ok {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("%w: %q is not a string", ErrInvalidJWKS, name)
		}
		return s, nil
	}
	kty, err := str("kty")
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	if kty != "RSA" {
		return jose.JSONWebKey{}, fmt.Errorf("%w: kty %s; want RSA (the key type kube-apiserver signs with and every cloud verifies)", ErrInvalidJWKS, QuoteValue(kty))
	}
	use, err := str("use")
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	if use != KeyUseSignature {
		return jose.JSONWebKey{}, fmt.Errorf("%w: use %s; want %q (a signing key)", ErrInvalidJWKS, QuoteValue(use), KeyUseSignature)
	}
	kid, err := str("kid")
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	if err := CheckText(kid); kid == "" || err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("%w: kid %s; want a non-empty printable key ID (tokens name their key by it)", ErrInvalidJWKS, QuoteValue(kid))
	}
	if seen[kid] {
		return jose.JSONWebKey{}, fmt.Errorf("%w: kid %s appears twice; each key needs its own ID", ErrInvalidJWKS, QuoteValue(kid))
	}
	seen[kid] = true
	alg, err := str("alg")
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	if alg != "" && alg != SigningAlgorithm {
		return jose.JSONWebKey{}, fmt.Errorf("%w: alg %s; want %s or none", ErrInvalidJWKS, QuoteValue(alg), SigningAlgorithm)
	}
	data, err := json.Marshal(members)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("%w: %w", ErrInvalidJWKS, err)
	}
	var key jose.JSONWebKey
	if err := key.UnmarshalJSON(data); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("%w: kid %s: %w", ErrInvalidJWKS, QuoteValue(kid), err)
	}
	pub, ok := key.Key.(*rsa.PublicKey)
	if !ok || !key.IsPublic() {
		return jose.JSONWebKey{}, fmt.Errorf("%w: kid %s is not an RSA public key", ErrInvalidJWKS, QuoteValue(kid))
	}
	if bits := pub.N.BitLen(); bits < MinRSABits {
		return jose.JSONWebKey{}, fmt.Errorf("%w: kid %s has %d bits; want at least %d", ErrInvalidJWKS, QuoteValue(kid), bits, MinRSABits)
	}
	return key, nil
}

// KeyIDs lists the key IDs of a set in order.
func KeyIDs(set *jose.JSONWebKeySet) []string {
	ids := make([]string, len(set.Keys))
	for i, k := range set.Keys {
		ids[i] = k.KeyID
	}
	return ids
}

// CheckText refuses what must never reach a printed line, a comment or a file
// name unescaped: control characters, line and paragraph separators (U+2028,
// U+2029 end a line in many viewers) and other non-printable runes.
func CheckText(s string) error {
	for _, r := range s {
		if !unicode.IsPrint(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("contains %U, which is not printable", r)
		}
	}
	return nil
}

// QuoteValue prints an untrusted value on one line: Go-quoted, so control
// characters and separators show as escapes, and cut to a readable length.
func QuoteValue(s string) string {
	const max = 200
	if len(s) > max {
		cut := strings.ToValidUTF8(s[:max], "")
		return fmt.Sprintf("%q...", cut)
	}
	return fmt.Sprintf("%q", s)
}
