package trust

import (
	"fmt"
	"slices"
	"sort"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
)

// Values AWS defines; they are part of every trust relationship.
const (
	IAMPolicyVersion          = "2012-10-17"
	ActionAssumeRoleWithWebID = "sts:AssumeRoleWithWebIdentity"
)

// AWS is what AWS IAM must hold.
type AWS struct {
	OIDCProviders []AWSOIDCProvider `json:"oidcProviders"`
	Roles         []AWSRole         `json:"roles"`
}

// AWSOIDCProvider is an IAM OpenID Connect identity provider for one issuer in
// one account; its client IDs are the audiences the tokens carry.
type AWSOIDCProvider struct {
	URL          string   `json:"url"`
	ClientIDList []string `json:"clientIdList"`
	ARN          string   `json:"arn"`
}

// AWSRole is an IAM role and the trust policy that lets the ServiceAccounts
// assume it.
type AWSRole struct {
	RoleARN          string         `json:"roleArn"`
	AssumeRolePolicy PolicyDocument `json:"assumeRolePolicy"`
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement lets one ServiceAccount of one issuer assume a role.
type Statement struct {
	Effect    string    `json:"Effect"`
	Principal Principal `json:"Principal"`
	Action    string    `json:"Action"`
	Condition Condition `json:"Condition"`
}

// Principal names the IAM OIDC provider that vouches for the token.
type Principal struct {
	Federated string `json:"Federated"`
}

// Condition pins the token's subject and audience. Both keys are always set:
// without the subject any ServiceAccount of the cluster could get in.
type Condition struct {
	StringEquals map[string]string `json:"StringEquals"`
}

type awsBuilder struct {
	providers map[string]*AWSOIDCProvider // by ARN
	roles     map[string]*awsRole         // by role ARN
}

type awsRole struct {
	statements map[statementKey]Statement
}

type statementKey struct{ federated, subject string }

func newAWSBuilder() cloudBuilder {
	return &awsBuilder{providers: map[string]*AWSOIDCProvider{}, roles: map[string]*awsRole{}}
}

func (b *awsBuilder) add(s *specTrust) error {
	a, iss := s.spec.AWS, s.spec.Cluster.Issuer
	if a == nil {
		return nil
	}
	role, err := arn.ParseRole(a.RoleARN)
	if err != nil {
		return fmt.Errorf("%s: spec.aws.roleArn %q: %w", s.name, a.RoleARN, err)
	}
	if err := checkAudience("spec.aws.audience", a.Audience); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	hostPath := issuer.HostPath(iss)
	providerARN := role.OIDCProvider(hostPath)
	p := b.providers[providerARN]
	if p == nil {
		p = &AWSOIDCProvider{URL: iss, ARN: providerARN}
		b.providers[providerARN] = p
	}
	if !slices.Contains(p.ClientIDList, a.Audience) {
		p.ClientIDList = append(p.ClientIDList, a.Audience)
	}
	trusted := b.roles[a.RoleARN]
	if trusted == nil {
		trusted = &awsRole{statements: map[statementKey]Statement{}}
		b.roles[a.RoleARN] = trusted
	}
	key := statementKey{providerARN, s.subject}
	stmt := Statement{
		Effect:    "Allow",
		Principal: Principal{Federated: providerARN},
		Action:    ActionAssumeRoleWithWebID,
		Condition: Condition{StringEquals: map[string]string{
			hostPath + ":aud": a.Audience,
			hostPath + ":sub": s.subject,
		}},
	}
	if prev, ok := trusted.statements[key]; ok {
		if got := prev.Condition.StringEquals[hostPath+":aud"]; got != a.Audience {
			return fmt.Errorf("%w: %s: role %s already trusts %s from %s with audience %q; one ServiceAccount gets one audience per role (spec.aws.audience is %q)",
				ErrConflict, s.name, a.RoleARN, s.subject, iss, got, a.Audience)
		}
		return nil
	}
	trusted.statements[key] = stmt
	return nil
}

func (b *awsBuilder) build(t *Trust) error {
	if len(b.providers) == 0 {
		return nil
	}
	t.AWS = &AWS{OIDCProviders: []AWSOIDCProvider{}, Roles: []AWSRole{}}
	for _, p := range sortedValues(b.providers) {
		sort.Strings(p.ClientIDList)
		t.AWS.OIDCProviders = append(t.AWS.OIDCProviders, *p)
	}
	for _, roleARN := range sortedKeys(b.roles) {
		role := AWSRole{RoleARN: roleARN, AssumeRolePolicy: PolicyDocument{Version: IAMPolicyVersion}}
		keys := sortedKeysFunc(b.roles[roleARN].statements, func(a, b statementKey) int {
			return cmpStrings(a.federated, b.federated, a.subject, b.subject)
		})
		for _, k := range keys {
			role.AssumeRolePolicy.Statement = append(role.AssumeRolePolicy.Statement, b.roles[roleARN].statements[k])
		}
		t.AWS.Roles = append(t.AWS.Roles, role)
	}
	return nil
}
