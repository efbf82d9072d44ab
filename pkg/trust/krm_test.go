package trust

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/crdcheck"
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
		"FederatedIdentityCredential":     ASOManagedIdentityAPIVersion,
		"RoleAssignment":                  ASOAuthorizationAPIVersion,
	}
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			trust := buildCase(t, name)
			objects, _ := renderKRMObjects(t, trust)
			seen := map[string]bool{}
			var policies []PolicyDocument
			var members []string
			var associations []AWSPodIdentityAssociation
			var credentials []AzureFederatedIdentityCredential
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
				case "FederatedIdentityCredential":
					list, err := o.Pipe(yaml.Lookup("spec", "audiences"))
					if err != nil || list == nil {
						t.Fatalf("%s has no spec.audiences", o.GetName())
					}
					var audiences []string
					for _, a := range list.YNode().Content {
						audiences = append(audiences, a.Value)
					}
					credentials = append(credentials, AzureFederatedIdentityCredential{
						Name: field(t, o, "spec", "azureName"), Issuer: field(t, o, "spec", "issuer"),
						Subject: field(t, o, "spec", "subject"), Audiences: audiences,
					})
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
			var wantCredentials []AzureFederatedIdentityCredential
			if trust.Azure != nil {
				for _, c := range trust.Azure.FederatedIdentityCredentials {
					wantCredentials = append(wantCredentials, AzureFederatedIdentityCredential{Name: c.Name, Issuer: c.Issuer, Subject: c.Subject, Audiences: c.Audiences})
				}
			}
			if diff := cmp.Diff(wantCredentials, credentials); diff != "" {
				t.Errorf("FederatedIdentityCredentials (-want +got):\n%s", diff)
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

// Every object of every KRM golden is one its controller's CRD accepts on a
// strict create (crdcheck runs the API server's own validation). Goldens are
// found by file name, so a case added anywhere under testdata/ is checked.
func TestKRMGoldensPassTheControllersCRDs(t *testing.T) {
	checker, err := crdcheck.Load()
	if err != nil {
		t.Fatal(err)
	}
	goldens, err := filepath.Glob(filepath.Join("testdata", "*", goldenFiles["krm"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(goldens) == 0 {
		t.Fatal("no KRM goldens found")
	}
	total := 0
	for _, golden := range goldens {
		t.Run(filepath.Base(filepath.Dir(golden)), func(t *testing.T) {
			data, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			n, err := checker.CheckStream(data)
			if err != nil {
				t.Error(err)
			}
			total += n
		})
	}
	t.Logf("%d objects in %d goldens checked against %d served CRD versions", total, len(goldens), len(checker.Kinds()))
}

// A value the YAML encoder would fold or refuse is written in JSON's syntax,
// escaped, and reads back as itself; other objects stay in YAML's.
func TestKRMKeepsValuesTheYAMLEncoderWouldChange(t *testing.T) {
	for value, wantJSON := range map[string]bool{
		"a\u0085b": true, "a\x7fb": true, "a\u009fb": true,
		"\ufeffa": false, "a\U000e0001b": false, "a\nb": false, "plain": false,
	} {
		t.Run(fmt.Sprintf("%+q", value), func(t *testing.T) {
			objects, out := renderKRMObjects(t, oddTrustWith(value))
			for _, o := range objects {
				if o.GetKind() == "FederatedIdentityCredential" {
					if got := field(t, o, "spec", "subject"); got != value {
						t.Errorf("subject reads back as %+q, want %+q", got, value)
					}
				}
			}
			if json := strings.Contains(out, "\n{\n"); json != wantJSON {
				t.Errorf("written in JSON's syntax: %v, want %v: only where YAML's would change the value\n%s", json, wantJSON, out)
			}
		})
	}
}
