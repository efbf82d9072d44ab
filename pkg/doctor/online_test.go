package doctor

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recorder answers every request 404 and remembers its URL.
type recorder struct{ urls []string }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.urls = append(r.urls, req.URL.String())
	return &http.Response{StatusCode: http.StatusNotFound, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
}

// runDoctor runs doctor with env and args, and returns its stdout.
func runDoctor(t *testing.T, env Env, args ...string) string {
	t.Helper()
	cmd := NewCommand(env)
	cmd.SilenceErrors = true
	var stdout bytes.Buffer
	cmd.SetIn(strings.NewReader(""))
	cmd.SetOut(&stdout)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(args)
	_ = cmd.Execute()
	return stdout.String()
}

// A token's iss is whatever its maker wrote: --online fetches the spec's
// issuer only, never the token's.
func TestOnlineFetchesTheSpecsIssuerNeverTheTokens(t *testing.T) {
	k := newKeys(t)
	token := filepath.Join(t.TempDir(), "token")
	exp, iat := int64(3000), int64(-600)
	raw := k.sign(t, tokenSpec{Iss: "https://10.0.0.1:8443/probe", Sub: "system:serviceaccount:default:oidc-exp-service-account",
		Aud: []string{"sts.amazonaws.com"}, Iat: &iat, Exp: &exp, Kid: "key-1"})
	if err := os.WriteFile(token, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	env := Env{Now: func() time.Time { return now }, HTTPClient: func(bool) *http.Client { return &http.Client{Transport: rec} }}
	out := runDoctor(t, env, "--cloud", "aws", "--token", token, "--online", filepath.Join("testdata", "specs", "self-hosted.yaml"))
	if len(rec.urls) == 0 {
		t.Fatalf("nothing was fetched:\n%s", out)
	}
	for _, u := range rec.urls {
		if !strings.HasPrefix(u, "https://oidc-exp-issuer.s3.eu-west-2.amazonaws.com/cluster-1/") {
			t.Errorf("fetched %s; want only the spec's issuer", u)
		}
	}
}

func TestNonPublicAddressesAreNamed(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "a loopback address", "::1": "a loopback address", "::ffff:127.0.0.1": "a loopback address",
		"10.1.2.3": "a private address", "172.16.0.1": "a private address", "192.168.1.1": "a private address", "fc00::1": "a private address",
		"169.254.169.254": "a link-local address", "fe80::1": "a link-local address",
		"100.64.0.1": "a shared (carrier-grade NAT) address", "0.0.0.0": "the unspecified address", "239.1.2.3": "a multicast address", "224.0.0.1": "a link-local address",
		"8.8.8.8": "", "2001:4860:4860::8888": "",
	} {
		if got := nonPublic(netip.MustParseAddr(addr).Unmap()); got != want {
			t.Errorf("nonPublic(%s) = %q; want %q", addr, got, want)
		}
	}
}

// The client refuses a loopback address before it connects: a token or a
// document cannot make doctor probe a local port. --allow-private-issuer
// connects.
func TestClientRefusesLoopbackBeforeConnectingUnlessAllowed(t *testing.T) {
	var conns atomic.Int32
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.StartTLS()
	defer ts.Close()
	_, err := NewHTTPClient(false).Get(ts.URL)
	if !errors.Is(err, ErrNonPublicAddress) || !strings.Contains(err.Error(), "127.0.0.1 is a loopback address") {
		t.Errorf("GET %s = %v; want ErrNonPublicAddress naming the loopback address", ts.URL, err)
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the server saw %d connections; want none", n)
	}
	// Allowed, it connects (and fails on the test server's certificate,
	// which no public CA signed).
	_, err = NewHTTPClient(true).Get(ts.URL)
	if err == nil || errors.Is(err, ErrNonPublicAddress) {
		t.Errorf("GET with private addresses allowed = %v; want it to connect", err)
	}
	if conns.Load() == 0 {
		t.Error("the allowed client never connected")
	}
}

// Through the command: an issuer on localhost fails the discovery check
// with the flag to pass, and the flag lets doctor connect.
func TestDoctorOnlineRefusesALoopbackIssuer(t *testing.T) {
	dir := t.TempDir()
	specData, err := os.ReadFile(filepath.Join("testdata", "specs", "self-hosted.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(spec, bytes.Replace(specData, []byte("https://oidc-exp-issuer.s3.eu-west-2.amazonaws.com/cluster-1"), []byte("https://localhost/cluster-1"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	k := newKeys(t)
	exp, iat := int64(3000), int64(-600)
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte(k.sign(t, tokenSpec{Iss: "https://localhost/cluster-1", Sub: "system:serviceaccount:default:oidc-exp-service-account",
		Aud: []string{"sts.amazonaws.com"}, Iat: &iat, Exp: &exp, Kid: "key-1"})), 0o600); err != nil {
		t.Fatal(err)
	}
	env := Env{Now: func() time.Time { return now }, HTTPClient: NewHTTPClient}
	refused := runDoctor(t, env, "--cloud", "aws", "--token", token, "--online", spec)
	if !strings.Contains(refused, "is a loopback address, not a public address") || !strings.Contains(refused, "pass --allow-private-issuer") {
		t.Errorf("doctor --online against localhost:\n%s", refused)
	}
	allowed := runDoctor(t, env, "--cloud", "aws", "--token", token, "--online", "--allow-private-issuer", spec)
	if strings.Contains(allowed, "not a public address") || !strings.Contains(allowed, "FAIL  oidc-exp/aws  discovery:") {
		t.Errorf("doctor --online --allow-private-issuer against localhost (nothing listens there):\n%s", allowed)
	}
}
