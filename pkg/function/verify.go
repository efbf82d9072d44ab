package function

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/clouds"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
)

// CheckOnlyAnnotation "true" on a spec makes the function check instead of
// wire: listed as the last transformer of a leaf kustomization, with the
// same spec as the base, it fails the build when an overlay changed what
// the base wired, and changes nothing otherwise.
const CheckOnlyAnnotation = "crosscloud.dev/check-only"

// checkOnly reports whether the functionConfig asks for a check only.
func checkOnly(config *yaml.RNode) bool {
	return config != nil && !config.IsNilOrEmpty() && config.YNode().Kind == yaml.MappingNode &&
		config.GetAnnotations()[CheckOnlyAnnotation] == "true"
}

// Verify checks the items against the specs (the functionConfig and any
// among the items) without changing them, and returns how many pod templates
// it checked. A pod template fails when it was stamped for another subject
// than it now runs as (an overlay renamed its namespace or ServiceAccount),
// when its stamp holds other credentials than the spec gives now, or when a
// selected container lacks an entry the spec injects or holds another value
// (an overlay replaced env, added a sidecar, ...). With
// spec.admissionPolicy, the policies the spec emitted must be the ones it
// gives for the ServiceAccount as the items have it (verifyPolicies).
func Verify(config *yaml.RNode, items []*yaml.RNode) (int, framework.Results) {
	set, results := collectSpecs(config, items)
	if results.ExitCode() != 0 {
		return 0, results
	}
	checked, found := verifySet(set, items)
	return checked, append(results, found...)
}

// verifySet is Verify once the specs are read.
func verifySet(set specSet, items []*yaml.RNode) (int, framework.Results) {
	var results framework.Results
	checked := 0
	for _, src := range set.sources {
		n, found := verifySpec(src, items)
		checked += n
		results = append(results, found...)
	}
	return checked, results
}

// verifySpec checks the templates the spec selects or stamped.
func verifySpec(src source, items []*yaml.RNode) (int, framework.Results) {
	// The same ServiceAccount the function would wire: a namespace-agnostic
	// spec checks the namespace its items are in now. Its warnings are the
	// function's business; the checks below say what matters here.
	src, scoped := resolveScope(src, items)
	if scoped.ExitCode() != 0 {
		return 0, scoped
	}
	p, found := clouds.Plan(&src.spec.Spec)
	results := fieldResults(src.node, found)
	if len(found.Errors()) > 0 {
		return 0, results
	}
	results = append(results, verifyPolicies(src, p, items)...)
	spec := &src.spec.Spec
	sa := spec.ServiceAccount
	table := spec.Kinds()
	locator := workload.PodTemplateLocator{Kinds: table}
	patch := workload.Patch{Pod: p.Pod}
	var selector *v1alpha1.WorkloadSelector
	if spec.Workloads != nil {
		patch.Containers = spec.Workloads.Containers
		selector = spec.Workloads.Selector
	}
	checked := 0
	for _, item := range items {
		if isLocalConfig(item) {
			continue
		}
		w, ok, err := locator.Locate(item)
		if err != nil || !ok {
			continue
		}
		inNamespace := src.scope.holds(item)
		for _, t := range w.Templates {
			stamp, stamped, err := t.ReadStamp()
			if err != nil {
				results = append(results, workloadResult(item, err)...)
				continue
			}
			ours := stamped && stamp.Spec == specName(src)
			selected := inNamespace && (slices.Contains(src.scope.runAs, runsAs(t)) || selects(selector, table, item))
			if !ours && !selected {
				continue
			}
			annotations, err := t.Annotations()
			if err != nil {
				results = append(results, workloadResult(item, err)...)
				continue
			}
			control, err := v1alpha1.ReadPodControl(annotations)
			if err != nil || !control.Inject {
				continue
			}
			checked++
			annotationsField := strings.TrimPrefix(t.Field+".metadata.annotations", ".")
			runsAsSubject := v1alpha1.ServiceAccount{Namespace: namespaceOf(item), Name: renamedAccount(items, namespaceOf(item), runsAs(t))}.Subject()
			if ours && stamp.Subject != runsAsSubject {
				results = append(results, &framework.Result{Severity: framework.Error,
					Message: fmt.Sprintf("was wired by CrossCloudAccess %q for %s but runs as %s: a later step (an overlay's namespace, prefix or suffix) renamed it, and the cloud's trust accepts only the subject it was written for; run the function after the rename (in the leaf kustomization) or write the trust for %s",
						stamp.Spec, stamp.Subject, runsAsSubject, runsAsSubject),
					ResourceRef: ref(item), Field: &framework.Field{Path: annotationsField + ".[" + workload.StampSubject + "]"}, File: file(item)})
				continue
			}
			pod, _, found := templatePod(item, t, p, control)
			if found != nil {
				results = append(results, found...)
				continue
			}
			templatePatch := patch
			templatePatch.SkipContainers = control.SkipContainers
			templatePatch.Pod = pod
			digest := credentialsDigest(subject(src), p, pod)
			if ours && stamp.CredentialsDigest != digest {
				results = append(results, &framework.Result{Severity: framework.Error,
					Message: fmt.Sprintf("was wired with other credentials than CrossCloudAccess %q gives now (%s, want %s): build again with the current spec",
						stamp.Spec, stamp.CredentialsDigest, digest),
					ResourceRef: ref(item), Field: &framework.Field{Path: annotationsField + ".[" + workload.StampCredentialsDigest + "]"}, File: file(item)})
			}
			if identities, err := templatePatch.Identities(t); err == nil && ours && identities.String() != stamp.Identities.String() {
				results = append(results, &framework.Result{Severity: framework.Error,
					Message: fmt.Sprintf("records containers with an identity of their own as %q, but CrossCloudAccess %q gives them to %q in the template as it is now: a later step renamed, removed or added containers; run the function after that step",
						stamp.Identities, specName(src), identities),
					ResourceRef: ref(item), Field: &framework.Field{Path: annotationsField + ".[" + workload.StampIdentities + "]"}, File: file(item)})
			}
			missing, err := templatePatch.Missing(t)
			if err != nil {
				results = append(results, workloadResult(item, err)...)
				continue
			}
			if !missing.IsEmpty() {
				results = append(results, &framework.Result{Severity: framework.Error,
					Message: fmt.Sprintf("runs as ServiceAccount %s but lacks what CrossCloudAccess %q injects: %s; a later step removed or replaced it (a JSON 6902 add of a whole list, an added sidecar): run the function after that step, or patch single entries",
						sa.Name, specName(src), missing),
					ResourceRef: ref(item), Field: &framework.Field{Path: strings.TrimPrefix(t.Field+".spec", ".")}, File: file(item)})
			}
		}
	}
	return checked, results
}

// renamedAccount is the name the ServiceAccount a pod template refers to as
// name will have in the output. Inside a kustomize build a transformer sees
// an overlay's renamed ServiceAccount but the old reference, which kustomize
// fixes only at the end of the build.
func renamedAccount(items []*yaml.RNode, namespace, name string) string {
	for _, item := range items {
		if item.GetKind() != "ServiceAccount" || namespaceOf(item) != namespace {
			continue
		}
		if item.GetName() == name {
			return name
		}
		if slices.Contains(previousNames(item), name) {
			return item.GetName()
		}
	}
	return name
}
