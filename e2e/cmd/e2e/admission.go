package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/cluster"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/kubelet"
)

// Admission scenarios: the function's output (ServiceAccount and admission
// policies, no Pod) is applied, then Pods are created through the API as an
// operator would, and the API server's answer is checked.
const (
	admissionWired        = "wired"
	admissionConflict     = "conflict"
	admissionOtherSA      = "other-serviceaccount"
	admissionPerContainer = "per-container"
)

// admissionScenarios run on examples/runtime-pods.
var admissionScenarios = []scenario{
	{name: "runtime-pods", example: "runtime-pods", clouds: []string{"aws"}, admission: admissionWired},
	{name: "runtime-pods/conflicting-env", example: "runtime-pods", admission: admissionConflict},
	{name: "runtime-pods/other-serviceaccount", example: "runtime-pods", admission: admissionOtherSA},
	// The operator's Pod has an exporter sidecar, which the spec gives a
	// role of its own: the policy must wire each container with its own.
	{name: "runtime-pods/per-container-identities", example: "runtime-pods", admission: admissionPerContainer, containers: []containerIdentity{
		{name: "aws-cli", role: "arn:aws:iam::111122223333:role/oidc_exp_federated_role", reads: s3Bucket},
		{name: "exporter", role: "arn:aws:iam::111122223333:role/oidc_exp_exporter_role", reads: exportsBucket},
	}},
}

// conflictMessage is what the ValidatingAdmissionPolicy must answer for a
// container that sets AWS_ROLE_ARN itself: the container and the variable.
const conflictMessage = "container aws-cli sets AWS_ROLE_ARN to another value"

// policyWait bounds how long a new policy may take to reach the API
// server's admission chain (its informers pick it up within seconds).
const policyWait = 60 * time.Second

// barePod is a Pod as an operator creates it: nothing of ours in it.
func barePod(namespace, name, serviceAccount string, env map[string]string) []byte {
	container := map[string]any{"name": "aws-cli", "image": "amazon/aws-cli", "command": []string{"/bin/bash", "-c", "sleep 1800"}}
	if len(env) > 0 {
		var list []any
		for k, v := range env {
			list = append(list, map[string]any{"name": k, "value": v})
		}
		container["env"] = list
	}
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": namespace},
		"spec":     map[string]any{"serviceAccountName": serviceAccount, "containers": []any{container}},
	}
	data, _ := json.Marshal(pod) // maps of strings always encode
	return data
}

// withContainers is the bare Pod with more containers like its first, as
// an operator adds a sidecar.
func withContainers(pod []byte, names ...string) ([]byte, error) {
	var p map[string]any
	if err := json.Unmarshal(pod, &p); err != nil {
		return nil, fmt.Errorf("read the bare Pod: %w", err)
	}
	spec := p["spec"].(map[string]any)
	containers := spec["containers"].([]any)
	for _, name := range names {
		c := map[string]any{}
		for k, v := range containers[0].(map[string]any) {
			c[k] = v
		}
		c["name"] = name
		containers = append(containers, c)
	}
	spec["containers"] = containers
	return json.Marshal(p)
}

// runAdmissionScenario applies the example's output and creates Pods
// through the API.
func (w *world) runAdmissionScenario(ctx context.Context, s scenario, in *input) error {
	c, err := w.ensureCluster(ctx, in.issuer)
	if err != nil {
		return err
	}
	if err := w.configureClouds(ctx, in, s.roleBuckets()); err != nil {
		return err
	}
	namespace, serviceAccount := "", ""
	for _, obj := range in.objects {
		if obj["kind"] == "ServiceAccount" {
			namespace, serviceAccount = namespaceOf(obj), nameOf(obj)
		}
	}
	if serviceAccount == "" {
		return errors.New("the rendered output has no ServiceAccount")
	}
	if err := w.prepareNamespaces(ctx, c, in.objects); err != nil {
		return err
	}
	manifests, err := joinYAML(in.objects)
	if err != nil {
		return err
	}
	dir := filepath.Join(w.o.work, "scenarios", strings.ReplaceAll(s.name, "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out, err := c.Apply(ctx, manifests)
	if err != nil {
		return err
	}
	w.logger.Printf("%s: applied:\n%s", s.name, out)
	if err := waitForPolicies(ctx, c, namespace, serviceAccount); err != nil {
		return err
	}
	name := strings.ReplaceAll(s.name, "/", "-")
	switch s.admission {
	case admissionWired:
		stored, err := c.Create(ctx, barePod(namespace, name, serviceAccount, nil), false)
		if err != nil {
			return err
		}
		w.logger.Printf("%s: created:\n%s", s.name, stored)
		if err := os.WriteFile(filepath.Join(dir, "created.json"), stored, 0o644); err != nil {
			return err
		}
		k := &kubelet.Kubelet{Cluster: c, Dir: filepath.Join(dir, "kubelet")}
		applied, err := k.GetPod(ctx, namespace, name)
		if err != nil {
			return err
		}
		if problem := wiredProblem(applied); problem != "" {
			return fmt.Errorf("the Pod the apiserver returned is not wired: %s", problem)
		}
		problems, err := w.runClients(ctx, s, k, applied, dir)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "\n"))
		}
	case admissionConflict:
		env := map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/someone_else"}
		stored, err := c.Create(ctx, barePod(namespace, name, serviceAccount, env), false)
		if err == nil {
			return fmt.Errorf("the apiserver admitted a Pod that sets AWS_ROLE_ARN to another value:\n%s", stored)
		}
		if !strings.Contains(err.Error(), conflictMessage) || !strings.Contains(err.Error(), "ValidatingAdmissionPolicy") {
			return fmt.Errorf("refused, but not by our policy with %q: %w", conflictMessage, err)
		}
		w.logger.Printf("%s: refused as expected: %v", s.name, err)
	case admissionPerContainer:
		pod, err := withContainers(barePod(namespace, name, serviceAccount, nil), "exporter")
		if err != nil {
			return err
		}
		stored, err := c.Create(ctx, pod, false)
		if err != nil {
			return err
		}
		w.logger.Printf("%s: created:\n%s", s.name, stored)
		k := &kubelet.Kubelet{Cluster: c, Dir: filepath.Join(dir, "kubelet")}
		applied, err := k.GetPod(ctx, namespace, name)
		if err != nil {
			return err
		}
		problems, err := w.runContainerChecks(ctx, s, k, applied, dir)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "\n"))
		}
	case admissionOtherSA:
		other := "someone-else"
		account := fmt.Sprintf(`{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": %q, "namespace": %q}}`, other, namespace)
		if _, err := c.Apply(ctx, []byte(account)); err != nil {
			return err
		}
		if _, err := c.Create(ctx, barePod(namespace, name, other, nil), false); err != nil {
			return err
		}
		k := &kubelet.Kubelet{Cluster: c, Dir: filepath.Join(dir, "kubelet")}
		applied, err := k.GetPod(ctx, namespace, name)
		if err != nil {
			return err
		}
		if untouchedProblem(applied) != "" {
			return fmt.Errorf("a Pod of ServiceAccount %s was changed: %s", other, untouchedProblem(applied))
		}
	default:
		return fmt.Errorf("unknown admission scenario %q", s.admission)
	}
	return nil
}

// waitForPolicies waits until both policies act: a server-side dry run of
// a bare Pod comes back wired, and one that conflicts is refused. Nothing
// is stored meanwhile.
func waitForPolicies(ctx context.Context, c *cluster.Cluster, namespace, serviceAccount string) error {
	deadline := time.Now().Add(policyWait)
	for {
		var wiredErr error
		out, err := c.Create(ctx, barePod(namespace, "probe", serviceAccount, nil), true)
		if err == nil {
			var pod kubelet.Pod
			if err := json.Unmarshal(out, &pod); err != nil {
				return fmt.Errorf("read the dry-run Pod: %w", err)
			}
			if problem := wiredProblem(&pod); problem != "" {
				wiredErr = errors.New(problem)
			} else {
				wiredErr = nil
			}
		} else {
			wiredErr = err
		}
		conflictErr := errors.New("not refused")
		if _, err := c.Create(ctx, barePod(namespace, "probe", serviceAccount, map[string]string{"AWS_ROLE_ARN": "x"}), true); err != nil {
			conflictErr = nil
			if !strings.Contains(err.Error(), conflictMessage) {
				conflictErr = err
			}
		}
		if wiredErr == nil && conflictErr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the admission policies did not act within %s: mutating: %v; validating: %v", policyWait, wiredErr, conflictErr)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// wiredProblem says what the AWS wiring lacks in the Pod's first
// container, or "" when it has the token volume, its mount and the env.
func wiredProblem(pod *kubelet.Pod) string {
	if len(pod.Spec.Containers) == 0 {
		return "no containers"
	}
	c := pod.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	for _, name := range []string{"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_REGION", "AWS_STS_REGIONAL_ENDPOINTS"} {
		if env[name] == "" {
			return "no " + name + " in container " + c.Name
		}
	}
	if !hasVolume(pod, "aws-iam-token") {
		return "no aws-iam-token volume"
	}
	for _, m := range c.VolumeMounts {
		if m.Name == "aws-iam-token" && strings.HasPrefix(env["AWS_WEB_IDENTITY_TOKEN_FILE"], m.MountPath+"/") {
			return ""
		}
	}
	return "no mount of aws-iam-token holding AWS_WEB_IDENTITY_TOKEN_FILE"
}

// untouchedProblem says what of ours a Pod carries, or "".
func untouchedProblem(pod *kubelet.Pod) string {
	for _, c := range pod.Spec.Containers {
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "AWS_") {
				return fmt.Sprintf("container %s has %s", c.Name, e.Name)
			}
		}
	}
	if hasVolume(pod, "aws-iam-token") {
		return "it has the aws-iam-token volume"
	}
	return ""
}

func hasVolume(pod *kubelet.Pod, name string) bool {
	for _, v := range pod.Spec.Volumes {
		if v.Name == name {
			return true
		}
	}
	return false
}
