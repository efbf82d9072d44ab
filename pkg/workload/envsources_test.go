package workload

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func TestNewEnvSourcesIndexesConfigMapsAndDecodedSecretsByNamespaceAsWritten(t *testing.T) {
	items := []*yaml.RNode{
		parseYAML(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: team}\ndata: {A: a, PORT: '80'}"),
		parseYAML(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {A: no-namespace}"),
		parseYAML(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: team}\ndata: {USER: dXNlcg==, PASS: b2xk, BAD: '%%%'}\nstringData: {PASS: new}"),
		parseYAML(t, "apiVersion: example.com/v1\nkind: ConfigMap\nmetadata: {name: lookalike, namespace: team}\ndata: {A: x}"),
		parseYAML(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: [broken]"),
		parseYAML(t, "- not an object"),
	}
	sources := NewEnvSources(items)
	cases := []struct {
		name                  string
		kind, namespace, item string
		want                  map[string]string
		wantFound             bool
	}{
		{"a ConfigMap in its namespace", "ConfigMap", "team", "settings", map[string]string{"A": "a", "PORT": "80"}, true},
		{"no namespace matches no namespace", "ConfigMap", "", "settings", map[string]string{"A": "no-namespace"}, true},
		{`"default" is the same as ""`, "ConfigMap", "default", "settings", map[string]string{"A": "no-namespace"}, true},
		{"Secret data is decoded and stringData wins; undecodable keys are dropped", "Secret", "team", "creds", map[string]string{"USER": "user", "PASS": "new"}, true},
		{"a Secret is not a ConfigMap", "ConfigMap", "team", "creds", nil, false},
		{"other API groups are ignored", "ConfigMap", "team", "lookalike", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, found := sources.Lookup(tc.kind, tc.namespace, tc.item)
			if found != tc.wantFound {
				t.Fatalf("found = %v, want %v", found, tc.wantFound)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
		})
	}
}
