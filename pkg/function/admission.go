package function

import (
	"fmt"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/admission"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
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
		// The marker lets verify find them under the names and namespace a
		// later step gave them.
		markEmitted(n, src)
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

// verifyPolicies checks the admission policies among items that the spec
// emitted (by their crosscloud.dev/emitted-by marker) against those it gives
// for its ServiceAccount as this build has it (src, resolved): each kind
// present, cluster-scoped, with that spec, and each binding naming a policy
// of the build. kustomize renames nothing inside a policy's CEL or a
// binding's namespace selector, sets metadata.namespace on the kinds its
// schema does not know (MutatingAdmissionPolicy and its binding), and does
// not follow a MutatingAdmissionPolicyBinding's policyName: an overlay that
// renames or moves the ServiceAccount after the function ran breaks them.
func verifyPolicies(src source, p plan.Plan, items []*yaml.RNode) framework.Results {
	spec := &src.spec.Spec
	if spec.AdmissionPolicy == nil {
		return nil
	}
	target := admission.TargetOf(spec)
	target.Namespace, target.ServiceAccount = finalAccount(src, items)
	objects, err := admission.Build(target, p.Pod)
	if err != nil || len(objects) == 0 {
		return nil // the function's own run says why
	}
	account := target.Namespace + "/" + target.ServiceAccount
	marked := func(apiVersion, kind string) []*yaml.RNode {
		var out []*yaml.RNode
		for _, item := range items {
			if item.GetApiVersion() == apiVersion && item.GetKind() == kind && emittedBy(item) == specName(src) {
				out = append(out, item)
			}
		}
		return out
	}
	var results framework.Results
	report := func(n *yaml.RNode, field, message string) {
		results = append(results, &framework.Result{Severity: framework.Error, Message: message, ResourceRef: ref(n), Field: &framework.Field{Path: field}, File: file(n)})
	}
	fix := "run the function after the step that renamed or moved it (in the leaf kustomization), or keep the ServiceAccount's name and namespace"
	for _, o := range objects {
		found := marked(o.APIVersion, o.Kind)
		if len(found) == 0 {
			report(src.node, "spec.admissionPolicy", fmt.Sprintf("the build holds no %s %s of CrossCloudAccess %q for ServiceAccount %s; a later step removed it: build again with the function last",
				o.APIVersion, o.Kind, specName(src), account))
			continue
		}
		for _, n := range found {
			if ns := n.GetNamespace(); ns != "" {
				report(n, "metadata.namespace", fmt.Sprintf("is %s, but a %s is cluster-scoped: a later step set it (kustomize's namespace sets it on kinds its schema does not know); %s",
					kname.Printable(ns, kname.IsLabel), o.Kind, fix))
			}
			want, err := policyNode(o)
			if err != nil {
				report(n, "spec", err.Error())
				continue
			}
			if binding, ok := o.Spec.(admission.BindingSpec); ok {
				policyName, _ := n.GetString("spec.policyName")
				if policyName == "" || len(policiesNamed(marked(o.APIVersion, strings.TrimSuffix(o.Kind, "Binding")), policyName)) == 0 {
					report(n, "spec.policyName", fmt.Sprintf("names %s, which is no %s of this build: a later step renamed the policy but not this reference (kustomize does not know it for %s); %s",
						strconv.Quote(policyName), strings.TrimSuffix(o.Kind, "Binding"), o.Kind, fix))
				}
				// The reference is judged above; the rest must be the spec's.
				binding.PolicyName = policyName
				o.Spec = binding
				if want, err = policyNode(o); err != nil {
					report(n, "spec", err.Error())
					continue
				}
			}
			if !sameField(n, want, "spec") {
				report(n, "spec", fmt.Sprintf("is not what CrossCloudAccess %q gives for ServiceAccount %s as this build has it: a later step renamed or moved the ServiceAccount (kustomize renames nothing inside the policy), or changed the policy; %s",
					specName(src), account, fix))
			}
		}
	}
	return results
}

// finalAccount is the namespace and name of the spec's ServiceAccount in the
// items as a later step left them: the ServiceAccount the spec emitted, else
// the one its stamped pod templates run as, else the one resolveScope found
// (which follows kustomize's record of renames while a build runs; a built
// output has no such record).
func finalAccount(src source, items []*yaml.RNode) (namespace, name string) {
	for _, item := range items {
		if item.GetApiVersion() == "v1" && item.GetKind() == "ServiceAccount" && emittedBy(item) == specName(src) {
			return namespaceOf(item), item.GetName()
		}
	}
	locator := workload.PodTemplateLocator{Kinds: src.spec.Spec.Kinds()}
	for _, item := range items {
		w, ok, err := locator.Locate(item)
		if err != nil || !ok {
			continue
		}
		for _, t := range w.Templates {
			if stamp, stamped, err := t.ReadStamp(); err == nil && stamped && stamp.Spec == specName(src) {
				return namespaceOf(item), renamedAccount(items, namespaceOf(item), runsAs(t))
			}
		}
	}
	sa := src.spec.Spec.ServiceAccount
	return sa.Namespace, sa.Name
}

// policiesNamed are the policies with that name.
func policiesNamed(policies []*yaml.RNode, name string) []*yaml.RNode {
	var out []*yaml.RNode
	for _, n := range policies {
		if n.GetName() == name {
			out = append(out, n)
		}
	}
	return out
}
