package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/discovery"
)

// now is the clock of every golden case: tokens are made relative to it.
var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// A case is testdata/cases/NAME/case.json; its expected.txt is the command's
// stdout followed by "error: ..." when it fails. Paths in args may use
// {testdata}; {token:N} is the file of the Nth token of the case.
type goldenCase struct {
	Args   []string    `json:"args"`
	Tokens []tokenSpec `json:"tokens"`
	// KubectlAudiences makes the fake kubectl sign a token like Tokens[0]
	// but with the audience kubectl was asked for.
	Kubectl bool `json:"kubectl"`
	// Server publishes documents for --online at every host.
	Server *serverSpec `json:"server"`
}

// tokenSpec describes a token the test signs; times are seconds from now,
// absent claims are left out.
type tokenSpec struct {
	Raw string   `json:"raw"`
	Iss string   `json:"iss"`
	Sub string   `json:"sub"`
	Aud []string `json:"aud"`
	Iat *int64   `json:"iat"`
	Exp *int64   `json:"exp"`
	Nbf *int64   `json:"nbf"`
	Kid string   `json:"kid"`
	// Key is "other" to sign with a key that is never published.
	Key string `json:"key"`
}

// serverSpec is what the fake issuer host serves at every host name.
type serverSpec struct {
	// Issuer overrides the discovery document's issuer (default: the host
	// and path asked for).
	Issuer string `json:"issuer"`
	// DiscoveryStatus, when set, answers the discovery URL with it.
	DiscoveryStatus int `json:"discoveryStatus"`
	// RedirectTo, when set, redirects the discovery URL there.
	RedirectTo string `json:"redirectTo"`
	// JWKS is "signing" (the key tokens are signed with), "other",
	// "private" (the signing key with its private half) or "missing".
	JWKS string `json:"jwks"`
	// Kid names the published key (default "key-1").
	Kid string `json:"kid"`
}

type keys struct{ signing, other *rsa.PrivateKey }

func newKeys(t *testing.T) keys {
	t.Helper()
	a, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return keys{a, b}
}

func (k keys) sign(t *testing.T, s tokenSpec) string {
	t.Helper()
	if s.Raw != "" {
		return s.Raw
	}
	key := k.signing
	if s.Key == "other" {
		key = k.other
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if s.Kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), s.Kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	at := func(offset *int64) *jwt.NumericDate {
		if offset == nil {
			return nil
		}
		return jwt.NewNumericDate(now.Add(time.Duration(*offset) * time.Second))
	}
	claims := jwt.Claims{Issuer: s.Iss, Subject: s.Sub, Audience: s.Aud, IssuedAt: at(s.Iat), Expiry: at(s.Exp), NotBefore: at(s.Nbf)}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// server starts the fake issuer host and a client that reaches it for any
// host name, trusting its certificate as a public CA would be trusted.
func (k keys) server(t *testing.T, s *serverSpec) *http.Client {
	t.Helper()
	kid := s.Kid
	if kid == "" {
		kid = "key-1"
	}
	var set any
	switch s.JWKS {
	case "signing":
		set = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.signing.PublicKey, KeyID: kid, Use: "sig", Algorithm: "RS256"}}}
	case "other":
		set = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.other.PublicKey, KeyID: kid, Use: "sig", Algorithm: "RS256"}}}
	case "private":
		set = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.signing, KeyID: kid, Use: "sig", Algorithm: "RS256"}}}
	}
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "https://" + r.Host
		switch {
		case strings.HasSuffix(r.URL.Path, "/"+discovery.DiscoveryPath):
			iss := base + strings.TrimSuffix(r.URL.Path, "/"+discovery.DiscoveryPath)
			switch {
			case s.RedirectTo != "":
				http.Redirect(w, r, s.RedirectTo, http.StatusFound)
			case s.DiscoveryStatus != 0:
				w.WriteHeader(s.DiscoveryStatus)
			default:
				config := discovery.NewConfiguration(iss)
				if s.Issuer != "" {
					config.Issuer = s.Issuer
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(config)
			}
		case strings.HasSuffix(r.URL.Path, "/"+discovery.JWKSPath) && set != nil:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(set)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	client := NewHTTPClient(false)
	transport := ts.Client().Transport.(*http.Transport).Clone()
	transport.TLSClientConfig.ServerName = "example.com"
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, ts.Listener.Addr().String())
	}
	transport.DialTLSContext = nil
	client.Transport = transport
	return client
}

func TestGoldenDoctorCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "cases", "*", "case.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/cases/*/case.json (%v)", err)
	}
	// One pair of keys for every case: RSA key generation is slow.
	k := newKeys(t)
	for _, file := range files {
		dir := filepath.Dir(file)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var c goldenCase
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			tmp := t.TempDir()
			replacements := []string{"{testdata}", "testdata"}
			for i, spec := range c.Tokens {
				path := filepath.Join(tmp, fmt.Sprintf("token-%d", i))
				if err := os.WriteFile(path, []byte(k.sign(t, spec)), 0o600); err != nil {
					t.Fatal(err)
				}
				replacements = append(replacements, fmt.Sprintf("{token:%d}", i), path)
			}
			r := strings.NewReplacer(replacements...)
			args := make([]string, len(c.Args))
			for i, a := range c.Args {
				args[i] = r.Replace(a)
			}
			env := Env{Now: func() time.Time { return now }, HTTPClient: NewHTTPClient}
			if c.Server != nil {
				client := k.server(t, c.Server)
				env.HTTPClient = func(bool) *http.Client { return client }
			}
			var kubectlCalls []string
			env.Kubectl = func(_ context.Context, args ...string) ([]byte, error) {
				kubectlCalls = append(kubectlCalls, "kubectl "+strings.Join(args, " "))
				if !c.Kubectl {
					// As kubectl answers when the ServiceAccount is missing.
					return nil, fmt.Errorf("kubectl %s: exit status 1: error: failed to create token: serviceaccounts %q not found", strings.Join(args, " "), args[2])
				}
				spec := c.Tokens[0]
				for _, a := range args {
					if aud, ok := strings.CutPrefix(a, "--audience="); ok {
						spec.Aud = []string{aud}
					}
				}
				return []byte(k.sign(t, spec) + "\n"), nil
			}
			cmd := NewCommand(env)
			// The binary's root command prints the error once; here the
			// error is added to the output below.
			cmd.SilenceErrors = true
			var stdout, stderr bytes.Buffer
			cmd.SetIn(strings.NewReader(""))
			cmd.SetOut(&stdout)
			cmd.SetErr(&stderr)
			cmd.SetArgs(args)
			runErr := cmd.Execute()
			got := stdout.String() + stderr.String()
			for _, call := range kubectlCalls {
				got += "ran: " + call + "\n"
			}
			if runErr != nil {
				got += "error: " + runErr.Error() + "\n"
			}
			got = strings.ReplaceAll(got, tmp, "TMP")
			golden.Compare(t, filepath.Join(dir, "expected.txt"), []byte(got))
		})
	}
}
