package verify

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests run the layouts docs/verify.md describes through the pinned
// kustomize (`go tool kustomize`) and the machine's kpt, with the function
// built from this tree.

var functionBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "verify-test")
	if err == nil {
		functionBinary = filepath.Join(dir, "cross-cloud-access")
		build := exec.Command("go", "build", "-o", functionBinary, "../../fn/cross-cloud-access")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		err = build.Run()
	}
	if err != nil {
		os.Stderr.WriteString("building the function: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// spec is the base's spec: AWS projected, so the pod template carries env.
func spec(name, namespace, account, annotations string) string {
	return `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: ` + name + `
  annotations:
` + annotations + `    config.kubernetes.io/function: |
      exec:
        path: ` + functionBinary + `
spec:
  cluster:
    provider: eks
    issuer: https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC
  serviceAccount:
    name: ` + account + `
    namespace: ` + namespace + `
  aws:
    roleArn: arn:aws:iam::111122223333:role/shop-api
    mode: projected
    region: eu-west-2
`
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      serviceAccountName: api
      containers:
      - name: app
        image: example.com/api:1
        env:
        - name: JAVA_TOOL_OPTIONS
          value: -Daws.region=$(AWS_REGION)
`

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, stdin string, name string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func kustomize(t *testing.T, dir string) (string, string, error) {
	t.Helper()
	return run(t, "", "go", "tool", "kustomize", "build", "--enable-alpha-plugins", "--enable-exec", dir)
}

// baseWithFunction is a base that runs the function, and the spec file.
func baseWithFunction(t *testing.T) (root, specFile string) {
	root = t.TempDir()
	write(t, root, map[string]string{
		"base/kustomization.yaml":      "resources: [deployment.yaml]\ntransformers: [cross-cloud-access.yaml]\n",
		"base/deployment.yaml":         deployment,
		"base/cross-cloud-access.yaml": spec("shop-api", "shop", "api", ""),
	})
	return root, filepath.Join(root, "base", "cross-cloud-access.yaml")
}

// checkOnlyLeaf is the base's spec marked check-only, for a leaf.
func checkOnlyLeaf() string {
	return spec("shop-api", "shop", "api", "    crosscloud.dev/check-only: \"true\"\n")
}

func TestOverlaysOfAWiredBase(t *testing.T) {
	cases := []struct {
		name    string
		overlay map[string]string
		// wantErr is in verify's output and the check-only build's; ""
		// means both pass.
		wantErr string
	}{
		{
			name:    "namespace, prefix and suffix rename the subject the trust pinned",
			overlay: map[string]string{"kustomization.yaml": "resources: [../base]\nnamespace: shop-dev\nnamePrefix: team-\nnameSuffix: -dev\n"},
			wantErr: "was wired by CrossCloudAccess \"shop-api\" for system:serviceaccount:shop:api but runs as system:serviceaccount:shop-dev:team-api-dev",
		},
		{
			name: "a JSON 6902 add of env replaces the injected list",
			overlay: map[string]string{"kustomization.yaml": `resources: [../base]
patches:
- target: {kind: Deployment, name: api}
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/env
      value: [{name: LOG_LEVEL, value: debug}]
`},
			wantErr: "lacks what CrossCloudAccess \"shop-api\" injects: env[app]=AWS_STS_REGIONAL_ENDPOINTS,AWS_DEFAULT_REGION,AWS_REGION,AWS_ROLE_ARN,AWS_WEB_IDENTITY_TOKEN_FILE",
		},
		{
			name: "a sidecar added by a strategic merge patch gets nothing",
			overlay: map[string]string{"kustomization.yaml": `resources: [../base]
patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
    spec:
      template:
        spec:
          containers:
          - name: proxy
            image: example.com/proxy:1
`},
			wantErr: "env[proxy]=AWS_STS_REGIONAL_ENDPOINTS",
		},
		{
			name: "a strategic merge patch of the image and labels keeps the wiring",
			overlay: map[string]string{"kustomization.yaml": `resources: [../base]
labels:
- pairs: {team: shop}
  includeTemplates: true
patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
    spec:
      template:
        spec:
          containers:
          - name: app
            image: example.com/api:2
`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root, specFile := baseWithFunction(t)
			write(t, filepath.Join(root, "overlay"), tc.overlay)
			built, stderr, err := kustomize(t, filepath.Join(root, "overlay"))
			if err != nil {
				t.Fatalf("building the overlay: %v\n%s", err, stderr)
			}
			// In CI: verify SPEC on the build's output.
			stdout, stderr, err := run(t, built, functionBinary, "verify", specFile, "-")
			if tc.wantErr == "" {
				if err != nil || !strings.Contains(stdout, "1 pod templates match") {
					t.Errorf("verify = %v; want a pass\n%s%s", err, stdout, stderr)
				}
			} else if err == nil || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("verify = %v; want a failure with %q\n%s%s", err, tc.wantErr, stdout, stderr)
			}

			// In the build: the same spec, check-only, as the leaf's last
			// transformer.
			leaf := filepath.Join(root, "leaf")
			write(t, leaf, map[string]string{
				"kustomization.yaml": "resources: [../overlay]\ntransformers: [check.yaml]\n",
				"check.yaml":         checkOnlyLeaf(),
			})
			checked, stderr, err := kustomize(t, leaf)
			if tc.wantErr == "" {
				if err != nil || checked != built {
					t.Errorf("the check-only leaf = %v; want the overlay's output unchanged\n%s", err, stderr)
				}
			} else if err == nil || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("the check-only leaf = %v; want a failed build with %q\n%s", err, tc.wantErr, stderr)
			}
		})
	}
}

func TestFunctionInTheLeafWiresTheRenamedWorkload(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"base/kustomization.yaml": "resources: [deployment.yaml]\n",
		"base/deployment.yaml":    deployment,
		"leaf/kustomization.yaml": `resources: [../base]
namespace: shop-dev
nameSuffix: -dev
patches:
- target: {kind: Deployment, name: api}
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/env
      value: [{name: LOG_LEVEL, value: debug}]
transformers: [cross-cloud-access.yaml]
`,
		// A transformer sees the leaf's namespace but the reference to
		// the ServiceAccount as written (the base declares none, so it is
		// never suffixed), and its own objects are not renamed: the spec
		// names the namespace and ServiceAccount the pods will run as.
		"leaf/cross-cloud-access.yaml": spec("shop-api", "shop-dev", "api", ""),
	})
	built, stderr, err := kustomize(t, filepath.Join(root, "leaf"))
	if err != nil {
		t.Fatalf("building the leaf: %v\n%s", err, stderr)
	}
	if !strings.Contains(built, "crosscloud.dev/subject: system:serviceaccount:shop-dev:api") || !strings.Contains(built, "name: AWS_ROLE_ARN") {
		t.Errorf("the leaf did not wire the renamed workload:\n%s", built)
	}
	stdout, stderr, err := run(t, built, functionBinary, "verify", filepath.Join(root, "leaf", "cross-cloud-access.yaml"), "-")
	if err != nil {
		t.Errorf("verify of the leaf's build = %v\n%s%s", err, stdout, stderr)
	}
}

func TestTwoSpecsForOneServiceAccountInTwoTransformerEntries(t *testing.T) {
	root := t.TempDir()
	second := strings.Replace(spec("shop-api-again", "shop", "api", ""), "oidc.eks.eu-west-2", "oidc.eks.eu-west-1", 1)
	write(t, root, map[string]string{
		"kustomization.yaml": "resources: [deployment.yaml]\ntransformers: [first.yaml, second.yaml]\n",
		"deployment.yaml":    deployment,
		"first.yaml":         spec("shop-api", "shop", "api", ""),
		"second.yaml":        second,
	})
	_, stderr, err := kustomize(t, root)
	if err == nil || !strings.Contains(stderr, `is already wired by CrossCloudAccess "shop-api" for system:serviceaccount:shop:api`) {
		t.Errorf("two specs for one ServiceAccount = %v; want the second refused\n%s", err, stderr)
	}
}

func TestKptPackageEditedThreeTimes(t *testing.T) {
	if _, err := exec.LookPath("kpt"); err != nil {
		t.Skip("kpt is not on PATH")
	}
	pkg := t.TempDir()
	gcp := `  gcp:
    projectId: my-project
    projectNumber: "123456789012"
    workloadIdentityPool: shop-pool
    workloadIdentityProvider: trusted-eks
    serviceAccountEmail: reader@my-project.iam.gserviceaccount.com
`
	specText := func(role string, withGCP bool) string {
		s := `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: shop-api
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  cluster:
    provider: eks
    issuer: https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC
  serviceAccount:
    name: api
    namespace: shop
  aws:
    roleArn: ` + role + `
    mode: projected
`
		if withGCP {
			s += gcp
		}
		return s
	}
	write(t, pkg, map[string]string{
		"Kptfile": `apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: shop
  annotations:
    config.kubernetes.io/local-config: "true"
pipeline:
  mutators:
  - exec: cross-cloud-access
    configPath: cross-cloud-access.yaml
`,
		"deployment.yaml":         deployment,
		"cross-cloud-access.yaml": specText("arn:aws:iam::111122223333:role/old", true),
	})
	render := func() {
		t.Helper()
		if _, stderr, err := run(t, "", "kpt", "fn", "render", "--allow-exec", pkg); err != nil {
			t.Fatalf("kpt fn render: %v\n%s", err, stderr)
		}
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(pkg, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	configMaps := func() []string {
		found, _ := filepath.Glob(filepath.Join(pkg, "*", "configmap_*.yaml"))
		return found
	}

	render()
	if d := read("deployment.yaml"); !strings.Contains(d, "role/old") || !strings.Contains(d, "GOOGLE_APPLICATION_CREDENTIALS") {
		t.Fatalf("first render did not wire both clouds:\n%s", d)
	}
	if len(configMaps()) != 1 {
		t.Fatalf("first render wrote ConfigMap files %v; want one", configMaps())
	}

	write(t, pkg, map[string]string{"cross-cloud-access.yaml": specText("arn:aws:iam::111122223333:role/new", true)})
	render()
	if d := read("deployment.yaml"); strings.Contains(d, "role/old") || !strings.Contains(d, "role/new") {
		t.Fatalf("after changing roleArn the deployment holds:\n%s", d)
	}

	write(t, pkg, map[string]string{"cross-cloud-access.yaml": specText("arn:aws:iam::111122223333:role/new", false)})
	render()
	d := read("deployment.yaml")
	for _, gone := range []string{"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", "gcp-iam-token", "gcp-credential-configuration", "gcp"} {
		if strings.Contains(d, gone) {
			t.Errorf("after removing gcp the deployment still holds %q:\n%s", gone, d)
		}
	}
	if found := configMaps(); len(found) != 0 {
		t.Errorf("after removing gcp the package still holds %v", found)
	}

	// A fourth render changes nothing.
	before := d
	render()
	if after := read("deployment.yaml"); after != before {
		t.Errorf("rendering again changed the deployment:\n--- before:\n%s\n--- after:\n%s", before, after)
	}
}

func TestVerifyTakesTheReleaseNamespaceOfAHelmBuild(t *testing.T) {
	dir := t.TempDir()
	specFile := filepath.Join(dir, "spec.yaml")
	write(t, dir, map[string]string{
		"spec.yaml":       spec("web", "prod", "api", ""),
		"deployment.yaml": strings.Replace(deployment, "  namespace: shop\n", "", 1),
	})
	// As a Helm post-renderer: objects without a namespace, the release's
	// passed on.
	wired, stderr, err := run(t, "", functionBinary, specFile, filepath.Join(dir, "deployment.yaml"), "--namespace", "prod")
	if err != nil {
		t.Fatalf("the function: %v\n%s", err, stderr)
	}
	write(t, dir, map[string]string{"wired.yaml": wired})
	if _, stderr, err := run(t, "", functionBinary, "verify", specFile, filepath.Join(dir, "wired.yaml")); err == nil || !strings.Contains(stderr, "runs as system:serviceaccount:default:api") {
		t.Errorf("verify without --namespace = %v; want the template counted in default, and a mismatch\n%s", err, stderr)
	}
	if stdout, stderr, err := run(t, "", functionBinary, "verify", "--namespace", "prod", specFile, filepath.Join(dir, "wired.yaml")); err != nil {
		t.Errorf("verify --namespace prod = %v\n%s%s", err, stdout, stderr)
	}
}

// jobsSpec wires ServiceAccount runner of namespace jobs, with admission
// policies for Pods created at runtime.
func jobsSpec(namespace, account, annotations string) string {
	return strings.Replace(strings.Replace(spec("jobs", namespace, account, annotations),
		"  aws:\n", "  admissionPolicy: {}\n  aws:\n", 1), "role/shop-api", "role/jobs", 1)
}

// settings stands for what a base holds besides the workloads: the Pods
// that run as runner are created at runtime, by an operator, and only the
// admission policies reach them.
const settings = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: jobs}\ndata: {level: info}\n"

// A base that emits admission policies, under a leaf that sets a namespace
// and a name prefix: kustomize namespaces the MutatingAdmissionPolicy and its
// binding (its schema does not know them), does not follow the binding's
// policyName, and renames nothing inside the policies, which still wire
// runner in jobs. With no workload in the build, nothing else tells. verify,
// the check-only leaf and a build of the exported Component under the same
// leaf all fail; the base alone, and the function run in the leaf, pass.
func TestAdmissionPoliciesUnderARenamingLeaf(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"base/kustomization.yaml":  "resources: [settings.yaml]\ntransformers: [spec.yaml]\n",
		"base/settings.yaml":       settings,
		"base/spec.yaml":           jobsSpec("jobs", "runner", ""),
		"leaf/kustomization.yaml":  "resources: [../base]\nnamespace: prod\nnamePrefix: prod-\n",
		"check/kustomization.yaml": "resources: [../leaf]\ntransformers: [check.yaml]\n",
		"check/check.yaml":         jobsSpec("jobs", "runner", "    crosscloud.dev/check-only: \"true\"\n"),
	})
	specFile := filepath.Join(root, "base", "spec.yaml")
	wants := []string{
		"MutatingAdmissionPolicy/prod/prod-cross-cloud-access.jobs.runner metadata.namespace: is prod, but a MutatingAdmissionPolicy is cluster-scoped",
		`MutatingAdmissionPolicyBinding/prod/prod-cross-cloud-access.jobs.runner spec.policyName: names "cross-cloud-access.jobs.runner", which is no MutatingAdmissionPolicy of this build`,
		`ValidatingAdmissionPolicy/prod-cross-cloud-access.jobs.runner spec: is not what CrossCloudAccess "jobs" gives for ServiceAccount prod/prod-runner as this build has it`,
	}

	base, stderr, err := kustomize(t, filepath.Join(root, "base"))
	if err != nil {
		t.Fatalf("building the base: %v\n%s", err, stderr)
	}
	if stdout, stderr, err := run(t, base, functionBinary, "verify", specFile, "-"); err != nil {
		t.Errorf("verify of the base = %v; want a pass\n%s%s", err, stdout, stderr)
	}

	built, stderr, err := kustomize(t, filepath.Join(root, "leaf"))
	if err != nil {
		t.Fatalf("building the leaf: %v\n%s", err, stderr)
	}
	_, stderr, err = run(t, built, functionBinary, "verify", specFile, "-")
	for _, want := range wants {
		if err == nil || !strings.Contains(stderr, want) {
			t.Errorf("verify of the leaf = %v; want a failure saying %q\n%s", err, want, stderr)
		}
	}
	if _, stderr, err := kustomize(t, filepath.Join(root, "check")); err == nil || !strings.Contains(stderr, wants[2]) {
		t.Errorf("the check-only leaf = %v; want a failed build saying %q\n%s", err, wants[2], stderr)
	}

	// The exported Component under the same leaf.
	component := filepath.Join(root, "component")
	if _, stderr, err := run(t, "", functionBinary, "export", "--config", specFile, "--out", component, filepath.Join(root, "base", "settings.yaml")); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	write(t, root, map[string]string{
		"app/kustomization.yaml":      "resources: [settings.yaml]\ncomponents: [../component]\n",
		"app/settings.yaml":           settings,
		"app-leaf/kustomization.yaml": "resources: [../app]\nnamespace: prod\nnamePrefix: prod-\n",
	})
	for dir, wantPass := range map[string]bool{"app": true, "app-leaf": false} {
		built, stderr, err := kustomize(t, filepath.Join(root, dir))
		if err != nil {
			t.Fatalf("building %s: %v\n%s", dir, err, stderr)
		}
		_, stderr, err = run(t, built, functionBinary, "verify", specFile, "-")
		if wantPass != (err == nil) || (!wantPass && !strings.Contains(stderr, wants[2])) {
			t.Errorf("verify of %s with the exported Component = %v; want a pass: %v\n%s", dir, err, wantPass, stderr)
		}
	}

	// The function in the leaf, for the ServiceAccount as the leaf has it.
	write(t, root, map[string]string{
		"plain/kustomization.yaml": "resources: [settings.yaml]\n",
		"plain/settings.yaml":      settings,
		"final/kustomization.yaml": "resources: [../plain]\nnamespace: prod\nnamePrefix: prod-\ntransformers: [spec.yaml]\n",
		"final/spec.yaml":          jobsSpec("prod", "runner", ""),
	})
	final, stderr, err := kustomize(t, filepath.Join(root, "final"))
	if err != nil {
		t.Fatalf("building the leaf that runs the function: %v\n%s", err, stderr)
	}
	if stdout, stderr, err := run(t, final, functionBinary, "verify", filepath.Join(root, "final", "spec.yaml"), "-"); err != nil {
		t.Errorf("verify of the leaf that runs the function = %v; want a pass\n%s%s", err, stdout, stderr)
	}
}
