// Package benchdata holds what the function's benchmarks share: one spec
// that serves all three clouds in projected or federated modes, so every
// selected workload gets tokens, a ConfigMap volume and env. Both the
// in-process benchmark and make bench-kustomize measure with it.
package benchdata

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
