package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/azureemu"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/cluster"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/front"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/googleemu"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/pki"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/process"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/s3backend"
)

// world is everything running for one e2e run.
type world struct {
	o      options
	logger *log.Logger

	ca        *pki.CA
	caFile    string
	leaf      *pki.Leaf
	hostsFile string
	front     *front.Front
	etcdURL   string

	google *googleemu.Emulator
	azure  *azureemu.Emulator
	awsAPI *front.Switch

	clusters map[string]*cluster.Cluster  // by issuer
	minios   map[string]*s3backend.Server // by issuer + client ID
	nodePath string
	// selfHosted is the generic cluster whose issuer is published in a
	// bucket, once a scenario needs it.
	selfHosted *selfHosted
}

// loopbackUp brings up the loopback interface of the new network namespace.
func loopbackUp() (err error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer func() {
		if closeErr := unix.Close(fd); closeErr != nil {
			err = errors.Join(err, fmt.Errorf("close socket: %w", closeErr))
		}
	}()
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	return nil
}

// cloudHosts lists every host name the run serves: the clusters' issuer
// hosts and the cloud APIs the clients call.
func cloudHosts(inputs map[string]*input) []string {
	set := map[string]bool{
		"sts.amazonaws.com": true, "s3.amazonaws.com": true, s3Bucket + ".s3.amazonaws.com": true, s3OtherBucket + ".s3.amazonaws.com": true,
		"sts.googleapis.com": true, "iamcredentials.googleapis.com": true, "storage.googleapis.com": true,
		"oauth2.googleapis.com": true, "login.microsoftonline.com": true,
	}
	regions := map[string]bool{"us-east-1": true, "eu-west-2": true}
	for _, in := range inputs {
		for _, iss := range in.issuers {
			if u, err := url.Parse(iss); err == nil {
				set[u.Hostname()] = true
			}
		}
		for _, obj := range in.objects {
			for _, r := range envValues(obj, "AWS_REGION", "AWS_DEFAULT_REGION") {
				regions[r] = true
			}
			for _, a := range envValues(obj, "AZURE_AUTHORITY_HOST") {
				if u, err := url.Parse(a); err == nil && u.Hostname() != "" {
					set[u.Hostname()] = true
				}
			}
		}
	}
	set[exportsBucket+".s3.amazonaws.com"] = true
	for r := range regions {
		set["sts."+r+".amazonaws.com"] = true
		set["s3."+r+".amazonaws.com"] = true
		set[s3Bucket+".s3."+r+".amazonaws.com"] = true
		set[exportsBucket+".s3."+r+".amazonaws.com"] = true
		set[s3OtherBucket+".s3."+r+".amazonaws.com"] = true
	}
	var out []string
	for h := range set {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// envValues returns the values of environment variables with the given
// names anywhere in obj (any {"name": N, "value": V} entry).
func envValues(obj any, names ...string) []string {
	var out []string
	switch v := obj.(type) {
	case map[string]any:
		if n, ok := v["name"].(string); ok {
			if val, ok := v["value"].(string); ok {
				for _, want := range names {
					if n == want {
						out = append(out, val)
					}
				}
			}
		}
		for _, child := range v {
			out = append(out, envValues(child, names...)...)
		}
	case []any:
		for _, child := range v {
			out = append(out, envValues(child, names...)...)
		}
	}
	return out
}

// runInNamespace starts the servers, runs the scenarios and stops every
// server again. It returns the exit code: 1 when a scenario failed.
func runInNamespace(ctx context.Context, o options, filter *regexp.Regexp, logger *log.Logger) (code int, err error) {
	setupStart := time.Now()
	if err := loopbackUp(); err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, process.StopAll()) }()
	todo := selected(filter)
	inputs := map[string]*input{}
	inputErrs := map[string]error{}
	for _, s := range todo {
		if _, ok := inputs[s.example]; ok {
			continue
		}
		if _, ok := inputErrs[s.example]; ok {
			continue
		}
		in, err := loadInput(o.work, s.example)
		if err != nil {
			inputErrs[s.example] = err
			continue
		}
		inputs[s.example] = in
	}
	w := &world{o: o, logger: logger, clusters: map[string]*cluster.Cluster{}, minios: map[string]*s3backend.Server{}}
	if err := w.start(ctx, cloudHosts(inputs)); err != nil {
		return 0, err
	}
	defer func() {
		if closeErr := w.front.Close(); closeErr != nil {
			err = errors.Join(err, fmt.Errorf("close the front: %w", closeErr))
		}
	}()
	fmt.Printf("# servers ready in %.1f s\n", time.Since(setupStart).Seconds())
	passed, failed := 0, 0
	for _, s := range todo {
		start := time.Now()
		err := inputErrs[s.example]
		if err == nil {
			err = w.runScenario(ctx, s, inputs[s.example])
		}
		secs := time.Since(start).Seconds()
		if err != nil {
			failed++
			fmt.Printf("failed  %-30s %6.1f s\n", s.name, secs)
			for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
				fmt.Printf("        %s\n", line)
			}
			logger.Printf("scenario %s failed: %v", s.name, err)
		} else {
			passed++
			fmt.Printf("passed  %-30s %6.1f s\n", s.name, secs)
			logger.Printf("scenario %s passed", s.name)
		}
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1, nil
	}
	return 0, nil
}

// start brings up the loopback internet: hosts file, CA, front, etcd,
// fake-gcs-server and the stand-ins.
func (w *world) start(ctx context.Context, hosts []string) error {
	var err error
	if w.ca, err = pki.NewCA(); err != nil {
		return err
	}
	w.caFile = filepath.Join(w.o.work, "ca.crt")
	if err := os.WriteFile(w.caFile, w.ca.CertPEM, 0o644); err != nil {
		return fmt.Errorf("write CA: %w", err)
	}
	sans := append([]string{}, hosts...)
	sans = append(sans, "*.s3.amazonaws.com", "localhost")
	for _, h := range hosts {
		if strings.HasPrefix(h, "s3.") {
			sans = append(sans, "*."+h)
		}
	}
	if w.leaf, err = w.ca.Issue(sans...); err != nil {
		return err
	}
	// The hosts file every process of the run sees (this namespace's
	// /etc/hosts), and the one bind-mounted into pods.
	var hostsData strings.Builder
	hostsData.WriteString("127.0.0.1 localhost\n::1 localhost\n")
	for _, h := range hosts {
		fmt.Fprintf(&hostsData, "127.0.0.1 %s\n", h)
	}
	w.hostsFile = filepath.Join(w.o.work, "hosts")
	if err := os.WriteFile(w.hostsFile, []byte(hostsData.String()), 0o644); err != nil {
		return fmt.Errorf("write hosts file: %w", err)
	}
	if err := syscall.Mount(w.hostsFile, "/etc/hosts", "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind-mount hosts file: %w", err)
	}
	cert, err := w.leaf.TLSCertificate()
	if err != nil {
		return err
	}
	w.front = front.New(w.logger)
	if err := w.front.ListenAndServe("127.0.0.1:443", cert); err != nil {
		return err
	}
	httpClient := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: w.ca.Pool()}}}
	verifier := &oidc.Verifier{HTTPClient: httpClient}
	w.google = googleemu.New(verifier, w.logger)
	w.front.Handle("sts.googleapis.com", "/", w.google.STSHandler())
	w.front.Handle("iamcredentials.googleapis.com", "/", w.google.IAMCredentialsHandler())
	w.azure = azureemu.New("login.microsoftonline.com", verifier, w.logger)
	for _, h := range hosts {
		if strings.HasPrefix(h, "login.") {
			w.front.Handle(h, "/", w.azure.Handler())
		}
	}
	w.awsAPI = &front.Switch{}
	for _, h := range hosts {
		if strings.HasSuffix(h, ".amazonaws.com") && (strings.HasPrefix(h, "sts.") || strings.Contains(h, "s3.")) {
			w.front.Handle(h, "/", w.awsAPI)
		}
	}
	if w.etcdURL, err = cluster.StartEtcd(ctx, w.binary("etcd"), w.o.work); err != nil {
		return err
	}
	gcsURL, err := w.startFakeGCS(ctx)
	if err != nil {
		return err
	}
	target, err := url.Parse(gcsURL)
	if err != nil {
		return fmt.Errorf("fake-gcs-server URL: %w", err)
	}
	w.front.Handle("storage.googleapis.com", "/", w.google.StorageGate(front.ReverseProxy(target, nil)))
	return w.findNodePath()
}

// binary finds a server binary: e2e/bin first, then PATH.
func (w *world) binary(name string) string {
	p := filepath.Join(w.o.bin, name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

func (w *world) startFakeGCS(ctx context.Context) (string, error) {
	seed := filepath.Join(w.o.work, "gcs-seed", gcsBucket)
	// The article's bucket, and one no grant names: listing it must be
	// refused.
	for _, obj := range []struct{ bucket, key, content string }{
		{gcsBucket, objectKey, gcsContent},
		{gcsOtherBucket, objectKey, gcsContent},
	} {
		dir := filepath.Join(filepath.Dir(seed), obj.bucket)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("create GCS seed: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, obj.key), []byte(obj.content), 0o644); err != nil {
			return "", fmt.Errorf("write GCS seed: %w", err)
		}
	}
	port, err := process.FreePort()
	if err != nil {
		return "", err
	}
	logPath := filepath.Join(w.o.work, "fake-gcs-server.log")
	p, err := process.Start("fake-gcs-server", logPath, nil, w.binary("fake-gcs-server"),
		"-scheme", "http", "-host", "127.0.0.1", "-port", fmt.Sprint(port),
		"-backend", "memory", "-data", filepath.Dir(seed), "-public-host", "storage.googleapis.com",
		"-external-url", "https://storage.googleapis.com", "-log-level", "info")
	if err != nil {
		return "", err
	}
	u := "http://" + process.Addr(port)
	if err := p.WaitHTTP(ctx, u+"/storage/v1/b", nil, 30*time.Second); err != nil {
		return "", fmt.Errorf("fake-gcs-server: %w (log: %s)", err, logPath)
	}
	return u, nil
}

// findNodePath builds the PATH a container image would have: the system
// directories plus where the real aws and gcloud CLIs live.
func (w *world) findNodePath() error {
	dirs := []string{}
	for _, tool := range []string{"aws", "gcloud"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			return fmt.Errorf("the %s CLI is not installed: %w", tool, err)
		}
		if data, err := os.ReadFile(p); err == nil && strings.Contains(string(data), "pyenv") {
			// A pyenv shim needs pyenv's environment; use the real executable.
			out, err := exec.Command("pyenv", "which", tool).Output()
			if err != nil {
				return fmt.Errorf("pyenv which %s: %w", tool, err)
			}
			p = strings.TrimSpace(string(out))
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	dirs = append(dirs, "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
	w.nodePath = strings.Join(dirs, ":")
	return nil
}

// ensureCluster starts (once) the apiserver for an issuer and publishes its
// discovery document at the issuer URL.
func (w *world) ensureCluster(ctx context.Context, issuer string) (*cluster.Cluster, error) {
	if c, ok := w.clusters[issuer]; ok {
		return c, nil
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("issuer %q is not an https URL", issuer)
	}
	name := fmt.Sprintf("cluster%d", len(w.clusters)+1)
	if strings.Contains(u.Host, ".eks.") {
		name = "eks"
	} else if strings.HasPrefix(u.Host, "container.googleapis.com") {
		name = "gke"
	}
	if _, taken := w.clustersByName()[name]; taken {
		name = fmt.Sprintf("%s%d", name, len(w.clusters)+1)
	}
	c, err := cluster.Start(ctx, cluster.Options{
		Name: name, Issuer: issuer, APIServerPath: w.binary("kube-apiserver"), KubectlPath: w.binary("kubectl"),
		EtcdURL: w.etcdURL, Dir: filepath.Join(w.o.work, "clusters", name), CA: w.ca,
	})
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimSuffix(u.Path, "/")
	w.front.Handle(u.Hostname(), prefix+"/", c.DiscoveryHandler(prefix, w.logger))
	w.clusters[issuer] = c
	w.logger.Printf("cluster %s (issuer %s) at %s", name, issuer, c.URL)
	return c, nil
}

func (w *world) clustersByName() map[string]bool {
	out := map[string]bool{}
	for _, c := range w.clusters {
		out[c.Name] = true
	}
	return out
}

// ensureMinio starts (once) the MinIO that trusts issuer with audience clientID.
func (w *world) ensureMinio(ctx context.Context, issuer, clientID string) (*s3backend.Server, error) {
	key := issuer + " " + clientID
	if s, ok := w.minios[key]; ok {
		return s, nil
	}
	name := fmt.Sprintf("minio%d", len(w.minios)+1)
	var domains []string
	for _, h := range w.front.Hosts() {
		if strings.HasPrefix(h, "s3.") && strings.HasSuffix(h, ".amazonaws.com") {
			domains = append(domains, h)
		}
	}
	s, err := s3backend.Start(ctx, s3backend.Options{
		Name: name, MinioPath: w.binary("minio"), Dir: filepath.Join(w.o.work, name), CA: w.ca,
		ServingCert: w.leaf, Issuer: issuer, ClientID: clientID, Domains: domains,
	})
	if err != nil {
		return nil, err
	}
	// The article's object, one under the prefix grants keep to, and a
	// bucket no grant names.
	for _, obj := range []struct{ bucket, key, content string }{
		{s3Bucket, objectKey, s3Content},
		{s3Bucket, prefixedKey, prefixedContent},
		{s3OtherBucket, objectKey, s3Content},
	} {
		if err := s.PutObject(ctx, obj.bucket, obj.key, obj.content); err != nil {
			return nil, err
		}
	}
	w.minios[key] = s
	return s, nil
}
