package export

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// placementSpec wires the ServiceAccount app in namespace (none: default).
func placementSpec(namespace string) []byte {
	ns := ""
	if namespace != "" {
		ns = "\n    namespace: " + namespace
	}
	return []byte(`apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: app
spec:
  cluster:
    provider: generic
    issuer: https://kubernetes.example.com
  serviceAccount:
    name: app` + ns + `
  aws:
    roleArn: arn:aws:iam::111122223333:role/app
    region: eu-west-2
`)
}

// placementDeployment runs as app and sets a variable of its own.
func placementDeployment(namespace string) string {
	ns := ""
	if namespace != "" {
		ns = "\n  namespace: " + namespace
	}
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api` + ns + `
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      serviceAccountName: app
      containers:
      - name: app
        image: example.com/api:1
        env:
        - name: USER_SETTING
          value: "1"
`
}

// builtDeployment returns the Deployment of a kustomize build.
func builtDeployment(t *testing.T, stream string) *yaml.RNode {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.GetKind() == "Deployment" {
			return n
		}
	}
	t.Fatalf("no Deployment in the build:\n%s", stream)
	return nil
}

// hasObject reports whether the stream holds the object kind namespace/name.
func hasObject(t *testing.T, stream, kind, namespace, name string) bool {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.GetKind() == kind && n.GetNamespace() == namespace && n.GetName() == name {
			return true
		}
	}
	return false
}

// envNames lists the names of the first container's variables, in order.
func envNames(t *testing.T, deployment *yaml.RNode) []string {
	t.Helper()
	var names []string
	containers := elements(deployment, "spec", "template", "spec", "containers")
	if len(containers) == 0 {
		t.Fatal("the Deployment has no containers")
	}
	for _, v := range elements(containers[0], "env") {
		names = append(names, scalar(v, "name"))
	}
	return names
}

// A Component runs before the namespace and name prefix of the
// kustomization that lists it, and after those of the bases below an overlay.
// Either way, and whether export saw the workloads before or after that
// namespace, the Deployment must come out wired, with the function's
// variables first.
func TestComponentWorksUnderNamespaceAndPrefix(t *testing.T) {
	const sameKustomization = "namespace: prod\nnamePrefix: p-\nresources: [input.yaml]\ncomponents: [../component]\n"
	tests := []struct {
		name string
		// exportedNamespace and exportedName are those of the Deployment
		// export was given.
		exportedNamespace, exportedName string
		// layout is the kustomizations, by folder under the work folder; the
		// Component is at component/ and the workloads at input.yaml beside
		// the kustomization that sets the namespace, in base.
		layout      map[string]string
		build, base string
		// wantSA is the ServiceAccount the Deployment runs as in the end: a
		// Component in an overlay adds it after the base's prefix.
		wantSA string
	}{
		{
			name:         "same kustomization, export of its input with --namespace",
			exportedName: "api",
			layout:       map[string]string{"app/kustomization.yaml": sameKustomization},
			build:        "app", base: "app", wantSA: "p-app",
		},
		{
			name:              "same kustomization, export of its input in the final namespace",
			exportedNamespace: "prod", exportedName: "api",
			layout: map[string]string{"app/kustomization.yaml": sameKustomization},
			build:  "app", base: "app", wantSA: "p-app",
		},
		{
			name:              "overlay above, export of the base's build",
			exportedNamespace: "prod", exportedName: "p-api",
			layout: map[string]string{
				"base/kustomization.yaml":    "namespace: prod\nnamePrefix: p-\nresources: [input.yaml]\n",
				"overlay/kustomization.yaml": "resources: [../base]\ncomponents: [../component]\n",
			},
			build: "overlay", base: "base", wantSA: "app",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			exported := strings.Replace(placementDeployment(tt.exportedNamespace), "name: api\n", "name: "+tt.exportedName+"\n", 1)
			// Objects without a namespace are applied in the
			// kustomization's, which export must be told.
			options := Options{}
			if tt.exportedNamespace == "" {
				options.Namespace = "prod"
			}
			files, _, err := options.Component(placementSpec(tt.exportedNamespace), []byte(exported))
			if err != nil {
				t.Fatal(err)
			}
			if err := Write(filepath.Join(work, "component"), files); err != nil {
				t.Fatal(err)
			}
			// The workloads as the kustomization that sets the namespace reads them.
			write(t, filepath.Join(work, tt.base, "input.yaml"), placementDeployment(""))
			for path, content := range tt.layout {
				write(t, filepath.Join(work, path), content)
			}
			built := kustomizeBuild(t, filepath.Join(work, tt.build))
			d := builtDeployment(t, built)
			if d.GetName() != "p-api" || d.GetNamespace() != "prod" {
				t.Errorf("Deployment %s/%s; want prod/p-api", d.GetNamespace(), d.GetName())
			}
			if got := scalar(d, "spec", "template", "spec", "serviceAccountName"); got != tt.wantSA {
				t.Errorf("serviceAccountName %q; want %s", got, tt.wantSA)
			}
			names := envNames(t, d)
			if len(names) < 2 || names[0] != "AWS_STS_REGIONAL_ENDPOINTS" || names[len(names)-1] != "USER_SETTING" {
				t.Errorf("env %v; want the function's variables first, then USER_SETTING", names)
			}
			if !hasObject(t, built, "ServiceAccount", "prod", tt.wantSA) {
				t.Errorf("no ServiceAccount prod/%s in the build:\n%s", tt.wantSA, built)
			}
		})
	}
}

// The function's variables come first in each container's env, before the
// user's own, so that a user variable may refer to them with $(NAME).
func TestComponentPutsTheFunctionsVariablesFirst(t *testing.T) {
	files, _, err := Component(placementSpec("apps"), []byte(placementDeployment("apps")))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	if err := Write(filepath.Join(work, "component"), files); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(work, "input.yaml"), placementDeployment("apps"))
	write(t, filepath.Join(work, "kustomization.yaml"), "resources: [input.yaml]\ncomponents: [component]\n")
	names := envNames(t, builtDeployment(t, kustomizeBuild(t, work)))
	want := []string{"AWS_STS_REGIONAL_ENDPOINTS", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "USER_SETTING"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("env %v; want %v", names, want)
	}
}

// An input object's name reaches file names and kustomization.yaml: one
// Kubernetes would refuse must stop export before anything is written.
func TestComponentRefusesNamesKubernetesWouldRefuse(t *testing.T) {
	for _, name := range []string{"../../x", "api\nresources: [evil.yaml]", "API", strings.Repeat("a", 254)} {
		t.Run(strings.ReplaceAll(name, "\n", `\n`)[:min(20, len(name))], func(t *testing.T) {
			input := strings.Replace(placementDeployment("apps"), "name: api\n", "name: "+strings.ReplaceAll(yamlQuote(name), "\n", `\n`)+"\n", 1)
			files, _, err := Component(placementSpec("apps"), []byte(input))
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("Component = %d files, %v; want ErrInvalidName", len(files), err)
			}
			if files != nil {
				t.Errorf("files with the error: %v", files)
			}
			if !strings.Contains(err.Error(), "metadata.name") || !strings.Contains(err.Error(), "DNS-1123 subdomain") {
				t.Errorf("the error does not name the field and the rule: %v", err)
			}
		})
	}
}

// yamlQuote writes s as a double-quoted YAML scalar.
func yamlQuote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

func TestPatchFileNamesStayShortAndDistinct(t *testing.T) {
	long := strings.Repeat("a", 250)
	seen := map[string]bool{}
	for _, obj := range []string{
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + long + "\n  namespace: apps\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + long + "b\n  namespace: apps\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a.b\n  namespace: c\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  namespace: b.c\n",
	} {
		name := patchFileName(yaml.MustParse(obj))
		if len(filepath.Base(name)) > 120 || !filepath.IsLocal(name) || !strings.HasPrefix(name, "patches/") {
			t.Errorf("patch file name %q: want a short name under patches/", name)
		}
		if seen[name] {
			t.Errorf("two objects share the patch file %s", name)
		}
		seen[name] = true
	}
}

// A failed export must leave the Component it would have replaced as it was.
func TestFailedWriteLeavesTheOldComponent(t *testing.T) {
	work := t.TempDir()
	dir := filepath.Join(work, "component")
	write(t, filepath.Join(dir, "kustomization.yaml"), Header+"kind: Component\n")
	write(t, filepath.Join(dir, "patches", "old.yaml"), Header+"[]\n")
	before := snapshot(t, dir)

	// The second file cannot be written: its folder is the first file.
	err := Write(dir, []File{{Path: "kustomization.yaml", Content: Header + "new\n"}, {Path: "kustomization.yaml/x", Content: "x"}})
	if err == nil {
		t.Fatal("Write succeeded")
	}
	after := snapshot(t, dir)
	if len(after) != len(before) {
		t.Errorf("files %v after the failed write; want %v", after, before)
	}
	for path, content := range before {
		if after[path] != content {
			t.Errorf("%s changed: %q", path, after[path])
		}
	}
	entries, err := os.ReadDir(work)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the failed write left %d entries beside the Component", len(entries)-1)
	}
}

// Files export did not write are kept; its own stale patches are not.
func TestWriteKeepsOtherFilesAndDropsStalePatches(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "component")
	write(t, filepath.Join(dir, "README.md"), "notes\n")
	write(t, filepath.Join(dir, "patches", "stale.yaml"), Header+"[]\n")
	if err := Write(dir, []File{{Path: "kustomization.yaml", Content: Header + "kind: Component\n"}}); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, dir)
	if got[filepath.Join(dir, "README.md")] != "notes\n" {
		t.Errorf("README.md was not kept: %v", got)
	}
	if _, ok := got[filepath.Join(dir, "patches", "stale.yaml")]; ok {
		t.Errorf("the stale patch was kept")
	}
}

// export --out . from inside the Component's folder, as one would rerun it.
func TestWriteIntoTheCurrentFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "component")
	write(t, filepath.Join(dir, "kustomization.yaml"), Header+"old\n")
	t.Chdir(dir)
	if err := Write(".", []File{{Path: "kustomization.yaml", Content: Header + "new\n"}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil || string(data) != Header+"new\n" {
		t.Errorf("kustomization.yaml: %q, %v; want the new content", data, err)
	}
}
