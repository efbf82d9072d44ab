package function

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/clouds"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kinds"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
)

// apply plans every spec and edits the items; it returns the output items.
func apply(set specSet, items []*yaml.RNode) ([]*yaml.RNode, framework.Results) {
	var results framework.Results
	var out []*yaml.RNode
	for _, item := range items {
		if !set.drop[item] {
			out = append(out, item)
		}
	}
	env := workload.NewEnvSources(items)
	var added []*yaml.RNode
	for _, src := range set.sources {
		src, scoped := resolveScope(src, out)
		scoped = append(scoped, misplaced(src)...)
		results = append(results, scoped...)
		if scoped.ExitCode() != 0 {
			continue
		}
		p, found := clouds.Plan(&src.spec.Spec)
		results = append(results, fieldResults(src.node, found)...)
		if len(found.Errors()) > 0 {
			continue
		}
		stale, orphans := staleEmitted(src, p, out)
		results = append(results, orphans...)
		out = slices.DeleteFunc(out, func(n *yaml.RNode) bool { return slices.Contains(stale, n) })
		objects, emitted := emitObjects(src, p, out)
		added = append(added, objects...)
		results = append(results, emitted...)
		policies, emitted := emitPolicies(src, p, out)
		added = append(added, policies...)
		results = append(results, emitted...)
		patched, windowsUsed := patchWorkloads(src, p, out, env)
		results = append(results, patched...)
		if windowsUsed {
			if p.WindowsErr != nil {
				results = append(results, fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount.name", Message: p.WindowsErr.Error()}})...)
				continue
			}
			objects, emitted := emitConfigMaps(src, p, p.Windows.ConfigMaps, out)
			added = append(added, objects...)
			results = append(results, emitted...)
		}
	}
	return append(out, added...), results
}

// namespaceOf is where an object lands when applied with a default context.
func namespaceOf(n *yaml.RNode) string {
	return workload.EffectiveNamespace(n.GetNamespace())
}

func find(items []*yaml.RNode, apiVersion, kind string, scope accountScope, name string) *yaml.RNode {
	for _, item := range items {
		if item.GetKind() == kind && item.GetApiVersion() == apiVersion && item.GetName() == name && scope.holds(item) {
			return item
		}
	}
	return nil
}

// emitObjects annotates the ServiceAccount (emitting it unless the input has
// it) and emits the plan's ConfigMaps. Objects already in the input, as on a
// second run over the function's own output, are checked, never overwritten.
func emitObjects(src source, p plan.Plan, items []*yaml.RNode) ([]*yaml.RNode, framework.Results) {
	sa := src.spec.Spec.ServiceAccount
	var added []*yaml.RNode
	var results framework.Results

	account := find(items, "v1", "ServiceAccount", src.scope, sa.Name)
	step, err := p.ServiceAccount(sa.Namespace, sa.Name, account != nil, *sa.Create)
	if err != nil {
		results = append(results, fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount.create", Message: err.Error()}})...)
	}
	if step == plan.EmitNew {
		account = newObject("v1", "ServiceAccount", sa.Namespace, sa.Name)
		markEmitted(account, src)
		added = append(added, account)
	}
	if account != nil {
		// A ServiceAccount this spec emitted on an earlier run (a kpt
		// package) is ours to update; any other is the user's.
		ours := emittedBy(account) == specName(src)
		for _, key := range p.ExclusiveAnnotations {
			if got, ok := account.GetAnnotations()[key]; ok {
				if ours {
					if _, err := account.Pipe(yaml.ClearAnnotation(key)); err != nil {
						results = append(results, &framework.Result{Severity: framework.Error, Message: fmt.Sprintf("removing annotation %s: %v", key, err), ResourceRef: ref(account), File: file(account)})
					}
					continue
				}
				results = append(results, &framework.Result{Severity: framework.Error,
					Message: fmt.Sprintf("ServiceAccount %s has annotation %s=%q, which the spec's mode replaces; remove the annotation or choose the mode it belongs to",
						src.scope.objectName(sa.Name), key, got),
					ResourceRef: ref(account), Field: &framework.Field{Path: "metadata.annotations." + key}, File: file(account)})
			}
		}
		for _, a := range p.ServiceAccountAnnotations {
			if ours {
				if err := account.PipeE(yaml.SetAnnotation(a.Key, a.Value)); err != nil {
					results = append(results, &framework.Result{Severity: framework.Error, Message: fmt.Sprintf("annotating ServiceAccount: %v", err), ResourceRef: ref(account), File: file(account)})
				}
				continue
			}
			if err := setAnnotation(account, a); err != nil {
				results = append(results, &framework.Result{Severity: framework.Error, Message: err.Error(), ResourceRef: ref(account),
					Field: &framework.Field{Path: "metadata.annotations." + a.Key}, File: file(account)})
			}
		}
		results = append(results, setObjectMetadata(account, p)...)
	}

	objects, emitted := emitConfigMaps(src, p, p.ConfigMaps, items)
	added = append(added, objects...)
	results = append(results, emitted...)
	return added, results
}

// emitConfigMaps emits the ConfigMaps beside the ServiceAccount; one the
// input already has, as on a second run, is checked, never overwritten.
// Both carry the plan's object labels and annotations.
func emitConfigMaps(src source, p plan.Plan, configMaps []plan.ConfigMap, items []*yaml.RNode) ([]*yaml.RNode, framework.Results) {
	sa := src.spec.Spec.ServiceAccount
	var added []*yaml.RNode
	var results framework.Results
	for _, cm := range configMaps {
		existing := find(items, "v1", "ConfigMap", src.scope, cm.Name)
		if existing == nil {
			obj, err := newConfigMap(sa.Namespace, cm)
			if err != nil {
				results = append(results, &framework.Result{Severity: framework.Error, Message: err.Error(), ResourceRef: ref(src.node), File: file(src.node)})
				continue
			}
			results = append(results, setObjectMetadata(obj, p)...)
			markEmitted(obj, src)
			added = append(added, obj)
			continue
		}
		results = append(results, setObjectMetadata(existing, p)...)
		if emittedBy(existing) == specName(src) {
			// Ours from an earlier run: the spec's content replaces it.
			if sameData(existing, cm) {
				continue
			}
			if err := setData(existing, cm); err != nil {
				results = append(results, &framework.Result{Severity: framework.Error, Message: err.Error(), ResourceRef: ref(existing), File: file(existing)})
			}
			continue
		}
		for _, kv := range cm.Data {
			got, err := existing.Pipe(yaml.Lookup("data", kv.Key))
			if err != nil || got == nil || yaml.GetValue(got) != kv.Value {
				results = append(results, &framework.Result{Severity: framework.Error,
					Message: fmt.Sprintf("ConfigMap %s is in the input with other content under %q; remove it (the function writes it) or rename it",
						src.scope.objectName(cm.Name), kv.Key),
					ResourceRef: ref(existing), Field: &framework.Field{Path: "data." + kv.Key}, File: file(existing)})
			}
		}
	}
	return added, results
}

func newObject(apiVersion, kind, namespace, name string) *yaml.RNode {
	n := yaml.NewMapRNode(nil)
	n.SetApiVersion(apiVersion)
	n.SetKind(kind)
	// Setting a field on a fresh map cannot fail.
	_ = n.SetName(name)
	_ = n.SetNamespace(namespace)
	return n
}

func newConfigMap(namespace string, cm plan.ConfigMap) (*yaml.RNode, error) {
	n := newObject("v1", "ConfigMap", namespace, cm.Name)
	if err := setData(n, cm); err != nil {
		return nil, err
	}
	return n, nil
}

// setData makes n's data the ConfigMap's, keys in the plan's order.
func setData(n *yaml.RNode, cm plan.ConfigMap) error {
	if _, err := n.Pipe(yaml.Clear("data")); err != nil {
		return fmt.Errorf("clearing ConfigMap %s data: %w", cm.Name, err)
	}
	for _, kv := range cm.Data {
		value := yaml.NewStringRNode(kv.Value)
		if strings.Contains(kv.Value, "\n") {
			value.YNode().Style = yaml.LiteralStyle
		}
		if err := n.PipeE(yaml.LookupCreate(yaml.MappingNode, "data"), yaml.SetField(kv.Key, value)); err != nil {
			return fmt.Errorf("writing ConfigMap %s key %s: %w", cm.Name, kv.Key, err)
		}
	}
	return nil
}

// setAnnotation adds an annotation, or checks that it already has the value.
func setAnnotation(n *yaml.RNode, a plan.KeyValue) error {
	return setMetadata(n, "annotation", n.GetAnnotations(), yaml.SetAnnotation(a.Key, a.Value), a)
}

// setMetadata adds the label or annotation kv with set, or checks that
// existing (the object's labels or annotations) already has its value.
func setMetadata(n *yaml.RNode, what string, existing map[string]string, set yaml.Filter, kv plan.KeyValue) error {
	if got, ok := existing[kv.Key]; ok {
		if got != kv.Value {
			return fmt.Errorf("%s %s/%s already has %s %s=%q; the spec needs %q: fix one of them",
				n.GetKind(), namespaceOf(n), n.GetName(), what, kv.Key, got, kv.Value)
		}
		return nil
	}
	if err := n.PipeE(set); err != nil {
		return fmt.Errorf("setting %s %s on %s %s: %w", what, kv.Key, n.GetKind(), n.GetName(), err)
	}
	return nil
}

// setObjectMetadata gives an object the spec's labels and annotations
// (spec.serviceAccount.labels, annotations): kustomize's labels and
// commonAnnotations never reach what an exec transformer adds. A value the
// object already has otherwise is a conflict Result, never overwritten.
func setObjectMetadata(n *yaml.RNode, p plan.Plan) framework.Results {
	var results framework.Results
	report := func(field string, err error) {
		results = append(results, &framework.Result{Severity: framework.Error, Message: err.Error(), ResourceRef: ref(n),
			Field: &framework.Field{Path: field}, File: file(n)})
	}
	for _, l := range p.ObjectLabels {
		if err := setMetadata(n, "label", n.GetLabels(), yaml.SetLabel(l.Key, l.Value), l); err != nil {
			report("metadata.labels."+l.Key, err)
		}
	}
	for _, a := range p.ObjectAnnotations {
		if err := setAnnotation(n, a); err != nil {
			report("metadata.annotations."+a.Key, err)
		}
	}
	return results
}

// patchWorkloads applies the plan's pod patch to every selected pod
// template (its Windows form to those on Windows nodes), and says whether a
// Windows template was patched.
func patchWorkloads(src source, p plan.Plan, items []*yaml.RNode, env workload.EnvSources) (framework.Results, bool) {
	spec := &src.spec.Spec
	pod := p.Pod
	windowsUsed := false
	stamp := workload.Stamp{Spec: specName(src), Subject: subject(src), Clouds: cloudNames(src), CredentialsDigest: credentialsDigest(subject(src), p, pod)}
	patch := workload.Patch{Pod: pod, EnvSources: env, Stamp: stamp}
	table := spec.Kinds()
	locator := workload.PodTemplateLocator{Kinds: table}
	var selector *v1alpha1.WorkloadSelector
	if spec.Workloads != nil {
		patch.Containers = spec.Workloads.Containers
		selector = spec.Workloads.Selector
	}
	var results framework.Results
	selected := 0
	for _, item := range items {
		// Local config (a kpt package's own settings) never reaches a cluster
		// and is passed through untouched.
		if isLocalConfig(item) || !src.scope.holds(item) {
			continue
		}
		bySelector := selects(selector, table, item)
		w, ok, err := locator.Locate(item)
		if err != nil {
			// Without a readable pod template an object runs as no
			// ServiceAccount: it is ours only if the selector names it.
			if bySelector {
				selected++
				results = append(results, workloadResult(item, err)...)
			}
			continue
		}
		if !ok {
			continue
		}
		for _, t := range w.Templates {
			if !bySelector && !slices.Contains(src.scope.runAs, runsAs(t)) {
				continue
			}
			// Ours, even when it opts out: it runs as the ServiceAccount.
			selected++
			annotations, err := t.Annotations()
			if err != nil {
				results = append(results, workloadResult(item, err)...)
				continue
			}
			control, err := v1alpha1.ReadPodControl(annotations)
			if err != nil {
				results = append(results, &framework.Result{Severity: framework.Error, Message: err.Error(), ResourceRef: ref(item), File: file(item),
					Field: &framework.Field{Path: strings.TrimPrefix(t.Field+".metadata.annotations", ".")}})
				continue
			}
			if !control.Inject {
				continue
			}
			if bySelector {
				if err := t.SetServiceAccountName(spec.ServiceAccount.Name); err != nil {
					results = append(results, workloadResult(item, err)...)
					continue
				}
			}
			// Webhook modes change nothing else in the template, but the
			// stamp's digest still rolls the pods when the credentials change.
			pod, windows, found := templatePod(item, t, p, control)
			if found != nil {
				results = append(results, found...)
				continue
			}
			windowsUsed = windowsUsed || windows
			templatePatch := patch
			templatePatch.SkipContainers = control.SkipContainers
			templatePatch.Pod = pod
			templatePatch.Stamp.CredentialsDigest = credentialsDigest(stamp.Subject, p, pod)
			if err := templatePatch.Apply(t); err != nil {
				results = append(results, workloadResult(item, err)...)
				continue
			}
			results = append(results, uncheckedSecrets(item, templatePatch, t)...)
		}
	}
	// With an admission policy, Pods created at runtime are wired too: a
	// build without workloads is the expected case, not a mistake.
	if selected == 0 && !pod.IsEmpty() && spec.AdmissionPolicy == nil {
		how := "set serviceAccountName on the workloads or select them with spec.workloads.selector"
		if selector != nil {
			how = "set serviceAccountName on the workloads or fix spec.workloads.selector, which selects none"
		}
		results = append(results, &framework.Result{Severity: framework.Warning,
			Message: fmt.Sprintf("no workload among the input runs as ServiceAccount %s, so no pod was patched; %s",
				src.scope.objectName(spec.ServiceAccount.Name), how),
			ResourceRef: ref(src.node), Field: &framework.Field{Path: "spec.serviceAccount"}, File: file(src.node)})
	}
	return results, windowsUsed
}

// uncheckedSecrets are warnings about the envFrom Secrets of a wired
// template that are not among the input: the static credentials a Secret
// might provide could not be checked. Advice only: the output is right as far
// as the input shows.
func uncheckedSecrets(item *yaml.RNode, p workload.Patch, t workload.PodTemplate) framework.Results {
	unchecked, err := p.UncheckedSecrets(t)
	if err != nil {
		return workloadResult(item, err)
	}
	var out framework.Results
	for _, u := range unchecked {
		message, field := locatedMessage(u.Location, fmt.Sprintf(
			"reads Secret %q through envFrom, which is not among the input, so whether it sets %s could not be checked; if it does, the SDKs use that credential instead of the keyless one: remove those keys from the Secret, or add the Secret to the input to have it checked",
			u.Secret, workload.CredentialNames(p.Pod.StaticCredentials)))
		out = append(out, &framework.Result{Severity: framework.Warning, Message: message, ResourceRef: ref(item), Field: field, File: file(item)})
	}
	return out
}

// templatePod is the plan's pod patch for one pod template (its Windows form
// on Windows nodes, with the template's own token expiration), and whether
// it is the Windows form; problems come back as Results on the workload.
func templatePod(item *yaml.RNode, t workload.PodTemplate, p plan.Plan, control v1alpha1.PodControl) (plan.PodPatch, bool, framework.Results) {
	windows := false
	if p.Windows != nil {
		var err error
		if windows, err = t.RunsOnWindows(); err != nil {
			return plan.PodPatch{}, false, workloadResult(item, err)
		}
	}
	pod, err := p.PodFor(windows, control.TokenExpirationSeconds)
	if err != nil {
		var results framework.Results
		field := &framework.Field{Path: strings.TrimPrefix(t.Field+".metadata.annotations.["+v1alpha1.TokenExpirationAnnotation+"]", ".")}
		for _, e := range leaves(err) {
			results = append(results, &framework.Result{Severity: framework.Error, ResourceRef: ref(item), File: file(item), Field: field,
				Message: fmt.Sprintf("annotation %s: %v", v1alpha1.TokenExpirationAnnotation, e)})
		}
		return plan.PodPatch{}, false, results
	}
	return pod, windows, nil
}

// leaves are the errors an errors.Join holds, or err alone.
func leaves(err error) []error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return joined.Unwrap()
	}
	return []error{err}
}

// runsAs is the ServiceAccount a pod template runs as: one without
// serviceAccountName runs as "default", as Kubernetes' admission makes it.
func runsAs(t workload.PodTemplate) string {
	if name := t.ServiceAccountName(); name != "" {
		return name
	}
	return "default"
}

// selects reports whether the spec's selector picks a workload: every
// criterion given must match.
func selects(sel *v1alpha1.WorkloadSelector, table kinds.Table, n *yaml.RNode) bool {
	if sel == nil {
		return false
	}
	if len(sel.Kinds) > 0 {
		kind, known := table.Lookup(n.GetApiVersion(), n.GetKind())
		if !known || !slices.ContainsFunc(sel.Kinds, kind.Selects) {
			return false
		}
	}
	if len(sel.Names) > 0 && !slices.Contains(sel.Names, n.GetName()) {
		return false
	}
	labels := n.GetLabels()
	for k, v := range sel.Labels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// locatedMessage splits a workload error between the Result's fields: the
// object is the Result's resourceRef and the path its field, so the message
// names only the container.
func locatedMessage(at workload.Location, message string) (string, *framework.Field) {
	if at.Container != "" {
		message = fmt.Sprintf("container %q: %s", at.Container, message)
	}
	if at.Field == "" {
		return message, nil
	}
	return message, &framework.Field{Path: at.Field}
}

// workloadResult turns a workload error, possibly several joined conflicts,
// into one Result each, pointed at the workload and the field.
func workloadResult(n *yaml.RNode, err error) framework.Results {
	var out framework.Results
	for _, e := range leaves(err) {
		r := &framework.Result{Severity: framework.Error, Message: e.Error(), ResourceRef: ref(n), File: file(n)}
		var c *workload.Conflict
		var m *workload.Malformed
		switch {
		case errors.As(e, &c):
			r.Message, r.Field = locatedMessage(c.Location, c.Message)
		case errors.As(e, &m):
			r.Message, r.Field = locatedMessage(m.Location, m.Message)
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Message < out[j].Message })
	return out
}
