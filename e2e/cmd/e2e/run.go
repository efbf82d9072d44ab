package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/cluster"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/front"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/iamroles"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/kubelet"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/trust"
)

// runScenario configures the clouds from the trust document, applies the
// (for refusals: altered) function output, and runs every check as the pod's
// container.
func (w *world) runScenario(ctx context.Context, s scenario, in *input) error {
	if s.admission != "" {
		return w.runAdmissionScenario(ctx, s, in)
	}
	if s.migration {
		return w.runMigration(ctx, s, in)
	}
	ensure := w.ensureCluster
	if s.selfHosted {
		ensure = w.ensureSelfHostedCluster
	}
	c, err := ensure(ctx, in.issuer)
	if err != nil {
		return err
	}
	if err := w.configureClouds(ctx, in, s.roleBuckets()); err != nil {
		return err
	}
	objects, err := deepCopy(in.objects)
	if err != nil {
		return err
	}
	podIndex := -1
	for i, obj := range objects {
		if obj["kind"] == "Pod" && obj["apiVersion"] == "v1" {
			podIndex = i
			break
		}
	}
	if podIndex < 0 {
		return errors.New("the rendered output has no Pod")
	}
	pod := objects[podIndex]
	var hook kubelet.TokenHook
	if s.negative != nil {
		change := &podChange{objects: objects, pod: pod, cluster: c}
		if err := s.negative.apply(change); err != nil {
			return err
		}
		objects, hook = change.objects, change.tokenHook
		w.logger.Printf("%s: %s; want a refusal from every cloud: %s", s.name, s.negative.changes, s.negative.refusal)
	}
	if err := w.prepareNamespaces(ctx, c, objects); err != nil {
		return err
	}
	manifests, err := joinYAML(objects)
	if err != nil {
		return err
	}
	dir := filepath.Join(w.o.work, "scenarios", strings.ReplaceAll(s.name, "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "applied.yaml"), manifests, 0o644); err != nil {
		return fmt.Errorf("keep the applied manifests: %w", err)
	}
	// A Pod cannot be changed: one of the same name that an earlier
	// scenario applied (another example on the same cluster) goes first.
	podOnly, err := joinYAML([]map[string]any{pod})
	if err != nil {
		return err
	}
	if err := c.Delete(ctx, podOnly); err != nil {
		return err
	}
	out, err := c.Apply(ctx, manifests)
	if err != nil {
		return err
	}
	w.logger.Printf("%s: applied:\n%s", s.name, out)
	k := &kubelet.Kubelet{Cluster: c, Dir: filepath.Join(dir, "kubelet"), TokenHook: hook}
	applied, err := k.GetPod(ctx, namespaceOf(pod), nameOf(pod))
	if err != nil {
		return err
	}
	run := w.runClients
	if len(s.containers) > 0 {
		run = w.runContainerChecks
	}
	problems, err := run(ctx, s, k, applied, dir)
	if err != nil {
		return err
	}
	if s.doctor != "" {
		if err := w.runDoctor(ctx, s, c, dir); err != nil {
			problems = append(problems, "doctor: "+err.Error())
		}
	}
	switch n := w.google.Impersonations(); {
	case s.impersonation == "yes" && n == 0:
		problems = append(problems, "GCP access did not impersonate a service account")
	case s.impersonation == "no" && n > 0:
		problems = append(problems, fmt.Sprintf("GCP access impersonated a service account %d times; direct resource access must not", n))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// runClients runs every check of the scenario's clouds as the pod's first
// container and returns what went wrong; an error is a broken harness.
func (w *world) runClients(ctx context.Context, s scenario, k *kubelet.Kubelet, applied *kubelet.Pod, dir string) ([]string, error) {
	plan, err := w.prepareContainer(ctx, k, applied, dir)
	if err != nil {
		return nil, err
	}
	return w.runChecks(ctx, s, plan, dir, s.negative != nil)
}

// prepareContainer does the kubelet's part for the pod's first container:
// its volumes (tokens from the TokenRequest API) and its environment.
func (w *world) prepareContainer(ctx context.Context, k *kubelet.Kubelet, applied *kubelet.Pod, dir string) (*kubelet.Plan, error) {
	plan, err := k.Prepare(ctx, applied, "", w.nodeEnv(filepath.Join(dir, "home")), w.hostsFile)
	if err != nil {
		return nil, fmt.Errorf("prepare container: %w", err)
	}
	return plan, nil
}

// runChecks runs every check of the scenario's clouds as the prepared
// container: each must succeed or, when refused is set, be refused by the
// cloud's server. It returns what went wrong; an error is a broken harness.
func (w *world) runChecks(ctx context.Context, s scenario, plan *kubelet.Plan, dir string, refused bool) ([]string, error) {
	// The container's HOME, which prepareContainer chose: emptied before
	// each client so that none reuses credentials an earlier one cached.
	home := ""
	for _, kv := range plan.Env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	if home == "" {
		return nil, errors.New("the prepared container has no HOME")
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var problems []string
	checks := checksByCloud
	if s.checks != nil {
		checks = s.checks
	}
	for _, cloud := range s.clouds {
		for _, ch := range checks[cloud] {
			if ch.denied != nil && s.negative != nil {
				continue
			}
			if !hasEnv(plan.Env, ch.envVar) {
				problems = append(problems, fmt.Sprintf("%s: the container has no %s: the function did not configure %s", ch.name, ch.envVar, cloud))
				continue
			}
			// Each client starts from an empty HOME: no cached credentials.
			if err := os.RemoveAll(home); err != nil {
				return nil, fmt.Errorf("empty HOME for %s: %w", ch.name, err)
			}
			if err := os.MkdirAll(home, 0o755); err != nil {
				return nil, err
			}
			argv := make([]string, len(ch.argv))
			for i, a := range ch.argv {
				argv[i] = strings.ReplaceAll(a, "{bin}", w.o.bin)
			}
			res, err := kubelet.Run(ctx, self, plan, argv, 3*time.Minute)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", ch.name, err))
				continue
			}
			transcript := fmt.Sprintf("$ %s\n(exit %d, %.1f s)\n--- stdout\n%s--- stderr\n%s", strings.Join(argv, " "), res.ExitCode, res.Duration.Seconds(), res.Stdout, res.Stderr)
			if err := os.WriteFile(filepath.Join(dir, ch.name+".txt"), []byte(transcript), 0o644); err != nil {
				return nil, fmt.Errorf("keep the transcript of %s: %w", ch.name, err)
			}
			w.logger.Printf("%s: %s", s.name, transcript)
			switch {
			// A refused token is refused at sign-in, before any grant
			// could deny a call: denied checks are refusals then.
			case !refused && ch.denied != nil && res.ExitCode == 0:
				problems = append(problems, fmt.Sprintf("%s: was NOT denied though no grant allows it: %s", ch.name, lastLines(res.Stdout, 2)))
			case !refused && ch.denied != nil && !ch.denied.MatchString(res.Stdout+res.Stderr):
				problems = append(problems, fmt.Sprintf("%s: failed, but not with the storage service's refusal (want %s): %s", ch.name, ch.denied, lastLines(res.Stdout+res.Stderr, 4)))
			case !refused && ch.denied != nil:
				w.logger.Printf("%s: %s denied as expected: %s", s.name, ch.name, lastLines(res.Stderr, 2))
			case !refused && (res.ExitCode != 0 || !strings.Contains(res.Stdout, ch.want)):
				problems = append(problems, fmt.Sprintf("%s: want %q in the output, got exit %d: %s", ch.name, ch.want, res.ExitCode, lastLines(res.Stdout+res.Stderr, 4)))
			case refused && res.ExitCode == 0:
				problems = append(problems, fmt.Sprintf("%s: was NOT refused: %s", ch.name, lastLines(res.Stdout, 2)))
			case refused && !ch.refusal.MatchString(res.Stdout+res.Stderr):
				problems = append(problems, fmt.Sprintf("%s: failed, but not with a refusal from the server (want %s): %s", ch.name, ch.refusal, lastLines(res.Stdout+res.Stderr, 4)))
			case refused:
				w.logger.Printf("%s: %s refused as expected: %s", s.name, ch.name, lastLines(res.Stderr, 2))
			}
		}
	}
	return problems, nil
}

// nodeEnv is the environment the node gives every container: its PATH, a
// HOME of the scenario's, and the node's trust store as each client reads it.
func (w *world) nodeEnv(home string) []string {
	return []string{
		"PATH=" + w.nodePath,
		"HOME=" + home,
		"SSL_CERT_FILE=" + w.caFile,
		"AWS_CA_BUNDLE=" + w.caFile,
		"CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE=" + w.caFile,
		"REQUESTS_CA_BUNDLE=" + w.caFile,
		"LANG=C.UTF-8",
	}
}

// configureClouds tells the clouds what the trust document says they trust,
// and MinIO what each role may do: the permissionsPolicy trust rendered from
// the spec's grants, never a hand-written one. roleBuckets are buckets the
// scenario's containers read besides the article's (by the role that may),
// which the world fills so that only the grants decide who reads them.
func (w *world) configureClouds(ctx context.Context, in *input, roleBuckets map[string]string) error {
	doc := in.trust
	w.awsAPI.Set(nil)
	if doc.AWS != nil {
		issuerNoScheme := strings.TrimPrefix(in.issuer, "https://")
		var provider *trust.AWSOIDCProvider
		for i := range doc.AWS.OIDCProviders {
			if ensureHTTPS(doc.AWS.OIDCProviders[i].URL) == in.issuer {
				provider = &doc.AWS.OIDCProviders[i]
			}
		}
		if provider == nil || len(provider.ClientIDList) == 0 {
			return errors.New("trust document: no AWS OIDC provider with a client ID for the cluster issuer")
		}
		s3, err := w.ensureMinio(ctx, in.issuer, provider.ClientIDList[0])
		if err != nil {
			return err
		}
		// Each trusted subject's session gets the permissions policies of
		// the roles that trust it (MinIO holds one policy per subject);
		// where one subject may assume several roles (per-container
		// identities), the iamroles gate narrows each call to its role's.
		rolesOf := map[string][]trust.AWSRole{}
		trustedBy := map[string][]string{}
		for _, role := range doc.AWS.Roles {
			if bucket, ok := roleBuckets[role.RoleARN]; ok {
				if err := s3.PutObject(ctx, bucket, objectKey, s3Content); err != nil {
					return err
				}
			}
			for _, st := range role.AssumeRolePolicy.Statement {
				federated, err := st.FederatedPrincipals()
				if err != nil {
					return fmt.Errorf("trust document: role %s: %w", role.RoleARN, err)
				}
				if st.Effect != "Allow" || (provider.ARN != "" && !slices.Contains(federated, provider.ARN)) {
					continue
				}
				for _, sub := range st.ConditionValues(issuerNoScheme+":sub", "StringEquals") {
					switch {
					case len(role.PermissionsPolicy) == 0:
						return fmt.Errorf("trust document: role %s trusts %s but has no permissionsPolicy: the S3 server enforces what trust renders from the grants; give the example's spec its grants", role.RoleARN, sub)
					case len(role.ManagedPolicyARNs) > 0:
						return fmt.Errorf("trust document: role %s attaches managed policies %v, which MinIO (a stand-in for IAM here) cannot resolve", role.RoleARN, role.ManagedPolicyARNs)
					}
					rolesOf[sub] = append(rolesOf[sub], role)
					trustedBy[role.RoleARN] = append(trustedBy[role.RoleARN], sub)
				}
			}
		}
		if len(rolesOf) == 0 {
			return errors.New("trust document: no AWS role trusts a subject of the cluster issuer (StringEquals <issuer>:sub)")
		}
		gate := map[string]bool{}
		for sub, roles := range rolesOf {
			policy, err := unionPolicy(roles)
			if err != nil {
				return err
			}
			if err := s3.SetSubjectPolicy(ctx, sub, policy); err != nil {
				return err
			}
			if len(roles) > 1 {
				for _, r := range roles {
					gate[r.RoleARN] = true
				}
			}
		}
		var gated []iamroles.Role
		for _, role := range doc.AWS.Roles {
			if gate[role.RoleARN] {
				gated = append(gated, iamroles.Role{ARN: role.RoleARN, Subjects: trustedBy[role.RoleARN], Policy: string(role.PermissionsPolicy)})
			}
		}
		target, err := url.Parse(s3.URL)
		if err != nil {
			return fmt.Errorf("MinIO URL: %w", err)
		}
		var api http.Handler = front.ReverseProxy(target, &tls.Config{RootCAs: w.ca.Pool()})
		if len(gated) > 0 {
			api = iamroles.New(api, gated, w.logger)
		}
		w.awsAPI.Set(api)
	}
	// The bucket grants are the resource bindings trust rendered.
	gcp := trust.GCP{}
	if doc.GCP != nil {
		gcp = *doc.GCP
	}
	w.google.Configure(gcp)
	var creds []trust.AzureFederatedCredential
	if doc.Azure != nil {
		creds = doc.Azure.FederatedIdentityCredentials
	}
	w.azure.Configure(creds)
	return nil
}

// prepareNamespaces creates the namespaces the objects live in and the
// kube-root-ca.crt ConfigMap a controller would publish in each.
func (w *world) prepareNamespaces(ctx context.Context, c *cluster.Cluster, objects []map[string]any) error {
	seen := map[string]bool{}
	var pre []map[string]any
	for _, obj := range objects {
		if !isNamespaced(obj) {
			continue
		}
		ns := namespaceOf(obj)
		if seen[ns] {
			continue
		}
		seen[ns] = true
		if ns != "default" {
			pre = append(pre, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}})
		}
		pre = append(pre, map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "kube-root-ca.crt", "namespace": ns},
			"data":     map[string]any{"ca.crt": string(w.ca.CertPEM)}})
	}
	data, err := joinYAML(pre)
	if err != nil {
		return err
	}
	if _, err := c.Apply(ctx, data); err != nil {
		return fmt.Errorf("prepare namespaces: %w", err)
	}
	return nil
}

var clusterScoped = map[string]bool{"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "PersistentVolume": true, "StorageClass": true, "PriorityClass": true,
	"MutatingAdmissionPolicy": true, "MutatingAdmissionPolicyBinding": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true}

func isNamespaced(obj map[string]any) bool {
	kind, _ := obj["kind"].(string)
	return !clusterScoped[kind]
}

func namespaceOf(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	if ns, _ := md["namespace"].(string); ns != "" {
		return ns
	}
	return "default"
}

func nameOf(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	return name
}

// deepCopy copies objects through their YAML form, so that a scenario's
// mutation never changes the rendered input another scenario reads.
func deepCopy(objects []map[string]any) ([]map[string]any, error) {
	data, err := joinYAML(objects)
	if err != nil {
		return nil, fmt.Errorf("copy the rendered objects: %w", err)
	}
	out, err := splitYAML(data)
	if err != nil {
		return nil, fmt.Errorf("copy the rendered objects: %w", err)
	}
	return out, nil
}

func hasEnv(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// unionPolicy is one IAM policy holding the statements of every role's
// permissions policy: what a subject trusted by all of them may do at most.
func unionPolicy(roles []trust.AWSRole) ([]byte, error) {
	if len(roles) == 1 {
		return roles[0].PermissionsPolicy, nil
	}
	var statements []json.RawMessage
	for _, r := range roles {
		var p struct {
			Statement []json.RawMessage `json:"Statement"`
		}
		if err := json.Unmarshal(r.PermissionsPolicy, &p); err != nil {
			return nil, fmt.Errorf("trust document: role %s: permissionsPolicy: %w", r.RoleARN, err)
		}
		statements = append(statements, p.Statement...)
	}
	return json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
}
