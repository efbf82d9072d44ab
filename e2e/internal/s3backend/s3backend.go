// Package s3backend runs MinIO as the AWS side of the e2e suite: a real S3
// server and a real STS AssumeRoleWithWebIdentity endpoint that verifies
// web identity tokens against a cluster's OIDC discovery document. MinIO
// accepts one claim-based OpenID provider per server, so the suite runs one
// MinIO per cluster issuer that AWS trusts. The trust policy's subject
// condition becomes a MinIO policy named after that subject
// (MINIO_IDENTITY_OPENID_CLAIM_NAME=sub): a token whose sub has no policy
// gets no credentials. Its permissions are the role's permissions policy
// as `trust` rendered it from the spec's grants. The audience is MinIO's
// OpenID client ID.
package s3backend

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/pki"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/process"
)

// Options says how to start one MinIO.
type Options struct {
	// Name labels files and logs.
	Name string
	// MinioPath is the minio binary.
	MinioPath string
	// Dir holds data, certificates and the log.
	Dir string
	// CA is the test CA: MinIO trusts it and serves a certificate from it.
	CA *pki.CA
	// ServingCert is the certificate MinIO serves (all AWS host names).
	ServingCert *pki.Leaf
	// Issuer is the OIDC issuer URL whose discovery document MinIO reads;
	// empty for a MinIO that only stores objects (a self-hosted issuer's
	// bucket).
	Issuer string
	// ClientID is the audience MinIO requires.
	ClientID string
	// Domains are the S3 domains for virtual-host-style requests.
	Domains []string
}

// Server is a running MinIO.
type Server struct {
	// URL is https://127.0.0.1:PORT.
	URL   string
	admin *madmin.AdminClient
	s3    *minio.Client
	// readers are the subjects SetReaders let read, by bucket.
	readers map[string]map[string]bool
}

const (
	rootUser     = "e2e-root"
	rootPassword = "e2e-root-password-not-secret"
)

// Start starts MinIO and waits until it is ready.
func Start(ctx context.Context, o Options) (*Server, error) {
	certs := filepath.Join(o.Dir, "certs")
	if err := o.ServingCert.WriteFiles(filepath.Join(certs, "public.crt"), filepath.Join(certs, "private.key")); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(certs, "CAs"), 0o755); err != nil {
		return nil, fmt.Errorf("create MinIO CA dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(certs, "CAs", "e2e-ca.crt"), o.CA.CertPEM, 0o644); err != nil {
		return nil, fmt.Errorf("write MinIO CA: %w", err)
	}
	port, err := process.FreePort()
	if err != nil {
		return nil, err
	}
	consolePort, err := process.FreePort()
	if err != nil {
		return nil, err
	}
	domains := ""
	for i, d := range o.Domains {
		if i > 0 {
			domains += ","
		}
		domains += d
	}
	env := []string{
		"MINIO_ROOT_USER=" + rootUser,
		"MINIO_ROOT_PASSWORD=" + rootPassword,
		"MINIO_DOMAIN=" + domains,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off",
	}
	if o.Issuer != "" {
		env = append(env,
			"MINIO_IDENTITY_OPENID_CONFIG_URL="+strings.TrimSuffix(o.Issuer, "/")+"/.well-known/openid-configuration",
			"MINIO_IDENTITY_OPENID_CLIENT_ID="+o.ClientID,
			"MINIO_IDENTITY_OPENID_CLAIM_NAME=sub")
	}
	logPath := filepath.Join(o.Dir, "minio.log")
	p, err := process.Start("minio-"+o.Name, logPath, env, o.MinioPath, "server",
		"--address", process.Addr(port), "--console-address", process.Addr(consolePort),
		"--certs-dir", certs, "--quiet", filepath.Join(o.Dir, "data"))
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "https://" + process.Addr(port)}
	tlsConfig := &tls.Config{RootCAs: o.CA.Pool()}
	if err := p.WaitHTTP(ctx, s.URL+"/minio/health/ready", tlsConfig, 60*time.Second); err != nil {
		return nil, fmt.Errorf("minio: %w (log: %s)", err, logPath)
	}
	transport := &http.Transport{TLSClientConfig: tlsConfig}
	s.s3, err = minio.New(process.Addr(port), &minio.Options{
		Creds: credentials.NewStaticV4(rootUser, rootPassword, ""), Secure: true, Transport: transport,
	})
	if err != nil {
		return nil, fmt.Errorf("minio client: %w", err)
	}
	s.admin, err = madmin.NewWithOptions(process.Addr(port), &madmin.Options{
		Creds: credentials.NewStaticV4(rootUser, rootPassword, ""), Secure: true, Transport: transport,
	})
	if err != nil {
		return nil, fmt.Errorf("minio admin client: %w", err)
	}
	// Ready for health checks is not yet ready for S3 and IAM calls.
	if err := retry(ctx, 60*time.Second, func() error {
		if _, err := s.s3.ListBuckets(ctx); err != nil {
			return err
		}
		_, err := s.admin.ListCannedPolicies(ctx)
		return err
	}); err != nil {
		return nil, fmt.Errorf("minio not serving S3 and IAM calls: %w (log: %s)", err, logPath)
	}
	return s, nil
}

// retry calls f until it succeeds or timeout passes.
func retry(ctx context.Context, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// PutObject creates bucket if needed and stores content at key.
func (s *Server) PutObject(ctx context.Context, bucket, key, content string) error {
	exists, err := s.s3.BucketExists(ctx, bucket)
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", bucket, err)
	}
	if !exists {
		if err := s.s3.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucket, err)
		}
	}
	if _, err := s.s3.PutObject(ctx, bucket, key, bytes.NewReader([]byte(content)), int64(len(content)), minio.PutObjectOptions{ContentType: "text/plain"}); err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// AllowSubjectToRead lets tokens whose sub claim is subject read the
// buckets (the permissions of the roles the trust policy lets that subject
// assume).
func (s *Server) AllowSubjectToRead(ctx context.Context, subject string, buckets ...string) error {
	if err := s.admin.AddCannedPolicy(ctx, subject, []byte(ReadPolicy(buckets...))); err != nil {
		return fmt.Errorf("add MinIO policy for subject %s: %w", subject, err)
	}
	return nil
}

// ReadPolicy is an IAM policy that lets its holder list and read the
// buckets.
func ReadPolicy(buckets ...string) string {
	var resources []string
	for _, b := range buckets {
		resources = append(resources, fmt.Sprintf(`"arn:aws:s3:::%[1]s", "arn:aws:s3:::%[1]s/*"`, b))
	}
	return fmt.Sprintf(`{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"],
    "Resource": [%s]
  }]
}`, strings.Join(resources, ", "))
}

// SetReaders lets exactly subjects read bucket, as a role trust policy that
// now trusts exactly them: subjects it let read before and that are not in
// the list lose their policy, so MinIO's STS refuses their tokens again.
func (s *Server) SetReaders(ctx context.Context, subjects []string, bucket string) error {
	if s.readers == nil {
		s.readers = map[string]map[string]bool{}
	}
	want := map[string]bool{}
	for _, sub := range subjects {
		want[sub] = true
		if err := s.AllowSubjectToRead(ctx, sub, bucket); err != nil {
			return err
		}
	}
	for sub := range s.readers[bucket] {
		if want[sub] {
			continue
		}
		if err := s.admin.RemoveCannedPolicy(ctx, sub); err != nil {
			return fmt.Errorf("remove MinIO policy for subject %s: %w", sub, err)
		}
	}
	s.readers[bucket] = want
	return nil
}

// SetSubjectPolicy makes policy (an IAM policy document) the permissions of
// tokens whose sub claim is subject: what the roles the trust policy lets that
// subject assume may do. MinIO enforces it on every S3 call of the session.
func (s *Server) SetSubjectPolicy(ctx context.Context, subject string, policy []byte) error {
	if err := s.admin.AddCannedPolicy(ctx, subject, policy); err != nil {
		return fmt.Errorf("add MinIO policy for subject %s: %w", subject, err)
	}
	return nil
}

// RootEnv is the environment that gives the aws CLI MinIO's root
// credentials, as an operator's own credentials would be for their bucket.
func RootEnv() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + rootUser, "AWS_SECRET_ACCESS_KEY=" + rootPassword}
}

// MakePublicBucket creates bucket and lets anyone read its objects, as a
// bucket that hosts an issuer's discovery documents must.
func (s *Server) MakePublicBucket(ctx context.Context, bucket string) error {
	if err := s.s3.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	policy := fmt.Sprintf(`{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": ["*"]},
    "Action": ["s3:GetObject"],
    "Resource": ["arn:aws:s3:::%s/*"]
  }]
}`, bucket)
	if err := s.s3.SetBucketPolicy(ctx, bucket, policy); err != nil {
		return fmt.Errorf("make bucket %s public-read: %w", bucket, err)
	}
	return nil
}
