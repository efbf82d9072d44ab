// Package cluster runs a real Kubernetes control plane for the e2e suite:
// etcd and one kube-apiserver per cluster issuer, all on 127.0.0.1. Each
// apiserver signs service account tokens for an issuer URL shaped like an EKS
// or GKE issuer and serves OIDC discovery to anonymous clients, as those
// managed clusters do. Objects are applied with kubectl's server-side apply
// so Kubernetes' own validation and admission check every one of them.
package cluster

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/pki"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/process"
)

// StartEtcd starts etcd with its data in dir and returns its client URL.
func StartEtcd(ctx context.Context, etcdPath, dir string) (string, error) {
	clientPort, err := process.FreePort()
	if err != nil {
		return "", err
	}
	peerPort, err := process.FreePort()
	if err != nil {
		return "", err
	}
	clientURL := "http://" + process.Addr(clientPort)
	peerURL := "http://" + process.Addr(peerPort)
	p, err := process.Start("etcd", filepath.Join(dir, "etcd.log"), nil, etcdPath,
		"--name=e2e",
		"--data-dir="+filepath.Join(dir, "etcd-data"),
		"--listen-client-urls="+clientURL, "--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL,
		"--quota-backend-bytes=1073741824",
	)
	if err != nil {
		return "", err
	}
	if err := p.WaitHTTP(ctx, clientURL+"/health", nil, 30*time.Second); err != nil {
		return "", fmt.Errorf("etcd: %w (log: %s)", err, filepath.Join(dir, "etcd.log"))
	}
	return clientURL, nil
}

// Cluster is one running kube-apiserver.
type Cluster struct {
	// Name is a short label used in file names and logs.
	Name string
	// Issuer is the service account issuer URL.
	Issuer string
	// URL is the apiserver's https://127.0.0.1:PORT address.
	URL string
	// SigningKey signs the cluster's service account tokens.
	SigningKey *rsa.PrivateKey
	// Kubeconfig is a kubeconfig file with admin access.
	Kubeconfig string

	dir        string
	adminToken string
	client     *http.Client
	kubectl    string

	// How the apiserver runs, so Restart can run it again with other
	// issuer flags, the same keys, port and etcd prefix.
	apiserver string
	args      []string
	logPath   string
	ca        *pki.CA
	proc      *process.Process
}

// launch starts the apiserver with c.args and waits until it serves.
func (c *Cluster) launch(ctx context.Context) error {
	p, err := process.Start("kube-apiserver-"+c.Name, c.logPath, nil, c.apiserver, c.args...)
	if err != nil {
		return err
	}
	// Its graceful shutdown takes many seconds and nothing of it is kept.
	p.KillOnStop = true
	c.proc = p
	if err := p.WaitHTTP(ctx, c.URL+"/readyz", &tls.Config{RootCAs: c.ca.Pool()}, 90*time.Second); err != nil {
		return fmt.Errorf("kube-apiserver %s: %w (log: %s)", c.Name, err, c.logPath)
	}
	if err := c.waitReady(ctx); err != nil {
		return fmt.Errorf("kube-apiserver %s: %w (log: %s)", c.Name, err, c.logPath)
	}
	return nil
}

// Restart stops the apiserver and starts it again with issuerFlags in place
// of its --service-account-issuer and --service-account-jwks-uri flags (as
// an operator changes a cluster's issuer). Keys, port and data stay; the
// first --service-account-issuer becomes the cluster's Issuer.
func (c *Cluster) Restart(ctx context.Context, issuerFlags []string) error {
	var args []string
	for _, a := range c.args {
		if !strings.HasPrefix(a, "--service-account-issuer=") && !strings.HasPrefix(a, "--service-account-jwks-uri=") {
			args = append(args, a)
		}
	}
	issuer := ""
	for _, f := range issuerFlags {
		if v, ok := strings.CutPrefix(f, "--service-account-issuer="); ok && issuer == "" {
			issuer = v
		}
	}
	if issuer == "" {
		return fmt.Errorf("restart %s: no --service-account-issuer among %v", c.Name, issuerFlags)
	}
	c.proc.Stop()
	c.args = append(args, issuerFlags...)
	c.Issuer = issuer
	c.logPath = strings.TrimSuffix(c.logPath, ".log") + "-restarted.log"
	return c.launch(ctx)
}

// Options says how to start a cluster.
type Options struct {
	Name          string
	Issuer        string
	APIServerPath string
	KubectlPath   string
	EtcdURL       string
	Dir           string
	CA            *pki.CA
}

// Start starts a kube-apiserver and waits until it is ready, then lets
// anonymous clients read its OIDC discovery document and keys.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cluster dir: %w", err)
	}
	key, err := pki.NewServiceAccountKey(filepath.Join(o.Dir, "sa.key"), filepath.Join(o.Dir, "sa.pub"))
	if err != nil {
		return nil, err
	}
	leaf, err := o.CA.Issue("localhost", "kubernetes.default.svc")
	if err != nil {
		return nil, err
	}
	certFile, keyFile := filepath.Join(o.Dir, "apiserver.crt"), filepath.Join(o.Dir, "apiserver.key")
	if err := leaf.WriteFiles(certFile, keyFile); err != nil {
		return nil, err
	}
	caFile := filepath.Join(o.Dir, "ca.crt")
	if err := os.WriteFile(caFile, o.CA.CertPEM, 0o644); err != nil {
		return nil, fmt.Errorf("write CA: %w", err)
	}
	adminToken := fmt.Sprintf("admin-%d", time.Now().UnixNano())
	tokenFile := filepath.Join(o.Dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(adminToken+",admin,admin,system:masters\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write token file: %w", err)
	}
	port, err := process.FreePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(o.Dir, "kube-apiserver.log")
	args := []string{
		"--etcd-servers=" + o.EtcdURL,
		"--etcd-prefix=/" + o.Name,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--tls-cert-file=" + certFile, "--tls-private-key-file=" + keyFile,
		"--client-ca-file=" + caFile,
		"--token-auth-file=" + tokenFile,
		"--authorization-mode=RBAC",
		"--anonymous-auth=true",
		"--service-account-issuer=" + o.Issuer,
		"--service-account-jwks-uri=" + strings.TrimSuffix(o.Issuer, "/") + "/openid/v1/jwks",
		"--service-account-key-file=" + filepath.Join(o.Dir, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(o.Dir, "sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--cert-dir=" + filepath.Join(o.Dir, "certs"),
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	}
	c := &Cluster{
		Name: o.Name, Issuer: o.Issuer, URL: "https://" + process.Addr(port), SigningKey: key,
		dir: o.Dir, adminToken: adminToken, kubectl: o.KubectlPath,
		client:    &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: o.CA.Pool()}}},
		apiserver: o.APIServerPath, args: args, logPath: logPath, ca: o.CA,
	}
	if err := c.launch(ctx); err != nil {
		return nil, err
	}
	c.Kubeconfig = filepath.Join(o.Dir, "kubeconfig")
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster: {server: %[2]q, certificate-authority: %[3]q}
users:
- name: admin
  user: {token: %[4]q}
contexts:
- name: %[1]s
  context: {cluster: %[1]s, user: admin}
current-context: %[1]s
`, o.Name, c.URL, caFile, adminToken)
	if err := os.WriteFile(c.Kubeconfig, []byte(kubeconfig), 0o600); err != nil {
		return nil, fmt.Errorf("write kubeconfig: %w", err)
	}
	// GKE and EKS serve discovery to everyone; a plain apiserver only to
	// service accounts. Bind the bootstrap role to unauthenticated users.
	if _, err := c.Apply(ctx, []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: service-account-issuer-discovery-anonymous
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:service-account-issuer-discovery
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: system:unauthenticated
`)); err != nil {
		return nil, err
	}
	return c, nil
}

// waitReady waits until the apiserver serves the default namespace, which
// the bootstrap controllers create shortly after /readyz turns green.
func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		var out map[string]any
		err := c.Get(ctx, "/api/v1/namespaces/default", &out)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("default namespace not served: %w", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// Apply server-side applies YAML documents with kubectl and returns its output.
func (c *Cluster) Apply(ctx context.Context, manifests []byte) (string, error) {
	cmd := exec.CommandContext(ctx, c.kubectl, "--kubeconfig", c.Kubeconfig, "apply", "--server-side",
		"--field-manager=cross-cloud-access-e2e", "--force-conflicts", "-f", "-")
	cmd.Stdin = bytes.NewReader(manifests)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl apply --server-side on %s: %w: %s", c.Name, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Create creates objects with kubectl create, as an operator or kubectl
// run would (no apply bookkeeping), and returns them as the apiserver stored
// them, after admission, as a kubectl list in JSON. With dryRun the
// apiserver runs admission and stores nothing.
func (c *Cluster) Create(ctx context.Context, manifests []byte, dryRun bool) ([]byte, error) {
	args := []string{"--kubeconfig", c.Kubeconfig, "create", "-o", "json", "-f", "-"}
	if dryRun {
		args = append(args, "--dry-run=server")
	}
	cmd := exec.CommandContext(ctx, c.kubectl, args...)
	cmd.Stdin = bytes.NewReader(manifests)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("kubectl create on %s: %w: %s", c.Name, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Delete deletes the objects of the given YAML documents (ignoring missing ones).
func (c *Cluster) Delete(ctx context.Context, manifests []byte) error {
	cmd := exec.CommandContext(ctx, c.kubectl, "--kubeconfig", c.Kubeconfig, "delete", "--ignore-not-found", "--wait=false", "-f", "-")
	cmd.Stdin = bytes.NewReader(manifests)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubectl delete on %s: %w: %s", c.Name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ErrNotFound is wrapped in the error of Get or Post when the apiserver
// answers that the object does not exist (its message is that status).
var ErrNotFound = errors.New("404 Not Found")

// Get reads an API path as admin and decodes its JSON.
func (c *Cluster) Get(ctx context.Context, path string, into any) error {
	return c.do(ctx, http.MethodGet, path, nil, into)
}

// Post sends body as JSON to an API path as admin and decodes the answer.
func (c *Cluster) Post(ctx context.Context, path string, body, into any) error {
	return c.do(ctx, http.MethodPost, path, body, into)
}

func (c *Cluster) do(ctx context.Context, method, path string, body, into any) error {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	data, err := io.ReadAll(resp.Body)
	if err = errors.Join(err, resp.Body.Close()); err != nil {
		return fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%s %s: %w: %s", method, path, ErrNotFound, strings.TrimSpace(string(data)))
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if into != nil {
		if err := json.Unmarshal(data, into); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// TokenRequest asks the TokenRequest API for a token of a service account
// bound to a pod, as the kubelet does for a projected serviceAccountToken.
func (c *Cluster) TokenRequest(ctx context.Context, namespace, serviceAccount, audience string, expirationSeconds int64, podName, podUID string) (string, error) {
	spec := map[string]any{
		"boundObjectRef": map[string]any{"kind": "Pod", "apiVersion": "v1", "name": podName, "uid": podUID},
	}
	if audience != "" {
		spec["audiences"] = []string{audience}
	}
	if expirationSeconds > 0 {
		spec["expirationSeconds"] = expirationSeconds
	}
	var out struct {
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	path := fmt.Sprintf("/api/v1/namespaces/%s/serviceaccounts/%s/token", namespace, serviceAccount)
	if err := c.Post(ctx, path, map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}, &out); err != nil {
		return "", fmt.Errorf("token request for %s/%s: %w", namespace, serviceAccount, err)
	}
	return out.Status.Token, nil
}

// DiscoveryHandler serves the cluster's OIDC discovery document and JWKS as
// an anonymous client sees them, for the issuer URL's host and path. What
// it cannot relay once the answer has begun goes to logger.
func (c *Cluster) DiscoveryHandler(prefix string, logger *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, prefix)
		if r.Method != http.MethodGet || (path != "/.well-known/openid-configuration" && path != "/openid/v1/jwks") {
			http.NotFound(w, r)
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, c.URL+path, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp, err := c.client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		if _, err := io.Copy(w, resp.Body); err != nil {
			logger.Printf("cluster %s: relay %s: %v", c.Name, path, err)
		}
		if err := resp.Body.Close(); err != nil {
			logger.Printf("cluster %s: close the answer to %s: %v", c.Name, path, err)
		}
	})
}
