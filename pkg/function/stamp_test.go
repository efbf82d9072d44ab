package function

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
)

// stampSpec wires aws through the EKS webhook (the ServiceAccount annotation
// only) and gcp federated (a ConfigMap and the pod patch).
const stampSpec = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: shop
spec:
  cluster:
    provider: eks
    issuer: https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC
  serviceAccount:
    name: api
    namespace: shop
  aws:
    roleArn: arn:aws:iam::111122223333:role/reader
  gcp:
    projectId: my-project
    projectNumber: "123456789012"
    workloadIdentityPool: shop-pool
    workloadIdentityProvider: trusted-eks
    serviceAccountEmail: reader@my-project.iam.gserviceaccount.com
`

const stampInput = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
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
          value: -Dgoogle.credentials=$(GOOGLE_APPLICATION_CREDENTIALS)
`

// runStamp runs the function and fails the test on an error Result.
func runStamp(t *testing.T, spec, input string) ([]*yaml.RNode, framework.Results) {
	t.Helper()
	items, err := parseItems(input)
	if err != nil {
		t.Fatal(err)
	}
	out, results := Run(yaml.MustParse(spec), items)
	if results.ExitCode() != 0 {
		t.Fatalf("the function failed: %v", results)
	}
	return out, results
}

func parseItems(input string) ([]*yaml.RNode, error) {
	var items []*yaml.RNode
	for _, doc := range strings.Split(input, "\n---\n") {
		n, err := yaml.Parse(doc)
		if err != nil {
			return nil, err
		}
		items = append(items, n)
	}
	return items, nil
}

func stream(items []*yaml.RNode) string {
	var docs []string
	for _, n := range items {
		docs = append(docs, n.MustString())
	}
	return strings.Join(docs, "\n---\n")
}

func credentialsDigestOf(t *testing.T, spec, input string) string {
	t.Helper()
	out, _ := runStamp(t, spec, input)
	for _, n := range out {
		if n.GetKind() == "Deployment" {
			v, err := n.Pipe(yaml.Lookup("spec", "template", "metadata", "annotations", workload.StampCredentialsDigest))
			if err != nil || v == nil {
				t.Fatalf("no %s on the template:\n%s", workload.StampCredentialsDigest, n.MustString())
			}
			return yaml.GetValue(v)
		}
	}
	t.Fatal("no Deployment in the output")
	return ""
}

func TestCredentialsDigestChangesExactlyWhenTheCredentialsDo(t *testing.T) {
	base := credentialsDigestOf(t, stampSpec, stampInput)
	changes := map[string]string{
		"a new serviceAccountEmail (only the ConfigMap changes)":       strings.Replace(stampSpec, "reader@my-project", "writer@my-project", 1),
		"a new IRSA role (only the ServiceAccount annotation changes)": strings.Replace(stampSpec, "role/reader", "role/writer", 1),
		"another namespace (the token's subject)":                      strings.Replace(stampSpec, "namespace: shop", "namespace: shop-dev", 1),
	}
	for name, spec := range changes {
		input := stampInput
		if strings.Contains(name, "namespace") {
			input = strings.Replace(input, "namespace: shop", "namespace: shop-dev", 1)
		}
		if got := credentialsDigestOf(t, spec, input); got == base {
			t.Errorf("%s: the digest stayed %s; the pods would keep the old credentials", name, got)
		}
	}
	same := map[string][2]string{
		"a new image":                   {stampSpec, strings.Replace(stampInput, "api:1", "api:2", 1)},
		"another label on the template": {stampSpec, strings.Replace(stampInput, "labels: {app: api}\n    spec", "labels: {app: api, tier: web}\n    spec", 1)},
		"a spec annotation":             {strings.Replace(stampSpec, "  name: shop\n", "  name: shop\n  annotations: {note: x}\n", 1), stampInput},
	}
	for name, c := range same {
		if got := credentialsDigestOf(t, c[0], c[1]); got != base {
			t.Errorf("%s changed the digest from %s to %s: it would restart pods for nothing", name, base, got)
		}
	}
}

func TestUserVariableReferringToOursExpands(t *testing.T) {
	out, _ := runStamp(t, stampSpec, stampInput)
	for _, n := range out {
		if n.GetKind() != "Deployment" {
			continue
		}
		env, err := n.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=app]", "env"))
		if err != nil || env == nil {
			t.Fatalf("no env: %v", err)
		}
		got := expand(env)["JAVA_TOOL_OPTIONS"]
		if want := "-Dgoogle.credentials=/var/run/secrets/iam.googleapis.com/credential-configuration/credential-configuration.json"; got != want {
			t.Errorf("JAVA_TOOL_OPTIONS expands to %q; want %q", got, want)
		}
	}
}

// expand resolves $(VAR) in env values as the kubelet does: only from
// entries earlier in the list; an unknown reference stays as written.
func expand(env *yaml.RNode) map[string]string {
	values := map[string]string{}
	for _, e := range env.YNode().Content {
		entry := yaml.NewRNode(e)
		name := yaml.GetValue(entry.Field("name").Value)
		value := ""
		if f := entry.Field("value"); f != nil {
			value = yaml.GetValue(f.Value)
		}
		for k, v := range values {
			value = strings.ReplaceAll(value, "$("+k+")", v)
		}
		values[name] = value
	}
	return values
}

func TestKptEditsInPlaceUpdateAndRemoveOwnOutput(t *testing.T) {
	first, _ := runStamp(t, stampSpec, stampInput)
	// Change the role and the impersonated account: the earlier output is
	// the input now, as in a kpt package.
	changed := strings.Replace(strings.Replace(stampSpec, "role/reader", "role/writer", 1), "reader@my-project", "writer@my-project", 1)
	second, _ := runStamp(t, changed, stream(first))
	text := stream(second)
	if strings.Contains(text, "role/reader") || strings.Contains(text, "reader@my-project") {
		t.Errorf("the old role or account is still in the output:\n%s", text)
	}
	// Remove gcp: its ConfigMap, volumes, mounts and env go.
	awsOnly := changed[:strings.Index(changed, "  gcp:\n")]
	third, _ := runStamp(t, awsOnly, stream(second))
	fresh, _ := runStamp(t, awsOnly, stampInput)
	if got, want := stream(third), stream(fresh); got != want {
		t.Errorf("after removing gcp the output differs from a fresh run of the aws-only spec:\n--- got:\n%s\n--- want:\n%s", got, want)
	}
}

func TestSecondSpecForTheSamePodsIsRefused(t *testing.T) {
	first, _ := runStamp(t, stampSpec, stampInput)
	other := strings.Replace(strings.Replace(stampSpec, "name: shop\n", "name: shop-again\n", 1), "oidc.eks.eu-west-2", "oidc.eks.eu-west-1", 1)
	_, results := Run(yaml.MustParse(other), first)
	if results.ExitCode() == 0 || !strings.Contains(results.Error(), `already wired by CrossCloudAccess "shop"`) {
		t.Errorf("a second spec over the first's output: %v; want an error naming the first", results)
	}
}

func TestOrphanedEmittedObjectsWarn(t *testing.T) {
	first, _ := runStamp(t, stampSpec, stampInput)
	moved := strings.Replace(stampSpec, "namespace: shop", "namespace: shop-dev", 1)
	// The package's workloads moved with the spec; what the function
	// emitted in shop stayed behind.
	for _, n := range first {
		if n.GetKind() == "Deployment" {
			if err := n.SetNamespace("shop-dev"); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, results := runStamp(t, moved, stream(first))
	var warned []string
	for _, r := range results {
		if r.Severity == framework.Warning && strings.Contains(r.Message, `was emitted by CrossCloudAccess "shop"`) {
			warned = append(warned, r.ResourceRef.Kind)
		}
	}
	if len(warned) != 2 {
		t.Errorf("warnings about orphans = %v; want the ServiceAccount and the ConfigMap left in shop (results: %v)", warned, results)
	}
}

// A spec moved to another namespace while its workloads stayed would wire
// nothing where it now points and leave its old wiring in place: an error.
func TestSpecMovedWithoutItsWorkloadsIsRefused(t *testing.T) {
	first, _ := runStamp(t, stampSpec, stampInput)
	moved := strings.Replace(stampSpec, "namespace: shop", "namespace: shop-dev", 1)
	_, results := Run(yaml.MustParse(moved), first)
	if results.ExitCode() == 0 || !strings.Contains(results.Error(), "is shop-dev, but nothing in shop-dev is ServiceAccount api or runs as it") {
		t.Errorf("the moved spec over the workloads it left: %v; want an error naming both namespaces", results)
	}
}

func TestCheckOnlySpecPassesItsOwnOutputAndFailsAMissingEntry(t *testing.T) {
	first, _ := runStamp(t, stampSpec, stampInput)
	wired := stream(first)
	checkOnlySpec := strings.Replace(stampSpec, "  name: shop\n", "  name: shop\n  annotations: {crosscloud.dev/check-only: \"true\"}\n", 1)
	out, _ := runStamp(t, checkOnlySpec, wired)
	if got := stream(out); got != wired {
		t.Errorf("a check-only run changed its input:\n--- in:\n%s\n--- out:\n%s", wired, got)
	}
	broken := strings.Replace(wired, "- name: GOOGLE_APPLICATION_CREDENTIALS\n", "- name: SOMETHING_ELSE\n", 1)
	if broken == wired {
		t.Fatal("the test did not remove the variable")
	}
	items, err := parseItems(broken)
	if err != nil {
		t.Fatal(err)
	}
	_, results := Run(yaml.MustParse(checkOnlySpec), items)
	if results.ExitCode() == 0 || !strings.Contains(results.Error(), "lacks what CrossCloudAccess \"shop\" injects: env[app]=GOOGLE_APPLICATION_CREDENTIALS") {
		t.Errorf("a check-only run over a template missing a variable: %v; want an error naming it", results)
	}
}
