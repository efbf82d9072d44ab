package function

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
)

// containersSpec wires aws and gcp into every container, and gives the
// exporter container its own role and Google service account.
const containersSpec = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: shop
spec:
  cluster:
    provider: generic
    issuer: https://kubernetes.example.com
  serviceAccount:
    name: api
    namespace: shop
  containers:
  - names: [exporter]
    aws: {roleArn: arn:aws:iam::111122223333:role/exporter}
    gcp: {serviceAccountEmail: exporter@my-project.iam.gserviceaccount.com}
  aws:
    roleArn: arn:aws:iam::111122223333:role/app
    region: eu-west-2
  gcp:
    projectNumber: "123456789012"
    workloadIdentityPool: shop-pool
    workloadIdentityProvider: shop-cluster
    serviceAccountEmail: app-runner@my-project.iam.gserviceaccount.com
`

const containersInput = `apiVersion: apps/v1
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
      - name: exporter
        image: example.com/exporter:1
`

func TestVerifyFailsWhenAContainerWithItsOwnIdentityIsRenamed(t *testing.T) {
	first, _ := runStamp(t, containersSpec, containersInput)
	wired := stream(first)
	if _, results := Verify(yaml.MustParse(containersSpec), first); results.ExitCode() != 0 {
		t.Fatalf("verify of the function's own output: %v", results)
	}
	renamed := strings.Replace(wired, "name: exporter\n", "name: exporter-v2\n", 1)
	items, err := parseItems(renamed)
	if err != nil {
		t.Fatal(err)
	}
	_, results := Verify(yaml.MustParse(containersSpec), items)
	found := false
	for _, r := range results {
		if r.Field != nil && strings.HasSuffix(r.Field.Path, "["+workload.StampIdentities+"]") &&
			strings.Contains(r.Message, `as "spec.containers[0]=exporter"`) && strings.Contains(r.Message, "renamed, removed or added containers") {
			found = true
		}
	}
	if !found {
		t.Errorf("verify after an overlay renamed the exporter: %v; want an error on %s naming what the stamp records", results, workload.StampIdentities)
	}
}

func TestAddingAContainerEntryRewiresThatContainerInPlace(t *testing.T) {
	own := containersSpec[:strings.Index(containersSpec, "  containers:\n")] + containersSpec[strings.Index(containersSpec, "  aws:\n"):]
	before, _ := runStamp(t, own, containersInput)
	// The earlier output is the input now, as in a kpt package.
	after, _ := runStamp(t, containersSpec, stream(before))
	fresh, _ := runStamp(t, containersSpec, containersInput)
	if got, want := stream(after), stream(fresh); got != want {
		t.Errorf("giving the exporter its own identity over wired output differs from a fresh run:\n--- got:\n%s\n--- want:\n%s", got, want)
	}
	back, _ := runStamp(t, own, stream(after))
	if got, want := stream(back), stream(before); got != want {
		t.Errorf("removing the entry again differs from a run without it:\n--- got:\n%s\n--- want:\n%s", got, want)
	}
}

func TestChangingTheTokenExpirationAnnotationUpdatesTheTokensInPlace(t *testing.T) {
	annotated := strings.Replace(containersInput, "      labels: {app: api}\n", "      labels: {app: api}\n      annotations: {crosscloud.dev/token-expiration-seconds: \"7200\"}\n", 1)
	first, _ := runStamp(t, containersSpec, annotated)
	if got := strings.Count(stream(first), "expirationSeconds: 7200"); got != 2 {
		t.Fatalf("%d tokens expire after 7200 s, want both (aws and gcp):\n%s", got, stream(first))
	}
	changed := strings.Replace(stream(first), `crosscloud.dev/token-expiration-seconds: "7200"`, `crosscloud.dev/token-expiration-seconds: "10800"`, 1)
	items, err := parseItems(changed)
	if err != nil {
		t.Fatal(err)
	}
	second, results := Run(yaml.MustParse(containersSpec), items)
	if results.ExitCode() != 0 {
		t.Fatalf("the function failed: %v", results)
	}
	if text := stream(second); strings.Count(text, "expirationSeconds: 10800") != 2 || strings.Contains(text, "expirationSeconds: 7200") {
		t.Errorf("after the annotation changed to 10800 the tokens are:\n%s", text)
	}
}
