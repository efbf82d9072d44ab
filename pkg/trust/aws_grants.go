package trust

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
)

// InlinePolicyName names the one inline policy trust writes on a role: a
// later run replaces it, and the role's other policies stay as they are.
const InlinePolicyName = "cross-cloud-access"

// PodNamespaceTag is the policy variable EKS Pod Identity fills with the
// pod's namespace (its kubernetes-namespace session tag), for grants that
// keep each namespace to its own keys.
const PodNamespaceTag = "${aws:PrincipalTag/kubernetes-namespace}"

// S3PrefixKey is the condition key S3 sets to the prefix a listing asks for.
const S3PrefixKey = "s3:prefix"

// s3Actions are what each level allows, on the bucket itself (listing) and
// on its objects. read is the article's; write lets a writer abort its own
// multipart uploads; only readWrite deletes.
var s3Actions = map[v1alpha1.GrantLevel]struct{ bucket, object []string }{
	v1alpha1.LevelRead:      {bucket: []string{s3ListBucket}, object: []string{"s3:GetObject", "s3:GetObjectVersion"}},
	v1alpha1.LevelWrite:     {object: []string{"s3:AbortMultipartUpload", "s3:PutObject"}},
	v1alpha1.LevelReadWrite: {bucket: []string{s3ListBucket}, object: []string{"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}},
}

// AWSInlinePolicySize is IAM's limit on the inline policies of one role,
// together. It cannot be raised, so it has no Service Quotas code.
var AWSInlinePolicySize = Quota{
	Cloud: "AWS IAM", Name: "role policy size (all inline policies of a role)", Limit: 10240, Unit: "characters without whitespace",
	WaysOut: []string{
		"grant whole buckets rather than many prefixes (statements with the same actions are merged)",
		"move statements into customer managed policies (up to 6,144 characters each) and list them in spec.aws.grants.managedPolicyArns",
		"split the workloads over several roles (spec.aws.roleArn)",
	},
}

// AWSManagedPoliciesPerRole is IAM's default limit on managed policies
// attached to one role; accounts can have it raised.
var AWSManagedPoliciesPerRole = Quota{
	Cloud: "AWS IAM", Name: "managed policies per role", Code: "L-0DA4ABF3", Limit: 10, Unit: "managed policies",
	// IAM's quotas documentation has said 20 and, more recently, 25; a
	// limit above both would print attachments IAM refuses.
	Max: 25, Flag: "--aws-managed-policies-quota",
	WaysOut: []string{
		"write what the policies grant as spec.aws.grants.statements, in the role's inline policy",
		"attach fewer, broader managed policies",
	},
}

// PermissionsPolicy is an IAM policy document of Allow statements: what a
// role may do.
type PermissionsPolicy struct {
	Version   string                `json:"Version"`
	Statement []PermissionStatement `json:"Statement"`
}

// PermissionStatement allows actions on resources, under a condition when it
// has one. Action and Resource are always lists, as the article writes them.
type PermissionStatement struct {
	Effect    string           `json:"Effect"`
	Action    []string         `json:"Action"`
	Resource  []string         `json:"Resource"`
	Condition PolicyConditions `json:"Condition,omitempty"`
}

// PolicyConditions are a statement's conditions: operator, then key, then
// the values any of which matches.
type PolicyConditions map[string]map[string][]string

type awsGrantsBuilder struct {
	roles map[string]*awsGrants // by role ARN
}

// awsGrants are one role's permissions, merged over specs.
type awsGrants struct {
	// statements are keyed by their actions; their resources are a set, so
	// statements that allow the same actions merge.
	statements map[string]map[string]bool
	// listings are the prefixes each bucket may be listed under: one
	// statement per bucket (or per set of buckets with the same prefixes),
	// its s3:prefix condition listing them all.
	listings map[string]map[string]bool
	managed  map[string]bool
}

func newAWSGrantsBuilder() cloudBuilder {
	return &awsGrantsBuilder{roles: map[string]*awsGrants{}}
}

func (b *awsGrantsBuilder) add(s *specTrust) error {
	a := s.spec.AWS
	if a == nil || a.Grants == nil {
		return nil
	}
	role, err := arn.ParseRole(a.RoleARN)
	if err != nil {
		return fmt.Errorf("%s: spec.aws.roleArn %q: %w", s.name, a.RoleARN, err)
	}
	g := b.roles[a.RoleARN]
	if g == nil {
		g = &awsGrants{statements: map[string]map[string]bool{}, listings: map[string]map[string]bool{}, managed: map[string]bool{}}
		b.roles[a.RoleARN] = g
	}
	for _, grant := range a.Grants.S3 {
		if err := g.addS3(role.Partition, grant); err != nil {
			return fmt.Errorf("%s: spec.aws.grants.s3 %s: %w", s.name, grant.Bucket, err)
		}
	}
	for _, st := range a.Grants.Statements {
		g.allow(st.Actions, st.Resources)
	}
	for _, p := range a.Grants.ManagedPolicyARNs {
		g.managed[p] = true
	}
	return nil
}

// addS3 allows a level on a bucket. A whole bucket is one statement on the
// bucket and its objects (the article's policy); a prefix lists under the
// prefix only (s3:ListBucket conditioned on s3:prefix) and reaches the
// objects under it only.
func (g *awsGrants) addS3(partition string, grant v1alpha1.S3Grant) error {
	actions, ok := s3Actions[grant.Level]
	if !ok {
		return fmt.Errorf("level %q is not resolved; decode the spec with v1alpha1.Decode", grant.Level)
	}
	bucket := arn.Bucket(partition, grant.Bucket)
	prefix := grant.Prefix
	if grant.PerNamespace {
		prefix = PodNamespaceTag + "/" + prefix
	}
	if prefix == "" {
		resources := []string{bucket + "/*"}
		if len(actions.bucket) > 0 {
			resources = append(resources, bucket)
		}
		g.allow(append(slices.Clone(actions.bucket), actions.object...), resources)
		return nil
	}
	if len(actions.bucket) > 0 {
		if g.listings[bucket] == nil {
			g.listings[bucket] = map[string]bool{}
		}
		g.listings[bucket][prefix+"*"] = true
	}
	g.allow(actions.object, []string{bucket + "/" + prefix + "*"})
	return nil
}

// s3ListBucket is the one bucket action: listing.
const s3ListBucket = "s3:ListBucket"

// allow adds resources to the statement with these actions.
func (g *awsGrants) allow(actions, resources []string) {
	sorted := slices.Sorted(slices.Values(actions))
	key := strings.Join(slices.Compact(sorted), "\x00")
	if g.statements[key] == nil {
		g.statements[key] = map[string]bool{}
	}
	for _, r := range resources {
		g.statements[key][r] = true
	}
}

// policy is the role's inline policy: statements sorted by actions, then
// by condition.
func (g *awsGrants) policy() *PermissionsPolicy {
	if len(g.statements)+len(g.listings) == 0 {
		return nil
	}
	p := &PermissionsPolicy{Version: IAMPolicyVersion}
	for _, actions := range sortedKeys(g.statements) {
		p.Statement = append(p.Statement, PermissionStatement{
			Effect:   "Allow",
			Action:   strings.Split(actions, "\x00"),
			Resource: sortedKeys(g.statements[actions]),
		})
	}
	// Buckets listed under the same prefixes share one statement.
	byPrefixes := map[string][]string{}
	for _, bucket := range sortedKeys(g.listings) {
		prefixes := strings.Join(sortedKeys(g.listings[bucket]), "\x00")
		byPrefixes[prefixes] = append(byPrefixes[prefixes], bucket)
	}
	for _, prefixes := range sortedKeys(byPrefixes) {
		p.Statement = append(p.Statement, PermissionStatement{
			Effect:    "Allow",
			Action:    []string{s3ListBucket},
			Resource:  byPrefixes[prefixes],
			Condition: PolicyConditions{"StringLike": {S3PrefixKey: strings.Split(prefixes, "\x00")}},
		})
	}
	return p
}

func (b *awsGrantsBuilder) build(t *Trust, limits Limits) error {
	if len(b.roles) == 0 {
		return nil
	}
	if t.AWS == nil {
		return errors.New("AWS grants without AWS trust: build the trust first")
	}
	var errs []error
	for _, roleARN := range sortedKeys(b.roles) {
		i := slices.IndexFunc(t.AWS.Roles, func(r AWSRole) bool { return r.RoleARN == roleARN })
		if i < 0 {
			return fmt.Errorf("grants for role %s, which no spec trusts", roleARN)
		}
		g, role := b.roles[roleARN], &t.AWS.Roles[i]
		role.PermissionsPolicy = g.policy()
		role.ManagedPolicyARNs = sortedKeys(g.managed)
		if role.PermissionsPolicy != nil {
			size, err := policySize(role.PermissionsPolicy)
			if err != nil {
				return err
			}
			errs = append(errs, limits.Check(AWSInlinePolicySize, "the inline policy of role "+roleARN, size))
		}
		errs = append(errs, limits.Check(AWSManagedPoliciesPerRole, "role "+roleARN, len(role.ManagedPolicyARNs)))
	}
	return errors.Join(errs...)
}

// policySize is a policy's size as IAM counts it: the characters of its JSON
// that are not whitespace.
func policySize(p *PermissionsPolicy) (int, error) {
	line, err := oneLineJSON(p)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range line {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n, nil
}

// hasAWSGrants reports whether some role has permissions to write.
func hasAWSGrants(t *Trust) bool {
	return t.AWS != nil && slices.ContainsFunc(t.AWS.Roles, func(r AWSRole) bool {
		return r.PermissionsPolicy != nil || len(r.ManagedPolicyARNs) > 0
	})
}
