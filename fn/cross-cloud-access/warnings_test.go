package main

import (
	"strings"
	"testing"
)

// A ResourceList whose only workload runs as another ServiceAccount: the
// function warns that it patched nothing.
const unwiredList = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: api
    namespace: prod
  spec:
    template:
      spec:
        serviceAccountName: someone-else
        containers:
        - name: app
          image: app
functionConfig:
  apiVersion: crosscloud.dev/v1alpha1
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
      region: eu-west-2
`

const kptfileItem = `- apiVersion: kpt.dev/v1
  kind: Kptfile
  metadata:
    name: pkg
    annotations:
      config.kubernetes.io/local-config: "true"
`

// kustomize shows an exec function's stderr and drops its results: each
// warning reaches the user there, one line with the object and the field,
// and stays among the results.
func TestWarningsReachStderrOutsideKpt(t *testing.T) {
	got := runStandalone(t, unwiredList, false)
	if got.err != nil {
		t.Fatalf("%v\n%s", got.err, got.stderr)
	}
	want := "[warning] crosscloud.dev/v1alpha1/CrossCloudAccess/api spec.serviceAccount: no workload among the input runs as ServiceAccount prod/api"
	lines := strings.Split(strings.TrimSuffix(got.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Errorf("stderr:\n%s\nwant one line starting %q", got.stderr, want)
	}
	if !strings.Contains(got.stdout, "severity: warning") {
		t.Errorf("the warning left the results:\n%s", got.stdout)
	}
}

// kpt prints the results and, beside them, a function's stderr: under kpt
// the warning is said once, in the results.
func TestWarningsStayInTheResultsUnderKpt(t *testing.T) {
	list := strings.Replace(unwiredList, "items:\n", "items:\n"+kptfileItem, 1)
	got := runStandalone(t, list, false)
	if got.err != nil {
		t.Fatalf("%v\n%s", got.err, got.stderr)
	}
	if got.stderr != "" {
		t.Errorf("stderr under kpt:\n%s", got.stderr)
	}
	if !strings.Contains(got.stdout, "severity: warning") {
		t.Errorf("the warning left the results:\n%s", got.stdout)
	}
}

// A failed run prints its results in its error already: no warning twice.
func TestFailedRunPrintsEachResultOnce(t *testing.T) {
	bad := strings.Replace(unwiredList, "roleArn: arn:aws:iam::111122223333:role/api", "roleArn: not-an-arn", 1)
	got := runStandalone(t, bad, false)
	if got.err == nil {
		t.Fatalf("want an error; stdout:\n%s", got.stdout)
	}
	if n := strings.Count(got.stderr, "[error]"); n != 1 {
		t.Errorf("stderr says [error] %d times; want once:\n%s", n, got.stderr)
	}
}
