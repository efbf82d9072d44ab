package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
)

// Values AWS defines; they are part of every trust relationship.
const (
	IAMPolicyVersion          = "2012-10-17"
	ActionAssumeRoleWithWebID = "sts:AssumeRoleWithWebIdentity"
	// EKS Pod Identity assumes the role itself, as this service principal,
	// and passes the pod's identity as session tags.
	PodIdentityPrincipal = "pods.eks.amazonaws.com"
	ActionAssumeRole     = "sts:AssumeRole"
	ActionTagSession     = "sts:TagSession"
	// The session tags EKS Pod Identity sets that pin a statement to one
	// ServiceAccount of one cluster.
	TagClusterName    = "aws:RequestTag/eks-cluster-name"
	TagNamespace      = "aws:RequestTag/kubernetes-namespace"
	TagServiceAccount = "aws:RequestTag/kubernetes-service-account"
)

// AWSRoleTrustPolicyLength is IAM's quota on the length of a role's trust
// policy. IAM counts characters and leaves white space out.
var AWSRoleTrustPolicyLength = Quota{
	Cloud: "AWS IAM", Name: "role trust policy length", Code: "L-C07B4B0D",
	Limit: 2048, Max: 8192, Unit: "characters (white space not counted)", Flag: "--aws-trust-policy-quota",
	WaysOut: []string{
		"for EKS clusters, EKS Pod Identity (spec.aws.mode: podIdentity): one statement lists every cluster of a ServiceAccount",
		"split the clusters over several roles by a stable rule, such as one role per region or environment (docs/fleet.md)",
	},
}

// AWSOIDCProvidersPerAccount is IAM's quota on the OpenID Connect providers
// of one account. Trust counts the providers it prints; the account may
// hold others already.
var AWSOIDCProvidersPerAccount = Quota{
	Cloud: "AWS IAM", Name: "OpenID Connect providers per account", Code: "L-858F3967",
	Limit: 100, Max: 700, Unit: "providers", Flag: "--aws-oidc-providers-quota",
	WaysOut: []string{
		"for EKS clusters, EKS Pod Identity (spec.aws.mode: podIdentity), which needs no OIDC provider",
		"put the roles of some clusters in another account",
	},
}

// AWS is what AWS IAM must hold.
type AWS struct {
	OIDCProviders []AWSOIDCProvider `json:"oidcProviders"`
	Roles         []AWSRole         `json:"roles"`
	// PodIdentityAssociations are what EKS must hold for EKS Pod Identity:
	// which role the pods of one ServiceAccount of one cluster get.
	PodIdentityAssociations []AWSPodIdentityAssociation `json:"podIdentityAssociations,omitempty"`
}

// AWSPodIdentityAssociation is an EKS pod identity association.
type AWSPodIdentityAssociation struct {
	ClusterName    string `json:"clusterName"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	RoleARN        string `json:"roleArn"`
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
	// PermissionsPolicy and ManagedPolicyARNs are what the role may do,
	// from the specs' grants (aws_grants.go); nil when none grant any.
	PermissionsPolicy *PermissionsPolicy `json:"permissionsPolicy,omitempty"`
	ManagedPolicyARNs []string           `json:"managedPolicyArns,omitempty"`
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement lets ServiceAccounts assume a role: those of one issuer with one
// token audience or, for EKS Pod Identity, one ServiceAccount of any of the
// listed clusters.
type Statement struct {
	Effect    string    `json:"Effect"`
	Principal Principal `json:"Principal"`
	Action    Actions   `json:"Action"`
	Condition Condition `json:"Condition"`
}

// Principal names who vouches for the pod: the IAM OIDC provider of its
// token's issuer, or the EKS Pod Identity service.
type Principal struct {
	Federated string `json:"Federated,omitempty"`
	Service   string `json:"Service,omitempty"`
}

// Values is an IAM policy value: one is written as a string and several as
// a list, as IAM writes them. Under StringEquals a list admits any one of its
// values, each matched exactly.
type Values []string

// MarshalJSON writes one value as a string.
func (v Values) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return json.Marshal(v[0])
	}
	return json.Marshal([]string(v))
}

// UnmarshalJSON reads either form.
func (v *Values) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*v = Values{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("an IAM policy value is a string or a list of strings: %w", err)
	}
	*v = many
	return nil
}

// Actions is a statement's Action.
type Actions = Values

// Condition pins the statement to exact ServiceAccounts: for a token, the
// audience and the subjects of one issuer; for EKS Pod Identity, the session
// tags of cluster, namespace and ServiceAccount. Every key is always set:
// without them any ServiceAccount could get in. Only subjects and clusters
// are ever lists: a list of namespaces beside a list of names would also
// admit every pairing of them.
type Condition struct {
	StringEquals map[string]Values `json:"StringEquals"`
}

type awsBuilder struct {
	providers    map[string]*AWSOIDCProvider // by ARN
	roles        map[string]*awsRole         // by role ARN
	associations map[AWSPodIdentityAssociation]bool
}

// awsRole is what a role's trust policy must admit, grouped the way the
// smallest exact policy writes it: one statement per issuer and audience
// listing its subjects, one per ServiceAccount of EKS Pod Identity listing
// its clusters.
type awsRole struct {
	webIdentity map[webIdentityKey]map[string]bool // -> subjects
	// audienceOf holds each subject of each provider to one audience, and
	// names the spec that set it.
	audienceOf  map[statementKey]audienceFrom
	podIdentity map[podIdentityKey]map[string]bool // -> cluster names
}

type webIdentityKey struct{ federated, hostPath, audience string }

type statementKey struct{ federated, subject string }

type audienceFrom struct{ audience, from string }

type podIdentityKey struct{ namespace, name string }

func newAWSBuilder() cloudBuilder {
	return &awsBuilder{providers: map[string]*AWSOIDCProvider{}, roles: map[string]*awsRole{}, associations: map[AWSPodIdentityAssociation]bool{}}
}

func (b *awsBuilder) add(s *specTrust) error {
	a := s.spec.AWS
	if a == nil {
		return nil
	}
	role, err := arn.ParseRole(a.RoleARN)
	if err != nil {
		return fmt.Errorf("%s: spec.aws.roleArn %q: %w", s.name, a.RoleARN, err)
	}
	if a.Mode == v1alpha1.ModePodIdentity {
		return b.addPodIdentity(s)
	}
	if err := checkAudience("spec.aws.audience", a.Audience); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	for _, iss := range s.issuers() {
		if err := b.addWebIdentity(s, role, iss); err != nil {
			return err
		}
	}
	return nil
}

// addWebIdentity trusts the spec's ServiceAccount, with its audience, for
// tokens of one issuer: that issuer's OIDC provider in the role's account,
// and the subject in the provider's statement.
func (b *awsBuilder) addWebIdentity(s *specTrust, role arn.Role, iss string) error {
	a := s.spec.AWS
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
	trusted := b.role(a.RoleARN)
	key := statementKey{providerARN, s.subject}
	if prev, ok := trusted.audienceOf[key]; ok && prev.audience != a.Audience {
		return fmt.Errorf("%w: %s: role %s already trusts %s from %s with audience %q (%s); one ServiceAccount gets one audience per role (spec.aws.audience is %q)",
			ErrConflict, s.name, a.RoleARN, s.subject, iss, prev.audience, prev.from, a.Audience)
	}
	trusted.audienceOf[key] = audienceFrom{a.Audience, s.name}
	statement := webIdentityKey{providerARN, hostPath, a.Audience}
	if trusted.webIdentity[statement] == nil {
		trusted.webIdentity[statement] = map[string]bool{}
	}
	trusted.webIdentity[statement][s.subject] = true
	return nil
}

func (b *awsBuilder) role(roleARN string) *awsRole {
	trusted := b.roles[roleARN]
	if trusted == nil {
		trusted = &awsRole{webIdentity: map[webIdentityKey]map[string]bool{}, audienceOf: map[statementKey]audienceFrom{}, podIdentity: map[podIdentityKey]map[string]bool{}}
		b.roles[roleARN] = trusted
	}
	return trusted
}

// addPodIdentity trusts the EKS Pod Identity service with the role, for the
// spec's ServiceAccount of its cluster only, and adds the association. No
// token issuer plays a part (EKS passes the pod's identity as session tags),
// so previous issuers add nothing here. Such a statement sits beside the web
// identity statements of other clusters on one role.
func (b *awsBuilder) addPodIdentity(s *specTrust) error {
	a, sa := s.spec.AWS, s.spec.ServiceAccount
	if s.spec.Cluster.EKS == nil || s.spec.Cluster.EKS.ClusterName == "" {
		return fmt.Errorf("%w: %s: podIdentity needs spec.cluster.eks.clusterName", ErrUnsafe, s.name)
	}
	cluster := s.spec.Cluster.EKS.ClusterName
	key := podIdentityKey{sa.Namespace, sa.Name}
	trusted := b.role(a.RoleARN)
	if trusted.podIdentity[key] == nil {
		trusted.podIdentity[key] = map[string]bool{}
	}
	trusted.podIdentity[key][cluster] = true
	b.associations[AWSPodIdentityAssociation{ClusterName: cluster, Namespace: sa.Namespace, ServiceAccount: sa.Name, RoleARN: a.RoleARN}] = true
	return nil
}

func (b *awsBuilder) build(t *Trust, limits Limits) error {
	if len(b.roles) == 0 {
		return nil
	}
	t.AWS = &AWS{OIDCProviders: []AWSOIDCProvider{}, Roles: []AWSRole{}}
	for _, p := range sortedValues(b.providers) {
		sort.Strings(p.ClientIDList)
		t.AWS.OIDCProviders = append(t.AWS.OIDCProviders, *p)
	}
	for _, roleARN := range sortedKeys(b.roles) {
		t.AWS.Roles = append(t.AWS.Roles, AWSRole{RoleARN: roleARN, AssumeRolePolicy: b.roles[roleARN].policy()})
	}
	t.AWS.PodIdentityAssociations = sortedKeysFunc(b.associations, func(a, b AWSPodIdentityAssociation) int {
		return cmpStrings(a.ClusterName, b.ClusterName, a.Namespace, b.Namespace, a.ServiceAccount, b.ServiceAccount, a.RoleARN, b.RoleARN)
	})
	return checkAWSQuotas(t.AWS, limits)
}

// checkAWSQuotas holds each role's trust policy and each account's OIDC
// providers to IAM's quotas.
func checkAWSQuotas(a *AWS, limits Limits) error {
	var errs []error
	for _, r := range a.Roles {
		// json.Marshal escapes < > & as Terraform's jsonencode does, the
		// longest form any format writes.
		policy, err := json.Marshal(r.AssumeRolePolicy)
		if err != nil {
			errs = append(errs, fmt.Errorf("measure the trust policy of role %s: %w", r.RoleARN, err))
			continue
		}
		errs = append(errs, limits.Check(AWSRoleTrustPolicyLength, "the trust policy of role "+r.RoleARN, charactersWithoutWhitespace(policy)))
	}
	providers := map[string]int{}
	for _, p := range a.OIDCProviders {
		providers[arn.Account(p.ARN)]++
	}
	for _, account := range sortedKeys(providers) {
		errs = append(errs, limits.Check(AWSOIDCProvidersPerAccount, "AWS account "+account, providers[account]))
	}
	return errors.Join(errs...)
}

// policy is the role's trust policy: the web identity statements by provider
// and audience, then the EKS Pod Identity statements by namespace and name.
func (r *awsRole) policy() PolicyDocument {
	doc := PolicyDocument{Version: IAMPolicyVersion}
	web := sortedKeysFunc(r.webIdentity, func(a, b webIdentityKey) int {
		return cmpStrings(a.federated, b.federated, a.audience, b.audience)
	})
	for _, k := range web {
		doc.Statement = append(doc.Statement, Statement{
			Effect:    "Allow",
			Principal: Principal{Federated: k.federated},
			Action:    Actions{ActionAssumeRoleWithWebID},
			Condition: Condition{StringEquals: map[string]Values{
				k.hostPath + ":aud": {k.audience},
				k.hostPath + ":sub": sortedKeys(r.webIdentity[k]),
			}},
		})
	}
	pods := sortedKeysFunc(r.podIdentity, func(a, b podIdentityKey) int {
		return cmpStrings(a.namespace, b.namespace, a.name, b.name)
	})
	for _, k := range pods {
		doc.Statement = append(doc.Statement, Statement{
			Effect:    "Allow",
			Principal: Principal{Service: PodIdentityPrincipal},
			Action:    Actions{ActionAssumeRole, ActionTagSession},
			Condition: Condition{StringEquals: map[string]Values{
				TagClusterName:    sortedKeys(r.podIdentity[k]),
				TagNamespace:      {k.namespace},
				TagServiceAccount: {k.name},
			}},
		})
	}
	return doc
}
