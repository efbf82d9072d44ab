package workload

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// fuzzPatch touches every kind of edit.
var fuzzPatch = Patch{
	Pod: plan.PodPatch{
		Labels:           []plan.KeyValue{{Key: "azure.workload.identity/use", Value: "true"}},
		Tokens:           []plan.ProjectedToken{awsToken},
		ConfigMapVolumes: []plan.ConfigMapVolume{{VolumeName: "gcp-credentials", ConfigMapName: "gcp-cred", MountPath: "/etc/gcp"}},
		Env:              []plan.KeyValue{{Key: "AWS_REGION", Value: "eu-west-2"}, {Key: "AWS_ROLE_ARN", Value: "arn"}},
	},
	EnvSources: fakeEnvSources{{"ConfigMap", "", "settings"}: {"AWS_REGION": "us-east-1"}},
}

// FuzzApply feeds arbitrary YAML to Locate and Apply: they must never panic,
// and a successful Apply must be idempotent.
func FuzzApply(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	for _, path := range inputs {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, document := range bytes.Split(data, []byte("\n---\n")) {
			f.Add(string(document), "")
			f.Add(string(document), "app")
		}
	}
	f.Fuzz(func(t *testing.T, input, container string) {
		obj, err := yaml.Parse(input)
		if err != nil {
			return
		}
		w, ok, err := locateOne(obj)
		if err != nil || !ok {
			return
		}
		_ = w.ServiceAccountName()
		_ = w.SetServiceAccountName("sa")
		patch := fuzzPatch
		if container != "" {
			patch.Containers = []string{container}
		}
		if err := patch.Apply(w); err != nil {
			return
		}
		once, err := obj.String()
		if err != nil {
			return
		}
		if err := patch.Apply(w); err != nil {
			t.Fatalf("second Apply failed: %v\n%s", err, once)
		}
		if twice := obj.MustString(); twice != once {
			t.Fatalf("second Apply changed the object:\n%s\n---\n%s", once, twice)
		}
	})
}
