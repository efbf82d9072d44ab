package workload

import (
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// BenchmarkApply patches a Deployment with several containers, init
// containers and existing env, as a gcp federated plus aws projected patch.
func BenchmarkApply(b *testing.B) {
	const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      initContainers:
      - {name: migrate, image: migrate:1}
      - {name: proxy, image: proxy:1, restartPolicy: Always}
      containers:
      - name: app
        image: app:1
        env: [{name: A, value: a}, {name: B, value: b}, {name: C, value: c}]
        envFrom: [{configMapRef: {name: settings}}]
        volumeMounts: [{name: data, mountPath: /data}]
      - {name: worker, image: worker:1, env: [{name: A, value: a}]}
      - {name: metrics, image: metrics:1}
      volumes: [{name: data, emptyDir: {}}]
`
	patch := Patch{
		Pod: plan.PodPatch{
			Tokens: []plan.ProjectedToken{awsToken, {
				VolumeName: "gcp-token", MountPath: "/var/run/secrets/gcp", Path: "token",
				Audience: "https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/pr", ExpirationSeconds: 3600,
			}},
			ConfigMapVolumes: []plan.ConfigMapVolume{{VolumeName: "gcp-credentials", ConfigMapName: "gcp-cred", MountPath: "/etc/gcp"}},
			Env: []plan.KeyValue{
				{Key: "AWS_ROLE_ARN", Value: "arn:aws:iam::1:role/r"},
				{Key: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/var/run/secrets/aws/token"},
				{Key: "AWS_REGION", Value: "eu-west-2"},
				{Key: "AWS_DEFAULT_REGION", Value: "eu-west-2"},
				{Key: "GOOGLE_APPLICATION_CREDENTIALS", Value: "/etc/gcp/credential-configuration.json"},
				{Key: "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", Value: "/etc/gcp/credential-configuration.json"},
			},
		},
		EnvSources: fakeEnvSources{{"ConfigMap", "default", "settings"}: {"LOG_LEVEL": "info"}},
	}
	original := parseYAML(b, deployment)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		w, _, err := locateOne(original.Copy())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := patch.Apply(w); err != nil {
			b.Fatal(err)
		}
	}
}
