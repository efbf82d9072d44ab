// Command cross-cloud-access is the KRM function: a ResourceList on stdin, a
// ResourceList on stdout. See docs/kustomize.md, docs/kpt.md and docs/argocd.md.
package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/kustomize/kyaml/fn/framework/command"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Gives the workloads of one Kubernetes ServiceAccount keyless access to AWS,
GCP and Azure, with the cluster as the OIDC identity provider. Run it as a
kustomize transformer, a kpt function or in an ArgoCD plugin; it reads a
ResourceList on stdin, or in standalone mode a spec file and resource files:

  cross-cloud-access spec.yaml resources.yaml

A minimal spec:

  apiVersion: crosscloud.dev/v1alpha1
  kind: CrossCloudAccess
  metadata:
    name: oidc-exp
  spec:
    cluster:
      provider: gke
      issuer: https://container.googleapis.com/v1/projects/my-project/locations/europe-west2-a/clusters/oidc-exp-cluster
    serviceAccount:
      name: oidc-exp-service-account
    aws:
      roleArn: arn:aws:iam::111122223333:role/oidc_exp_federated_role
`

func main() {
	cmd := command.Build(function.Processor{}, command.StandaloneEnabled, false)
	cmd.Use = "cross-cloud-access [SPEC [RESOURCES...]]"
	cmd.Short = "Keyless cross-cloud access for Kubernetes workloads (KRM function)"
	cmd.Long = usage
	cmd.Version = version
	for _, sub := range subcommands() {
		cmd.AddCommand(sub)
	}
	ran, err := cmd.ExecuteC()
	if err == nil {
		return
	}
	if ran == cmd {
		// command.Build prints the function's error without a final newline.
		fmt.Fprintln(os.Stderr)
	} else {
		// The root silences errors for every subcommand; say it here.
		fmt.Fprintf(os.Stderr, "%s: %v\n", ran.CommandPath(), err)
	}
	os.Exit(1)
}
