package workload

import (
	"errors"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// envOnly is a patch small enough to read in test expectations.
var envOnly = plan.PodPatch{Env: []plan.KeyValue{{Key: "X", Value: "1"}}}

func TestApplySelectsContainersAndInitContainersButNeverEphemeralContainers(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: migrate
  - name: proxy
    restartPolicy: Always
  containers:
  - name: app
  - name: sidecar
  ephemeralContainers:
  - name: debugger
`
	cases := []struct {
		name       string
		containers []string
		want       map[string]bool // container name -> has X
		wantErr    []string
	}{
		{
			name: "empty selects every container and initContainer, native sidecars included",
			want: map[string]bool{"migrate": true, "proxy": true, "app": true, "sidecar": true, "debugger": false},
		},
		{
			name:       "named containers only",
			containers: []string{"app", "proxy"},
			want:       map[string]bool{"migrate": false, "proxy": true, "app": true, "sidecar": false, "debugger": false},
		},
		{
			name:       "names this workload lacks are fine when one matches",
			containers: []string{"app", "worker"},
			want:       map[string]bool{"migrate": false, "proxy": false, "app": true, "sidecar": false, "debugger": false},
		},
		{
			name:       "an ephemeral container cannot be selected",
			containers: []string{"debugger"},
			wantErr: []string{
				"Pod p: spec.containers:", "none of the selected containers debugger exists",
				"app (containers), sidecar (containers), migrate (initContainers), proxy (initContainers)",
			},
			want: map[string]bool{"migrate": false, "proxy": false, "app": false, "sidecar": false, "debugger": false},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := locateOK(t, pod)
			err := Patch{Pod: envOnly, Containers: tc.containers}.Apply(w)
			checkError(t, err, tc.wantErr)
			got := map[string]bool{}
			for _, field := range []string{"containers", "initContainers", "ephemeralContainers"} {
				list, err := w.Object.Pipe(yaml.Lookup("spec", field))
				if err != nil {
					t.Fatal(err)
				}
				elements, _ := list.Elements()
				for _, c := range elements {
					got[c.Field("name").Value.YNode().Value] = c.Field("env") != nil
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("containers with env (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyReturnsEveryConflictOfAWorkloadAndLeavesItUnchanged(t *testing.T) {
	const input = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: team}
spec:
  template:
    metadata:
      labels: {azure.workload.identity/use: "false"}
    spec:
      volumes:
      - {name: aws-token, emptyDir: {}}
      containers:
      - name: app
        env: [{name: AWS_ROLE_ARN, value: other}]
      - name: worker
        volumeMounts: [{name: cache, mountPath: /var/run/secrets/aws}]
`
	patch := Patch{Pod: plan.PodPatch{
		Labels: []plan.KeyValue{{Key: "azure.workload.identity/use", Value: "true"}},
		Tokens: []plan.ProjectedToken{awsToken},
		Env:    []plan.KeyValue{{Key: "AWS_ROLE_ARN", Value: "arn"}},
	}}
	w := locateOK(t, input)
	err := patch.Apply(w)
	if err == nil {
		t.Fatal("got no error, want conflicts")
	}
	var got []Location
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var conflict *Conflict
		if !errors.As(e, &conflict) {
			t.Fatalf("error %T is not a *Conflict: %v", e, e)
		}
		if conflict.Message == "" {
			t.Errorf("conflict without a message: %v", conflict)
		}
		got = append(got, conflict.Location)
	}
	want := []Location{
		{Kind: "Deployment", Namespace: "team", Name: "api", Field: "spec.template.metadata.labels.[azure.workload.identity/use]"},
		{Kind: "Deployment", Namespace: "team", Name: "api", Field: "spec.template.spec.volumes[name=aws-token]"},
		{Kind: "Deployment", Namespace: "team", Name: "api", Container: "app", Field: "spec.template.spec.containers[name=app].env[name=AWS_ROLE_ARN]"},
		{Kind: "Deployment", Namespace: "team", Name: "api", Container: "worker", Field: "spec.template.spec.containers[name=worker].volumeMounts[mountPath=/var/run/secrets/aws]"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("conflict locations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(input, w.Object.MustString()); diff != "" {
		t.Errorf("a failed Apply changed the workload (-want +got):\n%s", diff)
	}
}

func TestApplyReportsMalformedPodTemplatesAsErrors(t *testing.T) {
	const head = "apiVersion: apps/v1\nkind: Deployment\nmetadata: &x {name: api}\nspec:\n  template:\n"
	cases := []struct {
		name, template string
		wantErr        []string
	}{
		{"containers is a string", "    spec: {containers: app}\n", []string{"Deployment api: spec.template.spec.containers: is the scalar \"app\", want a list"}},
		{"the pod spec is a list", "    spec: [a, b]\n", []string{"spec.template.spec: is a list, want a map"}},
		{"a container without a name", "    spec: {containers: [{image: x}]}\n", []string{"spec.template.spec.containers[0]: has no name"}},
		{"a container that is a list", "    spec: {containers: [[a]]}\n", []string{"spec.template.spec.containers[0]: is a list, want a map"}},
		{"initContainers is a map", "    spec: {containers: [{name: a}], initContainers: {a: b}}\n", []string{"spec.template.spec.initContainers: is a map"}},
		{"no containers", "    spec: {}\n", []string{"spec.template.spec.containers: the pod template has no containers"}},
		{"no spec", "    metadata: {}\n", []string{"spec.template.spec.containers: the pod template has no containers"}},
		{"volumes is a string", "    spec: {containers: [{name: a}], volumes: x}\n", []string{"spec.template.spec.volumes: is the scalar"}},
		{"env of a container is a map", "    spec: {containers: [{name: a, env: {X: 1}}]}\n", []string{`container "a": spec.template.spec.containers[name=a].env: is a map`}},
		{"the template is an alias", "    *x\n", []string{"spec.template: is an alias"}},
	}
	patch := Patch{Pod: plan.PodPatch{Tokens: []plan.ProjectedToken{awsToken}, Env: envOnly.Env}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := parseYAML(t, head+tc.template)
			w, ok, err := locateOne(obj)
			if err == nil && ok {
				before := obj.MustString()
				err = patch.Apply(w)
				if diff := cmp.Diff(before, obj.MustString()); diff != "" {
					t.Errorf("a failed Apply changed the workload (-want +got):\n%s", diff)
				}
			}
			checkError(t, err, tc.wantErr)
			var malformed *Malformed
			if !errors.As(err, &malformed) {
				t.Errorf("error %T is not a *Malformed", err)
			}
		})
	}
}

func TestApplyOfAnEmptyPatchChangesNothing(t *testing.T) {
	const input = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: oops}\n"
	w := locateOK(t, input)
	if err := (Patch{}).Apply(w); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if diff := cmp.Diff(input, w.Object.MustString()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestApplyKeepsCommentsKeyOrderAnnotationsAndUnknownFields(t *testing.T) {
	const input = `apiVersion: apps/v1 # head
kind: Deployment
metadata:
  name: api
  annotations:
    internal.config.kubernetes.io/index: "3"
spec:
  template:
    x-unknown: {kept: true} # not a pod template field
    spec:
      # the only container
      containers:
      - image: app:1 # image before name
        name: app
        x-custom-field: [1, 2]
`
	const want = `apiVersion: apps/v1 # head
kind: Deployment
metadata:
  name: api
  annotations:
    internal.config.kubernetes.io/index: "3"
spec:
  template:
    x-unknown: {kept: true} # not a pod template field
    spec:
      # the only container
      containers:
      - image: app:1 # image before name
        name: app
        x-custom-field: [1, 2]
        env:
        - name: X
          value: "1"
`
	w := locateOK(t, input)
	if err := (Patch{Pod: envOnly}).Apply(w); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if diff := cmp.Diff(want, w.Object.MustString()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
