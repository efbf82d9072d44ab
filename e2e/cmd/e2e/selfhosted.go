package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/cluster"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/front"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/s3backend"
)

// bootstrapIssuer is the issuer a generic cluster starts with: reachable
// only inside the cluster, so no cloud can verify its tokens.
const bootstrapIssuer = "https://kubernetes.default.svc.cluster.local"

// selfHosted is a generic cluster whose issuer documents live in a
// public-read bucket of their own MinIO, as an operator would host them in
// S3. The bucket's MinIO is not the STS: that one reads the documents from
// the bucket URL like AWS would.
type selfHosted struct {
	cluster *cluster.Cluster
	// docs is the folder `issuer` wrote.
	docs string
	dir  string
}

// issuerBucket is where a self-hosted issuer's documents live: the issuer
// https://BUCKET.s3.REGION.amazonaws.com/PREFIX is s3://BUCKET/PREFIX.
type issuerBucket struct {
	host, bucket, region, prefix string
}

func parseIssuerBucket(issuer string) (issuerBucket, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return issuerBucket{}, fmt.Errorf("issuer %q: %w", issuer, err)
	}
	m := regexp.MustCompile(`^([a-z0-9.-]+)\.s3\.([a-z0-9-]+)\.amazonaws\.com$`).FindStringSubmatch(u.Hostname())
	if m == nil {
		return issuerBucket{}, fmt.Errorf("self-hosted issuer %q is not an S3 bucket URL (https://BUCKET.s3.REGION.amazonaws.com/PATH)", issuer)
	}
	return issuerBucket{host: u.Hostname(), bucket: m[1], region: m[2], prefix: strings.Trim(u.Path, "/")}, nil
}

// startIssuerBuckets starts a MinIO that holds a public-read bucket for each
// issuer's documents, and sends the buckets' host names to it.
func (w *world) startIssuerBuckets(ctx context.Context, name, dir string, issuers ...string) error {
	var domains []string
	for _, h := range w.front.Hosts() {
		if strings.HasPrefix(h, "s3.") && strings.HasSuffix(h, ".amazonaws.com") {
			domains = append(domains, h)
		}
	}
	host, err := s3backend.Start(ctx, s3backend.Options{
		Name: name, MinioPath: w.binary("minio"), Dir: dir, CA: w.ca,
		ServingCert: w.leaf, Domains: domains,
	})
	if err != nil {
		return err
	}
	target, err := url.Parse(host.URL)
	if err != nil {
		return fmt.Errorf("MinIO URL: %w", err)
	}
	for _, iss := range issuers {
		b, err := parseIssuerBucket(iss)
		if err != nil {
			return err
		}
		if err := host.MakePublicBucket(ctx, b.bucket); err != nil {
			return err
		}
		w.front.Handle(b.host, "/", front.ReverseProxy(target, &tls.Config{RootCAs: w.ca.Pool()}))
	}
	return nil
}

// ensureSelfHostedCluster starts (once) the cluster whose issuer is
// in.issuer, published the way docs/self-hosted-issuer.md says: the cluster
// starts with its in-cluster issuer; `cross-cloud-access issuer` turns its
// JWKS into the two documents; the real `aws s3 cp` uploads them into a
// public-read bucket; the apiserver restarts with the flags `issuer` printed.
func (w *world) ensureSelfHostedCluster(ctx context.Context, issuer string) (*cluster.Cluster, error) {
	if w.selfHosted != nil && w.selfHosted.cluster.Issuer == issuer {
		return w.selfHosted.cluster, nil
	}
	sh := &selfHosted{dir: filepath.Join(w.o.work, "self-hosted")}
	sh.docs = filepath.Join(sh.dir, "issuer-docs")
	if err := w.startIssuerBuckets(ctx, "issuer-bucket", filepath.Join(sh.dir, "issuer-bucket"), issuer); err != nil {
		return nil, err
	}
	c, err := cluster.Start(ctx, cluster.Options{
		Name: "selfhosted", Issuer: bootstrapIssuer, APIServerPath: w.binary("kube-apiserver"), KubectlPath: w.binary("kubectl"),
		EtcdURL: w.etcdURL, Dir: filepath.Join(w.o.work, "clusters", "selfhosted"), CA: w.ca,
	})
	if err != nil {
		return nil, err
	}
	sh.cluster = c
	flags, err := w.publishIssuer(ctx, c, sh.dir, sh.docs, issuer, bootstrapIssuer)
	if err != nil {
		return nil, err
	}
	if err := c.Restart(ctx, flags); err != nil {
		return nil, err
	}
	if c.Issuer != issuer {
		return nil, fmt.Errorf("after restart the cluster's issuer is %s, want %s", c.Issuer, issuer)
	}
	w.selfHosted = sh
	w.clusters[issuer] = c
	w.logger.Printf("self-hosted cluster (issuer %s, documents in %s) at %s; flags %v", issuer, sh.docs, c.URL, flags)
	return c, nil
}

// publishIssuer does what docs/self-hosted-issuer.md tells an operator to:
// reads the cluster's JWKS, runs `cross-cloud-access issuer` for issuer (with
// previous, when set, as --previous-issuer) into docs, and uploads both
// documents into the issuer's bucket with the real aws CLI. It returns the
// kube-apiserver flags `issuer` printed.
func (w *world) publishIssuer(ctx context.Context, c *cluster.Cluster, dir, docs, issuer, previous string) ([]string, error) {
	var jwks json.RawMessage
	if err := c.Get(ctx, "/openid/v1/jwks", &jwks); err != nil {
		return nil, fmt.Errorf("the cluster's JWKS: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	jwksFile := filepath.Join(dir, "cluster-jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o644); err != nil {
		return nil, err
	}
	args := []string{"issuer", "--issuer", issuer, "--jwks", jwksFile, "--out", docs}
	want := 2 // issuer, jwks-uri
	if previous != "" {
		args = append(args, "--previous-issuer", previous)
		want++
	}
	printed, err := w.function(ctx, nil, args...)
	if err != nil {
		return nil, err
	}
	_ = os.WriteFile(filepath.Join(dir, "issuer-output.txt"), printed, 0o644)
	var flags []string
	for _, line := range strings.Split(string(printed), "\n") {
		if strings.HasPrefix(line, "--service-account-") {
			flags = append(flags, line)
		}
	}
	if len(flags) != want {
		return nil, fmt.Errorf("cross-cloud-access issuer printed %d kube-apiserver flags, want %d:\n%s", len(flags), want, printed)
	}
	for _, doc := range []string{".well-known/openid-configuration", "openid/v1/jwks"} {
		if err := w.upload(ctx, dir, filepath.Join(docs, doc), issuer, doc); err != nil {
			return nil, err
		}
	}
	return flags, nil
}

// upload copies a document to its place below the issuer with the real aws
// CLI, as an operator would, with the bucket owner's credentials.
func (w *world) upload(ctx context.Context, dir, file, issuer, doc string) error {
	b, err := parseIssuerBucket(issuer)
	if err != nil {
		return err
	}
	home := filepath.Join(dir, "aws-home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	config := filepath.Join(home, "config")
	if err := os.WriteFile(config, []byte("[default]\nregion = "+b.region+"\ns3 =\n    addressing_style = virtual\n"), 0o644); err != nil {
		return err
	}
	dest := "s3://" + b.bucket + "/" + strings.TrimPrefix(b.prefix+"/"+doc, "/")
	cmd := exec.CommandContext(ctx, "aws", "s3", "cp", file, dest, "--content-type", "application/json")
	cmd.Env = append([]string{"PATH=" + w.nodePath, "HOME=" + home, "AWS_CONFIG_FILE=" + config,
		"AWS_CA_BUNDLE=" + w.caFile, "AWS_EC2_METADATA_DISABLED=true", "LANG=C.UTF-8"}, s3backend.RootEnv()...)
	out, err := cmd.CombinedOutput()
	w.logger.Printf("$ aws s3 cp %s %s\n%s", file, dest, out)
	if err != nil {
		return fmt.Errorf("aws s3 cp %s %s: %w: %s", filepath.Base(file), dest, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// function runs bin/cross-cloud-access with args and returns its stdout.
func (w *world) function(ctx context.Context, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, w.o.function, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("cross-cloud-access %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// doctorLine is one check line of `cross-cloud-access doctor`.
var doctorLine = regexp.MustCompile(`(?m)^(ok|FAIL|skip)\s+(\S+)\s+([a-z-]+):`)

// runDoctor runs `cross-cloud-access doctor --online` against the
// self-hosted setup. "pass" must pass every check; each other case breaks
// one thing and doctor must fail naming exactly that check.
func (w *world) runDoctor(ctx context.Context, s scenario, c *cluster.Cluster, dir string) error {
	spec := filepath.Join(w.o.repo, "examples", s.example, "cross-cloud-access.yaml")
	trustFile := filepath.Join(renderDir(w.o.work, s.example), "trust.json")
	env := []string{"KUBECONFIG=" + c.Kubeconfig, "SSL_CERT_FILE=" + w.caFile}
	kubectl := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, w.binary("kubectl"), append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
		}
		return string(out), nil
	}
	tokenFile := filepath.Join(dir, "token")
	// The world's hosts resolve to loopback addresses, which doctor
	// refuses to fetch from unless told: a lab cluster's issuer.
	args := []string{"doctor", "--online", "--allow-private-issuer", "--cloud", "aws", "--trust", trustFile}
	want := ""
	switch s.doctor {
	case "pass":
		args = append(args, "--kubectl")
	case "wrong-audience":
		token, err := kubectl("create", "token", "oidc-exp-service-account", "--namespace=default", "--audience="+wrongAudience)
		if err != nil {
			return err
		}
		if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
			return err
		}
		args, want = append(args, "--token", tokenFile), "audience"
	case "wrong-subject":
		if _, err := c.Apply(ctx, []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: "+otherServiceAccount+", namespace: default}\n")); err != nil {
			return err
		}
		token, err := kubectl("create", "token", otherServiceAccount, "--namespace=default", "--audience=sts.amazonaws.com")
		if err != nil {
			return err
		}
		if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
			return err
		}
		args, want = append(args, "--token", tokenFile), "subject"
	case "wrong-jwks":
		restore, err := w.publishForeignJWKS(ctx)
		if err != nil {
			return err
		}
		defer func() {
			if err := restore(); err != nil {
				w.logger.Printf("restore the published JWKS: %v", err)
			}
		}()
		args, want = append(args, "--kubectl"), "signature"
	default:
		return fmt.Errorf("unknown doctor case %q", s.doctor)
	}
	args = append(args, spec)
	cmd := exec.CommandContext(ctx, w.o.function, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	transcript := fmt.Sprintf("$ cross-cloud-access %s\n(error: %v)\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), runErr, stdout.String(), stderr.String())
	_ = os.WriteFile(filepath.Join(dir, "doctor.txt"), []byte(transcript), 0o644)
	w.logger.Printf("%s: %s", s.name, transcript)
	var failed []string
	checks := 0
	for _, m := range doctorLine.FindAllStringSubmatch(stdout.String(), -1) {
		checks++
		if m[1] == "FAIL" {
			failed = append(failed, m[3])
		}
	}
	var exitErr *exec.ExitError
	switch {
	case checks == 0:
		return fmt.Errorf("doctor printed no check: %v: %s", runErr, lastLines(stdout.String()+stderr.String(), 4))
	case want == "" && runErr != nil:
		return fmt.Errorf("doctor failed checks %v (%v): %s", failed, runErr, lastLines(stdout.String(), 6))
	case want == "":
		return nil
	case !errors.As(runErr, &exitErr) || exitErr.ExitCode() != 1:
		return fmt.Errorf("doctor with a %s: want exit 1, got %v", s.doctor, runErr)
	case len(failed) != 1 || failed[0] != want:
		return fmt.Errorf("doctor with a %s: want exactly the %s check to fail, failed %v: %s", s.doctor, want, failed, lastLines(stdout.String(), 6))
	}
	return nil
}

// publishForeignJWKS publishes, through `issuer` and `aws s3 cp`, a JWKS
// whose key has the cluster key's kid but is another key, as when a bucket
// holds a stale or wrong cluster's keys. The returned func publishes the
// right JWKS again.
func (w *world) publishForeignJWKS(ctx context.Context) (func() error, error) {
	sh := w.selfHosted
	if sh == nil {
		return nil, errors.New("no self-hosted cluster")
	}
	var published struct {
		Keys []map[string]any `json:"keys"`
	}
	data, err := os.ReadFile(filepath.Join(sh.docs, "openid/v1/jwks"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &published); err != nil || len(published.Keys) == 0 {
		return nil, fmt.Errorf("published JWKS: %v", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	foreign := map[string]any{"keys": []map[string]any{{
		"use": "sig", "kty": "RSA", "kid": published.Keys[0]["kid"], "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
	}}}
	data, err = json.Marshal(foreign)
	if err != nil {
		return nil, err
	}
	foreignFile := filepath.Join(sh.dir, "foreign-jwks.json")
	if err := os.WriteFile(foreignFile, data, 0o644); err != nil {
		return nil, err
	}
	foreignDocs := filepath.Join(sh.dir, "foreign-docs")
	if _, err := w.function(ctx, nil, "issuer", "--issuer", sh.cluster.Issuer, "--jwks", foreignFile, "--out", foreignDocs); err != nil {
		return nil, err
	}
	if err := w.upload(ctx, sh.dir, filepath.Join(foreignDocs, "openid/v1/jwks"), sh.cluster.Issuer, "openid/v1/jwks"); err != nil {
		return nil, err
	}
	return func() error {
		return w.upload(context.Background(), sh.dir, filepath.Join(sh.docs, "openid/v1/jwks"), sh.cluster.Issuer, "openid/v1/jwks")
	}, nil
}
