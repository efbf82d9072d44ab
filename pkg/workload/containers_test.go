package workload

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

const twoContainers = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      serviceAccountName: api
      initContainers:
      - name: restore
      containers:
      - name: app
      - name: exporter
`

// perContainer is awsPatch and gcpPatch joined, with the exporter and the
// restore init container given their own role and Google account.
func perContainer() plan.PodPatch {
	pod := join(awsPatch("arn:aws:iam::111122223333:role/app"), gcpPatch)
	pod.Labels = nil
	exporter := plan.ContainerPatch{Identity: "spec.containers[0]", Names: []string{"exporter", "restore"},
		Env: []plan.KeyValue{{Key: "AWS_REGION", Value: "eu-west-2"}, {Key: "AWS_ROLE_ARN", Value: "arn:aws:iam::111122223333:role/exporter"},
			{Key: "GOOGLE_APPLICATION_CREDENTIALS", Value: gcpPatch.Env[0].Value}},
		ConfigMapVolumes: []plan.ConfigMapVolume{{VolumeName: "gcp-credentials-exporter-1", ConfigMapName: "api-gcp-credentials-exporter-1", MountPath: gcpPatch.ConfigMapVolumes[0].MountPath}}}
	pod.Containers = []plan.ContainerPatch{exporter}
	return pod
}

// envOf is the env of the named container or initContainer as NAME=VALUE.
func envOf(t *testing.T, text, container string) []string {
	t.Helper()
	c, _ := containerNamed(nodeAt(yaml.MustParse(text).YNode(), "spec", "template", "spec"), container)
	var out []string
	if env := fieldValue(c, "env"); env != nil {
		for _, e := range env.Content {
			out = append(out, fieldValue(e, "name").Value+"="+fieldValue(e, "value").Value)
		}
	}
	if mounts := fieldValue(c, "volumeMounts"); mounts != nil {
		for _, m := range mounts.Content {
			out = append(out, "mount "+fieldValue(m, "name").Value)
		}
	}
	return out
}

func TestNamedContainersGetTheirOwnIdentityAndTheSameToken(t *testing.T) {
	out, err := applyTo(t, twoContainers, stampedPatch("s", perContainer()))
	if err != nil {
		t.Fatal(err)
	}
	app := []string{"AWS_REGION=eu-west-2", "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/app", "GOOGLE_APPLICATION_CREDENTIALS=" + gcpPatch.Env[0].Value,
		"mount aws-iam-token", "mount gcp-iam-token", "mount gcp-credential-configuration"}
	exporter := []string{"AWS_REGION=eu-west-2", "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/exporter", "GOOGLE_APPLICATION_CREDENTIALS=" + gcpPatch.Env[0].Value,
		"mount aws-iam-token", "mount gcp-iam-token", "mount gcp-credentials-exporter-1"}
	for container, want := range map[string][]string{"app": app, "exporter": exporter, "restore": exporter} {
		if diff := cmp.Diff(want, envOf(t, out, container)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", container, diff)
		}
	}
	for _, want := range []string{
		"name: gcp-credential-configuration\n", "name: gcp-credentials-exporter-1\n", "name: api-gcp-credentials-exporter-1\n",
		"crosscloud.dev/identities: spec.containers[0]=exporter,restore\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "- name: aws-iam-token\n        projected"); n != 1 {
		t.Errorf("%d aws-iam-token volumes, want one token volume shared by every identity", n)
	}
	again, err := applyTo(t, out, stampedPatch("s", perContainer()))
	if err != nil || again != out {
		t.Errorf("a second run changed the output (err %v):\n%s", err, again)
	}
}

func TestAVolumeNoSelectedContainerMountsIsNotAdded(t *testing.T) {
	for _, tc := range []struct {
		name, skip string
		want, not  string
	}{
		{"only containers with their own identity", "app", "gcp-credentials-exporter-1", "name: gcp-credential-configuration\n"},
		{"none with its own identity", "exporter,restore", "name: gcp-credential-configuration\n", "gcp-credentials-exporter-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := stampedPatch("s", perContainer())
			p.SkipContainers = strings.Split(tc.skip, ",")
			out, err := applyTo(t, twoContainers, p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tc.want) || strings.Contains(out, tc.not) {
				t.Errorf("want %q and not %q in:\n%s", tc.want, tc.not, out)
			}
		})
	}
}

func TestIdentitiesFollowTheTemplatesContainers(t *testing.T) {
	obj := yaml.MustParse(strings.Replace(twoContainers, "      - name: exporter\n", "", 1))
	w, _, err := BuiltinLocator.Locate(obj)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Patch{Pod: perContainer()}.Identities(w.Templates[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := "spec.containers[0]=restore"; got.String() != want {
		t.Errorf("Identities = %q, want %q", got, want)
	}
	if got, err := (Patch{Pod: perContainer(), SkipContainers: []string{"restore"}}).Identities(w.Templates[0]); err != nil || len(got) != 0 {
		t.Errorf("Identities with restore skipped = %q, %v; want none", got, err)
	}
}

func TestIdentitiesAnnotationRoundTrips(t *testing.T) {
	in := Identities{{Identity: "spec.containers[0]", Containers: []string{"exporter", "restore"}}, {Identity: "spec.containers[1]", Containers: []string{"metrics"}}}
	text := in.String()
	if want := "spec.containers[0]=exporter,restore spec.containers[1]=metrics"; text != want {
		t.Errorf("String = %q, want %q", text, want)
	}
	out, err := ParseIdentities(text)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("ParseIdentities(String) (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"spec.containers[0]", "=exporter", "spec.containers[0]=a,,b"} {
		if _, err := ParseIdentities(bad); err == nil {
			t.Errorf("ParseIdentities(%q) = nil error; want one", bad)
		}
	}
}
