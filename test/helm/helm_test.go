// Package helm runs the function as a post-renderer of the real Helm 3 and
// Helm 4, pinned as tools in this module's go.mod. It is a module of its own
// so that Helm's dependencies stay out of the function's.
package helm

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
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/kubecheck"
)

var update = flag.Bool("update", false, "rewrite the golden outputs under testdata/")

const repoRoot = "../.."

// helmVersion is one pinned Helm and how it takes a post-renderer.
type helmVersion struct {
	name    string // v3, v4: the goldens' prefix
	pkg     string // the tool's package in go.mod
	version string // what `helm version` must report
	binary  string
	// postRenderer is the --post-renderer value: Helm 3 runs a binary, Helm 4
	// only a plugin of type postrenderer/v1.
	postRenderer string
}

var (
	helms = []*helmVersion{
		{name: "v3", pkg: "helm.sh/helm/v3/cmd/helm", version: "v3.22", postRenderer: "cross-cloud-access"},
		{name: "v4", pkg: "helm.sh/helm/v4/cmd/helm", version: "v4.3", postRenderer: "cross-cloud-access"},
	}
	binDir string
)

// TestMain builds the function from the main module and both Helms from this
// one, and puts the function on PATH, where Helm 3's --post-renderer and the
// Helm 4 plugin's command look it up.
func TestMain(m *testing.M) {
	flag.Parse()
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	var err error
	binDir, err = os.MkdirTemp("", "helm-test")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(binDir)
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "cross-cloud-access"), "./fn/cross-cloud-access")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return 0, fmt.Errorf("building the function: %w", err)
	}
	for _, h := range helms {
		h.binary = filepath.Join(binDir, "helm-"+h.name)
		build := exec.Command("go", "build", "-o", h.binary, h.pkg)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return 0, fmt.Errorf("building %s (first builds take minutes): %w", h.pkg, err)
		}
	}
	if err := os.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH")); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// helmEnv keeps each test's Helm away from the user's config, cache and
// plugins.
func helmEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	return append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		// helm plugin install writes here whatever HELM_PLUGINS says.
		"HELM_PLUGINS="+filepath.Join(home, "data", "plugins"),
	)
}

func runHelm(t *testing.T, h *helmVersion, env []string, dir string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(h.binary, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// prepare checks the pinned version, and for Helm 4 installs the plugin this
// repository ships, the way its users do.
func prepare(t *testing.T, h *helmVersion, env []string) {
	t.Helper()
	if got := runHelm(t, h, env, ".", "version", "--short"); !strings.HasPrefix(got, h.version) {
		t.Fatalf("helm version %q; want the pinned %s", got, h.version)
	}
	if h.name == "v4" {
		plugin, err := filepath.Abs(filepath.Join(repoRoot, "helm-plugin"))
		if err != nil {
			t.Fatal(err)
		}
		runHelm(t, h, env, ".", "plugin", "install", plugin)
		if got := runHelm(t, h, env, ".", "plugin", "list"); !strings.Contains(got, "postrenderer/v1") {
			t.Fatalf("the shipped plugin is not a post-renderer:\n%s", got)
		}
	}
}

// chartCase is one chart rendered through the post-renderer.
type chartCase struct {
	name    string
	release string
	// chart is a folder in testdata, or "" for the chart `helm create
	// RELEASE` generates, which differs between Helm versions.
	chart string
	spec  string
	// wired are the workloads whose pod templates must carry the
	// credentials, and the environment variables each must have.
	wired map[string][]string
	// emitted are objects the function adds, as "Kind namespace/name".
	emitted []string
}

var cases = []chartCase{{
	name:    "create",
	release: "web",
	spec:    "web-spec.yaml",
	wired: map[string][]string{
		"Deployment web": {"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE"},
	},
	emitted: []string{"ConfigMap prod/web-gcp-credentials"},
}, {
	name:    "batch",
	release: "nightly",
	chart:   "batch",
	spec:    "batch-spec.yaml",
	wired: map[string][]string{
		"Job nightly-migrate":    {"LOG_LEVEL", "AWS_ROLE_ARN", "AZURE_CLIENT_ID"},
		"CronJob nightly-report": {"AWS_ROLE_ARN", "AZURE_CLIENT_ID"},
	},
	emitted: []string{"ServiceAccount prod/batch"},
}}

// `helm template --post-renderer` with the release namespace passed on:
// the chart's workloads come out wired, the output is what the goldens hold,
// and every object decodes strictly into Kubernetes' types.
func TestHelmTemplateWithThePostRenderer(t *testing.T) {
	for _, h := range helms {
		for _, c := range cases {
			t.Run(h.name+"/"+c.name, func(t *testing.T) {
				env := helmEnv(t)
				prepare(t, h, env)
				work := t.TempDir()
				chart, err := filepath.Abs(filepath.Join("testdata", "charts", c.chart))
				if err != nil {
					t.Fatal(err)
				}
				if c.chart == "" {
					runHelm(t, h, env, work, "create", c.release)
					chart = filepath.Join(work, c.release)
				}
				spec, err := filepath.Abs(filepath.Join("testdata", c.spec))
				if err != nil {
					t.Fatal(err)
				}
				got := runHelm(t, h, env, work, "template", c.release, chart, "--namespace", "prod",
					"--post-renderer", h.postRenderer,
					"--post-renderer-args", spec, "--post-renderer-args=--namespace=prod")
				compareGolden(t, filepath.Join("testdata", "golden", h.name+"-"+c.name+".yaml"), got)
				checkOutput(t, got, c)
			})
		}
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update, then read the file)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// checkOutput decodes every object strictly and checks what the case names:
// the wiring, the emitted objects, and that the chart's own objects kept no
// namespace (Helm gives them the release's).
func checkOutput(t *testing.T, stream string, c chartCase) {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(stream))
	if err != nil {
		t.Fatalf("output is not a YAML stream: %v", err)
	}
	byName := map[string]*yaml.RNode{}
	checked := 0
	for _, n := range nodes {
		byName[n.GetKind()+" "+n.GetName()] = n
		byName[n.GetKind()+" "+n.GetNamespace()+"/"+n.GetName()] = n
		if !kubecheck.Known(n.GetApiVersion(), n.GetKind()) {
			continue
		}
		data, err := n.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := kubecheck.Strict(n.GetApiVersion(), n.GetKind(), data); err != nil {
			t.Errorf("%s %s: %v", n.GetKind(), n.GetName(), err)
		}
		checked++
	}
	if checked < len(c.wired)+len(c.emitted) {
		t.Errorf("strictly decoded %d objects; want at least the wired and emitted ones", checked)
	}
	for name, vars := range c.wired {
		n := byName[name]
		if n == nil {
			t.Errorf("%s is not in the output", name)
			continue
		}
		if n.GetNamespace() != "" {
			t.Errorf("%s got namespace %q; the chart's objects must keep none", name, n.GetNamespace())
		}
		got := envOf(t, n)
		for _, v := range vars {
			if !strings.Contains(got, "\n"+v+"\n") {
				t.Errorf("%s: no %s among its containers' env:%s", name, v, got)
			}
		}
	}
	for _, name := range c.emitted {
		if byName[name] == nil {
			t.Errorf("%s was not emitted", name)
		}
	}
}

// envOf lists the env names of every container of a workload, one a line.
func envOf(t *testing.T, n *yaml.RNode) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("\n")
	var walk func(*yaml.Node)
	walk = func(y *yaml.Node) {
		if y.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(y.Content); i += 2 {
				if y.Content[i].Value == "env" && y.Content[i+1].Kind == yaml.SequenceNode {
					for _, e := range y.Content[i+1].Content {
						for j := 0; j+1 < len(e.Content); j += 2 {
							if e.Content[j].Value == "name" {
								b.WriteString(e.Content[j+1].Value + "\n")
							}
						}
					}
				}
			}
		}
		for _, c := range y.Content {
			walk(c)
		}
	}
	walk(n.YNode())
	return b.String()
}
