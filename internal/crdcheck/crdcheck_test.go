package crdcheck

import (
	"strings"
	"testing"
)

func load(t *testing.T) *Checker {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Each refusal is one the API server makes on a strict create; each object is
// a small valid one with one thing wrong.
func TestCheckRefusesWhatTheAPIServerRefuses(t *testing.T) {
	c := load(t)
	role := `apiVersion: iam.services.k8s.aws/v1alpha1
kind: Role
metadata:
  name: reader
spec:
  name: reader
  assumeRolePolicyDocument: '{}'
`
	credential := `apiVersion: managedidentity.azure.com/v1api20230131
kind: FederatedIdentityCredential
metadata:
  name: shop-api
spec:
  azureName: shop-api-1234
  owner:
    name: identity
  issuer: https://issuer.example.com
  subject: system:serviceaccount:shop:api
  audiences: [api://AzureADTokenExchange]
`
	for _, tc := range []struct {
		name, object, wantErr string
	}{
		{name: "ACK Role", object: role},
		{name: "ASO FederatedIdentityCredential", object: credential},
		{name: "unknown field", object: role + "  assumeRolePolicy: '{}'\n", wantErr: "spec.assumeRolePolicy: Invalid value: null: unknown field"},
		{name: "unknown top-level field", object: role + "extra: 1\n", wantErr: "extra: Invalid value: null: unknown field"},
		{name: "unknown metadata field", object: strings.Replace(role, "  name: reader\nspec", "  name: reader\n  nmae: x\nspec", 1), wantErr: "metadata.nmae"},
		{name: "duplicate field", object: role + "  name: other\n", wantErr: "does not decode strictly"},
		{name: "missing required field", object: strings.Replace(role, "  name: reader\n  assume", "  assume", 1), wantErr: `spec.name: Required value`},
		{name: "wrong type", object: strings.Replace(role, "assumeRolePolicyDocument: '{}'", "assumeRolePolicyDocument: {}", 1), wantErr: "spec.assumeRolePolicyDocument: Invalid value: \"object\""},
		{name: "required owner", object: strings.Replace(credential, "  owner:\n    name: identity\n", "", 1), wantErr: "spec.owner: Required value"},
		{name: "pattern", object: strings.Replace(credential, "shop-api-1234", "-x", 1), wantErr: "spec.azureName in body should match"},
		{name: "invalid name", object: strings.Replace(role, "name: reader\nspec", "name: Reader_1\nspec", 1), wantErr: "metadata.name: Invalid value"},
		{name: "unserved version", object: strings.Replace(role, "v1alpha1", "v1", 1), wantErr: "no loaded CRD serves iam.services.k8s.aws/v1 Role"},
		{name: "unknown kind", object: strings.Replace(role, "kind: Role", "kind: Rolle", 1), wantErr: "no loaded CRD serves"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Check([]byte(tc.object))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("refused a valid object: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("accepted:\n%s", tc.object)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q does not say %q", err, tc.wantErr)
			}
		})
	}
}

// The CRDs the trust output needs are loaded, each at the version the output
// writes.
func TestLoadsEveryControllerKind(t *testing.T) {
	c := load(t)
	for _, kind := range []string{
		"iam.services.k8s.aws/v1alpha1/OpenIDConnectProvider",
		"iam.services.k8s.aws/v1alpha1/Role",
		"iam.services.k8s.aws/v1alpha1/Policy",
		"eks.services.k8s.aws/v1alpha1/PodIdentityAssociation",
		"iam.cnrm.cloud.google.com/v1beta1/IAMWorkloadIdentityPool",
		"iam.cnrm.cloud.google.com/v1beta1/IAMWorkloadIdentityPoolProvider",
		"iam.cnrm.cloud.google.com/v1beta1/IAMPolicyMember",
		"iam.cnrm.cloud.google.com/v1beta1/IAMPartialPolicy",
		"managedidentity.azure.com/v1api20230131/FederatedIdentityCredential",
		"authorization.azure.com/v1api20220401/RoleAssignment",
	} {
		apiVersion, k := kind[:strings.LastIndex(kind, "/")], kind[strings.LastIndex(kind, "/")+1:]
		if !c.Known(apiVersion, k) {
			t.Errorf("%s is not served by any loaded CRD; loaded: %v", kind, c.Kinds())
		}
	}
}

func TestCheckStreamCountsAndNamesObjects(t *testing.T) {
	c := load(t)
	stream := "# a comment\napiVersion: iam.services.k8s.aws/v1alpha1\nkind: Role\nmetadata:\n  name: a\nspec:\n  name: a\n  assumeRolePolicyDocument: '{}'\n---\n# only a comment\n---\napiVersion: iam.services.k8s.aws/v1alpha1\nkind: Role\nmetadata:\n  name: b\nspec:\n  assumeRolePolicyDocument: '{}'\n"
	n, err := c.CheckStream([]byte(stream))
	if n != 2 {
		t.Errorf("checked %d objects, want 2", n)
	}
	if err == nil || !strings.Contains(err.Error(), `object 2: iam.services.k8s.aws/v1alpha1 Role "b"`) {
		t.Errorf("error %v does not name object 2", err)
	}
}
