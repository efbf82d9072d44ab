package discovery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
)

// Paths of the two documents below the issuer URL. The discovery path is
// fixed by OpenID Connect Discovery; the JWKS path is the one kube-apiserver
// serves its own keys at, so a published issuer looks like the cluster's.
const (
	DiscoveryPath = ".well-known/openid-configuration"
	JWKSPath      = "openid/v1/jwks"
)

// Configuration is the OpenID discovery document of a service account issuer:
// the members kube-apiserver publishes, which are the ones AWS, Google and
// Azure read.
type Configuration struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
}

// ErrInvalidIssuer is wrapped when an issuer URL cannot be published as
// given: not an OIDC issuer, or holding characters that would need quoting
// wherever it is printed.
var ErrInvalidIssuer = errors.New("invalid issuer URL")

// CheckIssuer accepts an issuer URL that is an OIDC issuer (issuer.Parse,
// which also keeps it to characters that print as they are in a command
// line or a comment).
func CheckIssuer(url string) error {
	if err := issuer.Parse(url); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidIssuer, err)
	}
	return nil
}

// URL is the address of a document below an issuer: OpenID Connect Discovery
// appends to the issuer's path, after one slash.
func URL(issuerURL, path string) string {
	return strings.TrimSuffix(issuerURL, "/") + "/" + path
}

// NewConfiguration is the discovery document for an issuer whose keys are
// published at JWKSPath below it.
func NewConfiguration(issuerURL string) Configuration {
	return Configuration{
		Issuer:                           issuerURL,
		JWKSURI:                          URL(issuerURL, JWKSPath),
		ResponseTypesSupported:           []string{"id_token"},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{SigningAlgorithm},
	}
}

// File is one document to publish: its path below the issuer (and below the
// output folder) and its content.
type File struct {
	Path string
	Data []byte
}

// Documents are the two files that make issuerURL a working OIDC issuer for
// the keys of set: the discovery document and the key set itself, each as
// indented JSON with a final newline.
func Documents(issuerURL string, set *jose.JSONWebKeySet) ([]File, error) {
	if err := CheckIssuer(issuerURL); err != nil {
		return nil, err
	}
	config, err := encode(NewConfiguration(issuerURL))
	if err != nil {
		return nil, err
	}
	// Only the public half is ever written, whatever the set holds.
	public := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, len(set.Keys))}
	for i, k := range set.Keys {
		if !k.IsPublic() {
			return nil, fmt.Errorf("%w: kid %s", ErrPrivateKey, QuoteValue(k.KeyID))
		}
		public.Keys[i] = k.Public()
	}
	keys, err := encode(public)
	if err != nil {
		return nil, err
	}
	return []File{{Path: DiscoveryPath, Data: config}, {Path: JWKSPath, Data: keys}}, nil
}

func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode document: %w", err)
	}
	return b.Bytes(), nil
}

// ParseConfiguration reads a discovery document as a cloud would: JSON with
// at least issuer and jwks_uri. Members other services add are allowed.
func ParseConfiguration(data []byte) (*Configuration, error) {
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("discovery document is %d bytes; limit %d", len(data), MaxDocumentBytes)
	}
	var c Configuration
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("discovery document is not JSON: %w", err)
	}
	if c.Issuer == "" || c.JWKSURI == "" {
		return nil, fmt.Errorf("discovery document lacks issuer or jwks_uri")
	}
	return &c, nil
}
