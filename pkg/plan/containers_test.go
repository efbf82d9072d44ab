package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddContainersGivesNamedContainersTheViewsEnvAndMounts(t *testing.T) {
	own := Plan{
		ConfigMaps: []ConfigMap{{Name: "app-gcp-credentials"}},
		Pod: PodPatch{
			Tokens:           []ProjectedToken{{VolumeName: "gcp-iam-token"}},
			ConfigMapVolumes: []ConfigMapVolume{{VolumeName: "gcp-credential-configuration", ConfigMapName: "app-gcp-credentials"}},
			Env:              []KeyValue{{Key: "AWS_ROLE_ARN", Value: "app"}},
			DefaultEnv:       []KeyValue{{Key: "CLOUDSDK_CORE_PROJECT", Value: "p"}},
		},
		Windows: &Windows{ConfigMaps: []ConfigMap{{Name: "app-gcp-credentials-windows"}}},
	}
	exporter := Plan{
		ConfigMaps: []ConfigMap{{Name: "app-gcp-credentials-exporter-1"}},
		Pod: PodPatch{
			Tokens:           []ProjectedToken{{VolumeName: "gcp-iam-token"}},
			ConfigMapVolumes: []ConfigMapVolume{{VolumeName: "gcp-credentials-exporter-1", ConfigMapName: "app-gcp-credentials-exporter-1"}},
			Env:              []KeyValue{{Key: "AWS_ROLE_ARN", Value: "exporter"}},
			DefaultEnv:       []KeyValue{{Key: "CLOUDSDK_CORE_PROJECT", Value: "q"}},
		},
		Windows: &Windows{ConfigMaps: []ConfigMap{{Name: "app-gcp-credentials-exporter-1-windows"}}},
	}
	awsOnly := own
	awsOnly.Pod.Env = []KeyValue{{Key: "AWS_ROLE_ARN", Value: "backup"}}
	p := own
	p.AddContainers("spec.containers[0]", []string{"exporter"}, exporter)
	p.AddContainers("spec.containers[1]", []string{"backup", "restore"}, awsOnly)

	if diff := cmp.Diff([]ConfigMap{{Name: "app-gcp-credentials"}, {Name: "app-gcp-credentials-exporter-1"}}, p.ConfigMaps); diff != "" {
		t.Errorf("ConfigMaps, each once (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]ConfigMap{{Name: "app-gcp-credentials-windows"}, {Name: "app-gcp-credentials-exporter-1-windows"}}, p.Windows.ConfigMaps); diff != "" {
		t.Errorf("Windows ConfigMaps (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		container string
		want      ContainerPatch
	}{
		{"app", ContainerPatch{Env: own.Pod.Env, DefaultEnv: own.Pod.DefaultEnv, ConfigMapVolumes: own.Pod.ConfigMapVolumes}},
		{"exporter", ContainerPatch{Identity: "spec.containers[0]", Names: []string{"exporter"}, Env: exporter.Pod.Env, DefaultEnv: exporter.Pod.DefaultEnv, ConfigMapVolumes: exporter.Pod.ConfigMapVolumes}},
		{"restore", ContainerPatch{Identity: "spec.containers[1]", Names: []string{"backup", "restore"}, Env: awsOnly.Pod.Env, DefaultEnv: own.Pod.DefaultEnv, ConfigMapVolumes: own.Pod.ConfigMapVolumes}},
	} {
		if diff := cmp.Diff(tc.want, p.Pod.Container(tc.container)); diff != "" {
			t.Errorf("Container(%s) (-want +got):\n%s", tc.container, diff)
		}
	}
	if diff := cmp.Diff(own.Pod.Env, p.Pod.Env); diff != "" {
		t.Errorf("the pod patch's own env changed (-want +got):\n%s", diff)
	}
}
