package helm

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// tryHelm runs Helm and returns what it printed, without failing the test
// on a non-zero exit.
func tryHelm(t *testing.T, h *helmVersion, env []string, dir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(h.binary, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func abs(t *testing.T, parts ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(parts...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A spec that names the release's namespace, and no --namespace for the
// function: the chart's objects carry no namespace and count as "default",
// so nothing would be wired. Both Helms must fail and show the user the flag
// that fixes it; Helm 4 shows a plugin's reason only through the function's
// --errors-in-output (the plugin.yaml passes it).
func TestHelmFailsAndSaysWhyWhenTheReleaseNamespaceIsNotPassedOn(t *testing.T) {
	for _, h := range helms {
		t.Run(h.name, func(t *testing.T) {
			env := helmEnv(t)
			prepare(t, h, env)
			stdout, stderr, err := tryHelm(t, h, env, t.TempDir(), "template", "web", abs(t, "testdata", "charts", "hooks"), "--namespace", "prod",
				"--post-renderer", h.postRenderer, "--post-renderer-args", abs(t, "testdata", "app-spec.yaml"))
			if err == nil {
				t.Fatalf("helm template succeeded; want the function's error:\n%s", stdout)
			}
			if strings.Contains(stdout, "kind: Deployment") {
				t.Errorf("Helm printed objects with the error:\n%s", stdout)
			}
			for _, want := range []string{"as \"default\" (without --namespace)", "ServiceAccount is prod/app", "--post-renderer-args=--namespace=prod"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("what the user sees does not say %q:\n%s", want, stderr)
				}
			}
			t.Logf("what the user sees from Helm %s:\n%s", h.name, stderr)
		})
	}
}

// Helm 4 discards a failing post-renderer plugin's stderr: without
// --errors-in-output the user sees no reason at all, with it the function's
// message is in Helm's own error. Any error of the function, here a conflict
// with an env var the chart sets.
func TestHelm4ShowsTheFunctionsReason(t *testing.T) {
	h := helms[1]
	env := helmEnv(t)
	prepare(t, h, env)
	chart := filepath.Join(t.TempDir(), "conflict")
	if err := os.CopyFS(chart, os.DirFS(filepath.Join("testdata", "charts", "batch"))); err != nil {
		t.Fatal(err)
	}
	// The chart sets AWS_REGION to another region than the spec's.
	job := filepath.Join(chart, "templates", "job.yaml")
	data, err := os.ReadFile(job)
	if err != nil {
		t.Fatal(err)
	}
	withRegion := strings.Replace(string(data), "        - name: LOG_LEVEL\n", "        - name: AWS_REGION\n          value: us-east-1\n        - name: LOG_LEVEL\n", 1)
	if err := os.WriteFile(job, []byte(withRegion), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := tryHelm(t, h, env, t.TempDir(), "template", "nightly", chart, "--namespace", "prod",
		"--post-renderer", h.postRenderer, "--post-renderer-args", abs(t, "testdata", "batch-spec.yaml"), "--post-renderer-args=--namespace=prod")
	if err == nil {
		t.Fatal("helm template succeeded over a conflict")
	}
	for _, want := range []string{"cross-cloud-access failed; nothing was written", "AWS_REGION", "nightly-migrate"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("Helm 4's error does not say %q:\n%s", want, stderr)
		}
	}

	// The same plugin without --errors-in-output: only Helm's own words.
	bare := filepath.Join(t.TempDir(), "bare-plugin")
	plugin, err := os.ReadFile(filepath.Join(repoRoot, "helm-plugin", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	withoutFlag := strings.Replace(string(plugin), "    args: [--errors-in-output]\n", "", 1)
	if withoutFlag == string(plugin) {
		t.Fatal("helm-plugin/plugin.yaml no longer passes --errors-in-output")
	}
	withoutFlag = strings.Replace(withoutFlag, "name: cross-cloud-access\n", "name: bare\n", 1)
	if err := os.MkdirAll(bare, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bare, "plugin.yaml"), []byte(withoutFlag), 0o644); err != nil {
		t.Fatal(err)
	}
	runHelm(t, h, env, ".", "plugin", "install", bare)
	_, stderr, err = tryHelm(t, h, env, t.TempDir(), "template", "nightly", chart, "--namespace", "prod",
		"--post-renderer", "bare", "--post-renderer-args", abs(t, "testdata", "batch-spec.yaml"), "--post-renderer-args=--namespace=prod")
	if err == nil || strings.Contains(stderr, "AWS_REGION") || !strings.Contains(stderr, `plugin "bare" exited with error`) {
		t.Errorf("without --errors-in-output Helm 4 should show only that the plugin failed (err %v):\n%s", err, stderr)
	}
}

// Helm 3 never post-renders hooks (a pre-install migration, a test pod):
// they leave unwired, and `verify` says so. Helm 4 post-renders them with the
// rest.
func TestHooksAreWiredByHelm4Only(t *testing.T) {
	for _, h := range helms {
		t.Run(h.name, func(t *testing.T) {
			env := helmEnv(t)
			prepare(t, h, env)
			spec := abs(t, "testdata", "app-spec.yaml")
			out := runHelm(t, h, env, t.TempDir(), "template", "web", abs(t, "testdata", "charts", "hooks"), "--namespace", "prod",
				"--post-renderer", h.postRenderer, "--post-renderer-args", spec, "--post-renderer-args=--namespace=prod")
			nodes, err := kio.FromBytes([]byte(out))
			if err != nil {
				t.Fatal(err)
			}
			wired := map[string]bool{}
			for _, n := range nodes {
				if n.GetKind() == "ServiceAccount" {
					continue
				}
				wired[n.GetKind()+" "+n.GetName()] = strings.Contains(n.MustString(), "AWS_ROLE_ARN")
			}
			hooksWired := h.name == "v4"
			want := map[string]bool{"Deployment web-api": true, "Job web-migrate": hooksWired, "Pod web-smoke-test": hooksWired}
			for name, w := range want {
				if got, ok := wired[name]; !ok || got != w {
					t.Errorf("%s wired = %v (in the output: %v); want %v", name, got, ok, w)
				}
			}

			// verify over the rendered release catches the unwired hooks.
			var stdout, stderr bytes.Buffer
			verify := exec.Command("cross-cloud-access", "verify", "--namespace", "prod", spec, "-")
			verify.Stdin = strings.NewReader(out)
			verify.Stdout, verify.Stderr = &stdout, &stderr
			err = verify.Run()
			if hooksWired && err != nil {
				t.Errorf("verify of Helm 4's release: %v\n%s", err, stderr.String())
			}
			if !hooksWired && (err == nil || !strings.Contains(stderr.String(), "web-migrate") || !strings.Contains(stderr.String(), "web-smoke-test")) {
				t.Errorf("verify of Helm 3's release should name both unwired hooks (err %v):\n%s", err, stderr.String())
			}
		})
	}
}

// Helm 3 and Helm 4 read the same plugins folder by default
// ($HELM_DATA_HOME/plugins; Helm 4's `plugin install` of a folder writes there
// whatever HELM_PLUGINS says), and Helm 3 cannot read the Helm 4 plugin's
// plugin.yaml: it then loads none of the folder's plugins. The layout
// docs/helm.md gives, the Helm 4 plugin copied into a folder of its own that
// only Helm 4's HELM_PLUGINS lists, serves both.
func TestPluginFoldersForHelm3AndHelm4(t *testing.T) {
	v3, v4 := helms[0], helms[1]
	// A plugin both Helms read: a legacy one, as most plugins are.
	hello := filepath.Join(t.TempDir(), "hello")
	if err := os.MkdirAll(hello, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hello, "plugin.yaml"), []byte("name: hello\nversion: 0.1.0\nusage: says hello\ncommand: echo hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("one folder", func(t *testing.T) {
		env := helmEnv(t)
		runHelm(t, v3, env, ".", "plugin", "install", hello)
		runHelm(t, v4, env, ".", "plugin", "install", abs(t, repoRoot, "helm-plugin"))
		stdout, stderr, _ := tryHelm(t, v3, env, ".", "plugin", "list")
		if !strings.Contains(stderr, "failed to load plugins") || strings.Contains(stdout, "hello") {
			t.Errorf("Helm 3 over a folder holding the Helm 4 plugin: want \"failed to load plugins\" and no plugin listed; got\n%s%s", stdout, stderr)
		}
	})

	t.Run("the Helm 4 plugin in a folder of its own", func(t *testing.T) {
		env := helmEnv(t)
		runHelm(t, v3, env, ".", "plugin", "install", hello)
		shared := ""
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, "HELM_PLUGINS="); ok {
				shared = v
			}
		}
		own := filepath.Join(t.TempDir(), "plugins-v4")
		if err := os.CopyFS(filepath.Join(own, "cross-cloud-access"), os.DirFS(filepath.Join(repoRoot, "helm-plugin"))); err != nil {
			t.Fatal(err)
		}
		stdout, stderr, err := tryHelm(t, v3, env, ".", "plugin", "list")
		if err != nil || stderr != "" || !strings.Contains(stdout, "hello") {
			t.Errorf("Helm 3 with its folder: %v\n%s%s", err, stdout, stderr)
		}
		v4env := append(env, "HELM_PLUGINS="+shared+string(os.PathListSeparator)+own)
		list := runHelm(t, v4, v4env, ".", "plugin", "list")
		if !strings.Contains(list, "hello") || !strings.Contains(list, "cross-cloud-access") {
			t.Errorf("Helm 4 with both folders should list both plugins:\n%s", list)
		}
		out := runHelm(t, v4, v4env, t.TempDir(), "template", "nightly", abs(t, "testdata", "charts", "batch"), "--namespace", "prod",
			"--post-renderer", "cross-cloud-access", "--post-renderer-args", abs(t, "testdata", "batch-spec.yaml"), "--post-renderer-args=--namespace=prod")
		nodes, err := kio.FromBytes([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		wired := false
		for _, n := range nodes {
			if n.GetKind() == "Job" {
				env, _ := n.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=migrate]", "env"))
				wired = env != nil && strings.Contains(env.MustString(), "AWS_ROLE_ARN")
			}
		}
		if !wired {
			t.Errorf("Helm 4 with the plugin in its own folder did not wire the Job:\n%s", out)
		}
	})
}
