package workload

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

func TestStaticCredentialsAreRefusedInEnvAndThroughEnvFrom(t *testing.T) {
	credentials := []plan.StaticCredential{
		{Name: "KEY_ID", What: "an access key ID", Why: "the SDKs read first"},
		{Name: "SECRET", What: "a secret", Why: "the SDKs read first"},
	}
	sources := NewEnvSources([]*yaml.RNode{
		parseYAML(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: legacy, namespace: team}\ndata: {ID: QUtJQQ==}"),
		parseYAML(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: team}\ndata: {SECRET: s, OTHER: x, EMPTY_SECRET: ''}"),
	})
	for _, tc := range []struct {
		name, container string
		want            []string // "field: message part" of each conflict
	}{
		{"none set", "name: app\nenv: [{name: OTHER, value: x}]", nil},
		{"an env value", "name: app\nenv: [{name: KEY_ID, value: AKIA}]",
			[]string{"env[name=KEY_ID]: KEY_ID is set in env: an access key ID, which the SDKs read first"}},
		{"an env valueFrom", "name: app\nenv: [{name: SECRET, valueFrom: {secretKeyRef: {name: s, key: k}}}]",
			[]string{"env[name=SECRET]: SECRET is set in env: a secret"}},
		{"an empty value sets nothing", "name: app\nenv: [{name: KEY_ID, value: ''}, {name: SECRET}]", nil},
		{"a Secret with a prefix", "name: app\nenvFrom: [{prefix: KEY_, secretRef: {name: legacy}}]",
			[]string{`envFrom[0]: Secret "legacy" provides KEY_ID (key "ID") through envFrom: an access key ID`}},
		{"a ConfigMap", "name: app\nenvFrom: [{configMapRef: {name: settings}}]",
			[]string{`envFrom[0]: ConfigMap "settings" provides SECRET (key "SECRET") through envFrom: a secret`}},
		{"an empty key of a ConfigMap sets nothing", "name: app\nenvFrom: [{prefix: EMPTY_, configMapRef: {name: settings}}]", nil},
		{"a source not in the input is not known", "name: app\nenvFrom: [{secretRef: {name: elsewhere}}]", nil},
		{"both in env and through envFrom", "name: app\nenv: [{name: SECRET, value: s}]\nenvFrom: [{configMapRef: {name: settings}}]",
			[]string{"env[name=SECRET]: SECRET is set in env", `envFrom[0]: ConfigMap "settings" provides SECRET`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			container := parseYAML(t, tc.container)
			before := container.MustString()
			_, err := StaticCredentials{Credentials: credentials, Sources: sources, Namespace: "team"}.Filter(container)
			var got []string
			for _, e := range leafErrors(err) {
				var c *Conflict
				if !errors.As(e, &c) {
					t.Fatalf("not a conflict: %v", e)
				}
				got = append(got, c.Field+": "+c.Message)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("conflicts %q, want %d matching %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if len(got[i]) < len(tc.want[i]) || got[i][:len(tc.want[i])] != tc.want[i] {
					t.Errorf("conflict %d = %q, want it to start with %q", i, got[i], tc.want[i])
				}
			}
			if diff := cmp.Diff(before, container.MustString()); diff != "" {
				t.Errorf("the container was edited (-before +after):\n%s", diff)
			}
		})
	}
}
