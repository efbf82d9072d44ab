package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/cluster"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/kubelet"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc"
)

// mutation is one way to make the pod of the all-clouds example
// illegitimate. The harness changes only the applied objects (or, for the
// expired token, the token the kubelet writes); the refusal must come from
// every cloud's own server.
type mutation struct {
	// name follows "refused/" in the scenario name.
	name string
	// changes says what the harness alters.
	changes string
	// refusal says why each cloud must refuse the pod.
	refusal string
	// apply makes the change.
	apply func(*podChange) error
}

// podChange is what a mutation may alter: the copy of the rendered objects
// about to be applied (the pod among them) and the kubelet's token hook.
type podChange struct {
	objects []map[string]any
	// pod is the Pod among objects.
	pod map[string]any
	// cluster is the cluster the objects are applied to.
	cluster   *cluster.Cluster
	tokenHook kubelet.TokenHook
}

const (
	otherServiceAccount = "other-service-account"
	otherNamespace      = "other-namespace"
	wrongAudience       = "https://wrong-audience.example.com"
)

// refusals are the negative scenarios, one a row, run in this order after
// the positive ones: each is the all-clouds example with one mutation.
var refusals = []mutation{
	{
		name:    "other-serviceaccount",
		changes: "the pod runs as another ServiceAccount (" + otherServiceAccount + ") of its namespace",
		refusal: "no cloud trusts that ServiceAccount's subject",
		apply:   runAsOtherServiceAccount,
	},
	{
		name:    "wrong-audience",
		changes: "every projected service account token asks for the audience " + wrongAudience,
		refusal: "no cloud accepts that audience",
		apply:   askForWrongAudience,
	},
	{
		name:    "expired-token",
		changes: "every projected token is re-signed by the cluster with a validity that ended two days ago",
		refusal: "every cloud checks the token's expiry",
		apply:   presentExpiredTokens,
	},
	{
		name:    "other-namespace",
		changes: "every namespaced object moves to the namespace " + otherNamespace,
		refusal: "no cloud trusts a subject in that namespace",
		apply:   moveToOtherNamespace,
	},
}

// refusalScenarios makes a scenario of each refusal.
func refusalScenarios() []scenario {
	out := make([]scenario, 0, len(refusals))
	for i := range refusals {
		out = append(out, scenario{name: "refused/" + refusals[i].name, example: "all-clouds", clouds: allClouds, negative: &refusals[i]})
	}
	return out
}

func runAsOtherServiceAccount(p *podChange) error {
	spec, ok := p.pod["spec"].(map[string]any)
	if !ok {
		return errors.New("the pod has no spec")
	}
	spec["serviceAccountName"] = otherServiceAccount
	p.objects = append([]map[string]any{{"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata": map[string]any{"name": otherServiceAccount, "namespace": namespaceOf(p.pod)}}}, p.objects...)
	return renamePod(p.pod, "other-sa")
}

func askForWrongAudience(p *podChange) error {
	if n := setTokenAudiences(p.pod, wrongAudience); n == 0 {
		return errors.New("the pod has no projected service account token")
	}
	return renamePod(p.pod, "wrong-aud")
}

func presentExpiredTokens(p *podChange) error {
	c := p.cluster
	p.tokenHook = func(_ string, _ kubelet.ServiceAccountTokenProjection, token string) (string, error) {
		return expire(token, c)
	}
	return renamePod(p.pod, "expired")
}

func moveToOtherNamespace(p *podChange) error {
	for _, obj := range p.objects {
		if md, ok := obj["metadata"].(map[string]any); ok && isNamespaced(obj) {
			md["namespace"] = otherNamespace
		}
	}
	return nil
}

// renamePod appends suffix to the pod's name, so that each refusal applies
// a pod of its own.
func renamePod(pod map[string]any, suffix string) error {
	md, ok := pod["metadata"].(map[string]any)
	if !ok {
		return errors.New("the pod has no metadata")
	}
	md["name"] = fmt.Sprint(md["name"]) + "-" + suffix
	return nil
}

// setTokenAudiences sets the audience of every projected service account
// token of the pod and returns how many it changed.
func setTokenAudiences(pod map[string]any, audience string) int {
	n := 0
	spec, _ := pod["spec"].(map[string]any)
	volumes, _ := spec["volumes"].([]any)
	for _, v := range volumes {
		vm, _ := v.(map[string]any)
		projected, _ := vm["projected"].(map[string]any)
		sources, _ := projected["sources"].([]any)
		for _, s := range sources {
			sm, _ := s.(map[string]any)
			if tok, ok := sm["serviceAccountToken"].(map[string]any); ok {
				tok["audience"] = audience
				n++
			}
		}
	}
	return n
}

// expire re-issues token as the cluster would have issued it two days ago:
// same claims and key, validity period in the past.
func expire(token string, c *cluster.Cluster) (string, error) {
	claims, err := oidc.UnverifiedClaims(token)
	if err != nil {
		return "", err
	}
	iat, _ := claims["iat"].(float64)
	exp, _ := claims["exp"].(float64)
	shift := float64(2 * 24 * time.Hour / time.Second)
	claims["iat"] = iat - shift
	claims["nbf"] = iat - shift
	claims["exp"] = exp - shift
	if float64(time.Now().Unix()) < exp-shift {
		claims["exp"] = float64(time.Now().Add(-time.Hour).Unix())
	}
	return oidc.Resign(token, claims, c.SigningKey)
}
