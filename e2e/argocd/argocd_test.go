package argocd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/argoproj/argo-cd/v3/cmpserver/apiclient"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	repoapiclient "github.com/argoproj/argo-cd/v3/reposerver/apiclient"
	"github.com/argoproj/argo-cd/v3/reposerver/repository"
	"github.com/argoproj/argo-cd/v3/util/cmp"
	"github.com/argoproj/argo-cd/v3/util/git"
	gocmp "github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

const (
	goldenFile = "testdata/example-app.golden.yaml"
	// revision is the commit the fake sync renders.
	revision = "8d9f6c0e1b2a3c4d5e6f708192a3b4c5d6e7f809"
)

// TestPluginConfig checks that the example plugin.yaml is what Argo CD accepts and
// what the example Application names.
func TestPluginConfig(t *testing.T) {
	app := loadApplication(t)
	if got, want := filepath.Base(env.socket), app.Spec.Source.Plugin.Name+".sock"; got != want {
		t.Errorf("plugin socket %s, but application.yaml names plugin %q (socket %s)", got, app.Spec.Source.Plugin.Name, want)
	}
	if !env.plugin.Spec.Discover.IsDefined() {
		t.Error("plugin.yaml has no discovery: Argo CD would not pick it for apps without a plugin name")
	}
	t.Logf("image layout at %s: %v; plugin runs as uid %d: %v", imageBinDir, env.imageLayout, sidecarUID, env.asSidecar)
}

// TestDiscovery runs the plugin's discover command through the CMP server, directly
// and as the repo-server's source type detection does for an app without a plugin name.
func TestDiscovery(t *testing.T) {
	writeRepoFiles(t, map[string]string{
		"testdata/plain-kustomize/kustomization.yaml":  "resources:\n  - configmap.yaml\n",
		"testdata/plain-kustomize/configmap.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: b\n",
		"testdata/spec-only/cross-cloud-access.yaml":   readRepoFile(t, exampleRel+"/app/cross-cloud-access.yaml"),
		"testdata/spec-only/deployment.yaml":           readRepoFile(t, exampleRel+"/app/deployment.yaml"),
		"testdata/mentions-kind/kustomization.yaml":    "resources:\n  - notes.yaml\n",
		"testdata/mentions-kind/notes.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  text: |\n    kind: CrossCloudAccess\n",
		"testdata/kustomization-yml/kustomization.yml": "transformers:\n  - cca.yml\n",
		"testdata/kustomization-yml/cca.yml":           readRepoFile(t, exampleRel+"/app/cross-cloud-access.yaml"),
	})
	tests := []struct {
		name      string
		path      string
		wantMatch bool
		wantType  v1alpha1.ApplicationSourceType
	}{
		{"example app", exampleRel + "/app", true, v1alpha1.ApplicationSourceTypePlugin},
		{"plain kustomize app", "testdata/plain-kustomize", false, v1alpha1.ApplicationSourceTypeKustomize},
		{"spec without kustomization", "testdata/spec-only", false, v1alpha1.ApplicationSourceTypeDirectory},
		{"kind only inside a string", "testdata/mentions-kind", false, v1alpha1.ApplicationSourceTypeKustomize},
		{"kustomization.yml and .yml spec", "testdata/kustomization-yml", true, v1alpha1.ApplicationSourceTypePlugin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			appPath := filepath.Join(env.repo, tt.path)

			closer, client, err := apiclient.NewConfigManagementPluginClientSet(env.socket).NewConfigManagementPluginClient()
			if err != nil {
				t.Fatalf("connecting to the CMP server: %v", err)
			}
			closeWhenDone(t, closer, "the CMP client")
			stream, err := client.MatchRepository(ctx)
			if err != nil {
				t.Fatalf("opening MatchRepository: %v", err)
			}
			if err := cmp.SendRepoStream(ctx, appPath, env.repo, stream, nil, nil); err != nil {
				t.Fatalf("streaming the repository: %v", err)
			}
			resp, err := stream.CloseAndRecv()
			if err != nil {
				t.Fatalf("MatchRepository: %v", err)
			}
			if resp.GetIsSupported() != tt.wantMatch || !resp.GetIsDiscoveryEnabled() {
				t.Errorf("MatchRepository = supported %v, discovery enabled %v; want supported %v, discovery enabled true",
					resp.GetIsSupported(), resp.GetIsDiscoveryEnabled(), tt.wantMatch)
			}

			source := &v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: tt.path}
			got, err := repository.GetAppSourceType(ctx, source, appPath, env.repo, "app", nil, nil, nil)
			if err != nil {
				t.Fatalf("GetAppSourceType: %v", err)
			}
			if got != tt.wantType {
				t.Errorf("repo-server source type = %s, want %s", got, tt.wantType)
			}
		})
	}
}

// TestGenerate renders the example Application as the repo-server does in a sync, and
// through a bare CMP client, and compares the manifests with the golden file.
func TestGenerate(t *testing.T) {
	app := loadApplication(t)
	source := app.Spec.Source.DeepCopy()

	res, err := repository.GenerateManifests(testContext(t), filepath.Join(env.repo, source.Path), env.repo, revision,
		manifestRequest(app, source), false, &git.NoopCredsStore{}, resource.MustParse("0"), nil)
	if err != nil {
		t.Fatalf("GenerateManifests: %v", err)
	}
	if res.SourceType != string(v1alpha1.ApplicationSourceTypePlugin) {
		t.Errorf("source type = %q, want Plugin", res.SourceType)
	}
	got := decodeManifests(t, res.Manifests)
	if *update {
		writeGolden(t, got)
	}
	want := decodeManifests(t, splitYAML(t, readFile(t, goldenFile)))
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("repo-server manifests differ from %s (-want +got):\n%s", goldenFile, diff)
	}
	assertFunctionRan(t, got)

	t.Run("bare CMP client", func(t *testing.T) {
		ctx := testContext(t)
		closer, client, err := apiclient.NewConfigManagementPluginClientSet(env.socket).NewConfigManagementPluginClient()
		if err != nil {
			t.Fatalf("connecting to the CMP server: %v", err)
		}
		closeWhenDone(t, closer, "the CMP client")
		stream, err := client.GenerateManifest(ctx)
		if err != nil {
			t.Fatalf("opening GenerateManifest: %v", err)
		}
		appPath := filepath.Join(env.repo, source.Path)
		if err := cmp.SendRepoStream(ctx, appPath, env.repo, stream, nil, nil); err != nil {
			t.Fatalf("streaming the repository: %v", err)
		}
		resp, err := stream.CloseAndRecv()
		if err != nil {
			t.Fatalf("GenerateManifest: %v", err)
		}
		if diff := gocmp.Diff(want, decodeManifests(t, resp.GetManifests())); diff != "" {
			t.Errorf("CMP manifests differ from %s (-want +got):\n%s", goldenFile, diff)
		}
	})
}

// TestGenerateEnvironment proves that what a sync passes to a plugin reaches the
// function's process: a spy named cross-cloud-access, first on PATH, records its
// environment and then runs the real function, through the unchanged plugin.yaml.
func TestGenerateEnvironment(t *testing.T) {
	const dir = "testdata/env-spy/app"
	dump := filepath.Join(env.work, "tmp", "function-env.txt")
	spyDir := filepath.Join(env.work, "bin", "spy")
	if err := os.MkdirAll(spyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\nenv > %q\nexec %q \"$@\"\n", dump, env.functionBin)
	if err := os.WriteFile(filepath.Join(spyDir, "cross-cloud-access"), []byte(script), 0o755); err != nil {
		t.Fatalf("writing the spy: %v", err)
	}
	// The CMP server runs each command with its own process's environment.
	t.Setenv("PATH", spyDir+":"+os.Getenv("PATH"))
	if err := copyTree(filepath.Join(env.repoRoot, exampleRel, "app"), filepath.Join(env.repo, dir)); err != nil {
		t.Fatal(err)
	}

	app := loadApplication(t)
	var source v1alpha1.ApplicationSource
	sourceYAML := `
repoURL: https://github.com/crosscloud-dev/cross-cloud-access.git
targetRevision: main
path: ` + dir + `
plugin:
  name: cross-cloud-access
  env:
    - name: CLUSTER
      value: $ARGOCD_APP_NAME-cluster
  parameters:
    - name: audience
      string: sts.amazonaws.com
    - name: extra-labels
      map:
        team: platform
    - name: regions
      array: [eu-west-2, us-east-1]
`
	if err := yaml.UnmarshalStrict([]byte(sourceYAML), &source); err != nil {
		t.Fatalf("decoding the source: %v", err)
	}
	req := manifestRequest(app, &source)
	req.KubeVersion = "1.31.14"
	req.ApiVersions = []string{"v1", "apps/v1"}

	res, err := repository.GenerateManifests(testContext(t), filepath.Join(env.repo, dir), env.repo, revision,
		req, false, &git.NoopCredsStore{}, resource.MustParse("0"), nil)
	if err != nil {
		t.Fatalf("GenerateManifests: %v", err)
	}
	want := decodeManifests(t, splitYAML(t, readFile(t, goldenFile)))
	if diff := gocmp.Diff(want, decodeManifests(t, res.Manifests)); diff != "" {
		t.Errorf("manifests through the spy differ from %s (-want +got):\n%s", goldenFile, diff)
	}

	got := readEnvDump(t, dump)
	for _, name := range sortedKeys(got) {
		if strings.HasPrefix(name, "ARGOCD_") || strings.HasPrefix(name, "PARAM_") || strings.HasPrefix(name, "KUBE_") {
			t.Logf("function saw %s=%s", name, got[name])
		}
	}
	wantEnv := map[string]string{
		"ARGOCD_APP_NAME":                   app.Name,
		"ARGOCD_APP_NAMESPACE":              app.Spec.Destination.Namespace,
		"ARGOCD_APP_PROJECT_NAME":           app.Spec.Project,
		"ARGOCD_APP_REVISION":               revision,
		"ARGOCD_APP_REVISION_SHORT":         revision[:7],
		"ARGOCD_APP_REVISION_SHORT_8":       revision[:8],
		"ARGOCD_APP_SOURCE_REPO_URL":        source.RepoURL,
		"ARGOCD_APP_SOURCE_PATH":            dir,
		"ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
		"ARGOCD_ENV_CLUSTER":                app.Name + "-cluster",
		"PARAM_AUDIENCE":                    "sts.amazonaws.com",
		"PARAM_EXTRA_LABELS_TEAM":           "platform",
		"PARAM_REGIONS_0":                   "eu-west-2",
		"PARAM_REGIONS_1":                   "us-east-1",
		"KUBE_VERSION":                      "1.31.14",
		"KUBE_API_VERSIONS":                 "v1,apps/v1",
	}
	for _, name := range sortedKeys(wantEnv) {
		if v, ok := got[name]; !ok {
			t.Errorf("%s did not reach the function", name)
		} else if v != wantEnv[name] {
			t.Errorf("function saw %s=%q, want %q", name, v, wantEnv[name])
		}
	}

	// ARGOCD_APP_PARAMETERS is JSON: compare it decoded.
	const wantParams = `[{"name":"audience","string":"sts.amazonaws.com"},{"name":"extra-labels","map":{"team":"platform"}},{"name":"regions","array":["eu-west-2","us-east-1"]}]`
	var gotParamsObj, wantParamsObj any
	if err := json.Unmarshal([]byte(got["ARGOCD_APP_PARAMETERS"]), &gotParamsObj); err != nil {
		t.Errorf("function saw ARGOCD_APP_PARAMETERS=%q, not JSON: %v", got["ARGOCD_APP_PARAMETERS"], err)
	}
	if err := json.Unmarshal([]byte(wantParams), &wantParamsObj); err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(wantParamsObj, gotParamsObj); diff != "" {
		t.Errorf("ARGOCD_APP_PARAMETERS the function saw (-want +got):\n%s", diff)
	}
}

// TestGenerateTransformerSpec renders an app written for kustomize's exec mode (the
// spec under transformers:, with an exec path) as a sync does: the plugin applies the
// spec itself and never runs the exec path, a spy that would leave a marker.
func TestGenerateTransformerSpec(t *testing.T) {
	const dir = "testdata/transformer-spec/app"
	marker := filepath.Join(env.work, "tmp", "transformer-spec-exec-ran")
	spy := filepath.Join(env.work, "bin", "exec-path-spy")
	script := fmt.Sprintf("#!/bin/sh\ntouch %q\nexec %q \"$@\"\n", marker, env.functionBin)
	if err := os.WriteFile(spy, []byte(script), 0o755); err != nil {
		t.Fatalf("writing the spy: %v", err)
	}
	spec, err := withExecFunction(readRepoFile(t, exampleRel+"/app/cross-cloud-access.yaml"), spy)
	if err != nil {
		t.Fatal(err)
	}
	writeRepoFiles(t, map[string]string{
		dir + "/kustomization.yaml":      "resources:\n  - deployment.yaml\ntransformers:\n  - cross-cloud-access.yaml\n",
		dir + "/deployment.yaml":         readRepoFile(t, exampleRel+"/app/deployment.yaml"),
		dir + "/cross-cloud-access.yaml": spec,
	})
	app := loadApplication(t)
	source := app.Spec.Source.DeepCopy()
	source.Path = dir
	res, err := repository.GenerateManifests(testContext(t), filepath.Join(env.repo, dir), env.repo, revision,
		manifestRequest(app, source), false, &git.NoopCredsStore{}, resource.MustParse("0"), nil)
	if err != nil {
		t.Fatalf("GenerateManifests: %v", err)
	}
	want := decodeManifests(t, splitYAML(t, readFile(t, goldenFile)))
	if diff := gocmp.Diff(want, decodeManifests(t, res.Manifests)); diff != "" {
		t.Errorf("manifests differ from %s (-want +got):\n%s", goldenFile, diff)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the spec's exec path ran (%s exists): the plugin must not let kustomize run executables", marker)
	}
}

// TestGenerateFailures checks that a failed rendering fails the sync with the cause in
// the error, instead of handing Argo CD an empty (prune everything) manifest list, and
// that a function a repository declares never runs.
func TestGenerateFailures(t *testing.T) {
	spec := readRepoFile(t, exampleRel+"/app/cross-cloud-access.yaml")
	kustomization := readRepoFile(t, exampleRel+"/app/kustomization.yaml")
	deployment := readRepoFile(t, exampleRel+"/app/deployment.yaml")
	// A function of the repository's own: the system's shell, so it would run even
	// though the CMP server does not keep the files' modes (preserveFileMode: false).
	marker := filepath.Join(env.work, "tmp", "foreign-function-ran")
	foreign := fmt.Sprintf("apiVersion: example.com/v1\nkind: Foreign\nmetadata:\n  name: foreign\n  annotations:\n"+
		"    config.kubernetes.io/function: |\n      exec:\n        path: /bin/sh\n        args: [-c, 'touch %s; cat']\n", marker)
	tests := []struct {
		name    string
		files   map[string]string
		wantErr []string
	}{
		{
			name: "bad role ARN",
			files: map[string]string{
				"kustomization.yaml":      kustomization,
				"deployment.yaml":         deployment,
				"cross-cloud-access.yaml": replaceOnce(t, spec, "roleArn: arn:aws:iam::111122223333:role/oidc_exp_federated_role", "roleArn: not-an-arn"),
			},
			// The function's validation message, with its field path.
			wantErr: []string{`spec.aws.roleArn: "not-an-arn" is not valid`},
		},
		{
			name: "kustomization renders nothing",
			files: map[string]string{
				"kustomization.yaml":      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
				"cross-cloud-access.yaml": replaceOnce(t, spec, "    namespace: default\n", "    namespace: default\n    create: false\n"),
			},
			wantErr: []string{"cross-cloud-access argocd-generate: the app rendered no manifests"},
		},
		{
			name: "foreign exec function",
			files: map[string]string{
				"kustomization.yaml":      kustomization + "transformers:\n  - foreign.yaml\n",
				"deployment.yaml":         deployment,
				"cross-cloud-access.yaml": spec,
				"foreign.yaml":            foreign,
			},
			wantErr: []string{
				"refusing to render: a kustomization of this app declares a KRM function or plugin",
				"built-in transformers only",
				"unable to load external plugin 'Foreign'",
			},
		},
		{
			name: "foreign exec function in a base",
			files: map[string]string{
				"kustomization.yaml":      "resources:\n  - base\n  - cross-cloud-access.yaml\n",
				"cross-cloud-access.yaml": spec,
				"base/kustomization.yaml": "resources:\n  - deployment.yaml\ngenerators:\n  - foreign.yaml\n",
				"base/deployment.yaml":    deployment,
				"base/foreign.yaml":       foreign,
			},
			wantErr: []string{
				"refusing to render: a kustomization of this app declares a KRM function or plugin",
				"unable to load external plugin 'Foreign'",
			},
		},
	}
	app := loadApplication(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fmt.Sprintf("testdata/failure-%d/app", i)
			files := map[string]string{}
			for name, content := range tt.files {
				files[dir+"/"+name] = content
			}
			writeRepoFiles(t, files)
			source := app.Spec.Source.DeepCopy()
			source.Path = dir
			res, err := repository.GenerateManifests(testContext(t), filepath.Join(env.repo, dir), env.repo, revision,
				manifestRequest(app, source), false, &git.NoopCredsStore{}, resource.MustParse("0"), nil)
			if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a function the repository declares ran (%s exists)", marker)
				_ = os.Remove(marker) // so the next case finds its own
			}
			if err == nil {
				t.Fatalf("GenerateManifests succeeded with %d manifests, want an error", len(res.Manifests))
			}
			if res != nil {
				t.Errorf("GenerateManifests returned manifests with its error: %v", res.Manifests)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not contain %q:\n%v", want, err)
				}
			}
			t.Logf("error as Argo CD reports it: %v", err)
		})
	}
}

// manifestRequest is the repo-server request a sync of app sends, with source.
func manifestRequest(app *v1alpha1.Application, source *v1alpha1.ApplicationSource) *repoapiclient.ManifestRequest {
	return &repoapiclient.ManifestRequest{
		Repo:              &v1alpha1.Repository{Repo: source.RepoURL},
		Revision:          source.TargetRevision,
		ApplicationSource: source,
		AppName:           app.Name,
		Namespace:         app.Spec.Destination.Namespace,
		ProjectName:       app.Spec.Project,
	}
}

// loadApplication decodes the example Application strictly.
func loadApplication(t *testing.T) *v1alpha1.Application {
	t.Helper()
	var app v1alpha1.Application
	if err := yaml.UnmarshalStrict([]byte(readRepoFile(t, exampleRel+"/application.yaml")), &app); err != nil {
		t.Fatalf("decoding application.yaml: %v", err)
	}
	if app.Spec.Source == nil || app.Spec.Source.Plugin == nil {
		t.Fatal("application.yaml has no spec.source.plugin")
	}
	return &app
}

// object is one decoded manifest.
type object = map[string]any

// decodeManifests decodes YAML or JSON manifests and sorts them by kind, namespace and name.
func decodeManifests(t *testing.T, manifests []string) []object {
	t.Helper()
	objs := make([]object, 0, len(manifests))
	for _, m := range manifests {
		var obj object
		if err := yaml.Unmarshal([]byte(m), &obj); err != nil {
			t.Fatalf("decoding manifest %q: %v", m, err)
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
	sort.SliceStable(objs, func(i, j int) bool { return objectKey(objs[i]) < objectKey(objs[j]) })
	return objs
}

// objectKey identifies a decoded object.
func objectKey(obj object) string {
	meta, _ := obj["metadata"].(map[string]any)
	return fmt.Sprintf("%v/%v/%v/%v", obj["apiVersion"], obj["kind"], meta["namespace"], meta["name"])
}

// splitYAML splits a multi-document YAML stream.
func splitYAML(t *testing.T, s string) []string {
	t.Helper()
	var docs []string
	for _, doc := range strings.Split("\n"+s, "\n---\n") {
		if strings.TrimSpace(doc) != "" {
			docs = append(docs, doc)
		}
	}
	return docs
}

// writeGolden rewrites the golden file from objs.
func writeGolden(t *testing.T, objs []object) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("# The example app (examples/argocd-cmp/app) as Argo CD renders it with the plugin.\n")
	b.WriteString("# Regenerate: make -C e2e/argocd update-golden\n")
	for _, obj := range objs {
		y, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatalf("encoding %s: %v", objectKey(obj), err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
		t.Fatalf("creating %s: %v", filepath.Dir(goldenFile), err)
	}
	if err := os.WriteFile(goldenFile, b.Bytes(), 0o644); err != nil {
		t.Fatalf("writing %s: %v", goldenFile, err)
	}
	t.Logf("wrote %s", goldenFile)
}

// assertFunctionRan checks, apart from the golden file, that the output is the
// function's and not the untouched input: it has the ServiceAccount and the
// Deployment carries the role ARN.
func assertFunctionRan(t *testing.T, objs []object) {
	t.Helper()
	var haveSA, haveRole bool
	for _, obj := range objs {
		switch obj["kind"] {
		case "ServiceAccount":
			haveSA = true
		case "CrossCloudAccess":
			t.Errorf("the CrossCloudAccess spec reached the output: %v", obj)
		case "Deployment":
			b, err := yaml.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			haveRole = bytes.Contains(b, []byte("arn:aws:iam::111122223333:role/oidc_exp_federated_role"))
		}
	}
	if !haveSA {
		t.Error("no ServiceAccount in the output")
	}
	if !haveRole {
		t.Error("the Deployment does not carry the role ARN")
	}
}

// readEnvDump parses the output of env(1).
func readEnvDump(t *testing.T, path string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for _, line := range strings.Split(readFile(t, path), "\n") {
		if name, value, ok := strings.Cut(line, "="); ok {
			vars[name] = value
		}
	}
	return vars
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writeRepoFiles writes files (paths relative to the fake checkout) into it.
func writeRepoFiles(t *testing.T, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(env.repo, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readRepoFile reads a file of the main repository.
func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	return readFile(t, filepath.Join(env.repoRoot, rel))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(b)
}

func replaceOnce(t *testing.T, s, old, replacement string) string {
	t.Helper()
	if strings.Count(s, old) != 1 {
		t.Fatalf("%q does not occur exactly once", old)
	}
	return strings.Replace(s, old, replacement, 1)
}

// closeWhenDone closes c when the test ends and fails the test if that fails.
func closeWhenDone(t *testing.T, c io.Closer, what string) {
	t.Helper()
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("closing %s: %v", what, err)
		}
	})
}
