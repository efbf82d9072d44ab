package argocd

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/argoproj/argo-cd/v3/applicationset/controllers/template"
	"github.com/argoproj/argo-cd/v3/applicationset/generators"
	"github.com/argoproj/argo-cd/v3/applicationset/utils"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/reposerver/repository"
	"github.com/argoproj/argo-cd/v3/util/git"
	gocmp "github.com/google/go-cmp/cmp"
	log "github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"
)

// fleetRel is the fleet example of docs/fleet.md, relative to the repository root.
const fleetRel = "examples/fleet"

// clusterSecrets are the fleet's cluster Secrets (argocd/clusters.yaml) as the
// apiserver stores them (stringData moved into data), plus a cluster of
// another team that the ApplicationSet's selector must leave out.
func clusterSecrets(t *testing.T) []*corev1.Secret {
	t.Helper()
	var secrets []*corev1.Secret
	for _, doc := range splitYAML(t, readRepoFile(t, fleetRel+"/argocd/clusters.yaml")) {
		var s corev1.Secret
		if err := yaml.UnmarshalStrict([]byte(doc), &s); err != nil {
			t.Fatalf("decoding a cluster Secret: %v\n%s", err, doc)
		}
		s.Data = map[string][]byte{}
		for k, v := range s.StringData {
			s.Data[k] = []byte(v)
		}
		s.StringData = nil
		secrets = append(secrets, &s)
	}
	other := secrets[0].DeepCopy()
	other.Name, other.Labels = "cluster-billing-1", map[string]string{"argocd.argoproj.io/secret-type": "cluster"}
	other.Data = map[string][]byte{"name": []byte("billing-1"), "server": []byte("https://billing-1.k8s.example.com"), "config": other.Data["config"]}
	return append(secrets, other)
}

// TestFleetApplicationSet runs the fleet's ApplicationSet through Argo CD's own
// cluster generator and template rendering (as the applicationset controller
// does), then renders each generated Application through the plugin as the
// repo-server does in a sync: every cluster of the fleet gets one
// Application, whose manifests are its overlay's as kustomize renders it with
// the function (clusters/NAME/expected.yaml).
func TestFleetApplicationSet(t *testing.T) {
	var appSet v1alpha1.ApplicationSet
	if err := yaml.UnmarshalStrict([]byte(readRepoFile(t, fleetRel+"/argocd/applicationset.yaml")), &appSet); err != nil {
		t.Fatalf("decoding applicationset.yaml: %v", err)
	}
	var objects []client.Object
	var seeds []runtime.Object
	for _, s := range clusterSecrets(t) {
		objects = append(objects, s)
		seeds = append(seeds, s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := fake.NewClientBuilder().WithObjects(objects...).Build()
	clientset := k8sfake.NewSimpleClientset(seeds...)
	gens := map[string]generators.Generator{"Clusters": generators.NewClusterGenerator(ctx, c, clientset, appSet.Namespace)}
	apps, reason, err := template.GenerateApplications(log.WithField("test", t.Name()), appSet, gens, &utils.Render{}, c)
	if err != nil {
		t.Fatalf("generating the Applications (%s): %v", reason, err)
	}
	var names []string
	for _, app := range apps {
		names = append(names, app.Name)
	}
	slices.Sort(names)
	if want := []string{"shop-ap-1", "shop-eu-1", "shop-eu-2", "shop-us-1", "shop-us-2"}; !slices.Equal(names, want) {
		t.Fatalf("the ApplicationSet generates %q, want %q (one per labelled cluster, no other)", names, want)
	}
	if err := copyTree(filepath.Join(env.repoRoot, fleetRel), filepath.Join(env.repo, fleetRel)); err != nil {
		t.Fatal(err)
	}
	for _, app := range apps {
		cluster := strings.TrimPrefix(app.Name, "shop-")
		t.Run(cluster, func(t *testing.T) {
			source := app.Spec.Source
			if want := fleetRel + "/clusters/" + cluster; source == nil || source.Path != want || source.Plugin == nil || source.Plugin.Name != "cross-cloud-access" {
				t.Fatalf("Application %s renders %+v, want the plugin on %s", app.Name, source, want)
			}
			if want := fmt.Sprintf("https://%s.k8s.example.com", cluster); app.Spec.Destination.Server != want || app.Spec.Destination.Namespace != "shop" {
				t.Errorf("Application %s deploys to %s namespace %s, want %s namespace shop", app.Name, app.Spec.Destination.Server, app.Spec.Destination.Namespace, want)
			}
			res, err := repository.GenerateManifests(testContext(t), filepath.Join(env.repo, source.Path), env.repo, revision,
				manifestRequest(&app, source), false, &git.NoopCredsStore{}, resource.MustParse("0"), nil)
			if err != nil {
				t.Fatalf("GenerateManifests: %v", err)
			}
			want := decodeManifests(t, splitYAML(t, readRepoFile(t, fleetRel+"/clusters/"+cluster+"/expected.yaml")))
			if diff := gocmp.Diff(want, decodeManifests(t, res.Manifests)); diff != "" {
				t.Errorf("Argo CD's manifests for %s differ from kustomize with the function (-kustomize +argocd):\n%s", cluster, diff)
			}
		})
	}
}
