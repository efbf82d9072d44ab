package workload

import (
	"errors"
	"strings"
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

func TestSecretFileSaysWhenACredentialFileIsAStaticKey(t *testing.T) {
	sources := NewEnvSources([]*yaml.RNode{
		parseYAML(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: sa-key, namespace: team}\nstringData: {key.json: '{\"type\": \"service_account\"}', wif.json: '{\"type\": \"external_account\"}'}"),
	})
	podSpec := parseYAML(t, `volumes:
- {name: key, secret: {secretName: sa-key}}
- {name: renamed, secret: {secretName: sa-key, items: [{key: key.json, path: google.json}]}}
- {name: elsewhere, secret: {secretName: not-in-input}}
- {name: config, configMap: {name: settings}}`)
	container := parseYAML(t, `name: app
volumeMounts:
- {name: key, mountPath: /keys/}
- {name: renamed, mountPath: /renamed}
- {name: elsewhere, mountPath: /elsewhere}
- {name: config, mountPath: /config}`)
	for _, tc := range []struct{ path, want string }{
		{"/keys/key.json", `a static service account key (key "key.json" of Secret "sa-key", mounted at /keys/)`},
		{"/renamed/google.json", `a static service account key (key "key.json" of Secret "sa-key", mounted at /renamed)`},
		{"/keys/wif.json", ""},
		{"/elsewhere/key.json", `a file of a Secret (key "key.json" of Secret "not-in-input", mounted at /elsewhere), where static service account keys are kept`},
		{"/config/key.json", ""},
		{"/keysmith/key.json", ""},
	} {
		if got := secretFile(podSpec, container, tc.path, sources, "team"); got != tc.want {
			t.Errorf("secretFile(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestCredentialFileConflictIsExplainedOnce(t *testing.T) {
	sources := NewEnvSources([]*yaml.RNode{
		parseYAML(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: sa-key, namespace: team}\nstringData: {key.json: '{\"type\": \"service_account\"}'}"),
	})
	const pod = `apiVersion: v1
kind: Pod
metadata: {name: app, namespace: team}
spec:
  volumes: [{name: key, secret: {secretName: sa-key}}]
  containers:
  - name: app
    env: [{name: CREDS, value: /keys/key.json}]
    volumeMounts: [{name: key, mountPath: /keys}]`
	for _, tc := range []struct {
		name            string
		credentialFiles []string
		want            string
	}{
		{"a credential file", []string{"CREDS"}, "is a static service account key"},
		{"an ordinary variable", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Patch{Pod: plan.PodPatch{Env: []plan.KeyValue{{Key: "CREDS", Value: "/ours"}}, CredentialFiles: tc.credentialFiles}, EnvSources: sources}
			template, _, err := locateOne(parseYAML(t, pod))
			if err != nil {
				t.Fatal(err)
			}
			err = p.Apply(template)
			leaves := leafErrors(err)
			if len(leaves) != 1 {
				t.Fatalf("want exactly one conflict, got %v", err)
			}
			explained := strings.Contains(leaves[0].Error(), "is a static service account key")
			if explained != (tc.want != "") {
				t.Errorf("conflict %q: explained = %v, want %v", leaves[0], explained, tc.want != "")
			}
		})
	}
}
