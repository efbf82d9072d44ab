// Package aws plans access to an IAM role through AssumeRoleWithWebIdentity:
// either the annotation that EKS's pod identity webhook reads, or the same
// projected token and environment the webhook would inject, written out so
// that clusters without the webhook (GKE, AKS, any other) get it too.
package aws

import (
	"fmt"
	"strconv"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// Token is where the token goes: the EKS webhook's own paths, so that
// tooling written for EKS finds it in the same place.
var Token = plan.TokenLocation{VolumeName: "aws-iam-token", MountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount", Path: "token"}

// Annotations the EKS pod identity webhook reads from the ServiceAccount.
const (
	RoleARNAnnotation              = "eks.amazonaws.com/role-arn"
	AudienceAnnotation             = "eks.amazonaws.com/audience"
	STSRegionalEndpointsAnnotation = "eks.amazonaws.com/sts-regional-endpoints"
	TokenExpirationAnnotation      = "eks.amazonaws.com/token-expiration"
)

// Plan returns what the AWS target needs; the spec must be defaulted and valid.
func Plan(spec *v1alpha1.Spec) (plan.Target, error) {
	a := spec.AWS
	t := plan.Target{Name: "aws"}
	switch a.Mode {
	case v1alpha1.ModeWebhook:
		t.ServiceAccountAnnotations = webhookAnnotations(a)
		// The webhook adds the role; keys a container still sets would
		// win over it, as in projected mode.
		t.Pod.StaticCredentials = StaticCredentials
		// The webhook sets the cluster's region only where a container sets
		// no region of its own: the spec's region is such a default, so
		// that one aws block serves an EKS cluster and any other alike.
		t.Pod.DefaultEnv = regionEnv(a.Region)
		t.Pod.TokenLimits = []plan.TokenLimit{{Target: t.Name,
			Elsewhere: "in mode webhook the EKS pod identity webhook projects it; set the webhook's own pod annotation " + TokenExpirationAnnotation + " instead"}}
		return t, nil
	case v1alpha1.ModePodIdentity:
		// EKS's agent and webhook give the pod its credentials; an IRSA
		// annotation would make the EKS webhook inject a second, competing
		// set of AWS variables.
		sa := spec.ServiceAccount
		t.ExclusiveAnnotations = []string{RoleARNAnnotation}
		// The SDKs read keys from the environment before the Pod Identity
		// Agent's container credentials.
		t.Pod.StaticCredentials = StaticCredentials
		t.Notes = []string{fmt.Sprintf("EKS Pod Identity: nothing is written on ServiceAccount %s/%s or its pods; "+
			"EKS gives them role %s once the pod identity association of cluster %s exists: `cross-cloud-access trust` writes it",
			sa.Namespace, sa.Name, a.RoleARN, spec.Cluster.EKS.ClusterName)}
		t.Pod.TokenLimits = []plan.TokenLimit{{Target: t.Name,
			Elsewhere: "in mode podIdentity EKS Pod Identity's webhook projects it, with an expiration of its own"}}
		return t, nil
	}
	token := Token.For(a.Audience, a.TokenExpirationSeconds)
	t.Pod.Tokens = []plan.ProjectedToken{token}
	t.Pod.Env = projectedEnv(a, token.File())
	t.Pod.StaticCredentials = StaticCredentials
	t.Pod.TokenLimits = []plan.TokenLimit{{Target: t.Name, Min: v1alpha1.MinTokenExpirationSeconds, Max: v1alpha1.MaxTokenExpirationSeconds,
		Why: "Kubernetes' minimum to one day"}}
	if a.Region == "" {
		t.Warnings = []plan.Warning{{Field: "region", Message: NoRegionWarning}}
	}
	// The EKS webhook's form for Windows pods: the same mount, the token
	// file named as Windows containers see it.
	t.Windows = &plan.Windows{Pod: t.Pod}
	t.Windows.Pod.Env = projectedEnv(a, plan.WindowsPath(token.File()))
	return t, nil
}

// StaticCredentials are the variables that make the AWS SDKs use another
// credential before the web identity token. Sources: the credential chain
// order of boto3 ("Credentials" guide: environment, assume role provider,
// assume role with web identity), the SDK for PHP and JavaScript v3
// (environment first), and the Rust SDK's DefaultCredentialsChain
// (environment, shared config, web identity).
var StaticCredentials = []plan.StaticCredential{
	{Name: "AWS_ACCESS_KEY_ID", What: "a static access key ID", Why: envKeysWin},
	{Name: "AWS_SECRET_ACCESS_KEY", What: "a static secret access key", Why: envKeysWin},
	{Name: "AWS_SESSION_TOKEN", What: "the session token of a static key pair", Why: envKeysWin},
	{Name: "AWS_PROFILE", What: "a named profile of the shared config files",
		Why: "boto3 and the AWS CLI (a profile's role_arn) and the Rust SDK (the shared config files) use before web identity"},
	{Name: "AWS_SHARED_CREDENTIALS_FILE", What: "a shared credentials file (static access keys)",
		Why: "the Rust SDK reads before web identity"},
}

// NoRegionWarning is the warning for a projected spec without a region:
// the pods get no AWS_REGION, and outside EC2 (no instance metadata to ask)
// several SDKs cannot call STS without one. Sources: aws/aws-sdk-go-v2#515
// (Go v2), aws/aws-cdk#16513 (JavaScript v2: "Missing region in config"),
// IBM/trusted-service-identity#147 (AWS CLI v1 / botocore), paws-r/paws#730.
const NoRegionWarning = "is not set, so the pods get no AWS_REGION: outside EC2 the AWS SDK for Go v2, the AWS SDK for JavaScript v2 " +
	"and the AWS CLI v1 (botocore) fail to call STS for the web identity without a region; " +
	"set spec.aws.region to the region the pods use (it sets AWS_REGION and AWS_DEFAULT_REGION)"

const envKeysWin = "every AWS SDK and the AWS CLI take from the environment before web identity or EKS Pod Identity"

// projectedEnv is the environment the EKS webhook would inject, in its
// order, so a pod reads the same either way.
func projectedEnv(a *v1alpha1.AWS, tokenFile string) []plan.KeyValue {
	env := []plan.KeyValue{{Key: "AWS_STS_REGIONAL_ENDPOINTS", Value: a.STSRegionalEndpoints}}
	env = append(env, regionEnv(a.Region)...)
	env = append(env,
		plan.KeyValue{Key: "AWS_ROLE_ARN", Value: a.RoleARN},
		plan.KeyValue{Key: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: tokenFile})
	if a.RoleSessionName != "" {
		env = append(env, plan.KeyValue{Key: "AWS_ROLE_SESSION_NAME", Value: a.RoleSessionName})
	}
	return env
}

// regionEnv is the region as the EKS webhook writes it (both variables,
// AWS_DEFAULT_REGION first); none without a region.
func regionEnv(region string) []plan.KeyValue {
	if region == "" {
		return nil
	}
	return []plan.KeyValue{{Key: "AWS_DEFAULT_REGION", Value: region}, {Key: "AWS_REGION", Value: region}}
}

// webhookAnnotations writes only what differs from the webhook's defaults on
// EKS, so the ServiceAccount reads like one written by hand.
func webhookAnnotations(a *v1alpha1.AWS) []plan.KeyValue {
	out := []plan.KeyValue{{Key: RoleARNAnnotation, Value: a.RoleARN}}
	if a.Audience != v1alpha1.DefaultAWSAudience {
		out = append(out, plan.KeyValue{Key: AudienceAnnotation, Value: a.Audience})
	}
	if a.STSRegionalEndpoints != v1alpha1.DefaultSTSRegionalEndpoints {
		out = append(out, plan.KeyValue{Key: STSRegionalEndpointsAnnotation, Value: "false"})
	}
	if a.TokenExpirationSeconds != v1alpha1.DefaultAWSTokenExpirationSeconds {
		out = append(out, plan.KeyValue{Key: TokenExpirationAnnotation, Value: strconv.FormatInt(a.TokenExpirationSeconds, 10)})
	}
	return out
}
