package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/kubelet"
)

// The checks of the Pod the apiserver returns must fail on a Pod the policy
// did not wire, or the runtime-pods scenarios would pass without it.
func TestWiredAndUntouchedChecksTellThePodsApart(t *testing.T) {
	wired := `{"spec": {"serviceAccountName": "app",
	  "containers": [{"name": "aws-cli", "env": [
	    {"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::111122223333:role/x"},
	    {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
	    {"name": "AWS_REGION", "value": "eu-west-2"},
	    {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"}],
	    "volumeMounts": [{"name": "aws-iam-token", "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount", "readOnly": true}]}],
	  "volumes": [{"name": "aws-iam-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "sts.amazonaws.com", "path": "token"}}]}}]}}`
	var pod kubelet.Pod
	if err := json.Unmarshal([]byte(wired), &pod); err != nil {
		t.Fatal(err)
	}
	if p := wiredProblem(&pod); p != "" {
		t.Errorf("wired Pod: %s", p)
	}
	if p := untouchedProblem(&pod); p == "" {
		t.Error("a wired Pod passed as untouched")
	}
	noMount := pod
	noMount.Spec.Containers = []kubelet.Container{pod.Spec.Containers[0]}
	noMount.Spec.Containers[0].VolumeMounts = nil
	if p := wiredProblem(&noMount); !strings.Contains(p, "no mount") {
		t.Errorf("Pod without the mount: %q, want a missing mount", p)
	}
	var bare kubelet.Pod
	if err := json.Unmarshal(barePod("jobs", "p", "app", nil), &bare); err != nil {
		t.Fatal(err)
	}
	if p := wiredProblem(&bare); p == "" {
		t.Error("a bare Pod passed as wired")
	}
	if p := untouchedProblem(&bare); p != "" {
		t.Errorf("bare Pod: %s", p)
	}
}
