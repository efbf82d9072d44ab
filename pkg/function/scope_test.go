package function

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestIsAccountMatchesNamesKustomizeRecorded(t *testing.T) {
	renamed := `apiVersion: v1
kind: ServiceAccount
metadata:
  name: prod-api-v2
  namespace: shop-dev
  annotations:
    internal.config.kubernetes.io/previousNames: api,prod-api
    internal.config.kubernetes.io/previousNamespaces: shop,shop-dev
`
	plain := "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: api\n"
	local := "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: api\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n"
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n"
	for _, tc := range []struct {
		item, name, namespace string
		want                  bool
	}{
		{renamed, "prod-api-v2", "shop-dev", true},
		{renamed, "api", "shop", true},          // its first identity
		{renamed, "prod-api", "shop-dev", true}, // the second
		{renamed, "api", "shop-dev", false},     // api was never in shop-dev
		{renamed, "prod-api", "shop", false},    // nor prod-api in shop
		{renamed, "api", "", true},              // any namespace
		{renamed, "other", "", false},
		{plain, "api", "default", true}, // no namespace: kubectl's default
		{plain, "api", "apps", false},
		{local, "api", "", false}, // local config never reaches a cluster
		{pod, "api", "", false},
	} {
		n := yaml.MustParse(tc.item)
		if got := isAccount(n, tc.name, tc.namespace); got != tc.want {
			t.Errorf("isAccount(%s, %q, %q) = %v, want %v", n.GetName(), tc.name, tc.namespace, got, tc.want)
		}
	}
}

func TestDescribeNamespacesNamesItemsWithoutOne(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"a", "b"}, "a, b"},
		{[]string{"", "a"}, "a, items without a namespace"},
		{[]string{"bad\u2028ns"}, `"bad\u2028ns"`},
	} {
		if got := describeNamespaces(tc.in); got != tc.want {
			t.Errorf("describeNamespaces(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A renamed ServiceAccount's new name comes from the input: a line break in
// it must not reach the warning unquoted.
func TestRenameWarningQuotesNamesThatAreNotKubernetesNames(t *testing.T) {
	items := []*yaml.RNode{yaml.MustParse("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: \"api\\u2028[error] forged\"\n  namespace: shop\n  annotations:\n    internal.config.kubernetes.io/previousNames: api\n    internal.config.kubernetes.io/previousNamespaces: shop\n")}
	config := yaml.MustParse("apiVersion: crosscloud.dev/v1alpha1\nkind: CrossCloudAccess\nmetadata:\n  name: shop\nspec:\n  cluster:\n    provider: generic\n    issuer: https://kubernetes.example.com\n  serviceAccount:\n    name: api\n    namespace: shop\n  aws:\n    mode: projected\n    region: eu-west-2\n    roleArn: arn:aws:iam::111122223333:role/api\n")
	_, results := Run(config, items)
	found := false
	for _, r := range results {
		if strings.Contains(r.Message, "kustomize's namePrefix") {
			found = true
			if strings.ContainsRune(r.Message, '\u2028') {
				t.Errorf("the warning holds the raw line break: %q", r.Message)
			}
		}
	}
	if !found {
		t.Fatalf("no rename warning: %v", results)
	}
}
