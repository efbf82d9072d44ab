package v1alpha1

import (
	"errors"
	"regexp"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
)

var (
	awsRegion       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)
	roleSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// AWS is access to one IAM role through AssumeRoleWithWebIdentity.
type AWS struct {
	RoleARN                string `json:"roleArn"`
	Mode                   Mode   `json:"mode,omitempty" jsonschema:"enum=auto,enum=webhook,enum=projected,enum=podIdentity"`
	Audience               string `json:"audience,omitempty"`
	Region                 string `json:"region,omitempty"`
	STSRegionalEndpoints   string `json:"stsRegionalEndpoints,omitempty" jsonschema:"enum=regional,enum=legacy"`
	RoleSessionName        string `json:"roleSessionName,omitempty"`
	TokenExpirationSeconds int64  `json:"tokenExpirationSeconds,omitempty"`
	// Grants are the role's permissions, for `trust` (aws_grants.go).
	Grants *AWSGrants `json:"grants,omitempty"`
}

// defaults resolves auto to webhook on EKS, whose webhook reads the
// ServiceAccount annotation, and to projected elsewhere.
func (a *AWS) defaults(c *Cluster) {
	if a.Mode == "" || a.Mode == ModeAuto {
		a.Mode = ModeProjected
		if c.Provider == ProviderEKS {
			a.Mode = ModeWebhook
		}
	}
	defaultString(&a.Audience, DefaultAWSAudience)
	defaultString(&a.STSRegionalEndpoints, DefaultSTSRegionalEndpoints)
	defaultInt(&a.TokenExpirationSeconds, DefaultAWSTokenExpirationSeconds)
	if a.Grants != nil {
		a.Grants.defaults()
	}
}

func (a *AWS) check(v *checker, c *Cluster) {
	provider := c.Provider
	switch _, err := arn.ParseRole(a.RoleARN); {
	case a.RoleARN == "":
		v.errorf("spec.aws.roleArn", "is required; want %s", arn.RoleGrammar)
	case errors.Is(err, arn.ErrNotRole):
		v.errorf("spec.aws.roleArn", "%q is not valid; want %s", a.RoleARN, arn.RoleGrammar)
	case err != nil:
		v.errorf("spec.aws.roleArn", "%v", err)
	}
	v.required("spec.aws.audience", a.Audience, audienceText.MatchString, "a token audience without spaces, not starting with -, normally sts.amazonaws.com")
	v.optional("spec.aws.region", a.Region, awsRegion.MatchString, "an AWS region such as eu-west-2")
	v.optional("spec.aws.roleSessionName", a.RoleSessionName, roleSessionName.MatchString, "2 to 64 letters, digits and +=,.@_-")
	if a.STSRegionalEndpoints != "regional" && a.STSRegionalEndpoints != "legacy" {
		v.errorf("spec.aws.stsRegionalEndpoints", "%q is not valid; want regional or legacy", a.STSRegionalEndpoints)
	}
	switch a.Mode {
	case ModeWebhook:
		if provider != ProviderEKS {
			v.errorf("spec.aws.mode", "webhook needs the EKS pod identity webhook, which only EKS runs (provider is %q); use projected or auto", provider)
		}
		v.unused("spec.aws.region", a.Region != "", a.Mode, "the EKS webhook sets AWS_REGION from the cluster's region")
		v.unused("spec.aws.roleSessionName", a.RoleSessionName != "", a.Mode, "the EKS webhook has no session-name annotation")
		v.between("spec.aws.tokenExpirationSeconds", a.TokenExpirationSeconds, 3600, MaxTokenExpirationSeconds, "the EKS webhook's eks.amazonaws.com/token-expiration range")
	case ModeProjected:
		v.between("spec.aws.tokenExpirationSeconds", a.TokenExpirationSeconds, MinTokenExpirationSeconds, MaxTokenExpirationSeconds, "Kubernetes' minimum to one day")
	case ModePodIdentity:
		switch {
		case provider != ProviderEKS:
			v.errorf("spec.aws.mode", "podIdentity needs the EKS Pod Identity Agent, which only EKS runs (provider is %q); use projected or auto", provider)
		case c.EKS == nil || c.EKS.ClusterName == "":
			v.errorf("spec.cluster.eks.clusterName", "is required with aws mode podIdentity: a pod identity association names its cluster; give the EKS cluster's name")
		}
		why := "EKS Pod Identity gives the pod its credentials; only roleArn is used"
		v.unused("spec.aws.audience", a.Audience != DefaultAWSAudience, a.Mode, why)
		v.unused("spec.aws.region", a.Region != "", a.Mode, why)
		v.unused("spec.aws.roleSessionName", a.RoleSessionName != "", a.Mode, why)
		v.unused("spec.aws.stsRegionalEndpoints", a.STSRegionalEndpoints != DefaultSTSRegionalEndpoints, a.Mode, why)
		v.unused("spec.aws.tokenExpirationSeconds", a.TokenExpirationSeconds != DefaultAWSTokenExpirationSeconds, a.Mode, why)
	default:
		v.errorf("spec.aws.mode", "%q is not valid; want auto, webhook, projected or podIdentity", a.Mode)
	}
	if a.Grants != nil {
		a.Grants.check(v, "spec.aws.grants", validRole(a.RoleARN), a.Mode)
	}
}
