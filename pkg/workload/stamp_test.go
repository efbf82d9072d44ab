package workload

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/filters/refvar"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

const stampedDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
    spec:
      serviceAccountName: api
      containers:
      - name: app
        env:
        - name: JAVA_TOOL_OPTIONS
          value: -Daws.region=$(AWS_REGION)
`

// awsPatch and gcpPatch stand for two clouds' pod patches.
func awsPatch(role string) plan.PodPatch {
	return plan.PodPatch{
		Tokens: []plan.ProjectedToken{{VolumeName: "aws-iam-token", MountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount", Path: "token", Audience: "sts.amazonaws.com", ExpirationSeconds: 86400}},
		Env:    []plan.KeyValue{{Key: "AWS_REGION", Value: "eu-west-2"}, {Key: "AWS_ROLE_ARN", Value: role}},
	}
}

var gcpPatch = plan.PodPatch{
	Tokens:           []plan.ProjectedToken{{VolumeName: "gcp-iam-token", MountPath: "/var/run/secrets/iam.googleapis.com/serviceaccount", Path: "token", Audience: "//iam.googleapis.com/x", ExpirationSeconds: 3600}},
	ConfigMapVolumes: []plan.ConfigMapVolume{{VolumeName: "gcp-credential-configuration", ConfigMapName: "api-gcp-credentials", MountPath: "/var/run/secrets/iam.googleapis.com/credential-configuration"}},
	Env:              []plan.KeyValue{{Key: "GOOGLE_APPLICATION_CREDENTIALS", Value: "/var/run/secrets/iam.googleapis.com/credential-configuration/credential-configuration.json"}},
	Labels:           []plan.KeyValue{{Key: "example.com/gcp", Value: "true"}},
}

func join(a, b plan.PodPatch) plan.PodPatch {
	return plan.PodPatch{
		Labels: append(a.Labels, b.Labels...), Tokens: append(a.Tokens, b.Tokens...),
		ConfigMapVolumes: append(a.ConfigMapVolumes, b.ConfigMapVolumes...), Env: append(a.Env, b.Env...),
	}
}

func stampedPatch(spec string, pod plan.PodPatch) Patch {
	return Patch{Pod: pod, Stamp: Stamp{Spec: spec, Subject: "system:serviceaccount:shop:api", Clouds: []string{"aws"}, CredentialsDigest: "sha256:0000000000000000"}}
}

// applyTo applies p to the Deployment's template in yamlText and returns the
// result.
func applyTo(t *testing.T, yamlText string, p Patch) (string, error) {
	t.Helper()
	obj := yaml.MustParse(yamlText)
	w, ok, err := BuiltinLocator.Locate(obj)
	if err != nil || !ok {
		t.Fatalf("Locate = %v, %v", ok, err)
	}
	err = p.Apply(w.Templates[0])
	return obj.MustString(), err
}

func TestStampedPatchUpdatesTheValueItInjectedBefore(t *testing.T) {
	first, err := applyTo(t, stampedDeployment, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/old")))
	if err != nil {
		t.Fatal(err)
	}
	second, err := applyTo(t, first, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/new")))
	if err != nil {
		t.Fatalf("changing the role of a stamped template: %v", err)
	}
	if strings.Contains(second, "role/old") || !strings.Contains(second, "role/new") {
		t.Errorf("the role was not updated:\n%s", second)
	}
	again, err := applyTo(t, second, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/new")))
	if err != nil || again != second {
		t.Errorf("a third run changed the output (%v):\n%s", err, cmp.Diff(second, again))
	}
}

func TestStampedPatchRemovesWhatARemovedCloudInjected(t *testing.T) {
	both, err := applyTo(t, stampedDeployment, stampedPatch("s", join(awsPatch("arn:aws:iam::111122223333:role/r"), gcpPatch)))
	if err != nil {
		t.Fatal(err)
	}
	awsOnly, err := applyTo(t, both, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/r")))
	if err != nil {
		t.Fatal(err)
	}
	want, err := applyTo(t, stampedDeployment, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/r")))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, awsOnly); diff != "" {
		t.Errorf("removing gcp left other output than wiring aws alone (-aws alone +after removing gcp):\n%s", diff)
	}
}

func TestStampedPatchNeverOverwritesAValueTheUserEdited(t *testing.T) {
	first, err := applyTo(t, stampedDeployment, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/old")))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(first, "value: arn:aws:iam::111122223333:role/old", "value: arn:aws:iam::111122223333:role/mine", 1)
	if edited == first {
		t.Fatal("the test did not edit the role")
	}
	_, err = applyTo(t, edited, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/new")))
	if err == nil || !strings.Contains(err.Error(), `AWS_ROLE_ARN is already set to "arn:aws:iam::111122223333:role/mine"`) {
		t.Errorf("Apply over a user's edit = %v; want the conflict naming the user's value", err)
	}
}

func TestTemplateStampedByAnotherSpecIsAConflict(t *testing.T) {
	first, err := applyTo(t, stampedDeployment, stampedPatch("first", awsPatch("arn:aws:iam::111122223333:role/r")))
	if err != nil {
		t.Fatal(err)
	}
	out, err := applyTo(t, first, stampedPatch("second", awsPatch("arn:aws:iam::111122223333:role/r")))
	if err == nil || !strings.Contains(err.Error(), `is already wired by CrossCloudAccess "first" for system:serviceaccount:shop:api`) {
		t.Errorf("Apply of a second spec = %v; want a conflict naming the first", err)
	}
	if out != first {
		t.Errorf("a refused patch changed the template:\n%s", cmp.Diff(first, out))
	}
}

func TestOurEnvComesBeforeTheUsersSoTheirReferencesExpand(t *testing.T) {
	out, err := applyTo(t, stampedDeployment, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/r")))
	if err != nil {
		t.Fatal(err)
	}
	obj := yaml.MustParse(out)
	env, err := obj.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=app]", "env"))
	if err != nil || env == nil {
		t.Fatalf("no env: %v", err)
	}
	var names []string
	for _, e := range env.YNode().Content {
		names = append(names, yaml.NewRNode(e).Field("name").Value.YNode().Value)
	}
	if want := []string{"AWS_REGION", "AWS_ROLE_ARN", "JAVA_TOOL_OPTIONS"}; !cmp.Equal(names, want) {
		t.Errorf("env order = %v; want %v (ours first: Kubernetes expands $(VAR) only from earlier entries)", names, want)
	}
}

func TestInjectedAnnotationRoundTrips(t *testing.T) {
	in := Injected{
		Labels:  []string{"azure.workload.identity/use"},
		Volumes: []string{"aws-iam-token"},
		Containers: []InjectedContainer{
			{Name: "app", Env: []string{"A", "B"}, Mounts: []string{"aws-iam-token"}},
			{Name: "sidecar", Env: []string{"A", "B"}, Mounts: []string{"aws-iam-token"}},
			{Name: "init", Env: []string{"A"}},
		},
	}
	text := in.String()
	if want := "labels=azure.workload.identity/use volumes=aws-iam-token env[app,sidecar]=A,B env[init]=A mounts[app,sidecar]=aws-iam-token"; text != want {
		t.Errorf("String = %q; want %q", text, want)
	}
	out, err := ParseInjected(text)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("ParseInjected(String) differs (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"env[app]", "volumes=", "sidecars=a", "env[app]=A,,B"} {
		if _, err := ParseInjected(bad); err == nil {
			t.Errorf("ParseInjected(%q) = nil error; want one", bad)
		}
	}
}

func TestUnreadableStampIsMalformedNotIgnored(t *testing.T) {
	broken := strings.Replace(stampedDeployment, "      labels: {app: api}\n", "      labels: {app: api}\n      annotations: {crosscloud.dev/spec: s, crosscloud.dev/injected: 'env=A'}\n", 1)
	_, err := applyTo(t, broken, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/r")))
	if err == nil || !strings.Contains(err.Error(), "crosscloud.dev/injected") || !strings.Contains(err.Error(), "remove every crosscloud.dev/ stamp annotation") {
		t.Errorf("Apply over an unreadable stamp = %v; want a Malformed error saying how to start over", err)
	}
}

// aliasFanOut is YAML lines (at indent) holding levels maps of ten aliases
// each to the level below: a few hundred bytes that expand to 10^levels
// nodes.
func aliasFanOut(indent string, levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sfan0: &fan0 [x, x, x, x, x, x, x, x, x, x]\n", indent)
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "%sfan%d: &fan%d [%s]\n", indent, i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*fan%d, ", i-1), 10), ", "))
	}
	return b.String()
}

func TestStampDigestRefusesAliasFanOutInsteadOfExpandingIt(t *testing.T) {
	first, err := applyTo(t, stampedDeployment, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/r")))
	if err != nil {
		t.Fatal(err)
	}
	// Seven levels: ten million nodes expanded, enough to tell a bounded
	// walk from one that follows every alias without running out of memory
	// when it does.
	bomb := strings.Replace(first, "            path: token\n", "            path: token\n"+aliasFanOut("            ", 7), 1)
	if bomb == first {
		t.Fatal("the test did not plant the aliases in the token volume")
	}
	_, err = applyTo(t, bomb, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/r")))
	var m *Malformed
	if !errors.As(err, &m) || !strings.Contains(m.Message, "YAML aliases") || m.Field != "spec.template.spec.volumes[name=aws-iam-token]" {
		t.Errorf("Apply over a stamped volume with aliases that fan out = %v; want *Malformed at spec.template.spec.volumes[name=aws-iam-token] about its aliases", err)
	}
}

func TestStampedPatchKeepsAUsersSecondEntryOfOneOfOurNames(t *testing.T) {
	first, err := applyTo(t, stampedDeployment, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/r")))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, after, added, want string
	}{
		{"a second mount of our volume at another path",
			"          readOnly: true\n",
			"        - name: aws-iam-token\n          mountPath: /mnt/token-copy\n",
			`volume "aws-iam-token" is already mounted at "/mnt/token-copy"`},
		{"a second AWS_ROLE_ARN after ours",
			"          value: -Daws.region=$(AWS_REGION)\n",
			"        - name: AWS_ROLE_ARN\n          value: arn:aws:iam::111122223333:role/mine\n",
			`AWS_ROLE_ARN is already set to "arn:aws:iam::111122223333:role/mine"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			edited := strings.Replace(first, c.after, c.after+c.added, 1)
			if edited == first {
				t.Fatal("the test did not add the entry")
			}
			out, err := applyTo(t, edited, stampedPatch("s", awsPatch("arn:aws:iam::111122223333:role/r")))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Apply = %v; want the conflict a first run reports (%s)", err, c.want)
			}
			if !strings.Contains(out, c.added) {
				t.Errorf("the user's entry is gone:\n%s", out)
			}
		})
	}
}

// An IAM role path may hold "$(": the container must see the role the spec
// names, not one the kubelet expanded with the AWS_REGION before it.
func TestEnvValuesReachTheContainerUnexpanded(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/$(AWS_REGION)/api$$"
	out, err := applyTo(t, stampedDeployment, stampedPatch("s", awsPatch(role)))
	if err != nil {
		t.Fatal(err)
	}
	env, err := yaml.MustParse(out).Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=app]", "env"))
	if err != nil || env == nil {
		t.Fatalf("no env: %v", err)
	}
	// The kubelet's expansion, kept in kustomize's refvar: each value sees
	// the variables before it.
	seen := map[string]any{}
	for _, e := range env.YNode().Content {
		name, value := fieldValue(e, "name").Value, fieldValue(e, "value").Value
		seen[name] = refvar.DoReplacements(value, refvar.MakePrimitiveReplacer(map[string]int{}, seen)).(string)
	}
	if seen["AWS_ROLE_ARN"] != role {
		t.Errorf("the container sees AWS_ROLE_ARN=%q; want %q\n%s", seen["AWS_ROLE_ARN"], role, out)
	}
	if seen["JAVA_TOOL_OPTIONS"] != "-Daws.region=eu-west-2" {
		t.Errorf("the user's reference to our AWS_REGION expands to %q", seen["JAVA_TOOL_OPTIONS"])
	}
	if again, err := applyTo(t, out, stampedPatch("s", awsPatch(role))); err != nil || again != out {
		t.Errorf("a second run changed the output (%v):\n%s", err, cmp.Diff(out, again))
	}
}
