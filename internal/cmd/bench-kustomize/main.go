// Command bench-kustomize measures what the function costs inside `kustomize
// build`: the same N workloads (a Deployment, StatefulSet, DaemonSet or Job,
// each with a Service) built without the function, with it as an exec
// transformer, and with the Component `export` writes. It is a measurement
// (`make bench-kustomize`), not a test: timings on a shared machine vary.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/export"
)

func main() {
	sizes := flag.String("n", "200,1000", "workload counts, comma-separated")
	kustomize := flag.String("kustomize", "", "the kustomize binary")
	function := flag.String("function", "", "the cross-cloud-access binary")
	only := flag.String("only", "", "run only this variant: plain, exec or component")
	keep := flag.String("keep", "", "write the kustomizations here and keep them")
	profile := flag.String("cpuprofile", "", "build the Component variant of the first -n in process with kustomize's library and write a CPU profile here")
	flag.Parse()
	if *profile != "" {
		if err := profileComponent(*sizes, *profile); err != nil {
			fmt.Fprintln(os.Stderr, "bench-kustomize:", err)
			os.Exit(1)
		}
		return
	}
	if *kustomize == "" || *function == "" {
		fmt.Fprintln(os.Stderr, "usage: bench-kustomize -kustomize PATH -function PATH [-n 200,1000]")
		os.Exit(2)
	}
	if err := run(*sizes, *kustomize, *function, *only, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench-kustomize:", err)
		os.Exit(1)
	}
}

func run(sizes, kustomize, function, only, keep string) error {
	root := keep
	if root == "" {
		dir, err := os.MkdirTemp("", "bench-kustomize")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		root = dir
	}
	fmt.Printf("%-10s %-10s %10s %8s\n", "workloads", "variant", "seconds", "objects")
	for _, field := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil {
			return fmt.Errorf("-n: %w", err)
		}
		dir := filepath.Join(root, strconv.Itoa(n))
		if err := setUp(dir, n, function); err != nil {
			return err
		}
		for _, variant := range []string{"plain", "exec", "component"} {
			if only != "" && only != variant {
				continue
			}
			seconds, objects, err := build(kustomize, filepath.Join(dir, variant))
			if err != nil {
				return fmt.Errorf("%d workloads, %s: %w", n, variant, err)
			}
			fmt.Printf("%-10d %-10s %10.2f %8d\n", n, variant, seconds, objects)
		}
	}
	return nil
}

// setUp writes three kustomizations over one base of n workloads.
func setUp(dir string, n int, function string) error {
	base := workloads(n)
	execSpec := strings.Replace(benchdata.Spec, "  name: bench\n", "  name: bench\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: "+function+"\n", 1)
	files, _, err := export.Component([]byte(benchdata.Spec), []byte(base))
	if err != nil {
		return fmt.Errorf("exporting the Component: %w", err)
	}
	for path, content := range map[string]string{
		"base/workloads.yaml":          base,
		"base/kustomization.yaml":      "resources: [workloads.yaml]\n",
		"plain/kustomization.yaml":     "resources: [../base]\n",
		"exec/spec.yaml":               execSpec,
		"exec/kustomization.yaml":      "resources: [../base]\ntransformers: [spec.yaml]\n",
		"component/kustomization.yaml": "resources: [../base]\ncomponents: [cross-cloud-access]\n",
	} {
		if err := writeFile(filepath.Join(dir, path), content); err != nil {
			return err
		}
	}
	return export.Write(filepath.Join(dir, "component", "cross-cloud-access"), files)
}

// profileComponent is where to look when the Component is slow: the same
// build as `kustomize build`, in this process, under the CPU profiler.
func profileComponent(sizes, path string) error {
	n, err := strconv.Atoi(strings.Split(sizes, ",")[0])
	if err != nil {
		return fmt.Errorf("-n: %w", err)
	}
	dir, err := os.MkdirTemp("", "bench-kustomize")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := setUp(dir, n, "unused"); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	if err := pprof.StartCPUProfile(out); err != nil {
		return err
	}
	start := time.Now()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	_, err = k.Run(filesys.MakeFsOnDisk(), filepath.Join(dir, "component"))
	pprof.StopCPUProfile()
	fmt.Printf("%d workloads, component, in process: %.2f s; profile in %s\n", n, time.Since(start).Seconds(), path)
	return err
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

var kinds = []struct{ apiVersion, kind, template string }{
	{"apps/v1", "Deployment", "spec:\n  selector: {matchLabels: {app: %[1]s}}\n  template:\n%[2]s"},
	{"apps/v1", "StatefulSet", "spec:\n  serviceName: %[1]s\n  selector: {matchLabels: {app: %[1]s}}\n  template:\n%[2]s"},
	{"apps/v1", "DaemonSet", "spec:\n  selector: {matchLabels: {app: %[1]s}}\n  template:\n%[2]s"},
	{"batch/v1", "Job", "spec:\n  template:\n%[2]s"},
}

// workloads is n workloads running as the spec's ServiceAccount, each with
// a Service.
func workloads(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		k := kinds[i%len(kinds)]
		name := fmt.Sprintf("%s-%d", strings.ToLower(k.kind), i)
		pod := fmt.Sprintf("    metadata: {labels: {app: %s}}\n    spec:\n      serviceAccountName: app\n      containers:\n      - name: app\n        image: example.com/app:1\n        env: [{name: PORT, value: \"8080\"}]\n", name)
		fmt.Fprintf(&b, "---\napiVersion: %s\nkind: %s\nmetadata: {name: %s, namespace: apps}\n", k.apiVersion, k.kind, name)
		fmt.Fprintf(&b, k.template+"\n", name, pod)
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: %[1]s, namespace: apps}\nspec:\n  selector: {app: %[1]s}\n  ports: [{port: 80}]\n", name)
	}
	return b.String()
}

func build(kustomize, dir string) (float64, int, error) {
	var out, stderr bytes.Buffer
	cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%w\n%s", err, stderr.String())
	}
	return time.Since(start).Seconds(), strings.Count("\n"+out.String(), "\nkind: "), nil
}
