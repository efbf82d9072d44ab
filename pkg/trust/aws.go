package trust

import (
	"encoding/json"
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

// Statement lets one ServiceAccount of one issuer (or, for EKS Pod Identity,
// of one cluster) assume a role.
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

// Actions is a statement's Action: one action is written as a string and
// several as a list, as IAM writes them.
type Actions []string

// MarshalJSON writes one action as a string.
func (a Actions) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON reads either form.
func (a *Actions) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*a = Actions{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("an IAM Action is a string or a list of strings: %w", err)
	}
	*a = many
	return nil
}

// Condition pins the statement to one ServiceAccount: for a token, its
// subject and audience; for EKS Pod Identity, the session tags of cluster,
// namespace and ServiceAccount. Every key is always set: without them any
// ServiceAccount could get in.
type Condition struct {
	StringEquals map[string]string `json:"StringEquals"`
}

type awsBuilder struct {
	providers    map[string]*AWSOIDCProvider // by ARN
	roles        map[string]*awsRole         // by role ARN
	associations map[AWSPodIdentityAssociation]bool
}

type awsRole struct {
	statements map[statementKey]Statement
}

type statementKey struct{ federated, subject string }

func newAWSBuilder() cloudBuilder {
	return &awsBuilder{providers: map[string]*AWSOIDCProvider{}, roles: map[string]*awsRole{}, associations: map[AWSPodIdentityAssociation]bool{}}
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
	if a.Mode == v1alpha1.ModePodIdentity {
		return b.addPodIdentity(s)
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
	trusted := b.role(a.RoleARN)
	key := statementKey{providerARN, s.subject}
	stmt := Statement{
		Effect:    "Allow",
		Principal: Principal{Federated: providerARN},
		Action:    Actions{ActionAssumeRoleWithWebID},
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

func (b *awsBuilder) role(roleARN string) *awsRole {
	trusted := b.roles[roleARN]
	if trusted == nil {
		trusted = &awsRole{statements: map[statementKey]Statement{}}
		b.roles[roleARN] = trusted
	}
	return trusted
}

// addPodIdentity trusts the EKS Pod Identity service with the role, for the
// spec's ServiceAccount of its cluster only, and adds the association. Such a
// statement sits beside the IRSA statements of other clusters on one role.
func (b *awsBuilder) addPodIdentity(s *specTrust) error {
	a, sa := s.spec.AWS, s.spec.ServiceAccount
	if s.spec.Cluster.EKS == nil || s.spec.Cluster.EKS.ClusterName == "" {
		return fmt.Errorf("%w: %s: podIdentity needs spec.cluster.eks.clusterName", ErrUnsafe, s.name)
	}
	cluster := s.spec.Cluster.EKS.ClusterName
	b.role(a.RoleARN).statements[statementKey{PodIdentityPrincipal, cluster + "/" + s.subject}] = Statement{
		Effect:    "Allow",
		Principal: Principal{Service: PodIdentityPrincipal},
		Action:    Actions{ActionAssumeRole, ActionTagSession},
		Condition: Condition{StringEquals: map[string]string{
			TagClusterName:    cluster,
			TagNamespace:      sa.Namespace,
			TagServiceAccount: sa.Name,
		}},
	}
	b.associations[AWSPodIdentityAssociation{ClusterName: cluster, Namespace: sa.Namespace, ServiceAccount: sa.Name, RoleARN: a.RoleARN}] = true
	return nil
}

func (b *awsBuilder) build(t *Trust) error {
	if len(b.roles) == 0 {
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
	t.AWS.PodIdentityAssociations = sortedKeysFunc(b.associations, func(a, b AWSPodIdentityAssociation) int {
		return cmpStrings(a.ClusterName, b.ClusterName, a.Namespace, b.Namespace, a.ServiceAccount, b.ServiceAccount, a.RoleARN, b.RoleARN)
	})
	return nil
}
