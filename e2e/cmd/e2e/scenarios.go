package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/trust"
)

// The data the clouds hold, as in the article the project follows, and
// what no grant of the examples reaches: another bucket in each cloud, and
// (for the prefix example) keys outside reports/.
const (
	s3Bucket        = "oidc-exp-s3-bucket"
	gcsBucket       = "oidc-exp-gcs-bucket"
	objectKey       = "test.txt"
	s3Content       = "Hello, from S3!"
	gcsContent      = "Hello, from GCS!"
	s3OtherBucket   = "oidc-exp-other-s3-bucket"
	gcsOtherBucket  = "oidc-exp-other-gcs-bucket"
	prefixedKey     = "reports/summary.txt"
	prefixedContent = "Hello, from under reports/!"
)

// scenario is one end-to-end case.
type scenario struct {
	// name is printed in the result line.
	name string
	// example is the folder under examples/ (and testdata/) that is rendered.
	example string
	// clouds the pod must reach (positive) or be refused by (negative).
	clouds []string
	// negative is the mutation that makes the pod illegitimate, or nil.
	negative *mutation
	// impersonation says whether GCP access must go through service account
	// impersonation ("yes"), must not ("no"), or either ("").
	impersonation string
	// selfHosted runs the example on a generic cluster whose issuer
	// documents `cross-cloud-access issuer` wrote into a public bucket.
	selfHosted bool
	// doctor, when set, runs `cross-cloud-access doctor --online` after the
	// clients: "pass", or the one thing made wrong ("wrong-audience",
	// "wrong-subject", "wrong-jwks"), whose check alone must fail.
	doctor string
	// admission, when set, applies the output (admission policies, no Pod)
	// and creates Pods through the API: admissionWired, admissionConflict
	// or admissionOtherSA (admission.go).
	admission string
	// containers, when set, are the pod's containers with their own AWS
	// roles, each checked as that container (containers.go).
	containers []containerIdentity
	// migration moves the cluster from the example's previous issuer to its
	// issuer, as docs/issuer-migration.md tells (migration.go).
	migration bool
	// checks, when set, replace checksByCloud for this scenario's clouds.
	checks map[string][]check
}

// allClouds are the clouds of the all-clouds example.
var allClouds = []string{"aws", "gcp", "azure"}

// scenarios are the positive cases, then one refusal per row of refusals,
// then the self-hosted issuer and its doctor cases, then Pods created at
// runtime under the admission policies, then containers with identities of
// their own, then the issuer migration.
var scenarios = append([]scenario{
	{name: "gke-to-aws", example: "gke-to-aws", clouds: []string{"aws"}},
	{name: "eks-to-gcp", example: "eks-to-gcp", clouds: []string{"gcp"}, impersonation: "yes"},
	{name: "gke-to-gcp-oidc", example: "gke-to-gcp-oidc", clouds: []string{"gcp"}, impersonation: "yes"},
	{name: "eks-to-aws-projected", example: "eks-to-aws-projected", clouds: []string{"aws"}},
	{name: "gcp-direct-access", example: "gcp-direct-access", clouds: []string{"gcp"}, impersonation: "no"},
	{name: "all-clouds", example: "all-clouds", clouds: allClouds},
	{name: "aws-s3-prefix", example: "aws-s3-prefix", clouds: []string{"aws"}, checks: map[string][]check{"aws": prefixChecks}},
}, append(refusalScenarios(), append(selfHostedScenarios, append(admissionScenarios, append(containerScenarios, migrationScenarios...)...)...)...)...)

// selfHostedScenarios run on a generic cluster whose issuer is published by
// `cross-cloud-access issuer`; doctor checks the setup, then each broken one.
var selfHostedScenarios = []scenario{
	{name: "self-hosted-issuer", example: "self-hosted-issuer", clouds: []string{"aws"}, selfHosted: true, doctor: "pass"},
	{name: "self-hosted-issuer/doctor-wrong-audience", example: "self-hosted-issuer", selfHosted: true, doctor: "wrong-audience"},
	{name: "self-hosted-issuer/doctor-wrong-subject", example: "self-hosted-issuer", selfHosted: true, doctor: "wrong-subject"},
	{name: "self-hosted-issuer/doctor-wrong-jwks", example: "self-hosted-issuer", selfHosted: true, doctor: "wrong-jwks"},
}

// check is one client command run as the container.
type check struct {
	// name labels the check in logs.
	name string
	// envVar must be in the container's environment for the check to apply:
	// it shows the function configured that cloud.
	envVar string
	// argv is the command; "{bin}" is replaced by the helper binary dir.
	argv []string
	// want must appear in the output of a successful run.
	want string
	// refusal must match the output of a refused run: it shows the refusal
	// came from the cloud's server, not from a broken setup.
	refusal *regexp.Regexp
	// denied, when set, makes this a call the grants do not allow: in a
	// positive scenario the command must fail with this, the storage
	// service's own refusal once the sign-in succeeded. Negative scenarios
	// skip it (their sign-in already fails).
	denied *regexp.Regexp
}

// s3Denied matches the aws CLI's report of an S3 AccessDenied for one
// operation, as MinIO answers a call the session's policy does not allow.
func s3Denied(operation string) *regexp.Regexp {
	return regexp.MustCompile(`An error occurred \(AccessDenied\) when calling the ` + operation + ` operation`)
}

// awsSignInRefusal matches STS refusing the web identity.
var awsSignInRefusal = regexp.MustCompile(`An error occurred \((InvalidParameterValue|AccessDenied|ExpiredToken\w*|InvalidIdentityToken)\) when calling the AssumeRoleWithWebIdentity operation`)

// prefixChecks hold the prefix example to its grant: the keys under
// reports/ are listed and read, the rest of the bucket neither.
var prefixChecks = []check{
	{name: "aws-cli-prefix-ls", envVar: "AWS_ROLE_ARN", argv: []string{"aws", "s3", "ls", "s3://" + s3Bucket + "/reports/"}, want: "summary.txt", refusal: awsSignInRefusal},
	{name: "aws-cli-prefix-read", envVar: "AWS_ROLE_ARN", argv: []string{"aws", "s3", "cp", "s3://" + s3Bucket + "/" + prefixedKey, "-"}, want: prefixedContent, refusal: awsSignInRefusal},
	{name: "aws-cli-read-outside-prefix", envVar: "AWS_ROLE_ARN", argv: []string{"aws", "s3api", "get-object", "--bucket", s3Bucket, "--key", objectKey, "/dev/null"}, denied: s3Denied("GetObject")},
	{name: "aws-cli-ls-outside-prefix", envVar: "AWS_ROLE_ARN", argv: []string{"aws", "s3", "ls", "s3://" + s3Bucket}, denied: s3Denied("ListObjectsV2")},
}

// googleRefusal matches an error from Google STS, IAM Credentials or Storage.
var googleRefusal = regexp.MustCompile(`invalid_grant|unauthorized_client|PERMISSION_DENIED|"code": ?403`)

var checksByCloud = map[string][]check{
	"aws": {
		{name: "aws-cli", envVar: "AWS_ROLE_ARN", argv: []string{"aws", "s3", "ls", "s3://" + s3Bucket}, want: objectKey, refusal: awsSignInRefusal},
		{name: "aws-cli-read", envVar: "AWS_ROLE_ARN", argv: []string{"aws", "s3", "cp", "s3://" + s3Bucket + "/" + objectKey, "-"}, want: s3Content, refusal: awsSignInRefusal},
		// The article's grant is read on one bucket: another bucket and
		// writing are refused by the S3 server.
		{name: "aws-cli-other-bucket", envVar: "AWS_ROLE_ARN", argv: []string{"aws", "s3", "ls", "s3://" + s3OtherBucket}, denied: s3Denied("ListObjectsV2"), refusal: awsSignInRefusal},
		{name: "aws-cli-write", envVar: "AWS_ROLE_ARN", argv: []string{"aws", "s3api", "put-object", "--bucket", s3Bucket, "--key", "written-by-the-pod.txt", "--body", "/etc/hosts"}, denied: s3Denied("PutObject"), refusal: awsSignInRefusal},
	},
	"gcp": {
		{name: "gcloud", envVar: "GOOGLE_APPLICATION_CREDENTIALS", argv: []string{"gcloud", "storage", "ls", "gs://" + gcsBucket}, want: "gs://" + gcsBucket + "/" + objectKey,
			refusal: googleRefusal},
		{name: "go-oauth2-google", envVar: "GOOGLE_APPLICATION_CREDENTIALS", argv: []string{"{bin}/gcs-read", "gs://" + gcsBucket + "/" + objectKey}, want: gcsContent,
			refusal: googleRefusal},
		// objectViewer on one bucket: another is refused by the storage
		// service (the stand-in's IAM check over the rendered bindings).
		{name: "gcloud-other-bucket", envVar: "GOOGLE_APPLICATION_CREDENTIALS", argv: []string{"gcloud", "storage", "ls", "gs://" + gcsOtherBucket},
			denied: regexp.MustCompile(`does not have permission to access b instance \[` + gcsOtherBucket + `\].*storage\.objects\.list`), refusal: googleRefusal},
	},
	"azure": {
		{name: "go-azidentity", envVar: "AZURE_CLIENT_ID", argv: []string{"{bin}/azure-token"}, want: "azure: token",
			refusal: regexp.MustCompile(`AADSTS\d+`)},
	},
}

// selected returns the scenarios to run.
func selected(filter *regexp.Regexp) []scenario {
	var out []scenario
	for _, s := range scenarios {
		if filter == nil || filter.MatchString(s.name) {
			out = append(out, s)
		}
	}
	return out
}

// renderDir is where an example's rendered manifests and trust document go.
func renderDir(work, example string) string {
	return filepath.Join(work, "render", example)
}

// renderAll renders every example the selected scenarios need: the
// function's output through kustomize and the trust document from the
// function's trust command (or the hand-written testdata).
func renderAll(o options, filter *regexp.Regexp) error {
	done := map[string]bool{}
	for _, s := range selected(filter) {
		if done[s.example] {
			continue
		}
		done[s.example] = true
		dir := renderDir(o.work, s.example)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		var manifests, trustJSON []byte
		var err error
		if manifests, err = kustomizeBuild(o, s.example); err != nil {
			// Keep going: the scenario fails with this message.
			manifests = nil
			if err := keepFailure(dir, "render-error.txt", err); err != nil {
				return err
			}
		}
		switch o.trust {
		case "function":
			if trustJSON, err = trustDocument(o, s.example); err != nil {
				trustJSON = nil
				if err := keepFailure(dir, "trust-error.txt", err); err != nil {
					return err
				}
			}
		case "testdata":
			fallback := filepath.Join(filepath.Dir(o.bin), "testdata", s.example, "trust.json")
			if trustJSON, err = os.ReadFile(fallback); err != nil {
				return fmt.Errorf("hand-written trust document for %s: %w", s.example, err)
			}
		default:
			return fmt.Errorf("-trust %q: want function or testdata", o.trust)
		}
		if manifests != nil {
			if err := os.WriteFile(filepath.Join(dir, "manifests.yaml"), manifests, 0o644); err != nil {
				return err
			}
		}
		if trustJSON != nil {
			if err := os.WriteFile(filepath.Join(dir, "trust.json"), trustJSON, 0o644); err != nil {
				return err
			}
		}
		if s.migration {
			after, err := trustAfterMigration(o, s.example)
			if err != nil {
				if err := keepFailure(dir, "trust-error.txt", err); err != nil {
					return err
				}
			} else if err := os.WriteFile(filepath.Join(dir, trustAfterFile), after, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// keepFailure writes failure to dir/name, where loadInput finds it inside
// the namespace and fails the example's scenarios with it.
func keepFailure(dir, name string, failure error) error {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(failure.Error()), 0o644); err != nil {
		return fmt.Errorf("keep %q: %w", failure, err)
	}
	return nil
}

// keptFailure returns the failure keepFailure wrote to dir/name, or nil
// when there is none.
func keptFailure(dir, name string) error {
	msg, err := os.ReadFile(filepath.Join(dir, name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	return errors.New(string(msg))
}

func kustomizeBuild(o options, example string) ([]byte, error) {
	cmd := exec.Command("go", "tool", "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", filepath.Join("examples", example))
	cmd.Dir = o.repo
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kustomize build examples/%s: %w: %s", example, err, strings.TrimSpace(stderr.String()))
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, fmt.Errorf("kustomize build examples/%s printed nothing", example)
	}
	return out, nil
}

// trustDocument runs `cross-cloud-access trust --format json` on every
// CrossCloudAccess file of the example.
func trustDocument(o options, example string) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(o.repo, "examples", example, "*.yaml"))
	if err != nil {
		return nil, err
	}
	var specs []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if regexp.MustCompile(`(?m)^kind:\s*CrossCloudAccess\s*$`).Match(data) {
			specs = append(specs, f)
		}
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("examples/%s has no CrossCloudAccess file", example)
	}
	return runTrust(o, specs...)
}

// runTrust runs `cross-cloud-access trust --format json` on spec files.
func runTrust(o options, specs ...string) ([]byte, error) {
	cmd := exec.Command(o.function, append([]string{"trust", "--format", "json"}, specs...)...)
	cmd.Dir = o.repo
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s trust --format json: %w: %s", filepath.Base(o.function), err, strings.TrimSpace(stderr.String()))
	}
	if _, err := trust.Parse(out); err != nil {
		return nil, err
	}
	return out, nil
}

// input is a rendered example, read back inside the namespace.
type input struct {
	objects []map[string]any
	trust   *trust.Document
	// issuer is the cluster's; issuers are every one the trust names (a
	// migration's previous issuers too).
	issuer  string
	issuers []string
	// trustAfter is the trust once a migration is over, or nil.
	trustAfter *trust.Document
}

// loadInput reads a rendered example.
func loadInput(work, example string) (*input, error) {
	dir := renderDir(work, example)
	if err := keptFailure(dir, "render-error.txt"); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if err := keptFailure(dir, "trust-error.txt"); err != nil {
		return nil, fmt.Errorf("trust document: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifests.yaml"))
	if err != nil {
		return nil, err
	}
	objects, err := splitYAML(data)
	if err != nil {
		return nil, err
	}
	doc, err := trust.Load(filepath.Join(dir, "trust.json"))
	if err != nil {
		return nil, err
	}
	in := &input{objects: objects, trust: doc, issuers: trustedIssuers(doc)}
	// A migration's trust names two issuers; the cluster's is the one left
	// once it is over.
	current := doc
	if _, err := os.Stat(filepath.Join(dir, trustAfterFile)); err == nil {
		if in.trustAfter, err = trust.Load(filepath.Join(dir, trustAfterFile)); err != nil {
			return nil, err
		}
		current = in.trustAfter
	}
	if in.issuer, err = clusterIssuer(current); err != nil {
		return nil, err
	}
	return in, nil
}

// clusterIssuer returns the one issuer every cloud in the document trusts:
// the cluster the example is deployed to.
func clusterIssuer(doc *trust.Document) (string, error) {
	issuers := trustedIssuers(doc)
	if len(issuers) != 1 {
		return "", fmt.Errorf("trust document should name exactly one cluster issuer, names %v", issuers)
	}
	return issuers[0], nil
}

// trustedIssuers returns every issuer some cloud in the document trusts,
// sorted.
func trustedIssuers(doc *trust.Document) []string {
	issuers := map[string]bool{}
	if doc.AWS != nil {
		for _, p := range doc.AWS.OIDCProviders {
			issuers[ensureHTTPS(p.URL)] = true
		}
	}
	if doc.GCP != nil {
		for _, pool := range doc.GCP.WorkloadIdentityPools {
			for _, p := range pool.Providers {
				issuers[p.IssuerURI] = true
			}
		}
	}
	if doc.Azure != nil {
		for _, c := range doc.Azure.FederatedIdentityCredentials {
			issuers[c.Issuer] = true
		}
	}
	var list []string
	for i := range issuers {
		list = append(list, i)
	}
	sort.Strings(list)
	return list
}

func ensureHTTPS(u string) string {
	if strings.HasPrefix(u, "https://") {
		return u
	}
	return "https://" + u
}

// splitYAML decodes a multi-document YAML stream into objects.
func splitYAML(data []byte) ([]map[string]any, error) {
	var out []map[string]any
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, fmt.Errorf("decode manifest: %w", err)
		}
		if obj != nil {
			out = append(out, obj)
		}
	}
	return out, nil
}

// joinYAML encodes objects as a YAML stream (each document in JSON form).
func joinYAML(objects []map[string]any) ([]byte, error) {
	var b bytes.Buffer
	for _, obj := range objects {
		data, err := json.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("encode manifest: %w", err)
		}
		b.WriteString("---\n")
		b.Write(data)
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}
