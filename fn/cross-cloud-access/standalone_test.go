package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const prodSpec = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: api
spec:
  cluster:
    provider: eks
    issuer: https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC
  serviceAccount:
    name: api
    namespace: prod
  aws:
    roleArn: arn:aws:iam::111122223333:role/api
    mode: projected
`

// A spec without a namespace: it takes the one of its workloads.
const anySpec = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: api
spec:
  cluster:
    provider: eks
    issuer: https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC
  serviceAccount:
    name: api
  aws:
    roleArn: arn:aws:iam::111122223333:role/api
    mode: projected
`

// What Helm renders: no namespace anywhere.
const helmDeployment = `# Source: api/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      serviceAccountName: api
      containers:
      - name: app
        image: app
`

const clusterRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: api-reader
rules: []
`

type runResult struct {
	stdout, stderr string
	err            error
}

func runStandalone(t *testing.T, stdin string, terminal bool, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := rootCommand(standalone{stdin: strings.NewReader(stdin), stdinIsTerminal: terminal, stdout: &stdout, stderr: &stderr})
	// cobra reads os.Args when given nil: a test run with -update must
	// not reach the command as its flags.
	if args == nil {
		args = []string{}
	}
	cmd.SetArgs(args)
	err := cmd.Execute()
	return runResult{stdout.String(), stderr.String(), err}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func objects(t *testing.T, stream string) map[string]*yaml.RNode {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(stream))
	if err != nil {
		t.Fatalf("output is not a YAML stream: %v\n%s", err, stream)
	}
	out := map[string]*yaml.RNode{}
	for _, n := range nodes {
		out[n.GetKind()+" "+n.GetNamespace()+"/"+n.GetName()] = n
	}
	return out
}

func envNames(t *testing.T, deployment *yaml.RNode) []string {
	t.Helper()
	env, err := deployment.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=app]", "env"))
	if err != nil {
		t.Fatal(err)
	}
	if env == nil {
		return nil
	}
	names, err := env.ElementValues("name")
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Helm runs a post-renderer with its arguments and the manifests on stdin:
// a spec and no resource files must read stdin, not ignore it.
func TestSpecWithoutResourceFilesReadsStdin(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "spec.yaml", anySpec)
	got := runStandalone(t, helmDeployment, false, spec)
	if got.err != nil {
		t.Fatalf("%v\n%s", got.err, got.stderr)
	}
	objs := objects(t, got.stdout)
	deployment := objs["Deployment /api"]
	if deployment == nil {
		t.Fatalf("the Deployment from stdin is not in the output:\n%s", got.stdout)
	}
	if names := envNames(t, deployment); !cmp.Equal(names, []string{"AWS_STS_REGIONAL_ENDPOINTS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"}) {
		t.Errorf("the Deployment is not wired: env %v", names)
	}
	// Helm's manifests carry no namespace (Helm applies them in the release
	// namespace), and a spec that names none emits its objects the same way.
	if objs["ServiceAccount /api"] == nil {
		t.Errorf("no namespace-less ServiceAccount emitted:\n%s", got.stdout)
	}
	if strings.Contains(got.stdout, "ResourceList") {
		t.Errorf("output is wrapped in a ResourceList; Helm wants a plain stream:\n%s", got.stdout)
	}
}

func TestDashStillReadsStdin(t *testing.T) {
	dir := t.TempDir()
	spec := writeFile(t, dir, "spec.yaml", anySpec)
	role := writeFile(t, dir, "role.yaml", clusterRole)
	got := runStandalone(t, helmDeployment, false, spec, role, "-")
	if got.err != nil {
		t.Fatalf("%v\n%s", got.err, got.stderr)
	}
	objs := objects(t, got.stdout)
	if objs["Deployment /api"] == nil || objs["ClusterRole /api-reader"] == nil {
		t.Errorf("want the Deployment from stdin and the ClusterRole from the file:\n%s", got.stdout)
	}
}

// kyaml's standalone mode joins the files before parsing: a file without a
// final newline ran into the next one and two objects became one.
func TestEachResourceFileStaysItsOwnDocuments(t *testing.T) {
	dir := t.TempDir()
	spec := writeFile(t, dir, "spec.yaml", anySpec)
	role := writeFile(t, dir, "role.yaml", strings.TrimSuffix(clusterRole, "\n"))
	deployment := writeFile(t, dir, "deployment.yaml", helmDeployment)
	got := runStandalone(t, "", false, spec, role, deployment)
	if got.err != nil {
		t.Fatalf("%v\n%s", got.err, got.stderr)
	}
	objs := objects(t, got.stdout)
	if len(objs) != 3 || objs["Deployment /api"] == nil || objs["ClusterRole /api-reader"] == nil {
		t.Errorf("want the ClusterRole, the Deployment and the ServiceAccount, got %d objects:\n%s", len(objs), got.stdout)
	}
}

// Helm's objects carry no namespace; --namespace says where they will be.
// The chart's objects leave without one (a ClusterRole must never get one),
// the emitted ones carry it.
func TestNamespaceFlagCountsObjectsWithoutOneAsInIt(t *testing.T) {
	for name, specText := range map[string]string{"spec names prod": prodSpec, "spec names no namespace": anySpec} {
		t.Run(name, func(t *testing.T) {
			spec := writeFile(t, t.TempDir(), "spec.yaml", specText)
			got := runStandalone(t, helmDeployment+"---\n"+clusterRole, false, spec, "--namespace", "prod")
			if got.err != nil {
				t.Fatalf("%v\n%s", got.err, got.stderr)
			}
			if strings.Contains(got.stderr, "have no namespace") {
				t.Errorf("unexpected namespace warning: %s", got.stderr)
			}
			objs := objects(t, got.stdout)
			deployment := objs["Deployment /api"]
			if deployment == nil || objs["ClusterRole /api-reader"] == nil {
				t.Fatalf("the chart's objects must keep no namespace:\n%s", got.stdout)
			}
			if names := envNames(t, deployment); len(names) == 0 {
				t.Errorf("the Deployment counted as prod is not wired:\n%s", got.stdout)
			}
			if objs["ServiceAccount prod/api"] == nil {
				t.Errorf("the ServiceAccount is not emitted in prod:\n%s", got.stdout)
			}
		})
	}
}

// Helm, Argo CD and Flux hide a post-renderer's warnings: workloads that
// would all be left unwired because the release namespace was not passed on
// are an error, with the flag that fixes it, and nothing is written.
func TestWorkloadsWithoutNamespaceMissingTheSpecsNamespaceIsAnError(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "spec.yaml", prodSpec)
	for name, c := range map[string]struct {
		args []string
		says string
	}{
		"no --namespace":      {args: []string{spec}, says: `counts as "default" (without --namespace)`},
		"another --namespace": {args: []string{spec, "--namespace", "staging"}, says: `counts as "staging" (with --namespace staging)`},
	} {
		t.Run(name, func(t *testing.T) {
			got := runStandalone(t, helmDeployment, false, c.args...)
			if got.err == nil {
				t.Fatalf("want an error; stdout:\n%s", got.stdout)
			}
			if got.stdout != "" {
				t.Errorf("wrote output with the error:\n%s", got.stdout)
			}
			for _, want := range []string{"the 1 workload without a namespace counts", c.says, "ServiceAccount is prod/api", "--post-renderer-args=--namespace=prod"} {
				if !strings.Contains(got.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, got.stderr)
				}
			}
		})
	}
}

func TestNoNamespaceErrorWhenTheSpecsNamespaceHasWorkloads(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "spec.yaml", prodSpec)
	inProd := strings.Replace(helmDeployment, "  name: api\n", "  name: api\n  namespace: prod\n", 1)
	got := runStandalone(t, inProd+"---\n"+strings.Replace(helmDeployment, "name: api\n", "name: other\n", 1), false, spec)
	if got.err != nil {
		t.Fatalf("%v\n%s", got.err, got.stderr)
	}
	if strings.Contains(got.stderr, "no namespace") {
		t.Errorf("warned although a workload is in prod:\n%s", got.stderr)
	}
}

// Typing `cross-cloud-access spec.yaml` at a prompt would wait for YAML
// that never comes.
func TestSpecAndTerminalStdinPrintsUsage(t *testing.T) {
	spec := writeFile(t, t.TempDir(), "spec.yaml", anySpec)
	got := runStandalone(t, "", true, spec)
	if got.err == nil {
		t.Fatal("want an error")
	}
	if got.stdout != "" {
		t.Errorf("wrote to stdout: %s", got.stdout)
	}
	for _, want := range []string{"no resources to read", "Usage:", "cross-cloud-access [SPEC [RESOURCES... | -]]"} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, got.stderr)
		}
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	dir := t.TempDir()
	spec := writeFile(t, dir, "spec.yaml", anySpec)
	conflict := strings.Replace(helmDeployment, "image: app\n", "image: app\n        env:\n        - name: AWS_ROLE_ARN\n          value: other\n", 1)
	for name, c := range map[string]struct {
		stdin string
		args  []string
		want  string
	}{
		"resources not YAML":          {stdin: "kind: [", args: []string{spec}, want: "reading stdin"},
		"spec missing":                {args: []string{filepath.Join(dir, "absent.yaml")}, want: "reading the spec"},
		"resource missing":            {args: []string{spec, filepath.Join(dir, "absent.yaml")}, want: "absent.yaml"},
		"env conflict":                {stdin: conflict, args: []string{spec}, want: "AWS_ROLE_ARN"},
		"namespace, no spec":          {args: []string{"--namespace", "prod"}, want: "--namespace needs a SPEC"},
		"spec file with two specs":    {stdin: helmDeployment, args: []string{writeFile(t, dir, "two.yaml", anySpec+"---\n"+anySpec)}, want: "it holds 2 documents"},
		"spec file empty":             {stdin: helmDeployment, args: []string{writeFile(t, dir, "empty.yaml", "")}, want: "it holds 0 documents"},
		"spec not a CrossCloudAccess": {stdin: helmDeployment, args: []string{writeFile(t, dir, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")}, want: "functionConfig is a v1 ConfigMap"},
	} {
		t.Run(name, func(t *testing.T) {
			got := runStandalone(t, c.stdin, false, c.args...)
			if got.err == nil {
				t.Fatalf("want an error; stdout:\n%s", got.stdout)
			}
			if got.stdout != "" {
				t.Errorf("partial output on stdout:\n%s", got.stdout)
			}
			if !strings.Contains(got.stderr, c.want) {
				t.Errorf("stderr does not say %q:\n%s", c.want, got.stderr)
			}
		})
	}
}

// aliasFanOut is YAML lines (at indent) holding ten maps of ten aliases
// each to the one before: 1.3 KB that expand to ten billion nodes.
func aliasFanOut(indent string) string {
	var b strings.Builder
	b.WriteString(indent + "fan0: &fan0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString(fmt.Sprintf("%sfan%d: &fan%d [%s]\n", indent, i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*fan%d, ", i-1), 10), ", ")))
	}
	return b.String()
}

// A stamped template whose token volume holds an alias fan-out is refused
// with an error, read from a file or from stdin (a Helm post-renderer), not
// expanded until the process runs out of memory.
func TestAliasFanOutInAStampedTemplateIsRefused(t *testing.T) {
	dir := t.TempDir()
	spec := writeFile(t, dir, "spec.yaml", prodSpec)
	first := runStandalone(t, strings.Replace(helmDeployment, "  name: api\n", "  name: api\n  namespace: prod\n", 1), false, spec)
	if first.err != nil {
		t.Fatalf("%v\n%s", first.err, first.stderr)
	}
	bomb := strings.Replace(first.stdout, "              path: token\n", "              path: token\n"+aliasFanOut("              "), 1)
	if bomb == first.stdout {
		t.Fatalf("the test did not plant the aliases:\n%s", first.stdout)
	}
	for name, args := range map[string][]string{"file": {spec, writeFile(t, dir, "bomb.yaml", bomb)}, "stdin": {spec}} {
		t.Run(name, func(t *testing.T) {
			got := runStandalone(t, bomb, false, args...)
			if got.err == nil || got.stdout != "" {
				t.Fatalf("err = %v, stdout:\n%s", got.err, got.stdout)
			}
			if !strings.Contains(got.stderr, "spec.template.spec.volumes[name=aws-iam-token]: expands its YAML aliases to more than 10000 nodes") {
				t.Errorf("stderr does not name the volume and its aliases:\n%s", got.stderr)
			}
		})
	}
}
