package v1alpha1

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
)

var roleSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

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

// roleARN reports a role ARN that is missing or not of arn's grammar; it
// says whether the ARN is valid.
func (v *checker) roleARN(field, value string) bool {
	switch _, err := arn.ParseRole(value); {
	case value == "":
		v.errorf(field, "is required; want %s", arn.RoleGrammar)
	case errors.Is(err, arn.ErrNotRole):
		v.errorf(field, "%q is not valid; want %s", value, arn.RoleGrammar)
	case err != nil:
		v.errorf(field, "%v", err)
	default:
		return true
	}
	return false
}

func (a *AWS) check(v *checker, c *Cluster) {
	provider := c.Provider
	if v.roleARN("spec.aws.roleArn", a.RoleARN) {
		role, _ := arn.ParseRole(a.RoleARN)
		a.checkPartition(v, c, role)
	}
	v.required("spec.aws.audience", a.Audience, audienceText.MatchString, "a token audience without spaces, not starting with -, normally sts.amazonaws.com")
	v.optional("spec.aws.region", a.Region, arn.IsRegion, arn.WantRegion)
	v.optional("spec.aws.roleSessionName", a.RoleSessionName, roleSessionName.MatchString, "2 to 64 letters, digits and +=,.@_-")
	if a.STSRegionalEndpoints != "regional" && a.STSRegionalEndpoints != "legacy" {
		v.errorf("spec.aws.stsRegionalEndpoints", "%q is not valid; want regional or legacy", a.STSRegionalEndpoints)
	}
	switch a.Mode {
	case ModeWebhook:
		if provider != ProviderEKS {
			v.errorf("spec.aws.mode", "webhook needs the EKS pod identity webhook, which only EKS runs (provider is %q); use projected or auto", provider)
		}
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

// checkPartition refuses a region of another partition than the role's:
// the pods would call that partition's STS (sts.REGION.DNS-SUFFIX), which
// cannot assume the role. The region is spec.aws.region, or in webhook and
// pod identity modes the one the EKS webhook and agent use, the cluster's.
func (a *AWS) checkPartition(v *checker, c *Cluster, role arn.Role) {
	region, field := a.Region, "spec.aws.region"
	which := "spec.aws.region, " + region + ","
	if region == "" && (a.Mode == ModeWebhook || a.Mode == ModePodIdentity) {
		region, _, _ = c.eksIssuerRegion()
		which = "the cluster's region, " + region + ", which EKS gives the pods,"
		if a.Mode == ModePodIdentity {
			field = "spec.aws.roleArn"
		}
	}
	if region == "" || !arn.IsRegion(region) {
		return
	}
	other := arn.RegionPartition(region)
	if other == role.Partition {
		return
	}
	fix := fmt.Sprintf("set spec.aws.region to a region of %s, such as %s, or use a role of partition %s", role.Partition, arn.ExampleRegion(role.Partition), other)
	if field == "spec.aws.roleArn" {
		fix = fmt.Sprintf("use a role of partition %s: EKS Pod Identity assumes roles of the cluster's partition only", other)
	}
	v.errorf(field, "the role is in partition %s, but %s is in partition %s: the pods would call STS at sts.%s.%s, which cannot assume it; %s",
		role.Partition, which, other, region, arn.DNSSuffix(other), fix)
}
