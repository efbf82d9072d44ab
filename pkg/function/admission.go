package function

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/admission"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// emitPolicies emits the admission policies of a spec with
// spec.admissionPolicy, beside its ServiceAccount. Policies already in the
// input, as on a second run over the function's own output, are checked,
// never overwritten.
func emitPolicies(src source, p plan.Plan, items []*yaml.RNode) ([]*yaml.RNode, framework.Results) {
	spec := &src.spec.Spec
	if spec.AdmissionPolicy == nil {
		return nil, nil
	}
	objects, err := admission.Build(admission.TargetOf(spec), p.Pod)
	if err != nil {
		return nil, fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount.name", Message: err.Error()}})
	}
	if len(objects) == 0 {
		return nil, fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.admissionPolicy", Message: admission.NoPodPatchNote, Severity: framework.Info}})
	}
	var added []*yaml.RNode
	var results framework.Results
	for _, o := range objects {
		n, err := policyNode(o)
		if err != nil {
			results = append(results, &framework.Result{Severity: framework.Error, Message: err.Error(), ResourceRef: ref(src.node), File: file(src.node)})
			continue
		}
		existing := findClusterScoped(items, o.APIVersion, o.Kind, o.Metadata.Name)
		if existing == nil {
			added = append(added, n)
			continue
		}
		if !sameField(existing, n, "spec") {
			results = append(results, &framework.Result{Severity: framework.Error,
				Message: fmt.Sprintf("%s %s is in the input with another spec; remove it (the function writes it) or rename it",
					o.Kind, o.Metadata.Name),
				ResourceRef: ref(existing), Field: &framework.Field{Path: "spec"}, File: file(existing)})
		}
	}
	return added, results
}

// policyNode marshals a policy in its field order.
func policyNode(o admission.Object) (*yaml.RNode, error) {
	data, err := yaml.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("writing %s %s: %w", o.Kind, o.Metadata.Name, err)
	}
	n, err := yaml.Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("reading back %s %s: %w", o.Kind, o.Metadata.Name, err)
	}
	return n, nil
}

func findClusterScoped(items []*yaml.RNode, apiVersion, kind, name string) *yaml.RNode {
	for _, item := range items {
		if item.GetKind() == kind && item.GetApiVersion() == apiVersion && item.GetName() == name {
			return item
		}
	}
	return nil
}

// sameField compares a field of two objects by content, ignoring comments
// and style.
func sameField(a, b *yaml.RNode, field string) bool {
	fa, errA := a.Pipe(yaml.Lookup(field))
	fb, errB := b.Pipe(yaml.Lookup(field))
	if errA != nil || errB != nil || fa == nil || fb == nil {
		return false
	}
	var va, vb any
	if fa.YNode().Decode(&va) != nil || fb.YNode().Decode(&vb) != nil {
		return false
	}
	return fmt.Sprint(va) == fmt.Sprint(vb)
}
