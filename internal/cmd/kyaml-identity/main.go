// Command kyaml-identity is the baseline of make bench: a KRM function built
// on kyaml's framework that changes nothing. What it costs to read and write
// a ResourceList is what every kyaml function pays before doing any work.
package main

import (
	"os"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/command"
)

func main() {
	identity := framework.ResourceListProcessorFunc(func(*framework.ResourceList) error { return nil })
	if err := command.Build(identity, command.StandaloneDisabled, false).Execute(); err != nil {
		os.Exit(1)
	}
}
