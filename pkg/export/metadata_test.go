package export

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// modeSpecs are specs for every mode of every cloud, each for the
// ServiceAccount app in namespace apps.
var modeSpecs = map[string]string{
	"aws projected": `  cluster: {provider: generic, issuer: https://kubernetes.example.com}
  aws: {roleArn: "arn:aws:iam::111122223333:role/app", region: eu-west-2}`,
	"aws webhook": `  cluster: {provider: eks, issuer: https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC}
  aws: {roleArn: "arn:aws:iam::111122223333:role/app"}`,
	"aws podIdentity": `  cluster: {provider: eks, issuer: https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC, eks: {clusterName: prod}}
  aws: {roleArn: "arn:aws:iam::111122223333:role/app", mode: podIdentity}`,
	"gcp federated": `  cluster: {provider: generic, issuer: https://kubernetes.example.com}
  gcp: {projectNumber: "123456789012", workloadIdentityPool: apps-pool, workloadIdentityProvider: apps-provider}`,
	"gcp workloadIdentity": `  cluster: {provider: gke, gke: {projectId: my-project, location: europe-west2, clusterName: prod, workloadIdentity: true}}
  gcp: {serviceAccountEmail: app-reader@my-project.iam.gserviceaccount.com}`,
	"azure projected": `  cluster: {provider: generic, issuer: https://kubernetes.example.com}
  azure: {tenantId: 00000000-0000-0000-0000-000000000000, clientId: 11111111-1111-1111-1111-111111111111}`,
	"azure webhook": `  cluster: {provider: aks, issuer: https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/22222222-2222-2222-2222-222222222222/}
  azure: {tenantId: 00000000-0000-0000-0000-000000000000, clientId: 11111111-1111-1111-1111-111111111111}`,
}

// templatesWithoutMetadata are workloads whose pod templates lack the
// metadata the function adds to (labels in the Azure webhook mode, the
// stamp's annotations in every mode): no metadata at all, metadata without
// labels, metadata without annotations.
const templatesWithoutMetadata = `apiVersion: batch/v1
kind: Job
metadata: {name: no-metadata, namespace: apps}
spec:
  template:
    spec:
      serviceAccountName: app
      restartPolicy: Never
      containers: [{name: job, image: example.com/job:1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: no-labels, namespace: apps}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          annotations: {example.com/owner: team}
        spec:
          serviceAccountName: app
          restartPolicy: Never
          containers: [{name: job, image: example.com/job:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: no-annotations, namespace: apps}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api}
    spec:
      serviceAccountName: app
      containers: [{name: api, image: example.com/api:1}]
`

// In every mode, a pod template without metadata, labels or annotations
// comes out of the Component as the function leaves it: one patch never
// adds the same map twice, which would replace what the first add put
// there (the Azure webhook's azure.workload.identity/use label).
func TestComponentAddsToTemplatesWithoutMetadata(t *testing.T) {
	for mode, cloud := range modeSpecs {
		t.Run(strings.ReplaceAll(mode, " ", "-"), func(t *testing.T) {
			spec := "apiVersion: crosscloud.dev/v1alpha1\nkind: CrossCloudAccess\nmetadata: {name: app}\nspec:\n" +
				"  serviceAccount: {name: app, namespace: apps}\n" + cloud + "\n"
			work := t.TempDir()
			write(t, filepath.Join(work, "function", "input.yaml"), templatesWithoutMetadata)
			write(t, filepath.Join(work, "function", "spec.yaml"), withExecAnnotation(t, []byte(spec)))
			write(t, filepath.Join(work, "function", "kustomization.yaml"), "resources: [input.yaml]\ntransformers: [spec.yaml]\n")

			files, _, err := Component([]byte(spec), []byte(templatesWithoutMetadata))
			if err != nil {
				t.Fatal(err)
			}
			if err := Write(filepath.Join(work, "static", "component"), files); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(work, "static", "input.yaml"), templatesWithoutMetadata)
			write(t, filepath.Join(work, "static", "kustomization.yaml"), "resources: [input.yaml]\ncomponents: [component]\n")

			want := kustomizeBuild(t, filepath.Join(work, "function"))
			got := kustomizeBuild(t, filepath.Join(work, "static"))
			if diff := cmp.Diff(normalizeListOrder(t, want), normalizeListOrder(t, got)); diff != "" {
				t.Errorf("the Component's build differs from the function's (-function +component):\n%s", diff)
			}
			if strings.HasPrefix(mode, "azure webhook") && strings.Count(got, "azure.workload.identity/use: \"true\"") != 3 {
				t.Errorf("the Component's build does not label all three pod templates azure.workload.identity/use:\n%s", got)
			}
			for _, f := range files {
				if strings.Count(f.Content, "path: /spec/template/metadata\n")+strings.Count(f.Content, "path: /spec/jobTemplate/spec/template/metadata\n") > 1 {
					t.Errorf("%s adds a pod template's metadata twice:\n%s", f.Path, f.Content)
				}
			}
		})
	}
}
