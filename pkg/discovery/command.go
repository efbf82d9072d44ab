package discovery

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crosscloud-dev/cross-cloud-access/internal/nofollow"
)

// HostRequirement is what one cloud asks of the server that publishes an
// issuer's documents, as its documentation states it.
type HostRequirement struct {
	Cloud string
	Lines []string
}

// HostRequirements are the clouds' documented demands on an issuer's host,
// in the order the issuer command prints them. Every cloud fetches both
// documents itself, from the public internet, at the moment it verifies a
// token.
var HostRequirements = []HostRequirement{
	{Cloud: "aws", Lines: []string{
		"HTTPS with a certificate from a publicly trusted CA; for an issuer hosted in an S3 bucket IAM trusts its own CA library and ignores thumbprints",
		"issuer URL without a port and without a query (IAM CreateOpenIDConnectProvider)",
		"both documents publicly readable, answering within 5 seconds (else InvalidIdentityToken: Couldn't retrieve verification key from your identity provider)",
	}},
	{Cloud: "gcp", Lines: []string{
		"HTTPS, publicly reachable; the discovery document at ISSUER/" + DiscoveryPath + " per OpenID Connect Discovery 1.0 section 4",
		"tokens signed with RS256 and a kid header; exp less than 48 hours after iat (Google STS)",
		"a JWKS that cannot be public can be uploaded to the provider instead (gcloud ... providers create-oidc --jwk-json-path)",
	}},
	{Cloud: "azure", Lines: []string{
		"HTTPS, publicly reachable discovery document and jwks_uri (Entra ID fetches both when it validates the federated credential's token)",
		"the federated identity credential's issuer must equal the token's iss character for character, trailing slash included",
	}},
}

// servingRules hold for every cloud: what a host must do so that the fetch
// the cloud makes is the one the documents were written for.
var servingRules = []string{
	"serve each document at exactly its URL with status 200: no redirect, no login page",
	"Content-Type application/json",
	"in a key rotation, keep the old key in the JWKS until every token it signed has expired",
}

// knownClouds are the values of --cloud.
var knownClouds = func() []string {
	var names []string
	for _, h := range HostRequirements {
		names = append(names, h.Cloud)
	}
	return names
}()

// Command is `cross-cloud-access issuer`: it writes the documents that make a
// cluster's service account issuer public and prints how to start
// kube-apiserver so its tokens name that issuer.
func Command() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "issuer --issuer URL --out DIR [--jwks FILE] [--previous-issuer URL] [--cloud aws,gcp,azure]",
		Short: "Write the OIDC discovery documents that make a cluster a public token issuer",
		Long: `Reads the cluster's public keys (kubectl get --raw /openid/v1/jwks; --jwks FILE,
default stdin) and writes, under --out, the two documents to publish at the
public issuer URL (an S3 or GCS bucket, any static HTTPS host):

  DIR/` + DiscoveryPath + `   ->  URL/` + DiscoveryPath + `
  DIR/` + JWKSPath + `                     ->  URL/` + JWKSPath + `

Then prints the kube-apiserver flags that make tokens carry that issuer
(--previous-issuer keeps the old one accepted during a rotation) and what
each cloud requires of the host.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&o.issuer, "issuer", "", "public issuer URL the documents will be hosted at (https, no query)")
	cmd.Flags().StringVar(&o.previous, "previous-issuer", "", "issuer the cluster uses now, kept accepted while its tokens expire")
	cmd.Flags().StringVar(&o.jwks, "jwks", "-", `file with the cluster's JWKS ("-" is stdin)`)
	cmd.Flags().StringVar(&o.out, "out", "", "folder to write the documents into (created if missing)")
	cmd.Flags().StringSliceVar(&o.clouds, "cloud", knownClouds, "clouds whose host requirements are printed: "+strings.Join(knownClouds, ", "))
	return cmd
}

type options struct {
	issuer, previous, jwks, out string
	clouds                      []string
}

// ErrInvalidFlag is wrapped by every error about a flag's value.
var ErrInvalidFlag = errors.New("invalid flag")

func (o *options) check() error {
	if o.issuer == "" {
		return fmt.Errorf("%w: --issuer is required: the public https URL the documents will be hosted at", ErrInvalidFlag)
	}
	if err := CheckIssuer(o.issuer); err != nil {
		return fmt.Errorf("--issuer: %w", err)
	}
	if o.previous != "" {
		if err := CheckIssuer(o.previous); err != nil {
			return fmt.Errorf("--previous-issuer: %w", err)
		}
		if o.previous == o.issuer {
			return fmt.Errorf("%w: --previous-issuer equals --issuer; give the issuer the cluster uses today, or leave it out", ErrInvalidFlag)
		}
	}
	if err := checkPath("--out", o.out); err != nil {
		return err
	}
	if o.jwks != "-" {
		if err := checkPath("--jwks", o.jwks); err != nil {
			return err
		}
	}
	for _, c := range o.clouds {
		if !slices.Contains(knownClouds, c) {
			return fmt.Errorf("%w: --cloud %s is not known; want one or more of %s", ErrInvalidFlag, QuoteValue(c), strings.Join(knownClouds, ", "))
		}
	}
	return nil
}

// checkPath refuses a path that would be misread where it is printed: empty,
// not printable, or starting with "-" (a command would take it for a flag).
func checkPath(flag, path string) error {
	switch {
	case path == "":
		return fmt.Errorf("%w: %s is required", ErrInvalidFlag, flag)
	case strings.HasPrefix(path, "-"):
		return fmt.Errorf("%w: %s %s starts with \"-\"; write ./%s", ErrInvalidFlag, flag, QuoteValue(path), path)
	}
	if err := CheckText(path); err != nil {
		return fmt.Errorf("%w: %s %s %w", ErrInvalidFlag, flag, QuoteValue(path), err)
	}
	return nil
}

func (o *options) run(stdin io.Reader, stdout io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	data, err := readLimited(stdin, o.jwks)
	if err != nil {
		return err
	}
	set, err := ParseJWKS(data)
	if err != nil {
		return fmt.Errorf("--jwks %s: %w", displayName(o.jwks), err)
	}
	files, err := Documents(o.issuer, set)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	o.report(&out, files, KeyIDs(set))
	if err := writeFiles(o.out, files); err != nil {
		return err
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func displayName(file string) string {
	if file == "-" {
		return "<stdin>"
	}
	return QuoteValue(file)
}

func readLimited(stdin io.Reader, file string) ([]byte, error) {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--jwks: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("--jwks %s: %w", displayName(file), err)
	}
	return data, nil
}

// writeFiles writes every document below dir (created if missing) through
// a temporary file beside it, and renames them only when all were written,
// so a failure leaves no document half-written. No symbolic link below dir
// is followed: each temporary file is created exclusively under a random
// name (a planted openid-configuration.tmp link cannot catch the write), and
// a link in the folders below dir or at a document's own name is refused
// (a linked .well-known would send the documents elsewhere). The documents
// are public: they are written 0644.
func writeFiles(dir string, files []File) error {
	var temps []string
	defer func() {
		for _, t := range temps {
			_ = os.Remove(t)
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	for _, f := range files {
		rel := filepath.FromSlash(f.Path)
		if err := nofollow.MkdirAll(dir, filepath.Dir(rel), 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		path := filepath.Join(dir, rel)
		if err := nofollow.NotALink(path); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		tmp, err := nofollow.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		temps = append(temps, tmp.Name())
		_, err = tmp.Write(f.Data)
		if err == nil {
			err = tmp.Chmod(0o644)
		}
		if closeErr := tmp.Close(); err == nil {
			err = closeErr
		}
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	for i, f := range files {
		if err := os.Rename(temps[i], filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	temps = nil
	return nil
}

// report prints where each document goes, the kube-apiserver flags and the
// hosts' requirements. Every value in it has passed CheckIssuer or CheckText,
// or is quoted.
func (o *options) report(w io.Writer, files []File, kids []string) {
	fmt.Fprintln(w, "# Publish each document at exactly its URL (same bytes, status 200):")
	for _, f := range files {
		fmt.Fprintf(w, "#   %s -> %s\n", filepath.Join(o.out, filepath.FromSlash(f.Path)), URL(o.issuer, f.Path))
	}
	quoted := make([]string, len(kids))
	for i, k := range kids {
		quoted[i] = QuoteValue(k)
	}
	fmt.Fprintf(w, "# Key IDs: %s\n", strings.Join(quoted, ", "))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "# kube-apiserver flags: tokens then carry this issuer and point at the published keys.")
	if o.previous != "" {
		fmt.Fprintln(w, "# Rotation: the first --service-account-issuer signs new tokens, the second stays accepted;")
		fmt.Fprintln(w, "# drop it once every token issued under it has expired.")
	}
	fmt.Fprintf(w, "--service-account-issuer=%s\n", o.issuer)
	if o.previous != "" {
		fmt.Fprintf(w, "--service-account-issuer=%s\n", o.previous)
	}
	fmt.Fprintf(w, "--service-account-jwks-uri=%s\n", URL(o.issuer, JWKSPath))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "# What the host must do, for every cloud:")
	for _, line := range servingRules {
		fmt.Fprintf(w, "#   %s\n", line)
	}
	for _, h := range HostRequirements {
		if !slices.Contains(o.clouds, h.Cloud) {
			continue
		}
		fmt.Fprintf(w, "# %s:\n", h.Cloud)
		for _, line := range h.Lines {
			fmt.Fprintf(w, "#   %s\n", line)
		}
	}
}
