// Package function is the KRM function: it reads every CrossCloudAccess spec
// of a ResourceList, has pkg/clouds plan each one, and applies the plans to
// the items. It only reads specs and edits YAML: the plan step is pure and
// lives in pkg/clouds and pkg/plan, and pkg/workload edits pod templates.
package function

import (
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ErrInvalid is returned, wrapped, whenever the function stops on an error
// Result; the Results themselves say what was wrong.
var ErrInvalid = errors.New("cross-cloud-access: the input is not valid")

// Processor is the function's framework.ResourceListProcessor.
type Processor struct{}

// Process applies every spec of the ResourceList to its items. On any error
// the items are dropped, so that kustomize, kpt or ArgoCD never see a partial
// result, and an error is returned so the process exits non-zero: the
// framework would otherwise exit 0 with error Results.
func (Processor) Process(rl *framework.ResourceList) error {
	items, results := Run(rl.FunctionConfig, rl.Items)
	rl.Results = append(rl.Results, results...)
	if rl.Results.ExitCode() != 0 {
		rl.Items = nil
		return fmt.Errorf("%w:\n%s", ErrInvalid, rl.Results.Error())
	}
	rl.Items = items
	return nil
}

// Run is the function as a pure step: config and items in, items and results
// out. Items are edited in place.
func Run(config *yaml.RNode, items []*yaml.RNode) ([]*yaml.RNode, framework.Results) {
	in, results := collectSpecs(config, items)
	results = append(results, checkShapes(items)...)
	if results.ExitCode() != 0 {
		return nil, results
	}
	if checkOnly(config) {
		_, checked := verifySet(in, items)
		results = append(results, checked...)
		if results.ExitCode() != 0 {
			return nil, results
		}
		var out []*yaml.RNode
		for _, item := range items {
			if !in.drop[item] {
				out = append(out, item)
			}
		}
		return out, results
	}
	out, applied := apply(in, items)
	results = append(results, applied...)
	if results.ExitCode() != 0 {
		return nil, results
	}
	return out, results
}
