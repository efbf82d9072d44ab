// Command e2e proves the mission end to end: pods built only from the
// function's output reach S3, Cloud Storage and Entra ID with keyless,
// cluster-issued tokens, against real servers (kube-apiserver, etcd, MinIO,
// fake-gcs-server) and real clients (aws CLI, gcloud, Go SDKs), with
// stand-ins only where nothing runnable exists (Google STS and IAM
// Credentials, the Cloud Storage IAM check, the Entra ID token endpoint).
//
// It renders each scenario's example with kustomize and the function,
// then re-executes itself in a private network and mount namespace (only a
// loopback interface; a hosts file sends cloud host names to 127.0.0.1),
// starts the servers, applies the output with server-side apply, does the
// kubelet's part for the pod, and runs the clients as the container.
//
// It prints one line per scenario and a closing "N passed, M failed" line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/kubelet"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/process"
)

const inNamespaceEnv = "CROSS_CLOUD_ACCESS_E2E_IN_NAMESPACE"

// options are the command-line settings.
type options struct {
	repo     string
	bin      string
	work     string
	run      string
	trust    string
	function string
	verbose  bool
	keep     bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "pod-exec" {
		if err := kubelet.PodExec(os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, "pod-exec:", err)
			os.Exit(126)
		}
		return
	}
	var o options
	flag.StringVar(&o.repo, "repo", "..", "repository root (holds examples/ and bin/cross-cloud-access)")
	flag.StringVar(&o.bin, "bin", "bin", "directory of the built servers and helper programs")
	flag.StringVar(&o.work, "work", "", "work directory for logs and state (default work/run-TIMESTAMP)")
	flag.StringVar(&o.run, "run", "", "run only scenarios whose name matches this regular expression")
	flag.StringVar(&o.trust, "trust", "function", "trust documents: function (`cross-cloud-access trust --format json` on each example's spec) or testdata (hand-written, e2e/testdata/EXAMPLE/trust.json)")
	flag.StringVar(&o.function, "function", "", "function binary (default REPO/bin/cross-cloud-access)")
	flag.BoolVar(&o.verbose, "v", false, "print server and client logs of failing checks")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory even when every scenario passed")
	flag.Parse()
	code, err := start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func start(o options) (int, error) {
	var err error
	for _, p := range []*string{&o.repo, &o.bin} {
		if *p, err = filepath.Abs(*p); err != nil {
			return 0, err
		}
	}
	if o.function == "" {
		o.function = filepath.Join(o.repo, "bin", "cross-cloud-access")
	}
	if o.work == "" {
		o.work = filepath.Join(filepath.Dir(o.bin), "work", "run-"+time.Now().UTC().Format("20060102-150405"))
	}
	if o.work, err = filepath.Abs(o.work); err != nil {
		return 0, err
	}
	var filter *regexp.Regexp
	if o.run != "" {
		if filter, err = regexp.Compile(o.run); err != nil {
			return 0, fmt.Errorf("-run: %w", err)
		}
	}
	if os.Getenv(inNamespaceEnv) != "1" {
		if err := preflight(o); err != nil {
			return 0, err
		}
		// Outside the namespace: render every scenario (kustomize may need
		// the Go toolchain and module cache), then re-execute inside.
		if err := os.MkdirAll(o.work, 0o755); err != nil {
			return 0, fmt.Errorf("create work dir: %w", err)
		}
		if err := renderAll(o, filter); err != nil {
			return 0, err
		}
		self, err := os.Executable()
		if err != nil {
			return 0, err
		}
		args := append([]string{"--net", "--mount", "--propagation", "private", "--", self}, os.Args[1:]...)
		args = append(args, "-work", o.work)
		cmd := exec.Command("unshare", args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), inNamespaceEnv+"=1")
		if err := cmd.Run(); err != nil {
			if exitErr, ok := err.(*exec.ExitError); ok {
				return exitErr.ExitCode(), nil
			}
			return 0, fmt.Errorf("unshare --net --mount: %w", err)
		}
		return 0, nil
	}
	logFile, err := os.Create(filepath.Join(o.work, "e2e.log"))
	if err != nil {
		return 0, err
	}
	logger := log.New(logFile, "", log.Ltime|log.Lmicroseconds)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "e2e: %s: stopping servers\n", sig)
		if err := process.StopAll(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
		}
		os.Exit(130)
	}()
	// runInNamespace stops every server before it returns.
	code, err := runInNamespace(ctx, o, filter, logger)
	if closeErr := logFile.Close(); closeErr != nil {
		err = errors.Join(err, fmt.Errorf("close e2e.log: %w", closeErr))
	}
	if err == nil && code == 0 && !o.keep {
		if rmErr := os.RemoveAll(o.work); rmErr != nil {
			fmt.Fprintln(os.Stderr, "e2e: remove work dir:", rmErr)
		}
	} else {
		fmt.Printf("# logs and transcripts kept in %s\n", o.work)
	}
	return code, err
}

// preflight checks what the run needs before anything starts.
func preflight(o options) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("run as root: the suite needs network and mount namespaces")
	}
	var missing []string
	for _, name := range []string{"kube-apiserver", "minio", "fake-gcs-server", "gcs-read", "azure-token"} {
		if _, err := os.Stat(filepath.Join(o.bin, name)); err != nil {
			missing = append(missing, filepath.Join(o.bin, name))
		}
	}
	// etcd is Debian's on PATH, or built into the bin folder where the
	// package cannot be installed (the Makefile's etcd target); the run
	// takes either, as world.binary does.
	if _, err := os.Stat(filepath.Join(o.bin, "etcd")); err != nil {
		if _, err := exec.LookPath("etcd"); err != nil {
			missing = append(missing, "etcd (on PATH or in "+o.bin+")")
		}
	}
	for _, name := range []string{"unshare", "kubectl", "aws", "gcloud"} {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name+" (on PATH)")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %v: run `make build` first (aws, gcloud and kubectl come with the machine image)", missing)
	}
	return nil
}
