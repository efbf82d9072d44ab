package trust

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Every KRM object is a kind its controller serves, has a valid unique name,
// and carries the trust document's values.
func TestKRMObjectsCarryTheTrust(t *testing.T) {
	kinds := map[string]string{
		"OpenIDConnectProvider":           ACKIAMAPIVersion,
		"Role":                            ACKIAMAPIVersion,
		"IAMWorkloadIdentityPool":         ConfigConnectorIAMAPIVersion,
		"IAMWorkloadIdentityPoolProvider": ConfigConnectorIAMAPIVersion,
		"IAMPolicyMember":                 ConfigConnectorIAMAPIVersion,
		"PodIdentityAssociation":          ACKEKSAPIVersion,
		"RoleAssignment":                  ASOAuthorizationAPIVersion,
	}
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			trust := buildCase(t, name)
			var out bytes.Buffer
			if err := RenderKRM(&out, trust); err != nil {
				t.Fatal(err)
			}
			objects, err := kio.FromBytes(out.Bytes())
			if err != nil {
				t.Fatalf("KRM output does not parse: %v\n%s", err, out.String())
			}
			seen := map[string]bool{}
			var policies []PolicyDocument
			var members []string
			var associations []AWSPodIdentityAssociation
			for _, o := range objects {
				if want, ok := kinds[o.GetKind()]; !ok || o.GetApiVersion() != want {
					t.Errorf("unexpected %s %s", o.GetApiVersion(), o.GetKind())
				}
				if n := o.GetName(); !dns1123Label.MatchString(n) || len(n) > 63 || seen[o.GetKind()+"/"+n] {
					t.Errorf("%s name %q is invalid or repeated", o.GetKind(), n)
				}
				seen[o.GetKind()+"/"+o.GetName()] = true
				switch o.GetKind() {
				case "Role":
					var p PolicyDocument
					if err := json.Unmarshal([]byte(field(t, o, "spec", "assumeRolePolicyDocument")), &p); err != nil {
						t.Fatal(err)
					}
					policies = append(policies, p)
				case "IAMPolicyMember":
					if field(t, o, "spec", "resourceRef", "kind") != "IAMServiceAccount" || isServiceAccountGrant(trust, GCPIAMBinding{
						Resource: field(t, o, "spec", "resourceRef", "external"), Role: field(t, o, "spec", "role"), Member: field(t, o, "spec", "member"),
					}) {
						continue // a grant, checked in grants_render_test.go
					}
					members = append(members, field(t, o, "spec", "member"))
				case "PodIdentityAssociation":
					associations = append(associations, AWSPodIdentityAssociation{
						ClusterName: field(t, o, "spec", "clusterName"), Namespace: field(t, o, "spec", "namespace"),
						ServiceAccount: field(t, o, "spec", "serviceAccount"), RoleARN: field(t, o, "spec", "roleARN"),
					})
				}
			}
			var wantPolicies []PolicyDocument
			var wantAssociations []AWSPodIdentityAssociation
			if trust.AWS != nil {
				for _, r := range trust.AWS.Roles {
					wantPolicies = append(wantPolicies, r.AssumeRolePolicy)
				}
				wantAssociations = trust.AWS.PodIdentityAssociations
			}
			if diff := cmp.Diff(wantAssociations, associations); diff != "" {
				t.Errorf("pod identity associations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantPolicies, policies); diff != "" {
				t.Errorf("Role trust policies (-want +got):\n%s", diff)
			}
			var wantMembers []string
			if trust.GCP != nil {
				for _, b := range trust.GCP.IAMBindings {
					wantMembers = append(wantMembers, b.Member)
				}
			}
			if diff := cmp.Diff(wantMembers, members); diff != "" {
				t.Errorf("IAMPolicyMember members (-want +got):\n%s", diff)
			}
		})
	}
}

func field(t *testing.T, o *yaml.RNode, path ...string) string {
	t.Helper()
	n, err := o.Pipe(yaml.Lookup(path...))
	if err != nil || n == nil {
		t.Fatalf("%s %s has no %v", o.GetKind(), o.GetName(), path)
	}
	return yaml.GetValue(n)
}
