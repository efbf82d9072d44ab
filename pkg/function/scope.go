package function

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
)

// kustomize records an object's earlier identities on it while it builds, one
// comma-separated entry per step that renamed or moved it (the entries of the
// two lists pair up). Exec transformers see them; they are gone from the
// output of kustomize build.
const (
	previousNamesAnnotation      = "internal.config.kubernetes.io/previousNames"
	previousNamespacesAnnotation = "internal.config.kubernetes.io/previousNamespaces"
)

// accountScope is where a spec's ServiceAccount is in this build: the
// namespace the spec names or the one its items are in, and the name the
// ServiceAccount has after kustomize's namePrefix and nameSuffix.
type accountScope struct {
	// namespace is "" when it was inferred from items that carry none: the
	// namespace is then chosen where they are applied (Argo CD's
	// destination, kubectl apply -n), and emitted objects carry none either.
	namespace string
	// inferred compares items by the namespace they carry, "" included;
	// otherwise an item without one counts as being in "default", as kubectl
	// applies it with a default context.
	inferred bool
	// elsewhere are the items of other namespaces that look like the
	// ServiceAccount or its workloads, when the spec names a namespace that
	// has neither (misplaced).
	elsewhere []elsewhereItem
	// runAs are the names a pod template may run as to be this
	// ServiceAccount's: the spec's name and, when kustomize renamed the
	// ServiceAccount, its new name (kustomize rewrites serviceAccountName
	// only after the exec transformers of the kustomization that renamed it).
	runAs []string
}

// holds reports whether an item is in the scope's namespace.
func (s accountScope) holds(n *yaml.RNode) bool {
	if s.inferred {
		return n.GetNamespace() == s.namespace
	}
	return namespaceOf(n) == s.namespace
}

// objectName names an object of the scope in messages: namespace/name, or
// the name alone when the namespace is left to where it is applied.
func (s accountScope) objectName(name string) string {
	if s.namespace == "" {
		return name
	}
	return s.namespace + "/" + name
}

// subjectNamespace is the namespace part of the tokens' subject, as a
// message can say it.
func (s accountScope) subjectNamespace() string {
	if s.namespace == "" {
		return "<namespace it is deployed to>"
	}
	return s.namespace
}

// printableSubject is a subject for a message: an item's namespace or name
// that is not a Kubernetes name (a line break, an escape sequence) is quoted
// by itself, so that it cannot forge the rest of the message.
func printableSubject(namespace, name string) string {
	if !kname.IsLabel(namespace) || !kname.IsSubdomain(name) {
		return strconv.QuoteToASCII(v1alpha1.ServiceAccount{Namespace: namespace, Name: name}.Subject())
	}
	return v1alpha1.ServiceAccount{Namespace: namespace, Name: name}.Subject()
}

// previousIdentity is one earlier name and namespace of an item that
// kustomize renamed or moved.
type previousIdentity struct{ name, namespace string }

// previousIdentities reads kustomize's record of an item's earlier names and
// namespaces; an item kustomize did not touch has none.
func previousIdentities(n *yaml.RNode) []previousIdentity {
	annotations := n.GetAnnotations()
	names, ok := annotations[previousNamesAnnotation]
	if !ok {
		return nil
	}
	nameList := strings.Split(names, ",")
	namespaceList := strings.Split(annotations[previousNamespacesAnnotation], ",")
	out := make([]previousIdentity, len(nameList))
	for i, name := range nameList {
		out[i].name = name
		if i < len(namespaceList) {
			out[i].namespace = namespaceList[i]
		}
	}
	return out
}

func previousNames(n *yaml.RNode) []string {
	var out []string
	for _, p := range previousIdentities(n) {
		out = append(out, p.name)
	}
	return out
}

// wasIn reports whether the item is, or was before kustomize moved it, in
// namespace (kubectl's default applies to both).
func wasIn(n *yaml.RNode, namespace string) bool {
	if namespaceOf(n) == namespace {
		return true
	}
	for _, p := range previousIdentities(n) {
		if workload.EffectiveNamespace(p.namespace) == namespace {
			return true
		}
	}
	return false
}

// isAccount reports whether an item is the spec's ServiceAccount under its
// own name or one kustomize gave it. namespace == "" matches any namespace.
func isAccount(n *yaml.RNode, name, namespace string) bool {
	if n.GetKind() != "ServiceAccount" || n.GetApiVersion() != "v1" || isLocalConfig(n) {
		return false
	}
	if n.GetName() == name && (namespace == "" || namespaceOf(n) == namespace) {
		return true
	}
	for _, p := range previousIdentities(n) {
		if p.name == name && (namespace == "" || workload.EffectiveNamespace(p.namespace) == namespace) {
			return true
		}
	}
	return false
}

// resolveScope finds the spec's ServiceAccount among the items: the
// namespace it is in when the spec names none, and its name after kustomize
// renamed it. The spec the source carries afterwards names the ServiceAccount
// as it is in this build; the Results say when that differs from the spec,
// since trust pins the subject the spec names.
func resolveScope(src source, items []*yaml.RNode) (source, framework.Results) {
	spec := src.spec.Spec
	sa := spec.ServiceAccount
	given := sa.NamespaceGiven()
	lookIn := sa.Namespace
	if !given {
		lookIn = ""
	}

	// Where the ServiceAccount and the pods that run as it are now.
	namespaces := map[string]bool{}
	current := sa.Name
	runAs := []string{sa.Name}
	for _, item := range items {
		if !isAccount(item, sa.Name, lookIn) {
			continue
		}
		namespaces[scopeNamespace(item, given)] = true
		current = item.GetName()
		// Pods of this kustomization still name the ServiceAccount as it was
		// before the rename; kustomize rewrites them after its transformers.
		for _, name := range append([]string{current}, previousNames(item)...) {
			if !slices.Contains(runAs, name) {
				runAs = append(runAs, name)
			}
		}
	}
	table := spec.Kinds()
	locator := workload.PodTemplateLocator{Kinds: table}
	var selector *v1alpha1.WorkloadSelector
	if spec.Workloads != nil {
		selector = spec.Workloads.Selector
	}
	for _, item := range items {
		if isLocalConfig(item) || (given && !wasIn(item, sa.Namespace)) {
			continue
		}
		if selects(selector, table, item) {
			namespaces[scopeNamespace(item, given)] = true
			continue
		}
		w, ok, err := locator.Locate(item)
		if err != nil || !ok {
			continue
		}
		for _, t := range w.Templates {
			if slices.Contains(runAs, runsAs(t)) {
				namespaces[scopeNamespace(item, given)] = true
				break
			}
		}
	}

	scope := accountScope{namespace: sa.Namespace, inferred: !given, runAs: runAs}
	var results framework.Results
	if given && len(namespaces) == 0 {
		scope.elsewhere = itemsElsewhere(spec, items)
	}
	switch found := sortedKeys(namespaces); {
	case len(found) > 1:
		return src, fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount.namespace",
			Message: fmt.Sprintf("the ServiceAccount %s and the workloads that run as it are in more than one namespace (%s); set spec.serviceAccount.namespace to the one this spec is for (one spec per namespace)",
				sa.Name, describeNamespaces(found))}})
	case len(found) == 1 && (!given || found[0] != sa.Namespace):
		scope.namespace = found[0]
		if given {
			results = append(results, fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount.namespace", Severity: framework.Warning,
				Message: fmt.Sprintf("the ServiceAccount and its workloads were moved from namespace %s to %s in this build (kustomize's namespace): wired there, for the subject %s; trust on the spec alone pins %s: give trust the built output with the spec (... | cross-cloud-access trust SPEC -), or name %s in the spec",
					sa.Namespace, kname.Printable(found[0], kname.IsLabel), printableSubject(found[0], current), sa.Subject(), kname.Printable(found[0], kname.IsLabel))}})...)
		} else if found[0] != "" && found[0] != v1alpha1.DefaultNamespace {
			results = append(results, fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount.namespace", Severity: framework.Warning,
				Message: fmt.Sprintf("is not set, and the ServiceAccount's workloads are in namespace %s: wired there; trust on the spec alone cannot know it and refuses the spec: set spec.serviceAccount.namespace: %s, or give trust --namespace %s or the built output",
					kname.Printable(found[0], kname.IsLabel), kname.Printable(found[0], kname.IsLabel), kname.Printable(found[0], kname.IsLabel))}})...)
		}
	case len(found) == 0 && !given:
		// Nothing says where: the objects land where they are applied.
		scope.namespace = ""
	}
	if current != sa.Name {
		results = append(results, fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount.name", Severity: framework.Warning,
			Message: fmt.Sprintf("the ServiceAccount %s is named %s in this build (kustomize's namePrefix or nameSuffix): wired under that name, for the subject %s; trust on the spec alone pins the spec's name: give trust the built output with the spec (... | cross-cloud-access trust SPEC -), or name %s in the spec",
				sa.Name, kname.Printable(current, kname.IsSubdomain), printableSubject(scope.subjectNamespace(), current), kname.Printable(current, kname.IsSubdomain))}})...)
	}
	if scope.namespace == "" && spec.AdmissionPolicy != nil {
		return src, fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount.namespace",
			Message: "is needed with spec.admissionPolicy, which binds to one namespace, and no item says which: set it (or metadata.namespace)"}})
	}

	resolved := *src.spec
	resolved.Spec.ServiceAccount.Namespace = scope.namespace
	resolved.Spec.ServiceAccount.Name = current
	src.spec = &resolved
	src.scope = scope
	return src, results
}

// elsewhereItem is an item that looks like the spec's ServiceAccount or one
// of its workloads, in another namespace than the spec names.
type elsewhereItem struct {
	// namespace is as written: "" counts as kubectl's default.
	namespace string
	// object is "Kind name".
	object string
	// selected says spec.workloads.selector picks it.
	selected bool
}

// itemsElsewhere lists the items that look like the spec's ServiceAccount or
// its workloads: a ServiceAccount of its name, a pod template that names it as
// its serviceAccountName, a workload the selector picks. Called only when
// nothing of the spec is in its own namespace, so all of them are elsewhere.
func itemsElsewhere(spec v1alpha1.Spec, items []*yaml.RNode) []elsewhereItem {
	sa := spec.ServiceAccount
	table := spec.Kinds()
	locator := workload.PodTemplateLocator{Kinds: table}
	var selector *v1alpha1.WorkloadSelector
	if spec.Workloads != nil {
		selector = spec.Workloads.Selector
	}
	var out []elsewhereItem
	for _, item := range items {
		if isLocalConfig(item) {
			continue
		}
		e := elsewhereItem{namespace: item.GetNamespace(), object: item.GetKind() + " " + kname.Printable(item.GetName(), kname.IsSubdomain)}
		switch {
		case isAccount(item, sa.Name, ""):
		case selects(selector, table, item):
			e.selected = true
		default:
			w, ok, err := locator.Locate(item)
			// A template without serviceAccountName runs as "default" in
			// every namespace: no sign that the spec meant that one.
			if err != nil || !ok || !slices.ContainsFunc(w.Templates, func(t workload.PodTemplate) bool { return t.ServiceAccountName() == sa.Name }) {
				continue
			}
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].namespace < out[j].namespace })
	return out
}

// misplaced refuses a spec whose namespace has nothing of its ServiceAccount
// while other namespaces have (resolveScope's elsewhere). verify does not
// call it: the stamps there say more precisely what moved.
func misplaced(src source) framework.Results {
	if len(src.scope.elsewhere) == 0 {
		return nil
	}
	return fieldResults(src.node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount.namespace",
		Message: namespaceMismatch(src.spec.Spec.ServiceAccount, src.scope.elsewhere)}})
}

// namespaceMismatch says that the spec's namespace has nothing of its
// ServiceAccount while other namespaces have, and the ways out: the
// function would otherwise emit a ServiceAccount nothing uses and wire no
// pod.
func namespaceMismatch(sa v1alpha1.ServiceAccount, elsewhere []elsewhereItem) string {
	var found []string
	for _, e := range elsewhere {
		in := "namespace " + kname.Printable(e.namespace, kname.IsLabel)
		if e.namespace == "" {
			in = "no namespace: kubectl's " + v1alpha1.DefaultNamespace
		}
		if e.selected {
			in += ", selected by spec.workloads.selector"
		}
		found = append(found, e.object+" ("+in+")")
	}
	const shown = 4
	if len(found) > shown {
		found = append(found[:shown:shown], fmt.Sprintf("%d more", len(found)-shown))
	}
	return fmt.Sprintf("is %s, but nothing in %s is ServiceAccount %s or runs as it, while the input has %s: nothing would be wired, and a ServiceAccount nothing uses would be emitted in %s; "+
		"set spec.serviceAccount.namespace (or metadata.namespace) to the namespace those are in, or give them namespace %s "+
		"(an overlay's namespace: reaches the function only when the function runs in that same kustomization); "+
		"if the spec is for another ServiceAccount of that name, add ServiceAccount %s/%s to the input",
		sa.Namespace, sa.Namespace, sa.Name, strings.Join(found, ", "), sa.Namespace, sa.Namespace, sa.Namespace, sa.Name)
}

// scopeNamespace is the namespace an item counts as being in: its own, or
// kubectl's default when the spec names the namespace.
func scopeNamespace(n *yaml.RNode, given bool) string {
	if given {
		return namespaceOf(n)
	}
	return n.GetNamespace()
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// describeNamespaces lists namespaces for a message; "" is said in words,
// since it would read as nothing.
func describeNamespaces(namespaces []string) string {
	var out []string
	none := false
	for _, ns := range namespaces {
		if ns == "" {
			none = true
			continue
		}
		out = append(out, kname.Printable(ns, kname.IsLabel))
	}
	if none {
		out = append(out, "items without a namespace")
	}
	return strings.Join(out, ", ")
}
