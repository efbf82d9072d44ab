package workload

import (
	"errors"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// editCase is one case of an edit given a node on its own.
type editCase struct {
	name  string
	input string
	// want is the node after the edit; "" means unchanged.
	want    string
	wantErr []string
	// wantConflict says the error is a *Conflict (else a *Malformed).
	wantConflict bool
}

// runEditCases runs edit on each case's input, and then again on its output,
// which must not change.
func runEditCases(t *testing.T, edit yaml.Filter, cases []editCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node := parseYAML(t, tc.input)
			_, err := edit.Filter(node)
			checkError(t, err, tc.wantErr)
			if err != nil {
				var conflict *Conflict
				var malformed *Malformed
				if tc.wantConflict && !errors.As(err, &conflict) {
					t.Errorf("error %T is not a *Conflict: %v", err, err)
				}
				if !tc.wantConflict && !errors.As(err, &malformed) {
					t.Errorf("error %T is not a *Malformed: %v", err, err)
				}
			}
			want := tc.want
			if want == "" {
				want = tc.input
			}
			got := node.MustString()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("node after the edit (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			if _, err := edit.Filter(node); err != nil {
				t.Fatalf("second application: %v", err)
			}
			if diff := cmp.Diff(got, node.MustString()); diff != "" {
				t.Errorf("second application changed the node (-first +second):\n%s", diff)
			}
		})
	}
}

var awsToken = plan.ProjectedToken{
	VolumeName:        "aws-token",
	MountPath:         "/var/run/secrets/aws",
	Path:              "token",
	Audience:          "sts.amazonaws.com",
	ExpirationSeconds: 86400,
}

const awsTokenVolume = `- name: aws-token
  projected:
    sources:
    - serviceAccountToken:
        audience: sts.amazonaws.com
        expirationSeconds: 86400
        path: token
`

func TestProjectedTokenVolumeAddsOneTokenVolumePerName(t *testing.T) {
	runEditCases(t, ProjectedTokenVolume{Token: awsToken}, []editCase{
		{
			name:  "creates the volumes list",
			input: "containers: []\n",
			want:  "containers: []\nvolumes:\n" + awsTokenVolume,
		},
		{
			name:  "fills a null list in place",
			input: "volumes: # ours go here\ncontainers: []\n",
			want:  "volumes: # ours go here\n" + awsTokenVolume + "containers: []\n",
		},
		{
			name:  "turns an empty flow list into a block list",
			input: "volumes: []\n",
			want:  "volumes:\n" + awsTokenVolume,
		},
		{
			name:  "appends after the user's volumes",
			input: "volumes:\n- name: data # keep me\n  emptyDir: {}\n",
			want:  "volumes:\n- name: data # keep me\n  emptyDir: {}\n" + awsTokenVolume,
		},
		{
			name:  "keeps user flow entries in a flow list",
			input: "volumes: [{name: data, emptyDir: {}}]\n",
			want:  "volumes:\n- {name: data, emptyDir: {}}\n" + awsTokenVolume,
		},
		{
			name:  "an identical volume in another key order is a no-op",
			input: "volumes:\n- projected: {sources: [{serviceAccountToken: {path: token, expirationSeconds: 86400, audience: sts.amazonaws.com}}]}\n  name: aws-token\n",
		},
		{
			name:         "a volume with our name and another audience is a conflict",
			input:        "volumes:\n- name: aws-token\n  projected: {sources: [{serviceAccountToken: {path: token, expirationSeconds: 86400, audience: other}}]}\n",
			wantErr:      []string{"volumes[name=aws-token]", `a volume named "aws-token" already exists with other content`, "rename or remove"},
			wantConflict: true,
		},
		{
			name:         "a volume with our name of another type is a conflict",
			input:        "volumes:\n- name: aws-token\n  emptyDir: {}\n",
			wantErr:      []string{"volumes[name=aws-token]"},
			wantConflict: true,
		},
		{
			name:    "a pod spec that is a list is malformed",
			input:   "- a\n",
			wantErr: []string{"the edited node is a list, want a map"},
		},
		{
			name:    "volumes that is a map is malformed",
			input:   "volumes: {a: b}\n",
			wantErr: []string{"volumes: is a map, want a list"},
		},
		{
			name:    "a volume that is a string is malformed",
			input:   "volumes: [data]\n",
			wantErr: []string{`volumes[0]: is the scalar "data", want a map`},
		},
		{
			name:    "a volume without a name is malformed",
			input:   "volumes: [{emptyDir: {}}]\n",
			wantErr: []string{"volumes[0]: has no name"},
		},
	})
}

func TestConfigMapVolumeAddsOneConfigMapVolumePerName(t *testing.T) {
	volume := ConfigMapVolume{Volume: plan.ConfigMapVolume{VolumeName: "gcp-credentials", ConfigMapName: "gcp-cred", MountPath: "/etc/gcp"}}
	const want = "- name: gcp-credentials\n  configMap:\n    name: gcp-cred\n"
	runEditCases(t, volume, []editCase{
		{name: "creates the volumes list", input: "containers: []\n", want: "containers: []\nvolumes:\n" + want},
		{name: "appends to the user's volumes", input: "volumes:\n- {name: a, emptyDir: {}}\n", want: "volumes:\n- {name: a, emptyDir: {}}\n" + want},
		{name: "an identical volume is a no-op", input: "volumes:\n- configMap: {name: gcp-cred}\n  name: gcp-credentials\n"},
		{
			name:         "our name on another ConfigMap is a conflict",
			input:        "volumes:\n- name: gcp-credentials\n  configMap: {name: other}\n",
			wantErr:      []string{"volumes[name=gcp-credentials]", `ConfigMap "gcp-cred"`},
			wantConflict: true,
		},
		{
			name:         "our name with extra settings is a conflict",
			input:        "volumes:\n- name: gcp-credentials\n  configMap: {name: gcp-cred, defaultMode: 0400}\n",
			wantErr:      []string{"volumes[name=gcp-credentials]"},
			wantConflict: true,
		},
	})
}

func TestVolumeMountMountsReadOnlyWithoutSubPath(t *testing.T) {
	mount := VolumeMount{VolumeName: "aws-token", MountPath: "/var/run/secrets/aws"}
	const want = "- name: aws-token\n  mountPath: /var/run/secrets/aws\n  readOnly: true\n"
	runEditCases(t, mount, []editCase{
		{name: "creates the volumeMounts list", input: "name: app\n", want: "name: app\nvolumeMounts:\n" + want},
		{name: "fills a null list", input: "name: app\nvolumeMounts: null\n", want: "name: app\nvolumeMounts:\n" + want},
		{name: "turns a flow list into a block list", input: "volumeMounts: []\n", want: "volumeMounts:\n" + want},
		{
			name:  "appends after the user's mounts",
			input: "volumeMounts:\n- {name: data, mountPath: /data}\n",
			want:  "volumeMounts:\n- {name: data, mountPath: /data}\n" + want,
		},
		{name: "an identical mount is a no-op", input: "volumeMounts:\n- {readOnly: true, mountPath: /var/run/secrets/aws, name: aws-token}\n"},
		{
			name:         "our volume mounted elsewhere is a conflict",
			input:        "volumeMounts:\n- {name: aws-token, mountPath: /token, readOnly: true}\n",
			wantErr:      []string{"volumeMounts[mountPath=/token]", `volume "aws-token" is already mounted at "/token"`},
			wantConflict: true,
		},
		{
			name:         "another volume at our path is a conflict",
			input:        "volumeMounts:\n- {name: data, mountPath: /var/run/secrets/aws/}\n",
			wantErr:      []string{`mount path "/var/run/secrets/aws/" is already used by volume "data"`},
			wantConflict: true,
		},
		{
			name:         "our mount with a subPath is a conflict",
			input:        "volumeMounts:\n- {name: aws-token, mountPath: /var/run/secrets/aws, readOnly: true, subPath: token}\n",
			wantErr:      []string{"with other settings", "no subPath"},
			wantConflict: true,
		},
		{
			name:         "our mount writable is a conflict",
			input:        "volumeMounts:\n- {name: aws-token, mountPath: /var/run/secrets/aws}\n",
			wantErr:      []string{"with other settings"},
			wantConflict: true,
		},
		{
			name:    "a mount without a name is malformed",
			input:   "volumeMounts:\n- {mountPath: /x}\n",
			wantErr: []string{"volumeMounts[0]: has no name"},
		},
		{
			name:    "a mountPath that is a list is malformed",
			input:   "volumeMounts:\n- {name: x, mountPath: [a]}\n",
			wantErr: []string{"volumeMounts[0].mountPath: is a list, want a scalar"},
		},
	})
}

func TestEnvVarAppendsWithoutOverwritingTheUsersValue(t *testing.T) {
	env := EnvVar{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::1:role/r"}
	const want = "- name: AWS_ROLE_ARN\n  value: arn:aws:iam::1:role/r\n"
	runEditCases(t, env, []editCase{
		{name: "creates the env list", input: "name: app\n", want: "name: app\nenv:\n" + want},
		{name: "fills a null list", input: "env: ~\n", want: "env:\n" + want},
		{
			name:  "appends after the user's variables in flow style",
			input: "env: [{name: A, value: a}]\n",
			want:  "env:\n- {name: A, value: a}\n" + want,
		},
		{name: "an identical entry is a no-op", input: "env:\n- value: arn:aws:iam::1:role/r\n  name: AWS_ROLE_ARN\n"},
		{
			name:         "another value is a conflict",
			input:        "env:\n- {name: AWS_ROLE_ARN, value: 'arn:aws:iam::2:role/other'}\n",
			wantErr:      []string{"env[name=AWS_ROLE_ARN]", `AWS_ROLE_ARN is already set to "arn:aws:iam::2:role/other", want "arn:aws:iam::1:role/r"`, "remove that entry or set it"},
			wantConflict: true,
		},
		{
			name:         "an empty value is a conflict",
			input:        "env:\n- {name: AWS_ROLE_ARN}\n",
			wantErr:      []string{`already set to ""`},
			wantConflict: true,
		},
		{
			name:         "a valueFrom is a conflict",
			input:        "env:\n- name: AWS_ROLE_ARN\n  valueFrom: {configMapKeyRef: {name: c, key: k}}\n",
			wantErr:      []string{"env[name=AWS_ROLE_ARN]", "already set from valueFrom"},
			wantConflict: true,
		},
		{
			name:    "an entry without a name is malformed",
			input:   "env:\n- {value: x}\n",
			wantErr: []string{"env[0]: has no name"},
		},
		{
			name:    "a container that is a string is malformed",
			input:   "app\n",
			wantErr: []string{`the edited node is the scalar "app", want a map`},
		},
		{
			name:    "env that is a string is malformed",
			input:   "env: AWS_ROLE_ARN=x\n",
			wantErr: []string{`env: is the scalar "AWS_ROLE_ARN=x", want a list`},
		},
	})
}

func TestEnvVarQuotesValuesThatWouldReadAsAnotherType(t *testing.T) {
	runEditCases(t, EnvVar{Name: "PORT", Value: "8080"}, []editCase{
		{name: "number", input: "name: app\n", want: "name: app\nenv:\n- name: PORT\n  value: \"8080\"\n"},
	})
	runEditCases(t, EnvVar{Name: "ENABLED", Value: "true"}, []editCase{
		{name: "boolean", input: "name: app\n", want: "name: app\nenv:\n- name: ENABLED\n  value: \"true\"\n"},
	})
}

// fakeEnvSources is an EnvSources over fixed data.
type fakeEnvSources map[[3]string]map[string]string

func (f fakeEnvSources) Lookup(kind, namespace, name string) (map[string]string, bool) {
	data, found := f[[3]string{kind, namespace, name}]
	return data, found
}

func TestEnvVarConflictsWithEnvFromSourcesProvidingAnotherValue(t *testing.T) {
	sources := fakeEnvSources{
		{"ConfigMap", "ns", "settings"}: {"AWS_ROLE_ARN": "other", "REGION": "eu"},
		{"ConfigMap", "ns", "same"}:     {"AWS_ROLE_ARN": "arn"},
		{"ConfigMap", "ns", "prefixed"}: {"ROLE_ARN": "other"},
		{"Secret", "ns", "secret"}:      {"AWS_ROLE_ARN": "secret-value"},
	}
	env := EnvVar{Name: "AWS_ROLE_ARN", Value: "arn", Sources: sources, Namespace: "ns"}
	const added = "env:\n- name: AWS_ROLE_ARN\n  value: arn\n"
	runEditCases(t, env, []editCase{
		{
			name:         "a ConfigMap key with another value is a conflict",
			input:        "envFrom:\n- configMapRef: {name: settings}\n",
			wantErr:      []string{"envFrom[0]", `ConfigMap "settings" provides AWS_ROLE_ARN (key "AWS_ROLE_ARN") through envFrom with the value "other", want "arn"`, "silently override"},
			wantConflict: true,
		},
		{
			name:  "a ConfigMap key with the same value is fine",
			input: "envFrom:\n- configMapRef: {name: same}\n",
			want:  "envFrom:\n- configMapRef: {name: same}\n" + added,
		},
		{
			name:         "the prefix is honoured",
			input:        "envFrom:\n- configMapRef: {name: prefixed}\n  prefix: AWS_\n",
			wantErr:      []string{`key "ROLE_ARN"`},
			wantConflict: true,
		},
		{
			name:  "a prefix that does not reach our name is fine",
			input: "envFrom:\n- configMapRef: {name: settings}\n  prefix: APP_\n",
			want:  "envFrom:\n- configMapRef: {name: settings}\n  prefix: APP_\n" + added,
		},
		{
			name:         "a Secret key with another value is a conflict",
			input:        "envFrom:\n- secretRef: {name: secret}\n",
			wantErr:      []string{`Secret "secret" provides AWS_ROLE_ARN`},
			wantConflict: true,
		},
		{
			name:  "the last source wins, as in Kubernetes",
			input: "envFrom:\n- configMapRef: {name: settings}\n- configMapRef: {name: same}\n",
			want:  "envFrom:\n- configMapRef: {name: settings}\n- configMapRef: {name: same}\n" + added,
		},
		{
			name:         "the last source wins for conflicts too",
			input:        "envFrom:\n- configMapRef: {name: same}\n- configMapRef: {name: settings}\n",
			wantErr:      []string{"envFrom[1]", `ConfigMap "settings"`},
			wantConflict: true,
		},
		{
			name:  "an unknown source is not checked",
			input: "envFrom:\n- configMapRef: {name: elsewhere}\n",
			want:  "envFrom:\n- configMapRef: {name: elsewhere}\n" + added,
		},
		{
			name:  "an explicit env entry equal to ours already overrides envFrom",
			input: "envFrom:\n- configMapRef: {name: settings}\nenv:\n- {name: AWS_ROLE_ARN, value: arn}\n",
		},
		{
			name:    "an envFrom entry that is a string is malformed",
			input:   "envFrom: [settings]\n",
			wantErr: []string{`envFrom[0]: is the scalar "settings", want a map`},
		},
	})
}

func TestTemplateLabelSetsALabelWithoutOverwriting(t *testing.T) {
	label := TemplateLabel{Key: "azure.workload.identity/use", Value: "true"}
	runEditCases(t, label, []editCase{
		{
			name:  "creates metadata and labels",
			input: "spec: {}\n",
			want:  "spec: {}\nmetadata:\n  labels:\n    azure.workload.identity/use: \"true\"\n",
		},
		{
			name:  "adds to the user's labels",
			input: "metadata:\n  labels:\n    app: api # selector\n",
			want:  "metadata:\n  labels:\n    app: api # selector\n    azure.workload.identity/use: \"true\"\n",
		},
		{
			name:  "fills null labels",
			input: "metadata:\n  labels:\n",
			want:  "metadata:\n  labels:\n    azure.workload.identity/use: \"true\"\n",
		},
		{name: "an equal label is a no-op", input: "metadata:\n  labels:\n    azure.workload.identity/use: 'true'\n"},
		{
			name:         "another value is a conflict",
			input:        "metadata:\n  labels:\n    azure.workload.identity/use: \"false\"\n",
			wantErr:      []string{"metadata.labels.[azure.workload.identity/use]", `already "false", want "true"`},
			wantConflict: true,
		},
		{
			name:    "labels that are a list are malformed",
			input:   "metadata:\n  labels: [a]\n",
			wantErr: []string{"metadata.labels: is a list, want a map"},
		},
	})
}

// The cheap pre-check must never rule out a value YAML 1.1 reads as another
// type: every such value is still quoted.
func TestStringNodeQuotesEveryYAML11NonString(t *testing.T) {
	for _, v := range []string{"yes", "Yes", "YES", "y", "Y", "no", "N", "on", "Off", "true", "FALSE", "null", "Null", "~",
		"1", "012", "0x1F", "+1", "-1", ".5", "1e3", ".inf"} {
		if !yaml.IsValueNonString(v) {
			t.Fatalf("%q is not a YAML 1.1 non-string; fix the test", v)
		}
		if n := stringNode(v); n.Style != yaml.DoubleQuotedStyle {
			t.Errorf("stringNode(%q) is not quoted; a YAML 1.1 reader would not read a string", v)
		}
	}
	for _, v := range []string{"/var/run/secrets/token", "eu-west-2", "regional", "arn:aws:iam::1:role/r", "yesterday"} {
		if n := stringNode(v); n.Style == yaml.DoubleQuotedStyle {
			t.Errorf("stringNode(%q) is quoted; it reads as a string plain", v)
		}
	}
}
