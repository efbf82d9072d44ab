// Package function is the KRM function: it reads every CrossCloudAccess spec
// of a ResourceList, plans each cloud target, and applies the plans to the
// items. It is the only package that sees both specs and YAML; the clouds
// produce plans and pkg/workload edits pod templates.
package function

import (
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/aws"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/azure"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcp"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// Target plans one cloud for a spec, or reports that the spec does not use it.
type Target func(spec *v1alpha1.Spec) (t plan.Target, used bool, err error)

// Targets are the clouds, in the order their edits are applied. A new cloud
// is a new package and one line here.
var Targets = []Target{
	func(s *v1alpha1.Spec) (plan.Target, bool, error) {
		if s.AWS == nil {
			return plan.Target{}, false, nil
		}
		return aws.Plan(s), true, nil
	},
	func(s *v1alpha1.Spec) (plan.Target, bool, error) {
		if s.GCP == nil {
			return plan.Target{}, false, nil
		}
		t, err := gcp.Plan(s)
		return t, true, err
	},
	func(s *v1alpha1.Spec) (plan.Target, bool, error) {
		if s.Azure == nil {
			return plan.Target{}, false, nil
		}
		return azure.Plan(s), true, nil
	},
}

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
	if results.ExitCode() != 0 {
		return nil, results
	}
	out, applied := apply(in, items)
	results = append(results, applied...)
	if results.ExitCode() != 0 {
		return nil, results
	}
	return out, results
}
