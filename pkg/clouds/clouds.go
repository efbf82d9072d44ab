// Package clouds is the one table of the clouds a spec can name, and the
// step that turns a spec into its plan: each named cloud's package plans its
// target, and pkg/plan merges them. A new cloud is its own package (with a
// Plan function of the same shape), its part of the spec in pkg/api, and one
// row here.
package clouds

import (
	"slices"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/aws"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/azure"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcp"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// Cloud is one row of the table.
type Cloud struct {
	// Name is the spec's field for the cloud, and the target's name.
	Name string
	// Named reports whether a spec names the cloud.
	Named func(*v1alpha1.Spec) bool
	// Plan is the cloud package's planner; the spec is defaulted and valid.
	Plan func(*v1alpha1.Spec) (plan.Target, error)
}

// Table lists the clouds in the order their edits are applied.
var Table = []Cloud{
	{Name: "aws", Named: func(s *v1alpha1.Spec) bool { return s.AWS != nil }, Plan: aws.Plan},
	{Name: "gcp", Named: func(s *v1alpha1.Spec) bool { return s.GCP != nil }, Plan: gcp.Plan},
	{Name: "azure", Named: func(s *v1alpha1.Spec) bool { return s.Azure != nil }, Plan: azure.Plan},
}

// Plan plans every cloud the spec names and merges the targets, then gives
// the containers of each spec.containers entry the pod patch of that entry's
// view of the spec (v1alpha1.Spec.ForContainers), planned by the same
// planners. Problems come back as field errors of the spec, the targets'
// notes as field errors of severity info and their warnings as field errors
// of severity warning.
func Plan(spec *v1alpha1.Spec) (plan.Plan, v1alpha1.FieldErrors) {
	p, errs := planIdentity(spec)
	for i, entry := range spec.Containers {
		view := spec.ForContainers(i)
		viewPlan, found := planIdentity(view)
		// A view's notes and warnings are the spec's own, and so are the
		// errors of the clouds the entry does not name: each said once.
		for _, e := range found.Errors() {
			if !slices.Contains(errs, e) {
				errs = append(errs, e)
			}
		}
		_, identity := view.ContainerEntry()
		p.AddContainers(identity, entry.Names, viewPlan)
	}
	p.ObjectLabels = plan.Sorted(spec.ServiceAccount.Labels)
	p.ObjectAnnotations = plan.Sorted(spec.ServiceAccount.Annotations)
	return p, errs
}

// planIdentity plans one identity of the spec: every cloud it names, merged.
func planIdentity(spec *v1alpha1.Spec) (plan.Plan, v1alpha1.FieldErrors) {
	var targets []plan.Target
	var errs v1alpha1.FieldErrors
	for _, c := range Table {
		if !c.Named(spec) {
			continue
		}
		t, err := c.Plan(spec)
		if err != nil {
			errs = append(errs, v1alpha1.FieldError{Field: "spec." + c.Name, Message: err.Error()})
			continue
		}
		for _, note := range t.Notes {
			errs = append(errs, v1alpha1.FieldError{Field: "spec." + c.Name + ".mode", Message: note, Severity: framework.Info})
		}
		for _, w := range t.Warnings {
			errs = append(errs, v1alpha1.FieldError{Field: "spec." + c.Name + "." + w.Field, Message: w.Message, Severity: framework.Warning})
		}
		targets = append(targets, t)
	}
	p, err := plan.Merge(spec.ServiceAccount.Name, targets)
	for _, e := range leaves(err) {
		errs = append(errs, v1alpha1.FieldError{Field: "spec.serviceAccount.name", Message: e.Error()})
	}
	return p, errs
}

func leaves(err error) []error {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return joined.Unwrap()
	}
	return []error{err}
}
