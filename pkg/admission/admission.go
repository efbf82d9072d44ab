// Package admission turns a spec's merged plan into admission policies that
// give Pods created at runtime (by operators, kubectl run, anything the
// function never sees) the same volumes, mounts and env as the build-time
// patch. The policies run in the API server itself: a MutatingAdmissionPolicy
// adds what is missing, never overwriting; a ValidatingAdmissionPolicy refuses
// a Pod that sets one of the plan's variables to another value, as the
// build-time conflict rule does. Like the cloud packages it returns plain Go
// values and never touches YAML nodes.
package admission

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// ValidatingAPIVersion is where ValidatingAdmissionPolicy is served: GA since
// Kubernetes 1.30, so it does not follow spec.admissionPolicy.apiVersion,
// which exists for MutatingAdmissionPolicy's beta.
const ValidatingAPIVersion = "admissionregistration.k8s.io/v1"

// Object kinds the package emits.
const (
	KindMutatingPolicy    = "MutatingAdmissionPolicy"
	KindMutatingBinding   = "MutatingAdmissionPolicyBinding"
	KindValidatingPolicy  = "ValidatingAdmissionPolicy"
	KindValidatingBinding = "ValidatingAdmissionPolicyBinding"
)

// namespaceNameLabel is set by the API server on every Namespace; a binding
// selects the ServiceAccount's namespace through it.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// Object is one cluster-scoped admission object, ready to be marshalled in
// field order.
type Object struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   Metadata `yaml:"metadata"`
	Spec       any      `yaml:"spec"`
}

// Metadata is the name of a cluster-scoped object.
type Metadata struct {
	Name string `yaml:"name"`
}

// MatchConstraints limits a policy to Pod creation.
type MatchConstraints struct {
	ResourceRules []ResourceRule `yaml:"resourceRules"`
}

// ResourceRule is one resource rule of a policy.
type ResourceRule struct {
	APIGroups   []string `yaml:"apiGroups"`
	APIVersions []string `yaml:"apiVersions"`
	Operations  []string `yaml:"operations"`
	Resources   []string `yaml:"resources"`
}

// Named is a CEL expression with a name: a match condition or a variable.
type Named struct {
	Name       string `yaml:"name"`
	Expression string `yaml:"expression"`
}

// MutatingPolicySpec is the spec of a MutatingAdmissionPolicy.
type MutatingPolicySpec struct {
	FailurePolicy      string           `yaml:"failurePolicy"`
	ReinvocationPolicy string           `yaml:"reinvocationPolicy"`
	MatchConstraints   MatchConstraints `yaml:"matchConstraints"`
	MatchConditions    []Named          `yaml:"matchConditions"`
	Variables          []Named          `yaml:"variables"`
	Mutations          []Mutation       `yaml:"mutations"`
}

// Mutation is one mutation of a MutatingAdmissionPolicy.
type Mutation struct {
	PatchType          string      `yaml:"patchType"`
	JSONPatch          *Expression `yaml:"jsonPatch,omitempty"`
	ApplyConfiguration *Expression `yaml:"applyConfiguration,omitempty"`
}

// Expression holds one CEL expression.
type Expression struct {
	Expression string `yaml:"expression"`
}

// ValidatingPolicySpec is the spec of a ValidatingAdmissionPolicy.
type ValidatingPolicySpec struct {
	FailurePolicy    string           `yaml:"failurePolicy"`
	MatchConstraints MatchConstraints `yaml:"matchConstraints"`
	MatchConditions  []Named          `yaml:"matchConditions"`
	Variables        []Named          `yaml:"variables"`
	Validations      []Validation     `yaml:"validations"`
}

// Validation is one rule of a ValidatingAdmissionPolicy.
type Validation struct {
	Expression        string `yaml:"expression"`
	Message           string `yaml:"message"`
	MessageExpression string `yaml:"messageExpression"`
}

// BindingSpec binds a policy to the ServiceAccount's namespace.
type BindingSpec struct {
	PolicyName        string         `yaml:"policyName"`
	ValidationActions []string       `yaml:"validationActions,omitempty"`
	MatchResources    MatchResources `yaml:"matchResources"`
}

// MatchResources selects the namespace by its name label.
type MatchResources struct {
	NamespaceSelector LabelSelector `yaml:"namespaceSelector"`
}

// LabelSelector is a matchLabels selector.
type LabelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

// Target is what the policies serve: one ServiceAccount, the containers the
// spec limits wiring to (none: all), and how the API server should act.
type Target struct {
	Namespace      string
	ServiceAccount string
	Containers     []string
	Policy         v1alpha1.AdmissionPolicy
}

// TargetOf reads a defaulted, valid spec with spec.admissionPolicy set.
func TargetOf(spec *v1alpha1.Spec) Target {
	t := Target{Namespace: spec.ServiceAccount.Namespace, ServiceAccount: spec.ServiceAccount.Name, Policy: *spec.AdmissionPolicy}
	if spec.Workloads != nil {
		t.Containers = spec.Workloads.Containers
	}
	return t
}

// NoPodPatchNote is the info note for a spec whose clouds all reach pods
// through their own webhook or agent: there is nothing for a policy to add.
const NoPodPatchNote = "no admission policy is emitted: no cloud of this spec is in a mode that patches pods (projected or federated); " +
	"the webhook, workload identity and pod identity modes reach Pods created at runtime through their cloud's own webhook or agent"

// ErrNameTooLong is returned when the policy name, made from the namespace
// and the ServiceAccount's name, is longer than Kubernetes allows.
var ErrNameTooLong = fmt.Errorf("the admission policy name is longer than Kubernetes' %d characters", plan.MaxObjectNameLength)

// Name is the name of all four objects: cluster-scoped, so it carries the
// namespace. A namespace has no dots, so the name is never ambiguous.
func (t Target) Name() string {
	return "cross-cloud-access." + t.Namespace + "." + t.ServiceAccount
}

// Build returns the four objects for the pod patch, or none when the patch
// adds nothing a policy could add (labels are for a cloud's own webhook,
// which runs at admission anyway).
func Build(t Target, pod plan.PodPatch) ([]Object, error) {
	if len(pod.Tokens) == 0 && len(pod.ConfigMapVolumes) == 0 && len(pod.Env) == 0 && len(pod.DefaultEnv) == 0 {
		return nil, nil
	}
	name := t.Name()
	if len(name) > plan.MaxObjectNameLength {
		return nil, fmt.Errorf("is %d characters long; the admission policies named after it (cross-cloud-access.NAMESPACE.NAME) would have %d: %w; want at most %d characters in this namespace",
			len(t.ServiceAccount), len(name), ErrNameTooLong, plan.MaxObjectNameLength-(len(name)-len(t.ServiceAccount)))
	}
	binding := MatchResources{NamespaceSelector: LabelSelector{MatchLabels: map[string]string{namespaceNameLabel: t.Namespace}}}
	return []Object{
		{APIVersion: t.Policy.APIVersion, Kind: KindMutatingPolicy, Metadata: Metadata{Name: name}, Spec: mutatingSpec(t, pod)},
		{APIVersion: t.Policy.APIVersion, Kind: KindMutatingBinding, Metadata: Metadata{Name: name},
			Spec: BindingSpec{PolicyName: name, MatchResources: binding}},
		{APIVersion: ValidatingAPIVersion, Kind: KindValidatingPolicy, Metadata: Metadata{Name: name}, Spec: validatingSpec(t, pod)},
		{APIVersion: ValidatingAPIVersion, Kind: KindValidatingBinding, Metadata: Metadata{Name: name},
			Spec: BindingSpec{PolicyName: name, ValidationActions: []string{"Deny"}, MatchResources: binding}},
	}, nil
}

// podCreation matches Pod creation only: a Pod's containers and volumes
// cannot change after it is created.
var podCreation = MatchConstraints{ResourceRules: []ResourceRule{{
	APIGroups: []string{""}, APIVersions: []string{"v1"}, Operations: []string{"CREATE"}, Resources: []string{"pods"},
}}}

// matchConditions pick the Pods the build-time patch would pick: those
// running as the ServiceAccount (the ServiceAccount admission plugin has
// already defaulted serviceAccountName), not opted out, and not Windows pods,
// whose paths differ and are wired at build time only. A Pod is a Windows
// Pod as workload.PodTemplate.RunsOnWindows reads it: spec.os.name when set,
// else the node selector on kubernetes.io/os, else on beta.kubernetes.io/os.
func matchConditions(t Target) []Named {
	return []Named{
		{Name: "runs-as-service-account", Expression: fmt.Sprintf(
			`(has(object.spec.serviceAccountName) && object.spec.serviceAccountName != "" ? object.spec.serviceAccountName : "default") == %s`,
			Quote(t.ServiceAccount))},
		{Name: "not-opted-out", Expression: fmt.Sprintf(
			`!has(object.metadata.annotations) || !(%[1]s in object.metadata.annotations) || object.metadata.annotations[%[1]s] != "false"`,
			Quote(v1alpha1.InjectAnnotation))},
		{Name: "not-windows", Expression: "!(has(object.spec.os) && has(object.spec.os.name) && object.spec.os.name != \"\" ? object.spec.os.name == \"windows\" :\n" +
			"  has(object.spec.nodeSelector) && \"kubernetes.io/os\" in object.spec.nodeSelector && object.spec.nodeSelector[\"kubernetes.io/os\"] != \"\" ? object.spec.nodeSelector[\"kubernetes.io/os\"] == \"windows\" :\n" +
			"  has(object.spec.nodeSelector) && \"beta.kubernetes.io/os\" in object.spec.nodeSelector && object.spec.nodeSelector[\"beta.kubernetes.io/os\"] == \"windows\")"},
	}
}

// skippedVariable lists the containers the Pod's skip-containers annotation
// keeps out, trimmed as the build-time reading trims them.
func skippedVariable() Named {
	return Named{Name: "skipped", Expression: fmt.Sprintf(
		`has(object.metadata.annotations) && %[1]s in object.metadata.annotations ? object.metadata.annotations[%[1]s].split(",").map(n, n.trim()) : []`,
		Quote(v1alpha1.SkipContainersAnnotation))}
}

// selected is a CEL condition on container c: not skipped, and among the
// spec's containers when it names some.
func selected(t Target) string {
	cond := "!(c.name in variables.skipped)"
	if len(t.Containers) > 0 {
		cond += " && c.name in " + quoteList(t.Containers)
	}
	return cond
}

// wiredVariable is true when the Pod has a container to wire; one whose
// containers all opted out needs no token either, as at build time.
func wiredVariable(t Target) Named {
	return Named{Name: "wired", Expression: anyContainer(selected(t))}
}

func mutatingSpec(t Target, pod plan.PodPatch) MutatingPolicySpec {
	mutations := []Mutation{}
	if volumes := volumesPatch(pod); volumes != "" {
		mutations = append(mutations, Mutation{PatchType: "JSONPatch", JSONPatch: &Expression{Expression: volumes}})
	}
	for _, list := range []string{"containers", "initContainers"} {
		mutations = append(mutations, Mutation{PatchType: "ApplyConfiguration",
			ApplyConfiguration: &Expression{Expression: containersApply(t, pod, list)}})
	}
	variables := []Named{skippedVariable(), wiredVariable(t)}
	if len(pod.Tokens) > 0 {
		variables = append(variables, expirationVariable())
	}
	if len(pod.Containers) > 0 {
		for i, g := range groups(pod) {
			variables = append(variables, Named{Name: fmt.Sprintf("identity%d", i), Expression: anyContainer(selected(t) + " && " + g.condition)})
		}
	}
	return MutatingPolicySpec{
		FailurePolicy: t.Policy.FailurePolicy,
		// Another policy or webhook may add a container after this one ran.
		ReinvocationPolicy: "IfNeeded",
		MatchConstraints:   podCreation,
		MatchConditions:    matchConditions(t),
		Variables:          variables,
		Mutations:          mutations,
	}
}

// group is a set of containers that get the same env and ConfigMap mounts:
// the spec's own identity, or one spec.containers entry's.
type group struct {
	// condition is a CEL condition on container c: whether it is in the
	// group; "" for the spec's own when no entry exists.
	condition string
	patch     plan.ContainerPatch
}

// groups are the entries' groups, then the spec's own (the containers no
// entry names); only the spec's own when there are no entries.
func groups(pod plan.PodPatch) []group {
	own := pod.Container("")
	if len(pod.Containers) == 0 {
		return []group{{patch: own}}
	}
	var out []group
	var named []string
	for _, c := range pod.Containers {
		out = append(out, group{condition: "c.name in " + quoteList(c.Names), patch: c})
		named = append(named, c.Names...)
	}
	return append(out, group{condition: "!(c.name in " + quoteList(named) + ")", patch: own})
}

// byGroup is the CEL expression that picks, for container c, the value
// of its group: "COND ? A : (COND ? B : OWN)", or OWN alone.
func byGroup(pod plan.PodPatch, value func(plan.ContainerPatch) string) string {
	gs := groups(pod)
	expr := value(gs[len(gs)-1].patch)
	for i := len(gs) - 2; i >= 0; i-- {
		expr = "(" + gs[i].condition + " ?\n        " + value(gs[i].patch) + " :\n        " + expr + ")"
	}
	return expr
}

// anyContainer is the CEL condition that some container or initContainer c
// of the Pod satisfies cond.
func anyContainer(cond string) string {
	return fmt.Sprintf("object.spec.containers.exists(c, %[1]s) || (has(object.spec.initContainers) && object.spec.initContainers.exists(c, %[1]s))", cond)
}

// expirationVariable is the Pod's own token expiration
// (v1alpha1.TokenExpirationAnnotation) in seconds, read only when written
// as the build-time reading accepts it; 0 otherwise. The string() around
// the annotation is what the API server's typed object has anyway; it keeps
// int() resolvable where the object is read dynamically.
func expirationVariable() Named {
	key := Quote(v1alpha1.TokenExpirationAnnotation)
	return Named{Name: "expiration", Expression: fmt.Sprintf(
		`has(object.metadata.annotations) && %[1]s in object.metadata.annotations && object.metadata.annotations[%[1]s].matches(%[2]s) ? int(string(object.metadata.annotations[%[1]s])) : 0`,
		key, Quote(v1alpha1.TokenExpirationPattern))}
}

// volumesPatch adds each missing volume with JSONPatch: a projected volume's
// sources are an atomic list, which an apply configuration may not set. A
// volume of the same name is left as it is, never replaced. The volumes are
// typed objects: the API server's CEL refuses map literals whose values
// differ in type. A token expires when the Pod's own annotation says, if
// every token accepts that (the validating policy refuses the Pod
// otherwise), else when the spec says. With spec.containers, a ConfigMap
// volume is added when a container that mounts it is there.
func volumesPatch(pod plan.PodPatch) string {
	lo, hi, ranged := pod.TokenRange()
	var tokens []string
	for _, tok := range pod.Tokens {
		expiration := strconv.FormatInt(tok.ExpirationSeconds, 10)
		if ranged {
			expiration = fmt.Sprintf("(variables.expiration >= %d && variables.expiration <= %d ? variables.expiration : %d)", lo, hi, tok.ExpirationSeconds)
		}
		tokens = append(tokens, fmt.Sprintf("Object.spec.volumes{name: %s, projected: Object.spec.volumes.projected{sources: [Object.spec.volumes.projected.sources{"+
			"serviceAccountToken: Object.spec.volumes.projected.sources.serviceAccountToken{audience: %s, expirationSeconds: %s, path: %s}}]}}",
			Quote(tok.VolumeName), Quote(tok.Audience), expiration, Quote(tok.Path)))
	}
	configMap := func(v plan.ConfigMapVolume) string {
		return fmt.Sprintf("Object.spec.volumes{name: %s, configMap: Object.spec.volumes.configMap{name: %s}}", Quote(v.VolumeName), Quote(v.ConfigMapName))
	}
	var configMaps, conditional []string
	if len(pod.Containers) == 0 {
		for _, v := range pod.ConfigMapVolumes {
			configMaps = append(configMaps, configMap(v))
		}
	} else {
		// Each volume once, wanted by the groups that mount it.
		var volumes []plan.ConfigMapVolume
		wanted := map[plan.ConfigMapVolume][]string{}
		for i, g := range groups(pod) {
			for _, v := range g.patch.ConfigMapVolumes {
				if _, seen := wanted[v]; !seen {
					volumes = append(volumes, v)
				}
				wanted[v] = append(wanted[v], fmt.Sprintf("variables.identity%d", i))
			}
		}
		for _, v := range volumes {
			conditional = append(conditional, fmt.Sprintf("(%s ? [%s] : [])", strings.Join(wanted[v], " || "), configMap(v)))
		}
	}
	volumes := append(tokens, configMaps...)
	if len(volumes) == 0 && len(conditional) == 0 {
		return ""
	}
	list := "[\n  " + strings.Join(volumes, ",\n  ") + "\n]"
	for _, c := range conditional {
		list += " +\n" + c
	}
	if len(conditional) > 0 {
		list = "(" + list + ")"
	}
	return "!variables.wired ? [] :\n" +
		"(has(object.spec.volumes) ? [] : [JSONPatch{op: \"add\", path: \"/spec/volumes\", value: []}]) +\n" +
		list +
		".filter(v, !has(object.spec.volumes) || !object.spec.volumes.exists(o, o.name == v.name))" +
		".map(v, JSONPatch{op: \"add\", path: \"/spec/volumes/-\", value: v})"
}

// containersApply adds env (keyed by name) and mounts (keyed by mountPath)
// to every selected container of the list, leaving out each entry the
// container already has, so a value of its own is never overwritten and a
// second invocation adds nothing. Default env is also left out where the
// container has envFrom, whose keys the API server cannot see. A container
// named in spec.containers gets its entry's env and ConfigMap mounts.
func containersApply(t Target, pod plan.PodPatch, list string) string {
	ctype := "Object.spec." + list
	item := ",\n        "
	envList := func(env []plan.KeyValue) string {
		var out []string
		for _, e := range env {
			out = append(out, fmt.Sprintf("%s.env{name: %s, value: %s}", ctype, Quote(e.Key), Quote(plan.EnvValue(e.Value))))
		}
		return "[\n        " + strings.Join(out, item) + "\n      ]"
	}
	var tokenMounts []string
	for _, tok := range pod.Tokens {
		tokenMounts = append(tokenMounts, fmt.Sprintf("%s.volumeMounts{name: %s, mountPath: %s, readOnly: true}", ctype, Quote(tok.VolumeName), Quote(tok.MountPath)))
	}
	mountList := func(c plan.ContainerPatch) string {
		mounts := slices.Clone(tokenMounts)
		for _, v := range c.ConfigMapVolumes {
			mounts = append(mounts, fmt.Sprintf("%s.volumeMounts{name: %s, mountPath: %s, readOnly: true}", ctype, Quote(v.VolumeName), Quote(v.MountPath)))
		}
		return "[\n        " + strings.Join(mounts, item) + "\n      ]"
	}
	missingEnv := ".filter(e, !has(c.env) || !c.env.exists(x, x.name == e.name))"
	envExpr := byGroup(pod, func(c plan.ContainerPatch) string { return envList(c.Env) }) + missingEnv
	if slices.ContainsFunc(groups(pod), func(g group) bool { return len(g.patch.DefaultEnv) > 0 }) {
		envExpr += " +\n      (has(c.envFrom) ? [] : " + byGroup(pod, func(c plan.ContainerPatch) string { return envList(c.DefaultEnv) }) + missingEnv + ")"
	}
	mountsExpr := byGroup(pod, mountList) +
		".filter(m, !has(c.volumeMounts) || !c.volumeMounts.exists(x, x.mountPath == m.mountPath || x.name == m.name))"
	return fmt.Sprintf("Object{spec: Object.spec{%[1]s: (variables.wired && has(object.spec.%[1]s) ? object.spec.%[1]s : [])\n"+
		"  .filter(c, %[2]s)\n"+
		"  .map(c, %[3]s{\n"+
		"    name: c.name,\n"+
		"    env: %[4]s,\n"+
		"    volumeMounts: %[5]s\n"+
		"  })}}",
		list, selected(t), ctype, envExpr, mountsExpr)
}

func validatingSpec(t Target, pod plan.PodPatch) ValidatingPolicySpec {
	// An opted-out Pod may set the variables as it likes; its annotation
	// must still be one the build-time reading accepts.
	conditions := matchConditions(t)
	variables := []Named{{Name: "injected", Expression: conditions[1].Expression}, skippedVariable(), expirationVariable()}
	var validations []Validation
	subject := t.Namespace + "/" + t.ServiceAccount
	n := 0
	for _, g := range groups(pod) {
		in := selected(t)
		if g.condition != "" {
			in += " && " + g.condition
		}
		for _, e := range g.patch.Env {
			name := fmt.Sprintf("conflicts%d", n)
			n++
			value := plan.EnvValue(e.Value)
			// The names of the selected containers that set the variable
			// to anything else, including through valueFrom.
			sets := fmt.Sprintf("filter(c, %s && has(c.env) && c.env.exists(e, e.name == %s && (!has(e.value) || e.value != %s))).map(c, c.name)",
				in, Quote(e.Key), Quote(value))
			variables = append(variables, Named{Name: name, Expression: fmt.Sprintf(
				"!variables.injected ? [] : object.spec.containers.%[1]s + (has(object.spec.initContainers) ? object.spec.initContainers.%[1]s : [])", sets)})
			why := fmt.Sprintf(" sets %s to another value, want %q (cross-cloud-access wires ServiceAccount %s): remove that env entry or set it to %q",
				e.Key, value, subject, value)
			validations = append(validations, Validation{
				Expression:        fmt.Sprintf("size(variables.%s) == 0", name),
				Message:           "a container" + why,
				MessageExpression: fmt.Sprintf(`"container " + variables.%s.join(", ") + %s`, name, Quote(why)),
			})
		}
	}
	for i, c := range pod.StaticCredentials {
		name := fmt.Sprintf("static%d", i)
		// The names of the selected containers that set the credential in
		// env: to a value that is not empty, or from valueFrom. envFrom's
		// keys are out of the API server's sight.
		sets := fmt.Sprintf(`filter(c, %s && has(c.env) && c.env.exists(e, e.name == %s && (has(e.valueFrom) || has(e.value) && e.value != ""))).map(c, c.name)`,
			selected(t), Quote(c.Name))
		variables = append(variables, Named{Name: name, Expression: fmt.Sprintf(
			"!variables.injected ? [] : object.spec.containers.%[1]s + (has(object.spec.initContainers) ? object.spec.initContainers.%[1]s : [])", sets)})
		why := fmt.Sprintf(" sets %s in env: %s; remove the entry (cross-cloud-access wires ServiceAccount %s)", c.Name, c.Explain(), subject)
		validations = append(validations, Validation{
			Expression:        fmt.Sprintf("size(variables.%s) == 0", name),
			Message:           "a container" + why,
			MessageExpression: fmt.Sprintf(`"container " + variables.%s.join(", ") + %s`, name, Quote(why)),
		})
	}
	inject := Quote(v1alpha1.InjectAnnotation)
	validations = append(validations, Validation{
		Expression: fmt.Sprintf(`!has(object.metadata.annotations) || !(%[1]s in object.metadata.annotations) || object.metadata.annotations[%[1]s] in ["true", "false"]`, inject),
		Message:    fmt.Sprintf("annotation %s must be \"true\" or \"false\"", v1alpha1.InjectAnnotation),
		MessageExpression: fmt.Sprintf(`%s + object.metadata.annotations[%s] + %s`,
			Quote("annotation "+v1alpha1.InjectAnnotation+" is \""), inject, Quote("\"; want \"true\" or \"false\"")),
	})
	validations = append(validations, tokenExpirationValidation(pod))
	return ValidatingPolicySpec{
		FailurePolicy:    t.Policy.FailurePolicy,
		MatchConstraints: podCreation,
		MatchConditions:  []Named{conditions[0], conditions[2]},
		Variables:        variables,
		Validations:      validations,
	}
}

// tokenExpirationValidation refuses a Pod whose own token expiration
// (v1alpha1.TokenExpirationAnnotation, in variables.expiration) the
// build-time reading would refuse:
// not written as a whole number of seconds, or, when the Pod is wired, out
// of the range every token accepts (or for a token the function does not
// project), as plan.PodPatch.WithTokenExpiration says.
func tokenExpirationValidation(pod plan.PodPatch) Validation {
	key := Quote(v1alpha1.TokenExpirationAnnotation)
	value := "object.metadata.annotations[" + key + "]"
	absent := `!has(object.metadata.annotations) || !(` + key + ` in object.metadata.annotations)`
	readable := value + ".matches(" + Quote(v1alpha1.TokenExpirationPattern) + ")"
	accepted, want := "!variables.injected", "nothing while the Pod is wired: "
	if lo, hi, ok := pod.TokenRange(); ok {
		accepted = fmt.Sprintf("!variables.injected || (variables.expiration >= %d && variables.expiration <= %d)", lo, hi)
		want = fmt.Sprintf("%d to %d seconds, which every token of the Pod accepts", lo, hi)
	} else {
		var elsewhere []string
		for _, l := range pod.TokenLimits {
			if l.Elsewhere != "" {
				elsewhere = append(elsewhere, "the "+l.Target+" token is not the function's to set: "+l.Elsewhere)
			}
		}
		want += strings.Join(elsewhere, "; ")
	}
	return Validation{
		Expression:        fmt.Sprintf("%s || (%s && (%s))", absent, readable, accepted),
		Message:           fmt.Sprintf("annotation %s must be a whole number of seconds; want %s", v1alpha1.TokenExpirationAnnotation, want),
		MessageExpression: fmt.Sprintf(`%s + %s + %s`, Quote("annotation "+v1alpha1.TokenExpirationAnnotation+" is \""), value, Quote("\"; want "+want)),
	}
}
