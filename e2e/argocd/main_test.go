package argocd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v3/cmpserver"
	"github.com/argoproj/argo-cd/v3/cmpserver/plugin"
	log "github.com/sirupsen/logrus"
	"google.golang.org/grpc"
)

const (
	// mainModule is the module path of the repository root, checked before building from it.
	mainModule = "github.com/crosscloud-dev/cross-cloud-access"
	// imageBinDir is where the plugin sidecar image keeps the function and kustomize.
	imageBinDir = "/usr/local/bin"
	// imageFunctionPath is the function's place in the image, which plugin.yaml's
	// commands find on PATH.
	imageFunctionPath = imageBinDir + "/cross-cloud-access"
	// sidecarUID is the user Argo CD runs plugin sidecars as.
	sidecarUID = 999
	// inNamespaceEnv marks the re-executed test process inside its mount namespace.
	inNamespaceEnv = "CCA_ARGOCD_E2E_IN_NAMESPACE"
	// exampleRel is the plugin example, relative to the repository root.
	exampleRel = "examples/argocd-cmp"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/example-app.golden.yaml from the plugin's output")
	noNS   = flag.Bool("no-namespace", false, "do not re-execute in a private mount namespace even as root; "+
		"the plugin then finds the built binaries on PATH")
	functionBinary = flag.String("function-binary", "", "use this cross-cloud-access binary instead of building ./fn/cross-cloud-access of the main module")
	verboseArgo    = flag.Bool("argocd-log", false, "show Argo CD's info logs")
)

// env is what TestMain prepared for the tests.
var env struct {
	repoRoot    string // the main module's root (read only)
	work        string // scratch folder, writable by the test user
	repo        string // the "Git checkout" the repo-server streams to the plugin
	functionBin string // the function binary the plugin runs
	kustomize   string // the kustomize binary the plugin runs
	argoInstall string // upstream manifests/install.yaml of the Argo CD module
	imageLayout bool   // binaries are at their image paths (private mount namespace)
	asSidecar   bool   // the test process runs as the sidecar's uid
	socket      string // the CMP server's unix socket
	plugin      *plugin.PluginConfig
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv(inNamespaceEnv) == "" && os.Geteuid() == 0 && !*noNS {
		code, err := reexecInNamespace()
		if err == nil {
			return code
		}
		fmt.Fprintf(os.Stderr, "argocd e2e: no private mount namespace (%v); the plugin finds the built binaries on PATH instead\n", err)
	}
	if !*verboseArgo {
		log.SetLevel(log.WarnLevel)
	}
	cleanup, err := setup()
	if cleanup != nil {
		defer cleanup()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "argocd e2e setup: %v\n", err)
		return 1
	}
	return m.Run()
}

// reexecInNamespace runs this test binary again in a private mount namespace, so the
// tmpfs it mounts on /usr/local/bin is seen by nothing else on the machine.
func reexecInNamespace() (int, error) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return 0, fmt.Errorf("finding unshare: %w", err)
	}
	if err := exec.Command(unshare, "--mount", "--propagation", "private", "true").Run(); err != nil {
		return 0, fmt.Errorf("trying unshare: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("finding the test binary: %w", err)
	}
	args := []string{"--mount", "--propagation", "private", self}
	for _, arg := range os.Args[1:] {
		// go test's log of the files a test opened, for its cache, lives in a folder
		// only root can enter; the re-executed test runs as uid 999. Without the log,
		// go test just does not cache the result.
		if strings.HasPrefix(arg, "-test.testlogfile=") {
			continue
		}
		args = append(args, arg)
	}
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(os.Environ(), inNamespaceEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), nil
	case err != nil:
		return 0, fmt.Errorf("running the test in a mount namespace: %w", err)
	}
	return 0, nil
}

// setup builds the binaries, lays them out as in the sidecar image, drops to the
// sidecar's uid where it can, and starts the in-process CMP server.
func setup() (func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}

	root, err := findRepoRoot()
	if err != nil {
		return nil, err
	}
	env.repoRoot = root
	env.work, err = os.MkdirTemp("", "cca-argocd-e2e-")
	if err != nil {
		return nil, fmt.Errorf("creating the work folder: %w", err)
	}
	cleanups = append(cleanups, func() {
		if err := os.RemoveAll(env.work); err != nil {
			fmt.Fprintln(os.Stderr, "argocd e2e: removing the work folder:", err)
		}
	})
	if err := os.Chmod(env.work, 0o755); err != nil {
		return cleanup, fmt.Errorf("opening the work folder: %w", err)
	}

	bin := filepath.Join(env.work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return cleanup, fmt.Errorf("creating %s: %w", bin, err)
	}
	if err := buildBinaries(bin); err != nil {
		return cleanup, err
	}
	if err := copyArgoInstall(); err != nil {
		return cleanup, err
	}

	inNS := os.Getenv(inNamespaceEnv) != ""
	if inNS {
		if err := installImageLayout(bin); err != nil {
			return cleanup, err
		}
		env.imageLayout = true
		env.functionBin, env.kustomize = imageFunctionPath, filepath.Join(imageBinDir, "kustomize")
	} else {
		env.functionBin, env.kustomize = filepath.Join(bin, "cross-cloud-access"), filepath.Join(bin, "kustomize")
	}

	for _, dir := range []string{"home", "tmp", "plugins", "cmp", "repo"} {
		if err := os.MkdirAll(filepath.Join(env.work, dir), 0o755); err != nil {
			return cleanup, fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	env.repo = filepath.Join(env.work, "repo")

	// The plugin's environment: the test process's, as the sidecar's is the container's.
	path := imageBinDir + ":/usr/bin:/bin"
	if !env.imageLayout {
		path = bin + ":" + os.Getenv("PATH")
	}
	os.Clearenv()
	for k, v := range map[string]string{
		"PATH":                      path,
		"HOME":                      filepath.Join(env.work, "home"),
		"TMPDIR":                    filepath.Join(env.work, "tmp"),
		"ARGOCD_PLUGINSOCKFILEPATH": filepath.Join(env.work, "plugins"),
		"ARGOCD_CMP_WORKDIR":        filepath.Join(env.work, "cmp"),
	} {
		if err := os.Setenv(k, v); err != nil {
			return cleanup, fmt.Errorf("setting %s: %w", k, err)
		}
	}

	// Writing the golden file needs the repository's owner; otherwise run as the sidecar does.
	if inNS && !*update {
		if err := dropToSidecarUser(); err != nil {
			return cleanup, err
		}
		env.asSidecar = true
	}

	if err := copyTree(filepath.Join(env.repoRoot, exampleRel), filepath.Join(env.repo, exampleRel)); err != nil {
		return cleanup, err
	}

	stop, err := startCMPServer(filepath.Join(env.repoRoot, exampleRel))
	if err != nil {
		return cleanup, err
	}
	cleanups = append(cleanups, stop)
	return cleanup, nil
}

// findRepoRoot returns the main module's root, two levels above this package.
func findRepoRoot() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("reading the main module's go.mod: %w", err)
	}
	if !bytes.Contains(gomod, []byte("module "+mainModule+"\n")) {
		return "", fmt.Errorf("%s/go.mod is not module %s", root, mainModule)
	}
	return root, nil
}

// buildBinaries builds the function and the main module's pinned kustomize into bin.
func buildBinaries(bin string) error {
	fn := filepath.Join(bin, "cross-cloud-access")
	builds := []struct {
		what string
		args []string
	}{
		{"kustomize", []string{"build", "-buildvcs=false", "-o", filepath.Join(bin, "kustomize"), "sigs.k8s.io/kustomize/kustomize/v5"}},
		{"cross-cloud-access", []string{"build", "-buildvcs=false", "-o", fn, "./fn/cross-cloud-access"}},
	}
	if *functionBinary != "" {
		builds = builds[:1]
		if err := copyFile(*functionBinary, fn, 0o755); err != nil {
			return fmt.Errorf("copying -function-binary: %w", err)
		}
		fmt.Fprintf(os.Stderr, "argocd e2e: using -function-binary %s, not ./fn/cross-cloud-access\n", *functionBinary)
	}
	for _, b := range builds {
		start := time.Now()
		cmd := exec.Command("go", b.args...)
		cmd.Dir = env.repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s (go %s in %s): %w\n%s", b.what, strings.Join(b.args, " "), env.repoRoot, err, out)
		}
		fmt.Fprintf(os.Stderr, "argocd e2e: built %s in %s\n", b.what, time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// copyArgoInstall copies the Argo CD module's upstream install manifest into the work
// folder, where the install test can read it after dropping privileges.
func copyArgoInstall() error {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-cd/v3")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("locating the Argo CD module: %w", err)
	}
	env.argoInstall = filepath.Join(env.work, "argocd-install.yaml")
	src := filepath.Join(strings.TrimSpace(string(out)), "manifests", "install.yaml")
	if err := copyFile(src, env.argoInstall, 0o644); err != nil {
		return fmt.Errorf("copying Argo CD's install.yaml: %w", err)
	}
	return nil
}

// installImageLayout mounts a tmpfs on /usr/local/bin (inside this process's private
// mount namespace) holding the two binaries at their image paths.
func installImageLayout(bin string) error {
	if err := os.MkdirAll(imageBinDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", imageBinDir, err)
	}
	if err := syscall.Mount("tmpfs", imageBinDir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", imageBinDir, err)
	}
	for _, name := range []string{"cross-cloud-access", "kustomize"} {
		if err := copyFile(filepath.Join(bin, name), filepath.Join(imageBinDir, name), 0o755); err != nil {
			return fmt.Errorf("installing %s: %w", name, err)
		}
	}
	return nil
}

// dropToSidecarUser hands the work folder to uid 999 and switches the whole process
// (every thread) to it, so the plugin's commands run as they do in the sidecar.
func dropToSidecarUser() error {
	err := filepath.WalkDir(env.work, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, sidecarUID, sidecarUID)
	})
	if err != nil {
		return fmt.Errorf("handing the work folder to uid %d: %w", sidecarUID, err)
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("dropping supplementary groups: %w", err)
	}
	if err := syscall.Setgid(sidecarUID); err != nil {
		return fmt.Errorf("setgid %d: %w", sidecarUID, err)
	}
	if err := syscall.Setuid(sidecarUID); err != nil {
		return fmt.Errorf("setuid %d: %w", sidecarUID, err)
	}
	return nil
}

// startCMPServer serves the plugin.yaml found in dir with Argo CD's CMP server, the
// code behind /var/run/argocd/argocd-cmp-server, on the socket the repo-server looks for.
func startCMPServer(dir string) (func(), error) {
	cfg, err := plugin.ReadPluginConfig(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s/plugin.yaml: %w", dir, err)
	}
	srv, err := cmpserver.NewServer(plugin.CMPServerInitConstants{PluginConfig: *cfg})
	if err != nil {
		return nil, fmt.Errorf("creating the CMP server: %w", err)
	}
	grpcSrv, err := srv.CreateGRPC()
	if err != nil {
		return nil, fmt.Errorf("creating the CMP gRPC server: %w", err)
	}
	lis, err := net.Listen("unix", cfg.Address())
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Address(), err)
	}
	served := make(chan error, 1)
	go func() { served <- grpcSrv.Serve(lis) }()
	env.plugin, env.socket = cfg, cfg.Address()
	return func() {
		grpcSrv.Stop()
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			fmt.Fprintf(os.Stderr, "argocd e2e: CMP server: %v\n", err)
		}
	}, nil
}

// withExecFunction makes spec, the text of a CrossCloudAccess, a kustomize exec
// function running path: the form of the specs listed under transformers:.
func withExecFunction(spec, path string) (string, error) {
	const at = "metadata:\n  name: "
	if strings.Count(spec, at) != 1 {
		return "", fmt.Errorf("the spec does not have one %q", at)
	}
	annotation := "metadata:\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: " + path + "\n  name: "
	return strings.Replace(spec, at, annotation, 1), nil
}

// copyTree copies the regular files and folders under src to dst.
func copyTree(src, dst string) error {
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(path, target, 0o644)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return nil
}

// copyFile copies the file src to dst with the given mode.
func copyFile(src, dst string, mode os.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, in.Close()) }()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		return errors.Join(err, out.Close())
	}
	return out.Close()
}

// testContext returns a context that ends with the test or after a minute.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
