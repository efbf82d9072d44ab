package kinds

import (
	"slices"
	"testing"
)

func TestLookupIsKeyedByGroupAndKind(t *testing.T) {
	for _, tc := range []struct {
		apiVersion, kind string
		path             string
		ok               bool
	}{
		{"apps/v1", "Deployment", "spec.template", true},
		{"batch/v1", "CronJob", "spec.jobTemplate.spec.template", true},
		{"v1", "Pod", "", true},
		{"v1", "PodTemplate", "template", true},
		// Same kind name, another group: not ours.
		{"example.com/v1", "Deployment", "", false},
		{"serving.knative.dev/v1", "Service", "", false},
		// A version the table does not list.
		{"apps/v1beta1", "Deployment", "", false},
		{"v1", "Service", "", false},
	} {
		k, ok := Builtin.Lookup(tc.apiVersion, tc.kind)
		if ok != tc.ok {
			t.Errorf("Lookup(%s, %s) ok = %v, want %v", tc.apiVersion, tc.kind, ok, tc.ok)
			continue
		}
		if ok && k.Paths[0].String() != tc.path {
			t.Errorf("Lookup(%s, %s) path = %q, want %q", tc.apiVersion, tc.kind, k.Paths[0], tc.path)
		}
	}
}

func TestSelectorEntries(t *testing.T) {
	for _, tc := range []struct {
		entry string
		want  bool
	}{
		{"Deployment", true},
		{"Deployment.apps", true},
		{"CronJob.batch", true},
		{"Pod", true},
		{"Deployment.batch", false},
		{"StatefulSet.apps.kruise.io", true},
		{"Rollout.argoproj.io", true},
		{"Rollout", true},
		{"Rollout.apps", false},
		{"deployment", false},
		{"Service", false},
		{"", false},
	} {
		if got := Builtin.Selects(tc.entry); got != tc.want {
			t.Errorf("Selects(%q) = %v, want %v", tc.entry, got, tc.want)
		}
	}
}

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		in    string
		steps []Step
		fixed bool
		ok    bool
	}{
		{"", nil, true, true},
		{"spec.template", []Step{{Field: "spec"}, {Field: "template"}}, true, true},
		{"spec.replicatedJobs[*].template.spec.template",
			[]Step{{Field: "spec"}, {Field: "replicatedJobs"}, {EachElement: true}, {Field: "template"}, {Field: "spec"}, {Field: "template"}}, false, true},
		{"spec.pytorchReplicaSpecs.*.template",
			[]Step{{Field: "spec"}, {Field: "pytorchReplicaSpecs"}, {EachValue: true}, {Field: "template"}}, false, true},
		{"spec.rayClusterSpec?.workerGroupSpecs[*].template",
			[]Step{{Field: "spec"}, {Field: "rayClusterSpec", Optional: true}, {Field: "workerGroupSpecs"}, {EachElement: true}, {Field: "template"}}, false, true},
		{"spec.template?", []Step{{Field: "spec"}, {Field: "template", Optional: true}}, true, true},
		{"spec.?", nil, false, false},
		{"*.template", nil, false, false},
		{"spec..template", nil, false, false},
		{"spec.[*]", nil, false, false},
		{"spec.tem plate", nil, false, false},
		{"spec.template[0]", nil, false, false},
	} {
		p, err := ParsePath(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParsePath(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if !slices.Equal(p.Steps(), tc.steps) || p.Fixed() != tc.fixed || p.String() != tc.in {
			t.Errorf("ParsePath(%q) = %+v fixed=%v, want %+v fixed=%v", tc.in, p.Steps(), p.Fixed(), tc.steps, tc.fixed)
		}
	}
}

func TestEveryBuiltinRowIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Builtin {
		if len(k.Versions) == 0 || len(k.Paths) == 0 || k.Kind == "" {
			t.Errorf("row %s is incomplete: %+v", k, k)
		}
		for _, v := range k.APIVersions() {
			key := v + " " + k.Kind
			if seen[key] {
				t.Errorf("%s is in the table twice", key)
			}
			seen[key] = true
		}
	}
}
