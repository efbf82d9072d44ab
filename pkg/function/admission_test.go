package function

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// policySpec emits admission policies for runner in jobs; the build holds no
// workload, as when operators create the Pods.
const policySpec = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: jobs
spec:
  cluster:
    provider: generic
    issuer: https://issuer.example.com
  serviceAccount:
    name: runner
    namespace: jobs
  admissionPolicy: {}
  aws:
    roleArn: arn:aws:iam::111122223333:role/jobs
    mode: projected
    region: eu-west-2
`

// Verify finds the policies the spec emitted by their marker, whatever a
// later step named them, and checks them against the ServiceAccount as the
// items have it.
func TestVerifyChecksThePoliciesAgainstTheServiceAccountAsBuilt(t *testing.T) {
	built, _ := runStamp(t, policySpec, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: jobs}\n")
	for _, c := range []struct {
		name string
		edit func(n *yaml.RNode) // applied to every item
		want []string            // parts of the error messages; none: a pass
	}{
		{"as built", func(*yaml.RNode) {}, nil},
		{"the ServiceAccount renamed and moved", func(n *yaml.RNode) {
			if n.GetKind() == "ServiceAccount" {
				_ = n.SetName("prod-runner")
				_ = n.SetNamespace("prod")
			}
		}, []string{`MutatingAdmissionPolicy/cross-cloud-access.jobs.runner spec: is not what CrossCloudAccess "jobs" gives for ServiceAccount prod/prod-runner as this build has it`}},
		{"a policy namespaced", func(n *yaml.RNode) {
			if n.GetKind() == "MutatingAdmissionPolicy" {
				_ = n.SetNamespace("jobs")
			}
		}, []string{"metadata.namespace: is jobs, but a MutatingAdmissionPolicy is cluster-scoped"}},
		{"a policy renamed, its binding not", func(n *yaml.RNode) {
			if n.GetKind() == "MutatingAdmissionPolicy" {
				_ = n.SetName("prod-cross-cloud-access.jobs.runner")
			}
		}, []string{`spec.policyName: names "cross-cloud-access.jobs.runner", which is no MutatingAdmissionPolicy of this build`}},
		{"a policy removed", func(n *yaml.RNode) {
			if n.GetKind() == "ValidatingAdmissionPolicy" {
				n.SetKind("Removed")
			}
		}, []string{"the build holds no admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy of CrossCloudAccess \"jobs\" for ServiceAccount jobs/runner",
			`spec.policyName: names "cross-cloud-access.jobs.runner", which is no ValidatingAdmissionPolicy of this build`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			items, err := parseItems(stream(built))
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range items {
				c.edit(n)
			}
			_, results := Verify(yaml.MustParse(policySpec), items)
			if len(c.want) == 0 && results.ExitCode() != 0 {
				t.Errorf("Verify failed: %v", results)
			}
			for _, want := range c.want {
				if !strings.Contains(results.Error(), want) {
					t.Errorf("Verify = %v; want an error with %q", results, want)
				}
			}
		})
	}
}
