package doctor

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// withoutSystemRoots marks the child process of
// TestOnlineTrustsPublicCAsWithoutASystemStore.
const withoutSystemRoots = "CROSS_CLOUD_ACCESS_TEST_WITHOUT_SYSTEM_ROOTS"

// The container image holds the binary alone, no /etc/ssl/certs: `doctor
// --online` must still trust the public CAs an issuer's host uses. The check
// runs in a child process whose system store is an empty folder (crypto/x509
// loads the system roots once per process): a public root (ISRG Root X1, as
// Debian's ca-certificates ships it) does not verify before the online
// checks run and verifies after.
func TestOnlineTrustsPublicCAsWithoutASystemStore(t *testing.T) {
	if os.Getenv(withoutSystemRoots) == "" {
		empty := t.TempDir()
		child := exec.Command(os.Args[0], "-test.run=^TestOnlineTrustsPublicCAsWithoutASystemStore$", "-test.count=1")
		child.Env = append(os.Environ(), withoutSystemRoots+"=1",
			"SSL_CERT_FILE="+filepath.Join(empty, "none.pem"), "SSL_CERT_DIR="+empty)
		if out, err := child.CombinedOutput(); err != nil {
			t.Fatalf("the child without a system store: %v\n%s", err, out)
		}
		return
	}
	data, err := os.ReadFile(filepath.Join("testdata", "roots", "isrg-root-x1.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("testdata/roots/isrg-root-x1.pem holds no PEM block")
	}
	root, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.Verify(x509.VerifyOptions{}); err == nil {
		t.Fatal("a public root verified before the online checks ran: this process has a system store, so the test shows nothing")
	}

	k := newKeys(t)
	token := filepath.Join(t.TempDir(), "token")
	iat, exp := int64(-600), int64(3000)
	raw := k.sign(t, tokenSpec{Iss: "https://oidc-exp-issuer.s3.eu-west-2.amazonaws.com/cluster-1",
		Sub: "system:serviceaccount:default:oidc-exp-service-account", Aud: []string{"sts.amazonaws.com"}, Iat: &iat, Exp: &exp, Kid: "key-1"})
	if err := os.WriteFile(token, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	// No network here: every dial fails, the discovery check with it.
	offline := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no network in this test")
	}}
	env := Env{Now: func() time.Time { return now }, HTTPClient: func(bool) *http.Client { return &http.Client{Transport: offline} }}
	cmd := NewCommand(env)
	cmd.SilenceErrors = true
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"--cloud", "aws", "--token", token, "--online", filepath.Join("testdata", "specs", "self-hosted.yaml")})
	if err := cmd.Execute(); !errors.Is(err, ErrChecksFailed) {
		t.Fatalf("doctor --online offline: %v, want the discovery check to fail\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "no network in this test") {
		t.Fatalf("the online checks did not try to fetch:\n%s", out.String())
	}
	if _, err := root.Verify(x509.VerifyOptions{}); err != nil {
		t.Errorf("after the online checks a public root does not verify without a system store: %v", err)
	}
}
