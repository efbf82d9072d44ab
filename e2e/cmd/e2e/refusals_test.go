package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/cluster"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/kubelet"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc"
)

func TestScenarioNamesAndOrderAreStable(t *testing.T) {
	want := []string{"gke-to-aws", "eks-to-gcp", "gke-to-gcp-oidc", "eks-to-aws-projected", "gcp-direct-access", "all-clouds", "aws-s3-prefix",
		"refused/other-serviceaccount", "refused/wrong-audience", "refused/expired-token", "refused/other-namespace",
		"self-hosted-issuer", "self-hosted-issuer/doctor-wrong-audience", "self-hosted-issuer/doctor-wrong-subject", "self-hosted-issuer/doctor-wrong-jwks",
		"runtime-pods", "runtime-pods/conflicting-env", "runtime-pods/other-serviceaccount", "runtime-pods/per-container-identities",
		"per-container-identities", "issuer-migration"}
	var got []string
	for _, s := range scenarios {
		got = append(got, s.name)
		if (s.negative != nil) != strings.HasPrefix(s.name, "refused/") {
			t.Errorf("%s: negative is %v", s.name, s.negative)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("scenarios = %v, want %v", got, want)
	}
}

// renderedAllClouds is the shape of the all-clouds output the mutations read.
func renderedAllClouds(t *testing.T) ([]map[string]any, map[string]any) {
	t.Helper()
	objects, err := splitYAML([]byte(`apiVersion: v1
kind: ServiceAccount
metadata: {name: sa, namespace: apps}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
---
apiVersion: v1
kind: Pod
metadata: {name: app, namespace: apps}
spec:
  serviceAccountName: sa
  containers: [{name: app, image: app}]
  volumes:
  - name: aws-token
    projected: {sources: [{serviceAccountToken: {audience: sts.amazonaws.com, path: token}}]}
  - name: gcp-token
    projected: {sources: [{serviceAccountToken: {audience: gcp, path: token}}, {configMap: {name: gcp}}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	return objects, objects[2]
}

func refusal(t *testing.T, name string) *mutation {
	t.Helper()
	for i := range refusals {
		if refusals[i].name == name {
			return &refusals[i]
		}
	}
	t.Fatalf("no refusal %q", name)
	return nil
}

func TestOtherServiceAccountAddsTheAccountAndRunsThePodAsIt(t *testing.T) {
	objects, pod := renderedAllClouds(t)
	p := &podChange{objects: objects, pod: pod}
	if err := refusal(t, "other-serviceaccount").apply(p); err != nil {
		t.Fatal(err)
	}
	if got := pod["spec"].(map[string]any)["serviceAccountName"]; got != otherServiceAccount {
		t.Errorf("serviceAccountName = %v", got)
	}
	if len(p.objects) != 4 || p.objects[0]["kind"] != "ServiceAccount" || nameOf(p.objects[0]) != otherServiceAccount || namespaceOf(p.objects[0]) != "apps" {
		t.Errorf("objects = %v, want the other ServiceAccount in apps first", p.objects)
	}
	if nameOf(pod) != "app-other-sa" || p.tokenHook != nil {
		t.Errorf("pod name %q, token hook set %v", nameOf(pod), p.tokenHook != nil)
	}
}

func TestWrongAudienceChangesEveryProjectedToken(t *testing.T) {
	objects, pod := renderedAllClouds(t)
	p := &podChange{objects: objects, pod: pod}
	if err := refusal(t, "wrong-audience").apply(p); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	var decoded kubelet.Pod
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatal(err)
	}
	tokens := 0
	for _, v := range decoded.Spec.Volumes {
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				tokens++
				if s.ServiceAccountToken.Audience != wrongAudience {
					t.Errorf("volume %s: audience %q", v.Name, s.ServiceAccountToken.Audience)
				}
			}
		}
	}
	if tokens != 2 || nameOf(pod) != "app-wrong-aud" {
		t.Errorf("%d tokens, pod name %q", tokens, nameOf(pod))
	}
}

func TestWrongAudienceNeedsAProjectedToken(t *testing.T) {
	pod := map[string]any{"kind": "Pod", "metadata": map[string]any{"name": "app"}, "spec": map[string]any{}}
	if err := refusal(t, "wrong-audience").apply(&podChange{objects: []map[string]any{pod}, pod: pod}); err == nil {
		t.Error("a pod without projected tokens was accepted")
	}
}

func TestOtherNamespaceMovesOnlyNamespacedObjects(t *testing.T) {
	objects, pod := renderedAllClouds(t)
	p := &podChange{objects: objects, pod: pod}
	if err := refusal(t, "other-namespace").apply(p); err != nil {
		t.Fatal(err)
	}
	for _, obj := range p.objects {
		md := obj["metadata"].(map[string]any)
		if want := isNamespaced(obj); (md["namespace"] == otherNamespace) != want {
			t.Errorf("%s %s: namespace %v", obj["kind"], nameOf(obj), md["namespace"])
		}
	}
	if nameOf(pod) != "app" {
		t.Errorf("pod renamed to %q", nameOf(pod))
	}
}

func TestExpiredTokenReSignsWithAValidityInThePast(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	objects, pod := renderedAllClouds(t)
	p := &podChange{objects: objects, pod: pod, cluster: &cluster.Cluster{SigningKey: key}}
	if err := refusal(t, "expired-token").apply(p); err != nil {
		t.Fatal(err)
	}
	if p.tokenHook == nil || nameOf(pod) != "app-expired" {
		t.Fatalf("token hook set %v, pod name %q", p.tokenHook != nil, nameOf(pod))
	}
	now := time.Now().Unix()
	payload, err := json.Marshal(map[string]any{"iss": "https://issuer", "sub": "s", "iat": now, "exp": now + 3600})
	if err != nil {
		t.Fatal(err)
	}
	token := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload) + ".sig"
	expired, err := p.tokenHook("aws-token", kubelet.ServiceAccountTokenProjection{}, token)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := oidc.UnverifiedClaims(expired)
	if err != nil {
		t.Fatal(err)
	}
	if exp := claims["exp"].(float64); exp >= float64(now) {
		t.Errorf("exp %v is not in the past (now %d)", exp, now)
	}
	if claims.String("sub") != "s" {
		t.Errorf("claims changed: %v", claims)
	}
}
