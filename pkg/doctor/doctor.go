// Package doctor explains why a cloud would accept or refuse a service
// account token: it compares the token with the CrossCloudAccess spec
// (decoded by v1alpha1.Decode), with the trust the clouds hold (compared
// against what trust.Build derives from the same spec), and, online, with the
// issuer's published discovery document and keys. The clouds themselves
// answer with one opaque line (InvalidIdentityToken, invalid_grant,
// AADSTS700213); doctor names the check that fails and its fix.
package doctor

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/clouds"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/discovery"
)

// Status is the outcome of one check.
type Status string

// The outcomes a check can have; only Fail makes doctor exit non-zero.
const (
	Pass Status = "ok"
	Fail Status = "FAIL"
	Skip Status = "skip"
)

// Names of the checks, as printed and as docs/doctor.md lists them.
const (
	CheckTarget          = "target"
	CheckToken           = "token"
	CheckIssuer          = "issuer"
	CheckAudience        = "audience"
	CheckSubject         = "subject"
	CheckExpiry          = "expiry"
	CheckTrust           = "trust"
	CheckDiscovery       = "discovery"
	CheckDiscoveryIssuer = "discovery-issuer"
	CheckJWKS            = "jwks"
	CheckSignature       = "signature"
)

// Result is one printed line: a check of one target, its outcome, what was
// found and, on failure, the fix. Untrusted values in Detail and Fix are
// already quoted.
type Result struct {
	Target string
	Check  string
	Status Status
	Detail string
	Fix    string
}

// ErrChecksFailed is returned when at least one check failed; the lines
// printed before say which and how to fix them.
var ErrChecksFailed = errors.New("checks failed")

// target is one cloud of one spec: the token it needs and the trust that
// admits it.
type target struct {
	// name is printed before every check: SPEC/CLOUD.
	name  string
	cloud string
	spec  *v1alpha1.CrossCloudAccess
	// audience and expirationSeconds are the projected token's, from the
	// cloud's plan (the same the function writes into the pod).
	audience          string
	expirationSeconds int64
	// skip, when set, says why doctor has nothing to check for the target.
	skip string
}

// targets lists every cloud of every spec, in the clouds table's order,
// restricted to only when it is not empty.
func targets(specs []*v1alpha1.CrossCloudAccess, only []string) ([]target, error) {
	var out []target
	for _, s := range specs {
		for _, c := range clouds.Table {
			if !c.Named(&s.Spec) || (len(only) > 0 && !slices.Contains(only, c.Name)) {
				continue
			}
			t := target{name: specLabel(s) + "/" + c.Name, cloud: c.Name, spec: s}
			planned, err := c.Plan(&s.Spec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t.name, err)
			}
			if len(planned.Pod.Tokens) > 0 {
				t.audience = planned.Pod.Tokens[0].Audience
				t.expirationSeconds = planned.Pod.Tokens[0].ExpirationSeconds
			}
			t.skip, t.audience = webhookTarget(c.Name, &s.Spec, t.audience)
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no cloud to check: the specs name none of %s", strings.Join(only, ", "))
	}
	return out, nil
}

// webhookTarget fills in what the plan leaves to a cloud's own webhook: the
// token audience of EKS IRSA and the AKS webhook, and the modes that use no
// projected token at all.
func webhookTarget(cloud string, s *v1alpha1.Spec, audience string) (skip, aud string) {
	if audience != "" {
		return "", audience
	}
	switch cloud {
	case "aws":
		if s.AWS.Mode == v1alpha1.ModePodIdentity {
			return fmt.Sprintf("EKS Pod Identity gives pods credentials through EKS's agent, with no token of the cluster's issuer; check the association (aws eks list-pod-identity-associations --cluster-name %s --namespace %s --service-account %s) and that the role trusts pods.eks.amazonaws.com",
				q(s.Cluster.EKS.ClusterName), q(s.ServiceAccount.Namespace), q(s.ServiceAccount.Name)), ""
		}
		return "", s.AWS.Audience
	case "gcp":
		return "GKE Workload Identity (with a Google service account or direct access) exchanges tokens in the metadata server; doctor checks federated mode", ""
	case "azure":
		return "", v1alpha1.DefaultAzureAudience
	}
	return "no projected token", ""
}

func specLabel(s *v1alpha1.CrossCloudAccess) string {
	if s.Metadata.Name != "" {
		return s.Metadata.Name
	}
	return s.Spec.ServiceAccount.Namespace + ":" + s.Spec.ServiceAccount.Name
}

// Print writes one line per result and reports whether any failed.
func Print(w io.Writer, results []Result) (failed int, err error) {
	for _, r := range results {
		line := fmt.Sprintf("%-4s  %s  %s: %s", r.Status, r.Target, r.Check, r.Detail)
		if r.Status == Fail && r.Fix != "" {
			line += "; fix: " + r.Fix
		}
		if r.Status == Fail {
			failed++
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return failed, fmt.Errorf("write output: %w", err)
		}
	}
	return failed, nil
}

// q quotes an untrusted value for a printed line.
func q(s string) string { return discovery.QuoteValue(s) }

// qList quotes each value of a list.
func qList(list []string) string {
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = q(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// formatTime prints an instant the same way everywhere.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
