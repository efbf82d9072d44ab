package workload

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// parseYAML parses one YAML object of a test case.
func parseYAML(t testing.TB, s string) *yaml.RNode {
	t.Helper()
	n, err := yaml.Parse(s)
	if err != nil {
		t.Fatalf("parse test input: %v\n%s", err, s)
	}
	return n
}

// checkError fails the test unless err contains every one of want, or is nil
// when want is empty.
func checkError(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func TestLocateFindsThePodTemplateOfEachWorkloadKind(t *testing.T) {
	cases := []struct {
		name         string
		input        string
		wantOK       bool
		wantPath     []string
		wantTemplate string // a label only the template carries
		wantErr      []string
	}{
		{
			name:   "Pod is its own template",
			input:  "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns, labels: {at: template}}\nspec: {}",
			wantOK: true, wantTemplate: "template",
		},
		{
			name:   "PodTemplate keeps it in .template",
			input:  "apiVersion: v1\nkind: PodTemplate\nmetadata: {name: p}\ntemplate: {metadata: {labels: {at: template}}}",
			wantOK: true, wantPath: []string{"template"}, wantTemplate: "template",
		},
		{
			name:   "Deployment",
			input:  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {at: template}}}}",
			wantOK: true, wantPath: []string{"spec", "template"}, wantTemplate: "template",
		},
		{
			name:   "StatefulSet",
			input:  "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {at: template}}}}",
			wantOK: true, wantPath: []string{"spec", "template"}, wantTemplate: "template",
		},
		{
			name:   "DaemonSet",
			input:  "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {at: template}}}}",
			wantOK: true, wantPath: []string{"spec", "template"}, wantTemplate: "template",
		},
		{
			name:   "ReplicaSet",
			input:  "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {at: template}}}}",
			wantOK: true, wantPath: []string{"spec", "template"}, wantTemplate: "template",
		},
		{
			name:   "Job",
			input:  "apiVersion: batch/v1\nkind: Job\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {at: template}}}}",
			wantOK: true, wantPath: []string{"spec", "template"}, wantTemplate: "template",
		},
		{
			name:   "CronJob keeps it in the job template",
			input:  "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: d}\nspec: {jobTemplate: {spec: {template: {metadata: {labels: {at: template}}}}}}",
			wantOK: true, wantPath: []string{"spec", "jobTemplate", "spec", "template"}, wantTemplate: "template",
		},
		{
			name:  "a CRD called Deployment is not a workload",
			input: "apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {}}",
		},
		{
			name:  "an old API group is not a workload",
			input: "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: d}\nspec: {}",
		},
		{
			name:  "a ConfigMap is not a workload",
			input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}",
		},
		{
			name:    "a Deployment without a template is malformed",
			input:   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: ns}\nspec: {replicas: 1}",
			wantErr: []string{"Deployment ns/d", "spec.template", "is missing"},
		},
		{
			name:    "a CronJob whose jobTemplate is a list is malformed",
			input:   "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: d}\nspec: {jobTemplate: []}",
			wantErr: []string{"CronJob d", "spec.jobTemplate", "is a list, want a map"},
		},
		{
			name:    "a list is not an object",
			input:   "- a\n- b",
			wantErr: []string{"is a list, want a map"},
		},
		{
			name:    "a kind that is a map is malformed",
			input:   "apiVersion: apps/v1\nkind: {a: b}",
			wantErr: []string{"kind: is a map, want a scalar"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, ok, err := Locate(parseYAML(t, tc.input))
			checkError(t, err, tc.wantErr)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(tc.wantPath, w.TemplatePath); diff != "" {
				t.Errorf("TemplatePath (-want +got):\n%s", diff)
			}
			if got := w.Template.GetLabels()["at"]; got != tc.wantTemplate {
				t.Errorf("Template has label at=%q, want %q", got, tc.wantTemplate)
			}
		})
	}
}

func TestLocateReadsKindNameAndNamespaceAsWritten(t *testing.T) {
	cases := []struct {
		name, input                   string
		wantKind, wantName, wantSpace string
	}{
		{"namespaced", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team}", "Pod", "p", "team"},
		{"no namespace stays empty", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}", "Pod", "p", ""},
		{"no metadata at all", "apiVersion: v1\nkind: Pod", "Pod", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, ok, err := Locate(parseYAML(t, tc.input))
			if err != nil || !ok {
				t.Fatalf("Locate: ok=%v err=%v", ok, err)
			}
			got := []string{w.Kind, w.Name, w.Namespace}
			if diff := cmp.Diff([]string{tc.wantKind, tc.wantName, tc.wantSpace}, got); diff != "" {
				t.Errorf("kind, name, namespace (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceAccountNamePrefersServiceAccountNameOverTheDeprecatedField(t *testing.T) {
	cases := []struct{ name, spec, want string }{
		{"serviceAccountName", "{serviceAccountName: a}", "a"},
		{"deprecated serviceAccount", "{serviceAccount: b}", "b"},
		{"both: serviceAccountName wins", "{serviceAccountName: a, serviceAccount: b}", "a"},
		{"empty serviceAccountName falls back", `{serviceAccountName: "", serviceAccount: b}`, "b"},
		{"none", "{}", ""},
		{"no spec", "null", ""},
		{"malformed spec reads as none", "[a]", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := locateOK(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: "+tc.spec)
			if got := w.ServiceAccountName(); got != tc.want {
				t.Errorf("ServiceAccountName() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSetServiceAccountNameNeverOverwrites(t *testing.T) {
	const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: ns}\nspec:\n  template:\n"
	cases := []struct {
		name, template, want string
		wantErr              []string
	}{
		{
			name:     "sets it when absent",
			template: "    spec:\n      containers: []\n",
			want:     "    spec:\n      containers: []\n      serviceAccountName: sa\n",
		},
		{
			name:     "creates the spec when absent",
			template: "    metadata: {}\n",
			want:     "    metadata: {}\n    spec:\n      serviceAccountName: sa\n",
		},
		{
			name:     "equal is a no-op",
			template: "    spec:\n      serviceAccountName: sa # ours\n",
			want:     "    spec:\n      serviceAccountName: sa # ours\n",
		},
		{
			name:     "equal deprecated field is a no-op",
			template: "    spec:\n      serviceAccount: sa\n",
			want:     "    spec:\n      serviceAccount: sa\n",
		},
		{
			name:     "another name is a conflict",
			template: "    spec:\n      serviceAccountName: other\n",
			want:     "    spec:\n      serviceAccountName: other\n",
			wantErr:  []string{"Deployment ns/api", "spec.template.spec.serviceAccountName", `runs as ServiceAccount "other", want "sa"`},
		},
		{
			name:     "another name in the deprecated field is a conflict",
			template: "    spec:\n      serviceAccount: other\n",
			want:     "    spec:\n      serviceAccount: other\n",
			wantErr:  []string{"spec.template.spec.serviceAccount:", `"other"`},
		},
		{
			name:     "a spec that is a list is malformed",
			template: "    spec: [a]\n",
			want:     "    spec: [a]\n",
			wantErr:  []string{"spec.template.spec: is a list, want a map"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := locateOK(t, deployment+tc.template)
			err := w.SetServiceAccountName("sa")
			checkError(t, err, tc.wantErr)
			if diff := cmp.Diff(deployment+tc.want, w.Object.MustString()); diff != "" {
				t.Errorf("object (-want +got):\n%s", diff)
			}
			var conflict *Conflict
			if len(tc.wantErr) > 0 && strings.Contains(tc.name, "conflict") && !errors.As(err, &conflict) {
				t.Errorf("error %T is not a *Conflict", err)
			}
		})
	}
}

// locateOK locates the workload of input, failing the test unless it is one.
func locateOK(t testing.TB, input string) Workload {
	t.Helper()
	w, ok, err := Locate(parseYAML(t, input))
	if err != nil || !ok {
		t.Fatalf("Locate: ok=%v err=%v", ok, err)
	}
	return w
}
