package workload

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/kinds"
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
			w, ok, err := locateOne(parseYAML(t, tc.input))
			checkError(t, err, tc.wantErr)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(tc.wantPath, w.Path.Fields()); diff != "" {
				t.Errorf("template path (-want +got):\n%s", diff)
			}
			if got := w.Node.GetLabels()["at"]; got != tc.wantTemplate {
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
			w, ok, err := locateOne(parseYAML(t, tc.input))
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

// kubectl reads an alias of a scalar as the scalar: the template runs as
// that ServiceAccount, and is the spec's to wire.
func TestServiceAccountNameReadsAnAliasOfAScalar(t *testing.T) {
	w := locateOK(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {sa: &sa runner}}\nspec: {serviceAccountName: *sa, containers: [{name: c}]}\n")
	if got := w.ServiceAccountName(); got != "runner" {
		t.Errorf("ServiceAccountName() = %q; want runner", got)
	}
	if err := w.SetServiceAccountName("runner"); err != nil {
		t.Errorf("SetServiceAccountName(runner) = %v; it already runs as runner", err)
	}
	if err := w.SetServiceAccountName("other"); err == nil {
		t.Error("SetServiceAccountName(other) overwrote the aliased name")
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

// locateOne locates the one pod template of a built-in kind's object.
func locateOne(obj *yaml.RNode) (PodTemplate, bool, error) {
	w, ok, err := BuiltinLocator.Locate(obj)
	if err != nil || !ok {
		return PodTemplate{}, ok, err
	}
	if len(w.Templates) != 1 {
		return PodTemplate{}, false, fmt.Errorf("%s has %d pod templates, want 1", w, len(w.Templates))
	}
	return w.Templates[0], true, nil
}

// locateOK locates the pod template of input, failing the test unless it is one.
func locateOK(t testing.TB, input string) PodTemplate {
	t.Helper()
	w, ok, err := locateOne(parseYAML(t, input))
	if err != nil || !ok {
		t.Fatalf("Locate: ok=%v err=%v", ok, err)
	}
	return w
}

func TestLocateFollowsListAndMapWildcards(t *testing.T) {
	locator := PodTemplateLocator{Kinds: kinds.Table{
		{Group: "jobset.x-k8s.io", Versions: []string{"v1alpha2"}, Kind: "JobSet",
			Paths: []kinds.Path{kinds.MustParsePath("spec.replicatedJobs[*].template.spec.template")}},
		{Group: "kubeflow.org", Versions: []string{"v1"}, Kind: "PyTorchJob",
			Paths: []kinds.Path{kinds.MustParsePath("spec.pytorchReplicaSpecs.*.template")}},
	}}
	cases := []struct {
		name, input string
		wantFields  []string
		wantErr     []string
	}{
		{
			name: "every element of a list",
			input: `apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: js}
spec:
  replicatedJobs:
  - {name: leader, template: {spec: {template: {spec: {containers: [{name: a}]}}}}}
  - {name: workers, template: {spec: {template: {spec: {containers: [{name: b}]}}}}}`,
			wantFields: []string{"spec.replicatedJobs[0].template.spec.template", "spec.replicatedJobs[1].template.spec.template"},
		},
		{
			name: "every value of a map",
			input: `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: pt}
spec:
  pytorchReplicaSpecs:
    Master: {template: {spec: {containers: [{name: a}]}}}
    Worker: {template: {spec: {containers: [{name: b}]}}}`,
			wantFields: []string{"spec.pytorchReplicaSpecs.Master.template", "spec.pytorchReplicaSpecs.Worker.template"},
		},
		{
			name:  "an absent list holds no template",
			input: "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: js}\nspec: {}",
		},
		{
			name:    "a list where a map should be is malformed",
			input:   "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: pt}\nspec: {pytorchReplicaSpecs: [a]}",
			wantErr: []string{"PyTorchJob pt", "spec.pytorchReplicaSpecs", "is a list, want a map"},
		},
		{
			name:    "an element without the template is malformed",
			input:   "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: js}\nspec: {replicatedJobs: [{name: a, template: {spec: {}}}]}",
			wantErr: []string{"JobSet js", "spec.replicatedJobs[0].template.spec.template", "is missing"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, ok, err := locator.Locate(parseYAML(t, tc.input))
			checkError(t, err, tc.wantErr)
			if tc.wantErr != nil {
				return
			}
			if !ok {
				t.Fatal("not located")
			}
			var fields []string
			for _, tpl := range w.Templates {
				fields = append(fields, tpl.Field)
			}
			if diff := cmp.Diff(tc.wantFields, fields); diff != "" {
				t.Errorf("template fields (-want +got):\n%s", diff)
			}
		})
	}
}

// Names that are not Kubernetes names are quoted in messages, so a line
// break or an escape sequence in an input cannot forge the rest.
func TestMessagesQuoteNamesThatAreNotKubernetesNames(t *testing.T) {
	for _, tc := range []struct{ kind, namespace, name, want string }{
		{"Deployment", "shop", "api", "Deployment shop/api"},
		{"Deployment", "", "api", "Deployment api"},
		{"Deployment", "shop", "api\nerror: all good", `Deployment shop/"api\nerror: all good"`},
		{"Pod", "a\u2028b", "\x1b[31mred", `Pod "a\u2028b"/"\x1b[31mred"`},
	} {
		if got := describe(tc.kind, tc.namespace, tc.name); got != tc.want {
			t.Errorf("describe(%q, %q, %q) = %s, want %s", tc.kind, tc.namespace, tc.name, got, tc.want)
		}
	}
}
