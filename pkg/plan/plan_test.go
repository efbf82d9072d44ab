package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/filters/refvar"
)

func TestMergeKeepsTargetOrder(t *testing.T) {
	aws := Target{Name: "aws", Pod: PodPatch{
		Tokens: []ProjectedToken{{VolumeName: "aws-iam-token"}},
		Env:    []KeyValue{{Key: "AWS_ROLE_ARN", Value: "r"}},
	}}
	gcp := Target{Name: "gcp",
		ConfigMaps: []ConfigMap{{Name: "app-gcp-credentials"}},
		Pod: PodPatch{
			Tokens:           []ProjectedToken{{VolumeName: "gcp-iam-token"}},
			ConfigMapVolumes: []ConfigMapVolume{{VolumeName: "gcp-credential-configuration"}},
			Env:              []KeyValue{{Key: "GOOGLE_APPLICATION_CREDENTIALS", Value: "f"}},
		}}
	azure := Target{Name: "azure",
		ServiceAccountAnnotations: []KeyValue{{Key: "azure.workload.identity/client-id", Value: "c"}},
		Pod:                       PodPatch{Labels: []KeyValue{{Key: "azure.workload.identity/use", Value: "true"}}}}
	got, err := Merge("app", []Target{aws, gcp, azure})
	if err != nil {
		t.Fatal(err)
	}
	want := Plan{
		ServiceAccountAnnotations: azure.ServiceAccountAnnotations,
		ConfigMaps:                gcp.ConfigMaps,
		Pod: PodPatch{
			Labels:           azure.Pod.Labels,
			Tokens:           []ProjectedToken{{VolumeName: "aws-iam-token"}, {VolumeName: "gcp-iam-token"}},
			ConfigMapVolumes: gcp.Pod.ConfigMapVolumes,
			Env:              []KeyValue{{Key: "AWS_ROLE_ARN", Value: "r"}, {Key: "GOOGLE_APPLICATION_CREDENTIALS", Value: "f"}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
}

func TestMergeRefusesAConfigMapNameKubernetesWouldRefuse(t *testing.T) {
	sa := strings.Repeat("a", 240)
	long := Target{Name: "gcp", ConfigMaps: []ConfigMap{{Name: sa + "-gcp-credentials"}}}
	_, err := Merge(sa, []Target{long})
	var tooLong *NameTooLong
	if !errors.As(err, &tooLong) || !strings.Contains(err.Error(), "want at most 237") {
		t.Fatalf("Merge = %v, want a NameTooLong saying 237", err)
	}
	ok := strings.Repeat("a", 237)
	if _, err := Merge(ok, []Target{{Name: "gcp", ConfigMaps: []ConfigMap{{Name: ok + "-gcp-credentials"}}}}); err != nil {
		t.Fatalf("Merge at the limit = %v, want nil", err)
	}
}

func TestServiceAccountStep(t *testing.T) {
	annotated := Plan{ServiceAccountAnnotations: []KeyValue{{Key: "eks.amazonaws.com/role-arn", Value: "r"}}}
	for _, tc := range []struct {
		name            string
		plan            Plan
		inInput, create bool
		want            ServiceAccountStep
		wantErr         string
	}{
		{"in the input: annotated in place, never duplicated", annotated, true, true, AnnotateExisting, ""},
		{"in the input, create false: still annotated", annotated, true, false, AnnotateExisting, ""},
		{"missing: emitted", annotated, false, true, EmitNew, ""},
		{"missing, create false, nothing to annotate: left alone", Plan{}, false, false, LeaveAlone, ""},
		{"missing, create false, annotations needed: an error", annotated, false, false, LeaveAlone, "eks.amazonaws.com/role-arn"},
		{"missing, create false, only the spec's labels: an error", Plan{ObjectLabels: []KeyValue{{Key: "team", Value: "a"}}}, false, false, LeaveAlone, "its labels (team)"},
		{"missing, create false, annotations and labels", Plan{ObjectAnnotations: []KeyValue{{Key: "owner", Value: "a"}}, ObjectLabels: []KeyValue{{Key: "team", Value: "a"}}},
			false, false, LeaveAlone, "its annotations (owner) and labels (team)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.plan.ServiceAccount("default", "app", tc.inInput, tc.create)
			if got != tc.want {
				t.Errorf("step = %v, want %v", got, tc.want)
			}
			if (err != nil) != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestSortedIsInKeyOrder(t *testing.T) {
	got := Sorted(map[string]string{"b": "2", "a": "1", "example.com/c": "3"})
	want := []KeyValue{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "example.com/c", Value: "3"}}
	if !slices.Equal(got, want) {
		t.Errorf("Sorted = %v, want %v", got, want)
	}
}

// expandEnv is what the kubelet makes of an env value, given the variables
// set before it: kustomize's refvar keeps a copy of Kubernetes' expansion
// (third_party/forked/golang/expansion), with the same rules: $(NAME) of a
// known variable is replaced, of an unknown one kept, and $$ reads as $.
func expandEnv(value string, before map[string]any) string {
	return refvar.DoReplacements(value, refvar.MakePrimitiveReplacer(map[string]int{}, before)).(string)
}

func TestEnvValueReadsBackThroughTheKubeletsExpansion(t *testing.T) {
	before := map[string]any{"AWS_REGION": "eu-west-2", "A": "expanded"}
	for _, value := range []string{
		"arn:aws:iam::111122223333:role/$(AWS_REGION)/api",
		"$(A)", "$$(A)", "$$$(A)", "$(UNKNOWN)", "$(unclosed", "$(", "$$", "a$$b", "$", "x$", "$)", "$x$y",
		"plain", "", "line\u2028break $(A)",
	} {
		written := EnvValue(value)
		if got := expandEnv(written, before); got != value {
			t.Errorf("EnvValue(%q) = %q, which the kubelet expands to %q", value, written, got)
		}
	}
	if got := EnvValue("/var/run/secrets/eks.amazonaws.com/serviceaccount/token"); got != "/var/run/secrets/eks.amazonaws.com/serviceaccount/token" {
		t.Errorf("a value without $ changed: %q", got)
	}
}
