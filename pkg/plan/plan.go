// Package plan holds the plain values that sit between a validated spec and the
// YAML edits: what each cloud target needs on the ServiceAccount, which objects
// it adds, and what it needs in every selected pod template. Nothing here
// touches YAML nodes, so every target's plan can be compared in unit tests.
package plan

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Target is what one cloud needs for one ServiceAccount.
type Target struct {
	// Name identifies the cloud ("aws", "gcp", "azure") in messages.
	Name string
	// ServiceAccountAnnotations are set on the ServiceAccount.
	ServiceAccountAnnotations []KeyValue
	// ConfigMaps are emitted beside the ServiceAccount, in its namespace.
	ConfigMaps []ConfigMap
	// Pod is applied to every selected pod template; empty for webhook modes.
	Pod PodPatch
	// ExclusiveAnnotations are ServiceAccount annotation keys that must not
	// be there: they would give the same cloud a second, competing path.
	ExclusiveAnnotations []string
	// Notes tell the user what the output cannot show, e.g. that a mode
	// writes nothing and what to do in the cloud instead.
	Notes []string
	// Warnings are what will likely fail at run time although the spec is
	// valid, each about one field of the cloud's part of the spec.
	Warnings []Warning
	// Windows is how the target differs for pods on Windows nodes, whose
	// containers see files at C:\ paths; nil when it does not differ.
	Windows *Windows
}

// Warning is a problem of the output at run time, about the field of the
// cloud's part of the spec that fixes it ("region" for spec.aws.region).
type Warning struct {
	Field   string
	Message string
}

// Windows is the part of a plan for pod templates that run on Windows.
type Windows struct {
	// ConfigMaps are emitted only when a Windows pod template uses them:
	// their content names Windows paths.
	ConfigMaps []ConfigMap
	// Pod replaces the Linux pod patch on Windows pod templates.
	Pod PodPatch
}

// WindowsPath is a path in a Linux container as a Windows container sees
// the same mount: the kubelet mounts volumes under C:\ at the same path.
func WindowsPath(p string) string { return "C:" + strings.ReplaceAll(p, "/", `\`) }

// KeyValue is one ordered entry of a string map; order is kept so output is
// stable and reads in a sensible order.
type KeyValue struct {
	Key   string
	Value string
}

// Sorted is m as KeyValues in key order, so that output is stable.
func Sorted(m map[string]string) []KeyValue {
	var out []KeyValue
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, KeyValue{Key: k, Value: m[k]})
	}
	return out
}

// EnvValue is value as written in a container's env entry, so that the
// container sees value itself. The kubelet expands $(NAME) in env values
// from the variables before it and reads $$ as $ (Kubernetes'
// third_party/forked/golang/expansion), so every $ that starts "$(" or "$$"
// is doubled: an IAM role path may hold "$(AWS_REGION)", which would
// otherwise become the region. A $ before anything else stays as it is.
func EnvValue(value string) string {
	if !strings.Contains(value, "$") {
		return value
	}
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		b.WriteByte(value[i])
		if value[i] == '$' && i+1 < len(value) && (value[i+1] == '(' || value[i+1] == '$') {
			b.WriteByte('$')
		}
	}
	return b.String()
}

// ConfigMap is a ConfigMap the target emits.
type ConfigMap struct {
	Name string
	Data []KeyValue
}

// PodPatch is everything a target adds to a pod template.
type PodPatch struct {
	// Labels are set on the pod template's metadata.
	Labels []KeyValue
	// Tokens are projected service account token volumes, one per audience.
	Tokens []ProjectedToken
	// ConfigMapVolumes mount a ConfigMap into every selected container.
	ConfigMapVolumes []ConfigMapVolume
	// Env is set on every selected container.
	Env []KeyValue
	// DefaultEnv is set on every selected container that does not set the
	// variable itself (in env or through envFrom): a default, never a
	// conflict, as the clouds' webhooks treat such variables.
	DefaultEnv []KeyValue
	// StaticCredentials are variables that no wired container may set (in
	// env or through envFrom): the cloud's SDKs would use them before the
	// keyless credentials, so the migration would look done while old keys
	// are still used. They are checked only where the patch applies.
	StaticCredentials []StaticCredential
	// CredentialFiles are variables of Env that name a credential file.
	// Pointed at another file, each is a conflict like any variable of
	// Env; the conflict also says when that file is a static key.
	CredentialFiles []string
	// HostNetworkUnsupported says why a pod on the host network
	// (hostNetwork: true) would not get these credentials; "" when it
	// would. Such a template is refused unless it opts out.
	HostNetworkUnsupported string
	// Containers are the containers with an identity of their own
	// (spec.containers): each gets its ContainerPatch's env and ConfigMap
	// mounts in place of Env, DefaultEnv and ConfigMapVolumes (containers.go).
	Containers []ContainerPatch
	// TokenLimits bound a pod template's own token expiration
	// (TokenExpirationAnnotation), one per target whose token the pod gets
	// (tokens.go).
	TokenLimits []TokenLimit
}

// StaticCredential is a variable that makes the SDKs' default credential
// chains pick another credential before the keyless one.
type StaticCredential struct {
	Name string
	// What the variable is, for the message: "an access key".
	What string
	// Why it wins, naming the SDKs and their documented chain order.
	Why string
}

// Explain says what the credential is and why it would be used instead of
// the keyless one, for the build-time conflict and the admission policy's
// refusal alike.
func (c StaticCredential) Explain() string {
	return fmt.Sprintf("%s, which %s: the pod would keep using it instead of the keyless credentials", c.What, c.Why)
}

// IsEmpty reports whether the patch changes nothing.
func (p PodPatch) IsEmpty() bool {
	return len(p.Labels) == 0 && len(p.Tokens) == 0 && len(p.ConfigMapVolumes) == 0 && len(p.Env) == 0 && len(p.DefaultEnv) == 0
}

// ProjectedToken is a projected volume with one serviceAccountToken source,
// mounted read-only at MountPath in every selected container. The token file is
// MountPath + "/" + Path.
type ProjectedToken struct {
	VolumeName        string
	MountPath         string
	Path              string
	Audience          string
	ExpirationSeconds int64
}

// TokenLocation is where a cloud's token goes in the pod: its volume's name
// and mount path, and the file name in it. Each cloud uses the paths of its
// own webhook, so tooling written for that cloud finds the token.
type TokenLocation struct {
	VolumeName string
	MountPath  string
	Path       string
}

// For is the projected token at this location for an audience.
func (l TokenLocation) For(audience string, expirationSeconds int64) ProjectedToken {
	return ProjectedToken{VolumeName: l.VolumeName, MountPath: l.MountPath, Path: l.Path, Audience: audience, ExpirationSeconds: expirationSeconds}
}

// File is the path of the token file inside the container.
func (t ProjectedToken) File() string { return t.MountPath + "/" + t.Path }

// ConfigMapVolume is a ConfigMap volume mounted read-only at MountPath.
type ConfigMapVolume struct {
	VolumeName    string
	ConfigMapName string
	MountPath     string
}

// Plan is what one spec needs, all its clouds together.
type Plan struct {
	// ServiceAccountAnnotations are every target's, in target order.
	ServiceAccountAnnotations []KeyValue
	// ConfigMaps are emitted beside the ServiceAccount.
	ConfigMaps []ConfigMap
	// Pod is every target's pod patch, in target order.
	Pod PodPatch
	// ObjectLabels and ObjectAnnotations go on the ServiceAccount and the
	// ConfigMaps (spec.serviceAccount.labels and annotations), in key order.
	ObjectLabels      []KeyValue
	ObjectAnnotations []KeyValue
	// ExclusiveAnnotations and Notes are every target's.
	ExclusiveAnnotations []string
	Notes                []string
	// Windows is every target's Windows part (its Linux part where it has
	// none); nil when no target differs on Windows. WindowsErr is a
	// Windows ConfigMap name Kubernetes would refuse: an error only when a
	// Windows pod template needs it.
	Windows    *Windows
	WindowsErr error
}

// MaxObjectNameLength is the longest name Kubernetes accepts for a ConfigMap
// (a DNS-1123 subdomain).
const MaxObjectNameLength = 253

// Merge joins the targets' plans in order. It refuses a ConfigMap whose name,
// made from the ServiceAccount's, the API server would refuse at apply time.
func Merge(serviceAccount string, targets []Target) (Plan, error) {
	var p Plan
	var errs []error
	for _, t := range targets {
		p.ServiceAccountAnnotations = append(p.ServiceAccountAnnotations, t.ServiceAccountAnnotations...)
		p.ExclusiveAnnotations = append(p.ExclusiveAnnotations, t.ExclusiveAnnotations...)
		p.Notes = append(p.Notes, t.Notes...)
		for _, cm := range t.ConfigMaps {
			if len(cm.Name) > MaxObjectNameLength {
				errs = append(errs, &NameTooLong{Target: t.Name, ServiceAccount: serviceAccount, Name: cm.Name})
				continue
			}
			p.ConfigMaps = append(p.ConfigMaps, cm)
		}
		p.Pod = p.Pod.join(t.Pod)
	}
	for _, t := range targets {
		if t.Windows != nil {
			p.Windows = &Windows{}
			break
		}
	}
	if p.Windows != nil {
		var windowsErrs []error
		for _, t := range targets {
			w := Windows{Pod: t.Pod}
			if t.Windows != nil {
				w = *t.Windows
			}
			for _, cm := range w.ConfigMaps {
				if len(cm.Name) > MaxObjectNameLength {
					windowsErrs = append(windowsErrs, &NameTooLong{Target: t.Name, ServiceAccount: serviceAccount, Name: cm.Name})
					continue
				}
				p.Windows.ConfigMaps = append(p.Windows.ConfigMaps, cm)
			}
			p.Windows.Pod = p.Windows.Pod.join(w.Pod)
		}
		p.WindowsErr = errors.Join(windowsErrs...)
	}
	return p, errors.Join(errs...)
}

// join is p followed by q.
func (p PodPatch) join(q PodPatch) PodPatch {
	return PodPatch{
		Labels:                 append(slices.Clone(p.Labels), q.Labels...),
		Tokens:                 append(slices.Clone(p.Tokens), q.Tokens...),
		ConfigMapVolumes:       append(slices.Clone(p.ConfigMapVolumes), q.ConfigMapVolumes...),
		Env:                    append(slices.Clone(p.Env), q.Env...),
		DefaultEnv:             append(slices.Clone(p.DefaultEnv), q.DefaultEnv...),
		StaticCredentials:      append(slices.Clone(p.StaticCredentials), q.StaticCredentials...),
		CredentialFiles:        append(slices.Clone(p.CredentialFiles), q.CredentialFiles...),
		TokenLimits:            append(slices.Clone(p.TokenLimits), q.TokenLimits...),
		HostNetworkUnsupported: joinReasons(p.HostNetworkUnsupported, q.HostNetworkUnsupported),
	}
}

// joinReasons joins two targets' reasons, either of which may be "".
func joinReasons(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// NameTooLong is a ConfigMap name, made from the ServiceAccount's name, that
// is longer than Kubernetes allows.
type NameTooLong struct {
	Target, ServiceAccount, Name string
}

// Error says how long the ServiceAccount name may be.
func (e *NameTooLong) Error() string {
	return fmt.Sprintf("is %d characters long; the %s ConfigMap named after it would have %d, over Kubernetes' %d: want at most %d",
		len(e.ServiceAccount), e.Target, len(e.Name), MaxObjectNameLength, MaxObjectNameLength-(len(e.Name)-len(e.ServiceAccount)))
}

// ServiceAccountStep is what happens to the spec's ServiceAccount.
type ServiceAccountStep int

// The steps: annotate the one in the input, emit a new one, or leave it.
const (
	AnnotateExisting ServiceAccountStep = iota
	EmitNew
	LeaveAlone
)

// ServiceAccount decides the step for the ServiceAccount: one in the input is
// annotated (and labelled) in place, never duplicated; a missing one is
// emitted when create is set. A missing one that create: false forbids
// emitting is an error only when the plan has annotations or labels to put
// on it.
func (p Plan) ServiceAccount(namespace, name string, inInput, create bool) (ServiceAccountStep, error) {
	switch {
	case inInput:
		return AnnotateExisting, nil
	case create:
		return EmitNew, nil
	case len(p.ServiceAccountAnnotations)+len(p.ObjectAnnotations)+len(p.ObjectLabels) > 0:
		var keys []string
		for _, a := range slices.Concat(p.ServiceAccountAnnotations, p.ObjectAnnotations) {
			keys = append(keys, a.Key)
		}
		what := fmt.Sprintf("its annotations (%s)", strings.Join(keys, ", "))
		if len(p.ObjectLabels) > 0 {
			var labels []string
			for _, l := range p.ObjectLabels {
				labels = append(labels, l.Key)
			}
			what = fmt.Sprintf("its labels (%s)", strings.Join(labels, ", "))
			if len(keys) > 0 {
				what = fmt.Sprintf("its annotations (%s) and labels (%s)", strings.Join(keys, ", "), strings.Join(labels, ", "))
			}
		}
		return LeaveAlone, fmt.Errorf("is false and ServiceAccount %s/%s is not among the input, so %s cannot be set; set create: true or add the ServiceAccount to the input",
			namespace, name, what)
	}
	return LeaveAlone, nil
}
