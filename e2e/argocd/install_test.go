package argocd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// upstreamInstall is the remote resource of the example's install kustomization.
const upstreamInstall = "https://raw.githubusercontent.com/argoproj/argo-cd/v3.2.11/manifests/install.yaml"

// TestInstallManifests builds the example's install kustomization against the
// install.yaml of the Argo CD module this test runs (the same release as the remote
// resource it names, which needs network) and checks the patched repo-server.
func TestInstallManifests(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"kustomization.yaml", "plugin.yaml", "argocd-repo-server-patch.yaml"} {
		content := readRepoFile(t, exampleRel+"/"+name)
		if name == "kustomization.yaml" {
			content = replaceOnce(t, content, upstreamInstall, "argocd-install.yaml")
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := copyFile(env.argoInstall, filepath.Join(dir, "argocd-install.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(env.kustomize, "build", dir).Output()
	if err != nil {
		t.Fatalf("kustomize build of the install kustomization: %v\n%s", err, stderrOf(err))
	}

	var deploy *appsv1.Deployment
	configMaps := map[string]*corev1.ConfigMap{}
	for _, doc := range splitYAML(t, string(out)) {
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("decoding a built object: %v", err)
		}
		switch {
		case meta.Kind == "Deployment" && meta.Metadata.Name == "argocd-repo-server":
			deploy = &appsv1.Deployment{}
			if err := yaml.UnmarshalStrict([]byte(doc), deploy); err != nil {
				t.Fatalf("decoding argocd-repo-server: %v", err)
			}
		case meta.Kind == "ConfigMap":
			cm := &corev1.ConfigMap{}
			if err := yaml.UnmarshalStrict([]byte(doc), cm); err != nil {
				t.Fatalf("decoding ConfigMap %s: %v", meta.Metadata.Name, err)
			}
			configMaps[cm.Name] = cm
		}
	}
	if deploy == nil {
		t.Fatal("no argocd-repo-server Deployment in the build")
	}
	if deploy.Namespace != "argocd" {
		t.Errorf("argocd-repo-server namespace = %q, want argocd", deploy.Namespace)
	}
	pod := deploy.Spec.Template.Spec

	var sidecar, repoServer *corev1.Container
	for i := range pod.Containers {
		switch pod.Containers[i].Name {
		case "cross-cloud-access":
			sidecar = &pod.Containers[i]
		case "argocd-repo-server":
			repoServer = &pod.Containers[i]
		}
	}
	if sidecar == nil || repoServer == nil {
		t.Fatalf("want the argocd-repo-server and cross-cloud-access containers, have %d containers", len(pod.Containers))
	}
	if got := strings.Join(sidecar.Command, " "); got != "/var/run/argocd/argocd-cmp-server" {
		t.Errorf("sidecar command = %q", got)
	}
	if sc := sidecar.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != sidecarUID {
		t.Errorf("sidecar does not run as uid %d", sidecarUID)
	}

	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	mountsOf := func(c *corev1.Container) map[string]corev1.VolumeMount {
		m := map[string]corev1.VolumeMount{}
		for _, vm := range c.VolumeMounts {
			m[vm.MountPath] = vm
			if _, ok := volumes[vm.Name]; !ok {
				t.Errorf("container %s mounts volume %s, which the pod does not have", c.Name, vm.Name)
			}
		}
		return m
	}
	sidecarMounts := mountsOf(sidecar)
	repoServerMounts := mountsOf(repoServer)

	// The sidecar finds its server binary where the init container copies it, and
	// creates its socket in the folder the repo-server scans.
	plugins, ok := sidecarMounts["/home/argocd/cmp-server/plugins"]
	if !ok {
		t.Error("sidecar does not mount /home/argocd/cmp-server/plugins")
	} else if rm, ok := repoServerMounts["/home/argocd/cmp-server/plugins"]; !ok || rm.Name != plugins.Name {
		t.Errorf("sidecar mounts volume %s at /home/argocd/cmp-server/plugins, the repo-server %q", plugins.Name, rm.Name)
	}
	varFiles, ok := sidecarMounts["/var/run/argocd"]
	if !ok {
		t.Error("sidecar does not mount /var/run/argocd")
	}
	copied := false
	for _, c := range pod.InitContainers {
		cmdline := strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")
		for _, vm := range c.VolumeMounts {
			if vm.Name == varFiles.Name && strings.Contains(cmdline, vm.MountPath+"/argocd-cmp-server") {
				copied = true
			}
		}
	}
	if !copied {
		t.Errorf("no init container copies argocd-cmp-server into volume %q, the sidecar's /var/run/argocd", varFiles.Name)
	}

	cfgMount, ok := sidecarMounts["/home/argocd/cmp-server/config/plugin.yaml"]
	if !ok {
		t.Fatal("sidecar does not mount /home/argocd/cmp-server/config/plugin.yaml")
	}
	vol := volumes[cfgMount.Name]
	if vol.ConfigMap == nil {
		t.Fatalf("volume %s is not a ConfigMap", cfgMount.Name)
	}
	cm, ok := configMaps[vol.ConfigMap.Name]
	if !ok {
		t.Fatalf("volume %s names ConfigMap %s, which the build does not have", vol.Name, vol.ConfigMap.Name)
	}
	if got, want := cm.Data[cfgMount.SubPath], readRepoFile(t, exampleRel+"/plugin.yaml"); got != want {
		t.Errorf("ConfigMap %s key %q is not plugin.yaml:\n%s", cm.Name, cfgMount.SubPath, got)
	}
	if _, ok := sidecarMounts["/tmp"]; !ok {
		t.Error("sidecar has a read-only root file system but no /tmp volume for the cmp-server's work folder")
	}
}

// stderrOf returns the standard error an exec.ExitError captured.
func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
