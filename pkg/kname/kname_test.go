package kname

import (
	"strings"
	"testing"
)

func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule func(string) bool
		in   string
		want bool
	}{
		{"label", IsLabel, "default", true},
		{"label", IsLabel, "a-1", true},
		{"label", IsLabel, strings.Repeat("a", 63), true},
		{"label", IsLabel, strings.Repeat("a", 64), false},
		{"label", IsLabel, "a.b", false},
		{"label", IsLabel, "-a", false},
		{"label", IsLabel, "A", false},
		{"label", IsLabel, "", false},
		{"label", IsLabel, "a\u2028", false},
		{"subdomain", IsSubdomain, "api.v2", true},
		{"subdomain", IsSubdomain, strings.Repeat("a", 253), true},
		{"subdomain", IsSubdomain, strings.Repeat("a", 254), false},
		{"subdomain", IsSubdomain, "a..b", false},
		{"subdomain", IsSubdomain, "a.-b", false},
		{"subdomain", IsSubdomain, "*", false},
		{"subdomain", IsSubdomain, "../x", false},
		{"subdomain", IsSubdomain, "a\nb", false},
		{"label key", IsLabelKey, "app", true},
		{"label key", IsLabelKey, "example.com/team", true},
		{"label key", IsLabelKey, "Example.com/team", false},
		{"label key", IsLabelKey, "a b", false},
		{"annotation key", IsAnnotationKey, "Example.com/Owner", true},
		{"annotation key", IsAnnotationKey, "description", true},
		{"annotation key", IsAnnotationKey, "a/b/c", false},
		{"annotation key", IsAnnotationKey, "", false},
		{"label value", IsLabelValue, "", true},
		{"label value", IsLabelValue, "My_app.1", true},
		{"label value", IsLabelValue, "-x", false},
		{"label value", IsLabelValue, strings.Repeat("a", 64), false},
	} {
		if got := tc.rule(tc.in); got != tc.want {
			t.Errorf("%s(%q) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestIsServiceAccountRefusesPatterns(t *testing.T) {
	for _, tc := range []struct {
		namespace, name string
		want            bool
	}{
		{"default", "oidc-exp-service-account", true},
		{"shop", "api.v2", true},
		{"default", "*", false},
		{"*", "app", false},
		{"default", "a:b", false},
		{"team.a", "app", false},
		{"", "app", false},
	} {
		if got := IsServiceAccount(tc.namespace, tc.name); got != tc.want {
			t.Errorf("IsServiceAccount(%q, %q) = %v, want %v", tc.namespace, tc.name, got, tc.want)
		}
	}
}
