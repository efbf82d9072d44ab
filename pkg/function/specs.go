package function

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

// source is one decoded spec and the object it came from, for messages.
type source struct {
	spec *v1alpha1.CrossCloudAccess
	node *yaml.RNode
	// keep says the object stays among the output items: it is the function
	// config itself (kpt passes it as an item too; dropping it would delete
	// its file) or it is marked local-config.
	keep bool
	// scope is where the ServiceAccount is in this build (resolveScope).
	scope accountScope
}

// specSet is every spec of one run, and what to do with the items that held them.
type specSet struct {
	sources []source
	// drop marks CrossCloudAccess items that must not reach the cluster.
	drop map[*yaml.RNode]bool
}

// isSpec reports whether n is a CrossCloudAccess of the served version. Only
// a map is asked: kyaml's getters read any node as key-value pairs, and
// panic on a list of odd length.
func isSpec(n *yaml.RNode) bool {
	return n.YNode() != nil && n.YNode().Kind == yaml.MappingNode &&
		n.GetKind() == v1alpha1.Kind && n.GetApiVersion() == v1alpha1.APIVersion
}

// collectSpecs decodes the functionConfig and every CrossCloudAccess item.
func collectSpecs(config *yaml.RNode, items []*yaml.RNode) (specSet, framework.Results) {
	set := specSet{drop: map[*yaml.RNode]bool{}}
	var results framework.Results
	add := func(n *yaml.RNode, keep, item bool) {
		spec, errs := v1alpha1.Decode(n)
		results = append(results, fieldResults(n, errs)...)
		if spec != nil && item && spec.Spec.Azure != nil && !spec.Spec.Azure.EntraAuthority() {
			// A team's spec must not send its pods' tokens to a host of
			// its choosing; the platform's functionConfig may.
			results = append(results, fieldResults(n, v1alpha1.FieldErrors{{Field: "spec.azure.authorityHost",
				Message: fmt.Sprintf("%q is not an Entra ID cloud's authority; a spec among the items may only name %s (the platform's functionConfig may name another)",
					spec.Spec.Azure.AuthorityHost, strings.Join(v1alpha1.EntraAuthorityHosts, ", "))}})...)
			return
		}
		if spec != nil {
			set.sources = append(set.sources, source{spec: spec, node: n, keep: keep})
		}
	}
	hasConfig := config != nil && !config.IsNilOrEmpty()
	if hasConfig {
		if !isSpec(config) {
			// A list or scalar has no apiVersion or kind to name.
			got := "not an object"
			if config.YNode().Kind == yaml.MappingNode {
				got = "a " + config.GetApiVersion() + " " + config.GetKind()
			}
			results = append(results, &framework.Result{
				Severity: framework.Error,
				Message: fmt.Sprintf("functionConfig is %s; want a %s %s object (see the README for a minimal spec)",
					got, v1alpha1.APIVersion, v1alpha1.Kind),
				Field: &framework.Field{Path: "functionConfig"},
			})
			return set, results
		}
		add(config, true, false)
	}
	for i, item := range items {
		if item.IsNil() || item.YNode().Kind != yaml.MappingNode {
			// Nothing else names where this is: it has no kind or name.
			results = append(results, &framework.Result{
				Severity: framework.Error,
				Message:  fmt.Sprintf("is %s; want a Kubernetes object (a map with apiVersion, kind and metadata): remove it or fix its YAML", nodeKind(item)),
				Field:    &framework.Field{Path: fmt.Sprintf("items[%d]", i)},
			})
			continue
		}
		if !isSpec(item) {
			if item.GetKind() == v1alpha1.Kind {
				results = append(results, &framework.Result{
					Severity:    framework.Error,
					Message:     fmt.Sprintf("apiVersion %q is not served; want %s", item.GetApiVersion(), v1alpha1.APIVersion),
					ResourceRef: ref(item),
					Field:       &framework.Field{Path: "apiVersion"},
					File:        file(item),
				})
			}
			continue
		}
		if hasConfig && sameObject(item, config) {
			continue
		}
		local := isLocalConfig(item)
		if !local {
			set.drop[item] = true
		}
		add(item, local, true)
	}
	if len(set.sources) == 0 && results.ExitCode() == 0 {
		results = append(results, &framework.Result{
			Severity: framework.Error,
			Message:  fmt.Sprintf("no %s spec was given; pass one as the functionConfig or among the items", v1alpha1.Kind),
			Field:    &framework.Field{Path: "functionConfig"},
		})
	}
	duplicates, same := duplicateServiceAccounts(set.sources)
	results = append(results, duplicates...)
	set.sources = slices.DeleteFunc(set.sources, func(s source) bool { return same[s.node] })
	return set, results
}

// nodeKind names what a node that is not an object holds, for messages.
func nodeKind(n *yaml.RNode) string {
	switch {
	case n.IsNil() || n.YNode().Tag == yaml.NodeTagNull:
		return "null"
	case n.YNode().Kind == yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("the scalar %q", n.YNode().Value)
	}
}

// sameObject recognises the functionConfig among the items: kpt passes the
// config file as an item as well, with its own path annotations added.
// A kustomization that lists its spec under both resources: and
// transformers: with a namespace: hands the function a namespaced copy of its
// own namespace-less config: that is the config too.
func sameObject(item, config *yaml.RNode) bool {
	if item.GetName() != config.GetName() || (config.GetNamespace() != "" && item.GetNamespace() != config.GetNamespace()) {
		return false
	}
	a, errA := item.Pipe(yaml.Lookup("spec"))
	b, errB := config.Pipe(yaml.Lookup("spec"))
	if errA != nil || errB != nil {
		return false
	}
	return a.MustString() == b.MustString()
}

func isLocalConfig(n *yaml.RNode) bool {
	return n.GetAnnotations()["config.kubernetes.io/local-config"] == "true"
}

// duplicateServiceAccounts refuses two specs for one ServiceAccount: their
// annotations and env would fight, and which one wins would depend on order.
func duplicateServiceAccounts(sources []source) (framework.Results, map[*yaml.RNode]bool) {
	specs := make([]*v1alpha1.CrossCloudAccess, len(sources))
	for i, s := range sources {
		specs[i] = s.spec
	}
	var results framework.Results
	same := map[*yaml.RNode]bool{}
	for _, d := range v1alpha1.DuplicateServiceAccounts(specs) {
		if d.Same {
			// One spec read twice (kustomize's namespaced copy of a
			// local-config spec, say): used once.
			same[sources[d.Index].node] = true
			continue
		}
		results = append(results, fieldResults(sources[d.Index].node, v1alpha1.FieldErrors{{Field: "spec.serviceAccount", Message: d.Message}})...)
	}
	return results, same
}

// fieldResults turns a spec's field errors into Results on that spec.
func fieldResults(n *yaml.RNode, errs v1alpha1.FieldErrors) framework.Results {
	var out framework.Results
	for _, e := range errs {
		out = append(out, &framework.Result{
			Severity:    e.Level(),
			Message:     e.Message,
			ResourceRef: ref(n),
			Field:       &framework.Field{Path: e.Field},
			File:        file(n),
		})
	}
	return out
}

func ref(n *yaml.RNode) *yaml.ResourceIdentifier {
	// Only a map has a kind to name; kyaml's getters index into anything.
	if n == nil || n.YNode() == nil || n.YNode().Kind != yaml.MappingNode || n.GetKind() == "" {
		return nil
	}
	return &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: n.GetApiVersion(), Kind: n.GetKind()},
		NameMeta: yaml.NameMeta{Name: n.GetName(), Namespace: n.GetNamespace()},
	}
}

// file points a Result at the file kpt read the object from, when it says.
func file(n *yaml.RNode) *framework.File {
	if n == nil {
		return nil
	}
	path, _, err := kioutil.GetFileAnnotations(n)
	if err != nil || path == "" {
		return nil
	}
	return &framework.File{Path: path}
}
