package function

import (
	"encoding/json"
	"fmt"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
)

// specName identifies a spec in the stamp of the templates it wired and the
// marker of the objects it emitted: a later run of the same spec updates
// them, any other spec must not touch them.
func specName(src source) string { return src.spec.StampName() }

// subject is the token subject of the spec's ServiceAccount, the one the
// cloud's trust pins.
func subject(src source) string {
	sa := src.spec.Spec.ServiceAccount
	return v1alpha1.ServiceAccount{Namespace: workload.EffectiveNamespace(sa.Namespace), Name: sa.Name}.Subject()
}

// cloudNames are the spec's clouds in the stamp's order.
func cloudNames(src source) []string {
	spec := src.spec.Spec
	var out []string
	if spec.AWS != nil {
		out = append(out, "aws")
	}
	if spec.GCP != nil {
		out = append(out, "gcp")
	}
	if spec.Azure != nil {
		out = append(out, "azure")
	}
	return out
}

// credentialsDigest is a digest of everything the credentials of a pod with
// this pod patch depend on: the subject, the ServiceAccount's annotations
// (the EKS and GKE webhooks read them at admission), the ConfigMaps the patch
// mounts and the patch itself. It changes when a pod started before the
// change would hold other credentials than one started after it (with
// spec.containers, also when an entry for a container the template lacks
// changes: the patch is the spec's, not the template's), and it never
// depends on the rest of the workload.
func credentialsDigest(subject string, p plan.Plan, pod plan.PodPatch) string {
	var mounted []plan.ConfigMap
	all := p.ConfigMaps
	if p.Windows != nil {
		all = append(slices.Clone(all), p.Windows.ConfigMaps...)
	}
	volumes := slices.Clone(pod.ConfigMapVolumes)
	for _, c := range pod.Containers {
		volumes = append(volumes, c.ConfigMapVolumes...)
	}
	for _, cm := range all {
		if slices.ContainsFunc(volumes, func(v plan.ConfigMapVolume) bool { return v.ConfigMapName == cm.Name }) {
			mounted = append(mounted, cm)
		}
	}
	// Only what the function writes into the pod counts: what it checks but
	// does not write (PodPatch.StaticCredentials, CredentialFiles) is no part
	// of the credentials, and a reworded message must not roll workloads.
	written := struct {
		Labels           []plan.KeyValue
		Tokens           []plan.ProjectedToken
		ConfigMapVolumes []plan.ConfigMapVolume
		Env              []plan.KeyValue
		DefaultEnv       []plan.KeyValue
		// Omitted when empty, so a spec without spec.containers keeps
		// the digest it had before they existed.
		Containers []plan.ContainerPatch `json:",omitempty"`
	}{pod.Labels, pod.Tokens, pod.ConfigMapVolumes, pod.Env, pod.DefaultEnv, pod.Containers}
	// Strings, numbers and slices of them always marshal.
	data, _ := json.Marshal(struct {
		Subject                   string
		ServiceAccountAnnotations []plan.KeyValue
		ConfigMaps                []plan.ConfigMap
		Pod                       any
	}{subject, p.ServiceAccountAnnotations, mounted, written})
	return workload.Digest(data)
}

// EmittedByAnnotation marks the ServiceAccounts and ConfigMaps the function
// emitted with the name of the spec they came from. A later run over its own
// output (a kpt package) recognises them: it updates them, removes those the
// spec no longer needs, and warns about those left in another namespace.
const EmittedByAnnotation = "crosscloud.dev/emitted-by"

func markEmitted(n *yaml.RNode, src source) {
	// Setting an annotation on an object the function just built cannot fail.
	_ = n.PipeE(yaml.SetAnnotation(EmittedByAnnotation, specName(src)))
}

func emittedBy(n *yaml.RNode) string {
	return n.GetAnnotations()[EmittedByAnnotation]
}

// staleEmitted finds the objects an earlier run of this spec emitted that
// the plan no longer has. In the ServiceAccount's namespace, a ConfigMap of
// a removed cloud is stale: it is removed (in a kpt package, its file goes).
// Anywhere else the spec has moved: those objects are orphans, and only a
// warning, since a namespace the spec no longer names may be another team's.
func staleEmitted(src source, p plan.Plan, items []*yaml.RNode) (stale []*yaml.RNode, orphans framework.Results) {
	sa := src.spec.Spec.ServiceAccount
	planned := p.ConfigMaps
	if p.Windows != nil {
		planned = append(slices.Clone(planned), p.Windows.ConfigMaps...)
	}
	for _, item := range items {
		if emittedBy(item) != specName(src) || item.GetApiVersion() != "v1" {
			continue
		}
		sameNamespace := namespaceOf(item) == workload.EffectiveNamespace(sa.Namespace)
		switch {
		case item.GetKind() == "ConfigMap" && sameNamespace:
			if !slices.ContainsFunc(planned, func(cm plan.ConfigMap) bool { return cm.Name == item.GetName() }) {
				stale = append(stale, item)
			}
		case item.GetKind() == "ServiceAccount" && sameNamespace && item.GetName() == sa.Name:
		case item.GetKind() == "ConfigMap" || item.GetKind() == "ServiceAccount":
			orphans = append(orphans, &framework.Result{Severity: framework.Warning,
				Message: fmt.Sprintf("%s %s/%s was emitted by CrossCloudAccess %q, which now serves ServiceAccount %s/%s; delete it (in a kpt package: its file) unless something else still uses it",
					item.GetKind(), namespaceOf(item), item.GetName(), specName(src), workload.EffectiveNamespace(sa.Namespace), sa.Name),
				ResourceRef: ref(item), Field: &framework.Field{Path: "metadata.annotations.[" + EmittedByAnnotation + "]"}, File: file(item)})
		}
	}
	return stale, orphans
}

// sameData reports whether n's data is exactly the ConfigMap's.
func sameData(n *yaml.RNode, cm plan.ConfigMap) bool {
	data := n.GetDataMap()
	if len(data) != len(cm.Data) {
		return false
	}
	for _, kv := range cm.Data {
		if got, ok := data[kv.Key]; !ok || got != kv.Value {
			return false
		}
	}
	return true
}
