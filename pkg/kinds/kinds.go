// Package kinds is the one table of object kinds that carry pod templates,
// keyed by API group and kind, with where each keeps its templates. The spec's
// validation checks spec.workloads.selector.kinds against it, pkg/workload
// finds templates with it, and the tests generate and decode workloads from
// it: a new kind is one row here.
//
// Kinds are keyed by group, not by kind alone: Knative's Service is not the
// core Service, and OpenKruise's StatefulSet is not apps/v1's.
package kinds

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is one kind of object with pod templates.
type Kind struct {
	// Group is the API group; "" is the core group.
	Group string
	// Versions are the API versions read; a template path can differ
	// between versions, so an unlisted version is not guessed at. Empty
	// means every version, for kinds a user declares by group.
	Versions []string
	Kind     string
	// Paths are where the pod templates are (see Path for the grammar).
	Paths []Path
}

// APIVersions lists the apiVersion values (group/version, or version for the
// core group) the row reads.
func (k Kind) APIVersions() []string {
	out := make([]string, len(k.Versions))
	for i, v := range k.Versions {
		out[i] = apiVersion(k.Group, v)
	}
	return out
}

// String is the kind as a selector writes it: Kind for the core group, else
// Kind.group.
func (k Kind) String() string {
	if k.Group == "" {
		return k.Kind
	}
	return k.Kind + "." + k.Group
}

// Selects reports whether a selector entry, "Kind" or "Kind.group", names
// this kind. A bare Kind names that kind in every group of the table.
func (k Kind) Selects(entry string) bool {
	kind, group, grouped := strings.Cut(entry, ".")
	if kind != k.Kind {
		return false
	}
	return !grouped || group == k.Group
}

func apiVersion(group, version string) string {
	if group == "" {
		return version
	}
	return group + "/" + version
}

// Table is a list of kinds; a lookup is a scan, which beats a map at this size.
type Table []Kind

// Kubernetes are Kubernetes' own workload kinds: every one has Go types in
// k8s.io/api, which the tests decode the function's output into.
var Kubernetes = Table{
	{Group: "", Versions: []string{"v1"}, Kind: "Pod", Paths: []Path{Root}},
	{Group: "apps", Versions: []string{"v1"}, Kind: "Deployment", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "apps", Versions: []string{"v1"}, Kind: "StatefulSet", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "apps", Versions: []string{"v1"}, Kind: "DaemonSet", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "apps", Versions: []string{"v1"}, Kind: "ReplicaSet", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "batch", Versions: []string{"v1"}, Kind: "Job", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "batch", Versions: []string{"v1"}, Kind: "CronJob", Paths: []Path{MustParsePath("spec.jobTemplate.spec.template")}},
	{Group: "", Versions: []string{"v1"}, Kind: "PodTemplate", Paths: []Path{MustParsePath("template")}},
}

// CustomResources are widely used operators' kinds with pod templates. Each
// row cites the CRD or Go types its paths were checked against. A "?" marks
// a template the kind may leave out (then the object has none there).
var CustomResources = Table{
	// Argo Rollouts, pkg/apis/rollouts/v1alpha1 RolloutSpec.Template; absent
	// when the Rollout points at a Deployment with spec.workloadRef.
	{Group: "argoproj.io", Versions: []string{"v1alpha1"}, Kind: "Rollout", Paths: []Path{MustParsePath("spec.template?")}},
	// KEDA, apis/keda/v1alpha1 ScaledJobSpec.JobTargetRef (a batch/v1 JobSpec).
	{Group: "keda.sh", Versions: []string{"v1alpha1"}, Kind: "ScaledJob", Paths: []Path{MustParsePath("spec.jobTargetRef.template")}},
	// JobSet, api/jobset/v1alpha2 ReplicatedJob.Template (a batch/v1 JobTemplateSpec).
	{Group: "jobset.x-k8s.io", Versions: []string{"v1alpha2"}, Kind: "JobSet", Paths: []Path{MustParsePath("spec.replicatedJobs[*].template.spec.template")}},
	// Kubeflow training-operator, pkg/apis/kubeflow.org/v1 ReplicaSpec.Template
	// under each job's map of replica types (Master, Worker, Chief, PS, Launcher...).
	{Group: "kubeflow.org", Versions: []string{"v1"}, Kind: "PyTorchJob", Paths: []Path{MustParsePath("spec.pytorchReplicaSpecs.*.template")}},
	{Group: "kubeflow.org", Versions: []string{"v1"}, Kind: "TFJob", Paths: []Path{MustParsePath("spec.tfReplicaSpecs.*.template")}},
	// MPIJob: training-operator kubeflow.org/v1, and mpi-operator kubeflow.org/v2beta1.
	{Group: "kubeflow.org", Versions: []string{"v1", "v2beta1"}, Kind: "MPIJob", Paths: []Path{MustParsePath("spec.mpiReplicaSpecs.*.template")}},
	// KubeRay, ray-operator/apis/ray/v1 RayClusterSpec: the head group and
	// every worker group; RayJob embeds one (absent with clusterSelector),
	// RayService too.
	{Group: "ray.io", Versions: []string{"v1"}, Kind: "RayCluster", Paths: []Path{
		MustParsePath("spec.headGroupSpec.template"), MustParsePath("spec.workerGroupSpecs[*].template")}},
	{Group: "ray.io", Versions: []string{"v1"}, Kind: "RayJob", Paths: []Path{
		MustParsePath("spec.rayClusterSpec?.headGroupSpec.template"), MustParsePath("spec.rayClusterSpec?.workerGroupSpecs[*].template")}},
	{Group: "ray.io", Versions: []string{"v1"}, Kind: "RayService", Paths: []Path{
		MustParsePath("spec.rayClusterConfig.headGroupSpec.template"), MustParsePath("spec.rayClusterConfig.workerGroupSpecs[*].template")}},
	// OpenKruise, apis/apps: CloneSet and Advanced DaemonSet (v1alpha1),
	// Advanced StatefulSet (v1beta1, and the older v1alpha1).
	{Group: "apps.kruise.io", Versions: []string{"v1alpha1"}, Kind: "CloneSet", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "apps.kruise.io", Versions: []string{"v1beta1", "v1alpha1"}, Kind: "StatefulSet", Paths: []Path{MustParsePath("spec.template")}},
	{Group: "apps.kruise.io", Versions: []string{"v1alpha1"}, Kind: "DaemonSet", Paths: []Path{MustParsePath("spec.template")}},
	// Flink Kubernetes operator, api/v1beta1 FlinkDeploymentSpec.PodTemplate and
	// the JobManager's and TaskManager's own (each a whole Pod, all optional).
	{Group: "flink.apache.org", Versions: []string{"v1beta1"}, Kind: "FlinkDeployment", Paths: []Path{
		MustParsePath("spec.podTemplate?"), MustParsePath("spec.jobManager?.podTemplate?"), MustParsePath("spec.taskManager?.podTemplate?")}},
}

// Builtin are the kinds the function knows without being told.
var Builtin = append(slices.Clone(Kubernetes), CustomResources...)

// Lookup finds the row for an object's apiVersion and kind.
func (t Table) Lookup(apiVersion, kind string) (Kind, bool) {
	for _, k := range t {
		if k.Kind == kind && k.reads(apiVersion) {
			return k, true
		}
	}
	return Kind{}, false
}

// reads reports whether the row reads objects of apiVersion. It runs for
// every item and row, so it compares without building strings.
func (k Kind) reads(apiVersion string) bool {
	group, version, grouped := strings.Cut(apiVersion, "/")
	if !grouped {
		group, version = "", group
	}
	if group != k.Group {
		return false
	}
	return len(k.Versions) == 0 && grouped || slices.Contains(k.Versions, version)
}

// With is the table with more rows after its own; a lookup finds the first
// row that matches, so the table's own rows win.
func (t Table) With(more ...Kind) Table {
	return append(slices.Clone(t), more...)
}

// Selects reports whether a selector entry names at least one kind of the
// table.
func (t Table) Selects(entry string) bool {
	return slices.ContainsFunc(t, func(k Kind) bool { return k.Selects(entry) })
}

// Names lists the kind names of the table once each, in table order, for
// messages.
func (t Table) Names() []string {
	var out []string
	for _, k := range t {
		if !slices.Contains(out, k.Kind) {
			out = append(out, k.Kind)
		}
	}
	return out
}

// Path is where pod templates sit in an object, from its root: field names
// joined by ".", with "[*]" after a field for every element of a list, "*"
// for every value of a map, and "?" after a field the object may leave out
// (then it has no template there), e.g. spec.template,
// spec.replicatedJobs[*].template.spec.template,
// spec.pytorchReplicaSpecs.*.template. The empty path is the object itself
// (a Pod is its own template).
type Path struct {
	steps []Step
	text  string
}

// Step is one step of a Path.
type Step struct {
	// Field is the map key to descend into; "" for the wildcards.
	Field string
	// EachElement descends into every element of a list.
	EachElement bool
	// EachValue descends into every value of a map.
	EachValue bool
	// Optional says the field may be absent: then there is no template
	// below it, rather than a malformed object.
	Optional bool
}

// Root is the path of an object that is its own pod template.
var Root = Path{}

// ParsePath reads a path in the grammar of Path.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return Root, nil
	}
	var steps []Step
	for i, part := range strings.Split(s, ".") {
		switch {
		case part == "*":
			if i == 0 {
				return Path{}, fmt.Errorf("path %q starts with *; want a field name first, e.g. spec.replicaSpecs.*.template", s)
			}
			steps = append(steps, Step{EachValue: true})
		case strings.HasSuffix(part, "[*]"):
			field := strings.TrimSuffix(part, "[*]")
			if !isFieldName(field) {
				return Path{}, fmt.Errorf("path %q: %q is not a field name followed by [*]", s, part)
			}
			steps = append(steps, Step{Field: field}, Step{EachElement: true})
		case isFieldName(part):
			steps = append(steps, Step{Field: part})
		case strings.HasSuffix(part, "?") && isFieldName(strings.TrimSuffix(part, "?")):
			steps = append(steps, Step{Field: strings.TrimSuffix(part, "?"), Optional: true})
		default:
			return Path{}, fmt.Errorf("path %q: %q is not a field name; want letters, digits and _ joined by '.', with [*] for every list element, * for every map value and ? after an optional field", s, part)
		}
	}
	return Path{steps: steps, text: s}, nil
}

// MustParsePath is ParsePath for the table's own rows.
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

// Steps are the path's steps in order.
func (p Path) Steps() []Step { return slices.Clone(p.steps) }

// String is the path as written.
func (p Path) String() string { return p.text }

// Fixed reports whether the path has no wildcard: it names at most one
// template.
func (p Path) Fixed() bool {
	return !slices.ContainsFunc(p.steps, func(s Step) bool { return s.Field == "" })
}

// Fields are the field names of a fixed path (nil for Root).
func (p Path) Fields() []string {
	var out []string
	for _, s := range p.steps {
		out = append(out, s.Field)
	}
	return out
}

func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
