package discovery

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// ParseJWKS refuses private keys before Documents sees them; Documents
// refuses them again, so no caller can publish a signing key by skipping the
// parser.
func TestDocumentsRefusePrivateKeysEvenWithoutParseJWKS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	set := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: "k", Use: "sig", Algorithm: "RS256"}}}
	files, err := Documents("https://issuer.example.com", set)
	if !errors.Is(err, ErrPrivateKey) || files != nil {
		t.Fatalf("Documents with a private key = %d files, %v; want no files and ErrPrivateKey", len(files), err)
	}
}

// The discovery document's jwks_uri is where Documents puts the key set,
// with or without a trailing slash on the issuer.
func TestJWKSURIIsWhereTheKeySetIsWritten(t *testing.T) {
	for _, iss := range []string{"https://issuer.example.com/cluster-1", "https://issuer.example.com/cluster-1/"} {
		got := NewConfiguration(iss).JWKSURI
		if want := "https://issuer.example.com/cluster-1/" + JWKSPath; got != want {
			t.Errorf("issuer %s: jwks_uri %s, want %s", iss, got, want)
		}
	}
}
