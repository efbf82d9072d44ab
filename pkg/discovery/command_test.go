package discovery

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/internal/nofollow"
)

// runIssuer runs the command with a valid key set, writing into out.
func runIssuer(t *testing.T, out string) error {
	t.Helper()
	jwks, err := os.ReadFile(filepath.Join("testdata", "s3-bucket", "jwks.json"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := Command()
	cmd.SetIn(bytes.NewReader(jwks))
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs([]string{"--issuer", "https://issuer.example.com", "--out", out})
	return cmd.Execute()
}

// Links planted in --out (a shared folder, a checkout) never redirect the
// documents: not at the temporary name beside a document, not as a folder
// on the way, not at a document's own name.
func TestIssuerNeverWritesThroughALinkInOut(t *testing.T) {
	for _, c := range []struct {
		name, link, target string
		wantErr            bool
	}{
		{"the old temporary name", ".well-known/openid-configuration.tmp", "../../victim/precious.txt", false},
		{"the folder .well-known", ".well-known", "../victim", true},
		{"the document itself", "openid/v1/jwks", "../../../victim/precious.txt", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			work := t.TempDir()
			victim := filepath.Join(work, "victim", "precious.txt")
			if err := os.MkdirAll(filepath.Dir(victim), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(work, "out")
			link := filepath.Join(out, filepath.FromSlash(c.link))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(c.target, link); err != nil {
				t.Fatal(err)
			}
			err := runIssuer(t, out)
			if c.wantErr != (err != nil) || (err != nil && !errors.Is(err, nofollow.ErrLink)) {
				t.Errorf("issuer = %v; want an ErrLink error: %v", err, c.wantErr)
			}
			if data, err := os.ReadFile(victim); err != nil || string(data) != "precious\n" {
				t.Errorf("the file a link points at was overwritten: %q, %v", data, err)
			}
			if entries, err := os.ReadDir(filepath.Dir(victim)); err != nil || len(entries) != 1 {
				t.Errorf("a file was written beside the one a link points at: %v, %v", entries, err)
			}
			if c.wantErr {
				return
			}
			for _, doc := range []string{DiscoveryPath, JWKSPath} {
				info, err := os.Lstat(filepath.Join(out, filepath.FromSlash(doc)))
				if err != nil || !info.Mode().IsRegular() || info.Mode().Perm() != 0o644 {
					t.Errorf("%s is not a 0644 regular file: %v, %v", doc, info, err)
				}
			}
			if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
				t.Errorf("the planted link was not left alone: %v, %v", info, err)
			}
		})
	}
}
