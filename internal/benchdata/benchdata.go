// Package benchdata holds what the function's benchmarks share: one spec
// that serves all three clouds in projected or federated modes, so every
// selected workload gets tokens, a ConfigMap volume and env, and the
// ResourceList of n workloads that make bench and the in-process benchmarks
// feed the function. Both the in-process benchmark and make bench-kustomize
// measure with the spec.
package benchdata

import (
	"bytes"
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Spec is the benchmarks' CrossCloudAccess.
const Spec = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: bench
spec:
  cluster:
    provider: generic
    issuer: https://kubernetes.example.com
  serviceAccount:
    name: app
    namespace: apps
  aws:
    roleArn: arn:aws:iam::111122223333:role/app
    region: eu-west-2
  gcp:
    projectNumber: "123456789012"
    workloadIdentityPool: cluster-pool
    workloadIdentityProvider: cluster
  azure:
    tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
    clientId: 0e5a3f8c-1b2d-4c6e-9f70-123456789abc
`

// Items is n Deployments, every other one running as the spec's
// ServiceAccount, each with its own envFrom ConfigMap (so the envFrom index
// grows with n as well), as a YAML stream.
func Items(n int) string {
	var items strings.Builder
	for i := 0; i < n; i++ {
		account := "app"
		if i%2 == 1 {
			account = "other"
		}
		fmt.Fprintf(&items, `---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings-%[1]d, namespace: apps}
data: {LOG_LEVEL: info}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-%[1]d
  namespace: apps
  labels: {app: api-%[1]d}
spec:
  selector: {matchLabels: {app: api-%[1]d}}
  template:
    metadata: {labels: {app: api-%[1]d}}
    spec:
      serviceAccountName: %[2]s
      initContainers:
      - {name: proxy, image: proxy:1, restartPolicy: Always}
      containers:
      - name: app
        image: app:1
        env: [{name: PORT, value: "8080"}]
        envFrom: [{configMapRef: {name: settings-%[1]d}}]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, emptyDir: {}}]
`, i, account)
	}
	return items.String()
}

// ResourceList is Items(n) with Spec as the functionConfig, written as
// kustomize and kpt write the ResourceList they give a function.
func ResourceList(n int) ([]byte, error) {
	return Wrap([]byte(Spec), []byte(Items(n)))
}

// Wrap puts a functionConfig (none when empty) and a YAML stream of items
// into a ResourceList. Anchors, aliases and merge keys stay as written, as
// kpt passes them: kio.FromBytes would expand them, which a fan-out of
// aliases turns into billions of nodes.
func Wrap(config, stream []byte) ([]byte, error) {
	doc := yaml.MustParse("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n")
	items, err := (&kio.ByteReader{Reader: bytes.NewReader(stream), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, err
	}
	list := yaml.NewListRNode()
	for _, item := range items {
		list.YNode().Content = append(list.YNode().Content, item.YNode())
	}
	if err := doc.PipeE(yaml.SetField("items", list)); err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(config))) > 0 {
		c, err := yaml.Parse(string(config))
		if err != nil {
			return nil, err
		}
		if err := doc.PipeE(yaml.SetField("functionConfig", c)); err != nil {
			return nil, err
		}
	}
	return []byte(doc.MustString()), nil
}
