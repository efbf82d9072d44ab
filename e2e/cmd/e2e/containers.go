package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/kubelet"
)

// exportsBucket is the bucket only the exporter's role may read.
const exportsBucket = "reports-exports-bucket"

// containerIdentity is one container of a per-container scenario: the role
// the function must have given it and the bucket that role may read (its
// permissions: the harness writes them into MinIO). It must list its own
// bucket and be refused every other container's.
type containerIdentity struct {
	name, role, reads string
}

// containerScenarios give two containers of one pod two AWS roles
// (spec.containers), trusted for the same subject.
var containerScenarios = []scenario{
	{name: "per-container-identities", example: "per-container-identities", containers: []containerIdentity{
		{name: "app", role: "arn:aws:iam::111122223333:role/reports_app", reads: s3Bucket},
		{name: "exporter", role: "arn:aws:iam::111122223333:role/reports_exporter", reads: exportsBucket},
	}},
}

// roleBuckets are the buckets the scenario's roles may read, by role ARN;
// nil when every role may read the article's bucket.
func (s scenario) roleBuckets() map[string]string {
	if len(s.containers) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, c := range s.containers {
		out[c.role] = c.reads
	}
	return out
}

// s3Refusal is S3 refusing credentials that STS gave: a refusal by the
// role's permissions, not by the trust.
var s3Refusal = regexp.MustCompile(`An error occurred \(AccessDenied\) when calling the ListObjectsV2 operation`)

// runContainerChecks runs the aws CLI as each container of the scenario:
// with the role the function gave it, it lists its own bucket and is refused
// the buckets only the other containers' roles may read.
func (w *world) runContainerChecks(ctx context.Context, s scenario, k *kubelet.Kubelet, applied *kubelet.Pod, dir string) ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, c := range s.containers {
		home := filepath.Join(dir, c.name, "home")
		plan, err := k.Prepare(ctx, applied, c.name, w.nodeEnv(home), w.hostsFile)
		if err != nil {
			return nil, fmt.Errorf("prepare container %s: %w", c.name, err)
		}
		if got := envValue(plan.Env, "AWS_ROLE_ARN"); got != c.role {
			problems = append(problems, fmt.Sprintf("%s: AWS_ROLE_ARN is %q, want %q: the function did not give the container its own role", c.name, got, c.role))
			continue
		}
		for _, other := range s.containers {
			if other.reads == c.reads && other.name != c.name {
				continue
			}
			argv := []string{"aws", "s3", "ls", "s3://" + other.reads}
			if err := os.RemoveAll(home); err != nil {
				return nil, fmt.Errorf("empty HOME for %s: %w", c.name, err)
			}
			if err := os.MkdirAll(home, 0o755); err != nil {
				return nil, err
			}
			res, err := kubelet.Run(ctx, self, plan, argv, 3*time.Minute)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", c.name, err))
				continue
			}
			transcript := fmt.Sprintf("$ %s\n(exit %d, %.1f s)\n--- stdout\n%s--- stderr\n%s", strings.Join(argv, " "), res.ExitCode, res.Duration.Seconds(), res.Stdout, res.Stderr)
			if err := os.WriteFile(filepath.Join(dir, c.name, "aws-s3-ls-"+other.reads+".txt"), []byte(transcript), 0o644); err != nil {
				return nil, fmt.Errorf("keep the transcript of %s: %w", c.name, err)
			}
			w.logger.Printf("%s: container %s: %s", s.name, c.name, transcript)
			own := other.reads == c.reads
			switch {
			case own && (res.ExitCode != 0 || !strings.Contains(res.Stdout, objectKey)):
				problems = append(problems, fmt.Sprintf("%s (role %s): want %q listed in its own bucket %s, got exit %d: %s", c.name, c.role, objectKey, c.reads, res.ExitCode, lastLines(res.Stdout+res.Stderr, 4)))
			case !own && res.ExitCode == 0:
				problems = append(problems, fmt.Sprintf("%s (role %s): listed %s, which only %s's role may read: %s", c.name, c.role, other.reads, other.name, lastLines(res.Stdout, 2)))
			case !own && !s3Refusal.MatchString(res.Stderr):
				problems = append(problems, fmt.Sprintf("%s (role %s): failed on %s, but not with S3's AccessDenied for its role (want %s): %s", c.name, c.role, other.reads, s3Refusal, lastLines(res.Stdout+res.Stderr, 4)))
			case !own:
				w.logger.Printf("%s: %s refused %s as expected", s.name, c.name, other.reads)
			}
		}
	}
	return problems, nil
}

// envValue is the value of name in env ("NAME=VALUE" entries), "" when
// absent.
func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}
