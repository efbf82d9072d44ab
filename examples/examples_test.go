// Package examples runs every example exactly as the README tells users to:
// kustomize examples through the pinned `kustomize build` with the function as
// an exec transformer, the kpt package through the machine's kpt. Outputs are
// compared with the checked-in expected files (-update rewrites them).
package examples

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/crosscloud-dev/cross-cloud-access/internal/golden"
	"github.com/crosscloud-dev/cross-cloud-access/internal/kubecheck"
)

// TestMain builds the function where the examples' kustomizations point
// (../../bin/cross-cloud-access) and puts it on PATH for kpt.
func TestMain(m *testing.M) {
	flag.Parse()
	root, err := filepath.Abs("..")
	if err == nil {
		build := exec.Command("go", "build", "-o", filepath.Join(root, "bin", "cross-cloud-access"), "./fn/cross-cloud-access")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		err = build.Run()
	}
	if err != nil {
		os.Stderr.WriteString("building the function: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Setenv("PATH", filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	os.Exit(m.Run())
}

func run(t *testing.T, dir string, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runIn(t, dir, "", name, args...)
}

// runStdin runs a command in this folder with stdin as its input.
func runStdin(t *testing.T, stdin string, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runIn(t, ".", stdin, name, args...)
}

func runIn(t *testing.T, dir, stdin string, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// checkObjects decodes every object of a YAML stream into Kubernetes' types.
func checkObjects(t *testing.T, stream string) {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(stream))
	if err != nil {
		t.Fatalf("output is not a YAML stream: %v", err)
	}
	if len(nodes) == 0 {
		t.Fatal("no objects in the output")
	}
	for _, n := range nodes {
		if !kubecheck.Known(n.GetApiVersion(), n.GetKind()) {
			continue
		}
		if err := kubecheck.Strict(n.GetApiVersion(), n.GetKind(), []byte(n.MustString())); err != nil {
			t.Errorf("%s/%s: %v", n.GetKind(), n.GetName(), err)
		}
	}
}

func TestKustomizeExamples(t *testing.T) {
	dirs, err := filepath.Glob("*/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The overlays of a base/overlay layout and of a fleet, each a leaf
	// with its own spec.
	overlays, err := filepath.Glob("base-and-overlays/*/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clusters, err := filepath.Glob("fleet/clusters/*/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	overlays = append(overlays, clusters...)
	dirs = append(dirs, overlays...)
	ran := 0
	for _, k := range dirs {
		dir := filepath.Dir(k)
		// The spec is beside the kustomization, or in the lower one under
		// wired/ (the layout that gives emitted objects the upper one's
		// labels).
		_, beside := os.Stat(filepath.Join(dir, "cross-cloud-access.yaml"))
		_, below := os.Stat(filepath.Join(dir, "wired", "cross-cloud-access.yaml"))
		if beside != nil && below != nil {
			continue // not a function example (argocd-cmp has its own test module)
		}
		ran++
		t.Run(dir, func(t *testing.T) {
			out, stderr, err := run(t, ".", "go", "tool", "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", dir)
			if err != nil {
				t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr)
			}
			golden.Compare(t, filepath.Join(dir, "expected.yaml"), []byte(out))
			checkObjects(t, out)
			if strings.Contains(out, "kind: CrossCloudAccess") {
				t.Error("the CrossCloudAccess spec reached kustomize's output; the cluster has no such kind")
			}
		})
	}
	if ran < 8 {
		t.Fatalf("ran %d kustomize examples; want at least the article's paths", ran)
	}
}

func requireKpt(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("kpt"); err != nil {
		t.Skip("kpt is not on PATH; `make test` checks for it, this run skips the kpt examples")
	}
}

func TestKptRender(t *testing.T) {
	requireKpt(t)
	out, stderr, err := run(t, ".", "kpt", "fn", "render", "--allow-exec", "kpt-gke-to-aws", "-o", "stdout")
	if err != nil {
		t.Fatalf("kpt fn render: %v\n%s", err, stderr)
	}
	golden.Compare(t, filepath.Join("kpt-gke-to-aws", ".expected", "render.yaml"), []byte(out))
	if !strings.Contains(out, "kind: CrossCloudAccess") {
		t.Error("kpt render dropped the local-config spec; kpt would delete its file")
	}
}

func TestKptEvalExec(t *testing.T) {
	requireKpt(t)
	out, stderr, err := run(t, ".", "kpt", "fn", "eval", "kpt-gke-to-aws", "--exec", "cross-cloud-access",
		"--fn-config", filepath.Join("kpt-gke-to-aws", "cross-cloud-access.yaml"), "-o", "stdout")
	if err != nil {
		t.Fatalf("kpt fn eval: %v\n%s", err, stderr)
	}
	golden.Compare(t, filepath.Join("kpt-gke-to-aws", ".expected", "eval.yaml"), []byte(out))
}

// A bad spec must fail the render with kpt's "[error] field: message" line,
// and leave the package's files as they were.
func TestKptRenderBadSpec(t *testing.T) {
	requireKpt(t)
	pkg := filepath.Join(t.TempDir(), "pkg")
	if err := os.CopyFS(pkg, os.DirFS("kpt-gke-to-aws")); err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(pkg, "cross-cloud-access.yaml")
	spec, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(spec), "arn:aws:iam::111122223333:role/oidc_exp_federated_role", "not-an-arn", 1)
	if err := os.WriteFile(specPath, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(pkg, "pod.yaml"))
	_, stderr, err := run(t, ".", "kpt", "fn", "render", "--allow-exec", pkg)
	if err == nil {
		t.Fatalf("kpt fn render succeeded on a bad spec:\n%s", stderr)
	}
	if !strings.Contains(stderr, "[error]") || !strings.Contains(stderr, "spec.aws.roleArn") || !strings.Contains(stderr, "not-an-arn") {
		t.Errorf("kpt did not report the field; stderr:\n%s", stderr)
	}
	after, _ := os.ReadFile(filepath.Join(pkg, "pod.yaml"))
	if !bytes.Equal(before, after) {
		t.Error("a failed render changed pod.yaml")
	}
}

// Rendering the package a second time, over the function's own output, must
// change no file.
func TestKptRenderTwiceChangesNothing(t *testing.T) {
	requireKpt(t)
	pkg := filepath.Join(t.TempDir(), "pkg")
	if err := os.CopyFS(pkg, os.DirFS("kpt-gke-to-aws")); err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string]string {
		files := map[string]string{}
		err := filepath.WalkDir(pkg, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			files[strings.TrimPrefix(path, pkg)] = string(data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	render := func() {
		t.Helper()
		if _, stderr, err := run(t, ".", "kpt", "fn", "render", "--allow-exec", pkg); err != nil {
			t.Fatalf("kpt fn render: %v\n%s", err, stderr)
		}
	}
	render()
	first := snapshot()
	render()
	if diff := cmp.Diff(first, snapshot()); diff != "" {
		t.Errorf("the second render changed the package (-first +second):\n%s", diff)
	}
}

// A rendered package whose stamped token volume someone filled with ten
// levels of ten YAML aliases: kpt hands them to the function as written,
// and the render must fail naming the volume, with every file kept, rather
// than run the function out of memory.
func TestKptRenderRefusesAnAliasFanOut(t *testing.T) {
	requireKpt(t)
	pkg := filepath.Join(t.TempDir(), "pkg")
	if err := os.CopyFS(pkg, os.DirFS("kpt-gke-to-aws")); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := run(t, ".", "kpt", "fn", "render", "--allow-exec", pkg); err != nil {
		t.Fatalf("kpt fn render: %v\n%s", err, stderr)
	}
	podPath := filepath.Join(pkg, "pod.yaml")
	rendered, err := os.ReadFile(podPath)
	if err != nil {
		t.Fatal(err)
	}
	var fan strings.Builder
	const indent = "              "
	fan.WriteString(indent + "fan0: &fan0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&fan, "%sfan%d: &fan%d [%s]\n", indent, i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*fan%d, ", i-1), 10), ", "))
	}
	bomb := strings.Replace(string(rendered), indent+"path: token\n", indent+"path: token\n"+fan.String(), 1)
	if bomb == string(rendered) {
		t.Fatalf("the test did not plant the aliases:\n%s", rendered)
	}
	if err := os.WriteFile(podPath, []byte(bomb), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := run(t, ".", "kpt", "fn", "render", "--allow-exec", "--truncate-output=false", pkg)
	if err == nil || !strings.Contains(stderr, "spec.volumes[name=aws-iam-token]: expands its YAML aliases to more than 10000 nodes") {
		t.Errorf("kpt fn render over the aliases = %v; want the function's error naming the volume\n%s", err, stderr)
	}
	if after, _ := os.ReadFile(podPath); string(after) != bomb {
		t.Error("the failed render changed pod.yaml")
	}
}
