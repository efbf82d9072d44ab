package admission

import (
	"strings"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// exporterPatch is awsPatch with the exporter container given its own role.
func exporterPatch() plan.PodPatch {
	pod := awsPatch
	pod.Containers = []plan.ContainerPatch{{Identity: "spec.containers[0]", Names: []string{"exporter"},
		Env: []plan.KeyValue{{Key: "AWS_ROLE_ARN", Value: "arn:aws:iam::111122223333:role/exporter"}, awsPatch.Env[1]}}}
	pod.TokenLimits = []plan.TokenLimit{{Target: "aws", Min: 600, Max: 86400}}
	return pod
}

func TestValidatingPolicyHoldsEachContainerToItsOwnIdentity(t *testing.T) {
	const app, exporter = "arn:aws:iam::111122223333:role/x", "arn:aws:iam::111122223333:role/exporter"
	for _, tc := range []struct {
		name string
		pod  map[string]any
		want string
	}{
		{"each its own: admitted", pod("app", nil, container("main", "AWS_ROLE_ARN", app), container("exporter", "AWS_ROLE_ARN", exporter)), ""},
		{"the exporter with the app's role: refused", pod("app", nil, container("exporter", "AWS_ROLE_ARN", app)),
			`container exporter sets AWS_ROLE_ARN to another value, want "` + exporter + `"`},
		{"the app with the exporter's role: refused", pod("app", nil, container("main", "AWS_ROLE_ARN", exporter)),
			`container main sets AWS_ROLE_ARN to another value, want "` + app + `"`},
		{"a skipped exporter: admitted", pod("app", map[string]any{v1alpha1.SkipContainersAnnotation: "exporter"}, container("exporter", "AWS_ROLE_ARN", app)), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := admits(t, target(), exporterPatch(), tc.pod)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("message = %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestMutatingPolicyGivesNamedContainersTheirOwnEnvAndVolumes(t *testing.T) {
	pod := exporterPatch()
	pod.ConfigMapVolumes = gcpPatch.ConfigMapVolumes
	pod.Containers[0].ConfigMapVolumes = []plan.ConfigMapVolume{{VolumeName: "gcp-credentials-exporter-1", ConfigMapName: "app-gcp-credentials-exporter-1", MountPath: "/etc/gcp"}}
	objects, err := Build(target(), pod)
	if err != nil {
		t.Fatal(err)
	}
	m := objects[0].Spec.(MutatingPolicySpec)
	var names []string
	for _, v := range m.Variables {
		names = append(names, v.Name)
	}
	if got := strings.Join(names, ","); got != "skipped,wired,expiration,identity0,identity1" {
		t.Errorf("variables %s, want skipped,wired,expiration,identity0,identity1", got)
	}
	if want := `c.name in ["exporter"]`; !strings.Contains(m.Variables[3].Expression, want) {
		t.Errorf("identity0 = %s, want it to pick %s", m.Variables[3].Expression, want)
	}
	if want := `!(c.name in ["exporter"])`; !strings.Contains(m.Variables[4].Expression, want) {
		t.Errorf("identity1 = %s, want it to pick %s", m.Variables[4].Expression, want)
	}
	volumes := m.Mutations[0].JSONPatch.Expression
	for _, want := range []string{
		`(variables.identity1 ? [Object.spec.volumes{name: "gcp-credential-configuration"`,
		`(variables.identity0 ? [Object.spec.volumes{name: "gcp-credentials-exporter-1"`,
		`expirationSeconds: (variables.expiration >= 600 && variables.expiration <= 86400 ? variables.expiration : 86400)`,
	} {
		if !strings.Contains(volumes, want) {
			t.Errorf("volume patch lacks %s:\n%s", want, volumes)
		}
	}
	apply := strings.Join(strings.Fields(m.Mutations[1].ApplyConfiguration.Expression), " ")
	for _, want := range []string{
		`env: (c.name in ["exporter"] ? [ Object.spec.containers.env{name: "AWS_ROLE_ARN", value: "arn:aws:iam::111122223333:role/exporter"}`,
		`Object.spec.containers.volumeMounts{name: "gcp-credentials-exporter-1", mountPath: "/etc/gcp", readOnly: true} ] : [`,
	} {
		if !strings.Contains(apply, want) {
			t.Errorf("apply configuration lacks %s:\n%s", want, apply)
		}
	}
}

func TestValidatingPolicyHoldsThePodsTokenExpirationToWhatEveryTokenAccepts(t *testing.T) {
	elsewhere := gcpPatch
	elsewhere.TokenLimits = []plan.TokenLimit{{Target: "gcp", Min: 600, Max: 86400}, {Target: "azure", Elsewhere: "the Azure webhook projects it"}}
	for _, tc := range []struct {
		name  string
		patch plan.PodPatch
		pod   map[string]any
		want  string
	}{
		{"none: admitted", exporterPatch(), pod("app", nil, container("main")), ""},
		{"in range: admitted", exporterPatch(), pod("app", map[string]any{v1alpha1.TokenExpirationAnnotation: "7200"}, container("main")), ""},
		{"under the minimum: refused", exporterPatch(), pod("app", map[string]any{v1alpha1.TokenExpirationAnnotation: "300"}, container("main")),
			`annotation crosscloud.dev/token-expiration-seconds is "300"; want 600 to 86400 seconds`},
		{"not a number: refused", exporterPatch(), pod("app", map[string]any{v1alpha1.TokenExpirationAnnotation: "1h"}, container("main")), `is "1h"`},
		{"not a number on an opted-out Pod: refused", exporterPatch(),
			pod("app", map[string]any{v1alpha1.TokenExpirationAnnotation: "1h", v1alpha1.InjectAnnotation: "false"}, container("main")), `is "1h"`},
		{"out of range on an opted-out Pod: admitted", exporterPatch(),
			pod("app", map[string]any{v1alpha1.TokenExpirationAnnotation: "300", v1alpha1.InjectAnnotation: "false"}, container("main")), ""},
		{"a token projected elsewhere: refused", elsewhere, pod("app", map[string]any{v1alpha1.TokenExpirationAnnotation: "7200"}, container("main")),
			"the azure token is not the function's to set: the Azure webhook projects it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := admits(t, target(), tc.patch, tc.pod)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("message = %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestExpirationVariableReadsOnlyWhatTheBuildTimeReadingAccepts(t *testing.T) {
	env := celEnv(t)
	expr := expirationVariable().Expression
	for value, want := range map[string]int64{"7200": 7200, "1h": 0, "+600": 0, "0600": 0, "99999999999": 0} {
		object := map[string]any{"metadata": map[string]any{"annotations": map[string]any{v1alpha1.TokenExpirationAnnotation: value}}}
		if got := eval(t, env, expr, map[string]any{"object": object, "variables": map[string]any{}}).Value(); got != want {
			t.Errorf("expiration of %q = %v, want %d", value, got, want)
		}
	}
}
