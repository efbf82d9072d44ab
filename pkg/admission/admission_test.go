package admission

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/workload"
)

// celEnv is close enough to the API server's for the expressions that do
// not construct typed objects: object and variables are dynamic, and the
// strings extension (split, trim, join) is there as Kubernetes enables it.
func celEnv(t *testing.T) *cel.Env {
	t.Helper()
	env, err := cel.NewEnv(
		cel.Variable("object", cel.DynType),
		cel.Variable("variables", cel.MapType(cel.StringType, cel.DynType)),
		ext.Strings(),
	)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func eval(t *testing.T, env *cel.Env, expr string, vars map[string]any) ref.Val {
	t.Helper()
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		t.Fatalf("compiling %s: %v", expr, iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := prg.Eval(vars)
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return out
}

var awsPatch = plan.PodPatch{
	Tokens: []plan.ProjectedToken{{VolumeName: "aws-iam-token", MountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount", Path: "token", Audience: "sts.amazonaws.com", ExpirationSeconds: 86400}},
	Env: []plan.KeyValue{
		{Key: "AWS_ROLE_ARN", Value: "arn:aws:iam::111122223333:role/x"},
		{Key: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
	},
}

var gcpPatch = plan.PodPatch{
	Tokens:           []plan.ProjectedToken{{VolumeName: "gcp-iam-token", MountPath: "/var/run/secrets/gcp", Path: "token", Audience: "https://iam", ExpirationSeconds: 3600}},
	ConfigMapVolumes: []plan.ConfigMapVolume{{VolumeName: "gcp-credential-configuration", ConfigMapName: "app-gcp-credentials", MountPath: "/etc/gcp"}},
	Env:              []plan.KeyValue{{Key: "GOOGLE_APPLICATION_CREDENTIALS", Value: "/etc/gcp/credential-configuration.json"}},
	DefaultEnv:       []plan.KeyValue{{Key: "CLOUDSDK_CORE_PROJECT", Value: "my-project"}},
}

func target(containers ...string) Target {
	return Target{Namespace: "team", ServiceAccount: "app", Containers: containers,
		Policy: v1alpha1.AdmissionPolicy{APIVersion: v1alpha1.AdmissionV1, FailurePolicy: v1alpha1.FailurePolicyFail}}
}

func TestBuildEmitsNothingForAPatchWithoutVolumesOrEnv(t *testing.T) {
	webhookOnly := plan.PodPatch{Labels: []plan.KeyValue{{Key: "azure.workload.identity/use", Value: "true"}}}
	for name, pod := range map[string]plan.PodPatch{"empty": {}, "labels only (azure webhook)": webhookOnly} {
		objects, err := Build(target(), pod)
		if err != nil || objects != nil {
			t.Errorf("%s: Build = %v, %v; want nothing", name, objects, err)
		}
	}
}

func TestBuildEmitsBothPoliciesAndTheirBindingsForTheNamespace(t *testing.T) {
	objects, err := Build(target(), awsPatch)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ apiVersion, kind string }{
		{v1alpha1.AdmissionV1, KindMutatingPolicy}, {v1alpha1.AdmissionV1, KindMutatingBinding},
		{ValidatingAPIVersion, KindValidatingPolicy}, {ValidatingAPIVersion, KindValidatingBinding},
	}
	if len(objects) != len(want) {
		t.Fatalf("Build = %d objects, want %d", len(objects), len(want))
	}
	for i, w := range want {
		o := objects[i]
		if o.APIVersion != w.apiVersion || o.Kind != w.kind || o.Metadata.Name != "cross-cloud-access.team.app" {
			t.Errorf("object %d = %s %s %s, want %s %s cross-cloud-access.team.app", i, o.APIVersion, o.Kind, o.Metadata.Name, w.apiVersion, w.kind)
		}
		if b, ok := o.Spec.(BindingSpec); ok {
			if b.PolicyName != o.Metadata.Name || b.MatchResources.NamespaceSelector.MatchLabels[namespaceNameLabel] != "team" {
				t.Errorf("%s binds %q in %v, want its policy in namespace team", o.Kind, b.PolicyName, b.MatchResources)
			}
		}
	}
	m := objects[0].Spec.(MutatingPolicySpec)
	if m.ReinvocationPolicy != "IfNeeded" || m.FailurePolicy != "Fail" {
		t.Errorf("mutating policy reinvocation %q failure %q, want IfNeeded and Fail", m.ReinvocationPolicy, m.FailurePolicy)
	}
	if got := objects[3].Spec.(BindingSpec).ValidationActions; len(got) != 1 || got[0] != "Deny" {
		t.Errorf("validating binding actions = %v, want [Deny]", got)
	}
}

func TestBuildFollowsTheRequestedAPIVersionForTheMutatingPolicyOnly(t *testing.T) {
	tg := target()
	tg.Policy = v1alpha1.AdmissionPolicy{APIVersion: v1alpha1.AdmissionV1beta1, FailurePolicy: v1alpha1.FailurePolicyIgnore}
	objects, err := Build(tg, awsPatch)
	if err != nil {
		t.Fatal(err)
	}
	if objects[0].APIVersion != v1alpha1.AdmissionV1beta1 || objects[1].APIVersion != v1alpha1.AdmissionV1beta1 {
		t.Errorf("mutating objects at %s and %s, want v1beta1", objects[0].APIVersion, objects[1].APIVersion)
	}
	if objects[2].APIVersion != ValidatingAPIVersion {
		t.Errorf("validating policy at %s, want %s (GA since 1.30)", objects[2].APIVersion, ValidatingAPIVersion)
	}
	if objects[0].Spec.(MutatingPolicySpec).FailurePolicy != "Ignore" || objects[2].Spec.(ValidatingPolicySpec).FailurePolicy != "Ignore" {
		t.Error("failurePolicy Ignore did not reach both policies")
	}
}

func TestBuildRefusesANameKubernetesWouldRefuse(t *testing.T) {
	tg := target()
	tg.ServiceAccount = strings.Repeat("a", 240)
	_, err := Build(tg, awsPatch)
	if !errors.Is(err, ErrNameTooLong) || !strings.Contains(err.Error(), "want at most 229") {
		t.Errorf("Build = %v, want ErrNameTooLong saying 229", err)
	}
}

// Every expression must at least parse as CEL; the typed constructions
// (Object{...}, JSONPatch{...}) are checked by the API server in e2e.
func TestEveryExpressionParses(t *testing.T) {
	env := celEnv(t)
	hostile := target("app", "side\"car")
	hostile.ServiceAccount = "a\\b\"c\nd\u2028e"
	patch := gcpPatch
	patch.Env = append(patch.Env, plan.KeyValue{Key: "X", Value: "\" + object.metadata.name + \"\\\n\u2028"})
	for _, pod := range []plan.PodPatch{awsPatch, patch} {
		objects, err := Build(hostile, pod)
		if err != nil {
			t.Fatal(err)
		}
		m := objects[0].Spec.(MutatingPolicySpec)
		v := objects[2].Spec.(ValidatingPolicySpec)
		var exprs []string
		for _, n := range append(append(append(m.MatchConditions, m.Variables...), v.MatchConditions...), v.Variables...) {
			exprs = append(exprs, n.Expression)
		}
		for _, mu := range m.Mutations {
			if mu.JSONPatch != nil {
				exprs = append(exprs, mu.JSONPatch.Expression)
			}
			if mu.ApplyConfiguration != nil {
				exprs = append(exprs, mu.ApplyConfiguration.Expression)
			}
		}
		for _, val := range v.Validations {
			exprs = append(exprs, val.Expression, val.MessageExpression)
		}
		for _, e := range exprs {
			if _, iss := env.Parse(e); iss.Err() != nil {
				t.Errorf("does not parse: %v\n%s", iss.Err(), e)
			}
		}
	}
}

func pod(sa string, annotations map[string]any, containers ...map[string]any) map[string]any {
	list := make([]any, len(containers))
	for i, c := range containers {
		list[i] = c
	}
	p := map[string]any{"metadata": map[string]any{"name": "p"}, "spec": map[string]any{"containers": list}}
	if sa != "" {
		p["spec"].(map[string]any)["serviceAccountName"] = sa
	}
	if annotations != nil {
		p["metadata"].(map[string]any)["annotations"] = annotations
	}
	return p
}

func container(name string, env ...string) map[string]any {
	c := map[string]any{"name": name}
	if len(env) > 0 {
		var list []any
		for i := 0; i+1 < len(env); i += 2 {
			list = append(list, map[string]any{"name": env[i], "value": env[i+1]})
		}
		c["env"] = list
	}
	return c
}

// admits runs the validating policy as the API server would: match
// conditions, then variables in order, then each validation; it returns the
// first message of a failed validation, or "" when the Pod is admitted or
// not matched.
func admits(t *testing.T, tg Target, patch plan.PodPatch, object map[string]any) string {
	t.Helper()
	env := celEnv(t)
	objects, err := Build(tg, patch)
	if err != nil {
		t.Fatal(err)
	}
	spec := objects[2].Spec.(ValidatingPolicySpec)
	vars := map[string]any{}
	input := map[string]any{"object": object, "variables": vars}
	for _, c := range spec.MatchConditions {
		if eval(t, env, c.Expression, input).Value() != true {
			return ""
		}
	}
	for _, v := range spec.Variables {
		vars[v.Name] = eval(t, env, v.Expression, input)
	}
	for _, v := range spec.Validations {
		if eval(t, env, v.Expression, input).Value() != true {
			return eval(t, env, v.MessageExpression, input).Value().(string)
		}
	}
	return ""
}

func TestValidatingPolicyRefusesAConflictingValueNamingContainerAndVariable(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/x"
	for _, tc := range []struct {
		name string
		tg   Target
		pod  map[string]any
		want string // "" admitted; else a part of the message
	}{
		{"no env: admitted", target(), pod("app", nil, container("main")), ""},
		{"same value: admitted", target(), pod("app", nil, container("main", "AWS_ROLE_ARN", role)), ""},
		{"other value: refused", target(), pod("app", nil, container("main"), container("side", "AWS_ROLE_ARN", "arn:aws:iam::1:role/y")),
			`container side sets AWS_ROLE_ARN to another value, want "` + role + `"`},
		{"two containers named", target(), pod("app", nil, container("a", "AWS_ROLE_ARN", "y"), container("b", "AWS_ROLE_ARN", "z")), "container a, b sets AWS_ROLE_ARN"},
		{"valueFrom: refused", target(), pod("app", nil, map[string]any{"name": "main", "env": []any{map[string]any{"name": "AWS_ROLE_ARN", "valueFrom": map[string]any{}}}}), "container main sets AWS_ROLE_ARN"},
		{"other ServiceAccount: not matched", target(), pod("other", nil, container("main", "AWS_ROLE_ARN", "y")), ""},
		{"no serviceAccountName runs as default", func() Target { tg := target(); tg.ServiceAccount = "default"; return tg }(),
			pod("", nil, container("main", "AWS_ROLE_ARN", "y")), "container main sets AWS_ROLE_ARN"},
		{"opted out: admitted", target(), pod("app", map[string]any{v1alpha1.InjectAnnotation: "false"}, container("main", "AWS_ROLE_ARN", "y")), ""},
		{"skipped container: admitted", target(), pod("app", map[string]any{v1alpha1.SkipContainersAnnotation: "log, main"}, container("main", "AWS_ROLE_ARN", "y")), ""},
		{"container outside spec.workloads.containers: admitted", target("app"), pod("app", nil, container("main", "AWS_ROLE_ARN", "y")), ""},
		{"inject annotation neither true nor false: refused", target(), pod("app", map[string]any{v1alpha1.InjectAnnotation: "no"}, container("main")),
			`annotation crosscloud.dev/inject is "no"; want "true" or "false"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := admits(t, tc.tg, awsPatch, tc.pod)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("message = %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestDefaultEnvIsNeverAConflict(t *testing.T) {
	if got := admits(t, target(), gcpPatch, pod("app", nil, container("main", "CLOUDSDK_CORE_PROJECT", "mine"))); got != "" {
		t.Errorf("a container's own CLOUDSDK_CORE_PROJECT was refused: %s", got)
	}
}

func TestMutatingPolicyLeavesWhatThePodHasAndDefaultsAroundEnvFrom(t *testing.T) {
	objects, err := Build(target(), gcpPatch)
	if err != nil {
		t.Fatal(err)
	}
	m := objects[0].Spec.(MutatingPolicySpec)
	if len(m.Mutations) != 3 || m.Mutations[0].PatchType != "JSONPatch" {
		t.Fatalf("mutations = %+v, want a JSONPatch for volumes and an apply configuration per container list", m.Mutations)
	}
	volumes := m.Mutations[0].JSONPatch.Expression
	for _, want := range []string{`!object.spec.volumes.exists(o, o.name == v.name)`, `path: "/spec/volumes/-"`, `configMap: Object.spec.volumes.configMap{name: "app-gcp-credentials"}`, `expirationSeconds: 3600`} {
		if !strings.Contains(volumes, want) {
			t.Errorf("volume patch lacks %s:\n%s", want, volumes)
		}
	}
	for i, list := range []string{"containers", "initContainers"} {
		apply := m.Mutations[i+1].ApplyConfiguration.Expression
		for _, want := range []string{
			"Object.spec{" + list + ":",
			"!c.env.exists(x, x.name == e.name)",
			"x.mountPath == m.mountPath",
			"has(c.envFrom) ? [] : [Object.spec." + list + `.env{name: "CLOUDSDK_CORE_PROJECT"`,
		} {
			if !strings.Contains(strings.Join(strings.Fields(apply), ""), strings.Join(strings.Fields(want), "")) {
				t.Errorf("%s apply configuration lacks %s:\n%s", list, want, apply)
			}
		}
	}
}

// Both policies write and compare env values as the build-time patch does
// (plan.EnvValue): a role path holding "$(" is escaped, or the kubelet would
// expand it.
func TestPoliciesEscapeEnvValuesTheKubeletWouldExpand(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/$(AWS_REGION)/api"
	patch := plan.PodPatch{Tokens: awsPatch.Tokens, Env: []plan.KeyValue{{Key: "AWS_REGION", Value: "eu-west-2"}, {Key: "AWS_ROLE_ARN", Value: role}}}
	escaped := "arn:aws:iam::111122223333:role/$$(AWS_REGION)/api"
	if got := admits(t, target(), patch, pod("app", nil, container("main", "AWS_ROLE_ARN", escaped))); got != "" {
		t.Errorf("the value the mutating policy writes was refused: %s", got)
	}
	if got := admits(t, target(), patch, pod("app", nil, container("main", "AWS_REGION", "eu-west-2", "AWS_ROLE_ARN", role))); !strings.Contains(got, "sets AWS_ROLE_ARN to another value") {
		t.Errorf("a value the kubelet expands to role/eu-west-2/api was admitted (message %q)", got)
	}
	objects, err := Build(target(), patch)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range objects[0].Spec.(MutatingPolicySpec).Mutations[1:] {
		if !strings.Contains(m.ApplyConfiguration.Expression, `value: `+Quote(escaped)) {
			t.Errorf("the mutating policy does not write %s:\n%s", escaped, m.ApplyConfiguration.Expression)
		}
	}
}

// The policies take a Pod for a Windows Pod exactly when the build-time
// patch takes its template for one (workload.PodTemplate.RunsOnWindows).
func TestWindowsPodsAreTheOnesTheBuildTimePatchSees(t *testing.T) {
	env := celEnv(t)
	notWindows := matchConditions(target())[2]
	for _, spec := range []string{
		`{}`,
		`{nodeSelector: {kubernetes.io/os: windows}}`,
		`{nodeSelector: {kubernetes.io/os: linux}}`,
		`{nodeSelector: {beta.kubernetes.io/os: windows}}`,
		`{nodeSelector: {kubernetes.io/os: "", beta.kubernetes.io/os: windows}}`,
		`{nodeSelector: {kubernetes.io/os: linux, beta.kubernetes.io/os: windows}}`,
		`{os: {name: windows}}`,
		`{os: {name: linux}, nodeSelector: {kubernetes.io/os: windows}}`,
		`{os: {name: ""}, nodeSelector: {kubernetes.io/os: windows}}`,
		`{os: {}, nodeSelector: {beta.kubernetes.io/os: windows}}`,
	} {
		node := yaml.MustParse("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: " + spec + "\n")
		w, _, err := workload.BuiltinLocator.Locate(node)
		if err != nil {
			t.Fatal(err)
		}
		windows, err := w.Templates[0].RunsOnWindows()
		if err != nil {
			t.Fatal(err)
		}
		var object map[string]any
		if err := node.YNode().Decode(&object); err != nil {
			t.Fatal(err)
		}
		matched := eval(t, env, notWindows.Expression, map[string]any{"object": object, "variables": map[string]any{}}).Value() == true
		if matched == windows {
			t.Errorf("spec %s: the build-time patch says Windows %v, the policy matches it %v", spec, windows, matched)
		}
	}
}

// The validating policy refuses a static credential in a container's env,
// as the build-time patch does (envFrom is out of the API server's sight).
func TestValidatingPolicyRefusesStaticCredentials(t *testing.T) {
	patch := awsPatch
	patch.StaticCredentials = []plan.StaticCredential{{Name: "AWS_ACCESS_KEY_ID", What: "a static access key ID", Why: "every AWS SDK takes first"}}
	for _, tc := range []struct {
		name string
		pod  map[string]any
		want string
	}{
		{"set: refused", pod("app", nil, container("main", "AWS_ACCESS_KEY_ID", "AKIA")),
			"container main sets AWS_ACCESS_KEY_ID in env: a static access key ID, which every AWS SDK takes first: the pod would keep using it instead of the keyless credentials; remove the entry"},
		{"from valueFrom: refused", pod("app", nil, map[string]any{"name": "main", "env": []any{map[string]any{"name": "AWS_ACCESS_KEY_ID", "valueFrom": map[string]any{}}}}),
			"container main sets AWS_ACCESS_KEY_ID"},
		{"empty: admitted", pod("app", nil, container("main", "AWS_ACCESS_KEY_ID", "")), ""},
		{"skipped container: admitted", pod("app", map[string]any{v1alpha1.SkipContainersAnnotation: "main"}, container("main", "AWS_ACCESS_KEY_ID", "AKIA")), ""},
		{"opted out: admitted", pod("app", map[string]any{v1alpha1.InjectAnnotation: "false"}, container("main", "AWS_ACCESS_KEY_ID", "AKIA")), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := admits(t, target(), patch, tc.pod)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("message = %q, want one containing %q", got, tc.want)
			}
		})
	}
}
