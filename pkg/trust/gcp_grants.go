package trust

import (
	"errors"
	"fmt"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
)

// The roles each GCS level grants on a bucket: the article's objectViewer,
// objectCreator (create objects, no read, no overwrite) and objectUser
// (read, list, create, overwrite, delete).
var gcsRoles = map[v1alpha1.GrantLevel]string{
	v1alpha1.LevelRead:      "roles/storage.objectViewer",
	v1alpha1.LevelWrite:     "roles/storage.objectCreator",
	v1alpha1.LevelReadWrite: "roles/storage.objectUser",
}

// GCSListPrefixAttribute is the API attribute Cloud Storage sets, in IAM
// conditions, to the prefix an objects.list request asks for: a prefix
// condition lets a listing through only when it asks for keys under the
// prefix.
const GCSListPrefixAttribute = "storage.googleapis.com/objectListPrefix"

// GCSPrefixConditionTitle is the title of every prefix condition (IAM
// requires one): the expression says which prefixes.
const GCSPrefixConditionTitle = "cross-cloud-access object prefixes"

// GCPConditionOperators is IAM's limit on the logical operators of one
// binding's condition.
var GCPConditionOperators = Quota{
	Cloud: "Google Cloud IAM", Name: "logical operators in a binding's condition expression", Limit: 12, Unit: "operators",
	WaysOut: []string{
		"grant fewer prefixes of one bucket to one identity (each costs two operators): a common parent prefix covers several",
		"grant the whole bucket (no prefix)",
	},
}

// GCPMembersPerPolicy is IAM's limit on the members of all bindings of one
// resource's allow policy; trust counts only its own.
var GCPMembersPerPolicy = Quota{
	Cloud: "Google Cloud IAM", Name: "members in all bindings of one allow policy", Limit: 1500, Unit: "members",
	WaysOut: []string{
		"impersonate a Google service account (spec.gcp.serviceAccountEmail), so one member stands for many ServiceAccounts",
		"spread the grants over more resources",
	},
}

// GCPResourceBinding grants Role to Member on Resource (a full resource
// name), under Condition when it has one.
type GCPResourceBinding struct {
	Resource  string        `json:"resource"`
	Role      string        `json:"role"`
	Member    string        `json:"member"`
	Condition *GCPCondition `json:"condition,omitempty"`
}

// GCPCondition is an IAM condition: a title and a CEL expression.
type GCPCondition struct {
	Title      string `json:"title"`
	Expression string `json:"expression"`
}

type gcpGrantsBuilder struct {
	bindings map[gcpBindingKey]*gcpPrefixes
}

type gcpBindingKey struct{ resource, role, member string }

// gcpPrefixes are the object prefixes a bucket binding is kept to; whole
// means no condition: one grant of the whole bucket covers every prefix.
type gcpPrefixes struct {
	bucket   string
	whole    bool
	prefixes map[string]bool
}

func newGCPGrantsBuilder() cloudBuilder {
	return &gcpGrantsBuilder{bindings: map[gcpBindingKey]*gcpPrefixes{}}
}

func (b *gcpGrantsBuilder) add(s *specTrust) error {
	g := s.spec.GCP
	if g == nil || g.Grants == nil {
		return nil
	}
	member, err := gcpGrantMember(s)
	if err != nil {
		return err
	}
	for _, grant := range g.Grants.GCS {
		role, ok := gcsRoles[grant.Level]
		if !ok {
			return fmt.Errorf("%s: spec.gcp.grants.gcs %s: level %q is not resolved; decode the spec with v1alpha1.Decode", s.name, grant.Bucket, grant.Level)
		}
		b.grant(gcpBindingKey{gcpid.BucketResource(grant.Bucket), role, member}, grant.Bucket, grant.Prefix)
	}
	for _, grant := range g.Grants.Roles {
		if _, err := gcpid.ParseResource(grant.Resource); err != nil {
			return fmt.Errorf("%s: spec.gcp.grants.roles: %w", s.name, err)
		}
		b.grant(gcpBindingKey{grant.Resource, grant.Role, member}, "", "")
	}
	return nil
}

// grant records a binding, kept to a prefix of bucket when prefix is set.
func (b *gcpGrantsBuilder) grant(key gcpBindingKey, bucket, prefix string) {
	p := b.bindings[key]
	if p == nil {
		p = &gcpPrefixes{bucket: bucket, prefixes: map[string]bool{}}
		b.bindings[key] = p
	}
	if prefix == "" {
		p.whole = true
		return
	}
	p.prefixes[prefix] = true
}

// gcpGrantMember is the identity the spec's pods present to Google: the
// Google service account they impersonate, else their own principal (the
// pool's subject for federated access, the GKE ServiceAccount principal for
// Workload Identity), as the trust lists it in resourcePrincipals.
func gcpGrantMember(s *specTrust) (string, error) {
	g, sa := s.spec.GCP, s.spec.ServiceAccount
	switch {
	case g.Impersonates():
		return "serviceAccount:" + g.ServiceAccountEmail, nil
	case g.Mode == v1alpha1.ModeWorkloadIdentity:
		return gcpid.GKEPrincipal(g.ProjectNumber, g.ProjectID, sa.Namespace, sa.Name), nil
	case g.Mode == v1alpha1.ModeFederated:
		return gcpid.Principal(g.ProjectNumber, g.WorkloadIdentityPool, s.subject), nil
	}
	return "", fmt.Errorf("%s: spec.gcp.mode %q is not resolved; decode the spec with v1alpha1.Decode", s.name, g.Mode)
}

func (b *gcpGrantsBuilder) build(t *Trust, limits Limits) error {
	if len(b.bindings) == 0 {
		return nil
	}
	if t.GCP == nil {
		return errors.New("GCP grants without GCP trust: build the trust first")
	}
	var errs []error
	members := map[string]map[string]bool{} // resource -> members
	keys := sortedKeysFunc(b.bindings, func(x, y gcpBindingKey) int {
		return cmpStrings(x.resource, y.resource, x.role, y.role, x.member, y.member)
	})
	for _, k := range keys {
		binding := GCPResourceBinding{Resource: k.resource, Role: k.role, Member: k.member}
		if p := b.bindings[k]; !p.whole {
			clauses := prefixClauses(p.bucket, sortedKeys(p.prefixes))
			errs = append(errs, limits.Check(GCPConditionOperators, fmt.Sprintf("the condition of %s on %s for %s", k.role, k.resource, k.member), len(clauses)-1))
			binding.Condition = &GCPCondition{Title: GCSPrefixConditionTitle, Expression: strings.Join(clauses, " || ")}
		}
		t.GCP.ResourceBindings = append(t.GCP.ResourceBindings, binding)
		if members[k.resource] == nil {
			members[k.resource] = map[string]bool{}
		}
		members[k.resource][k.member] = true
	}
	for _, resource := range sortedKeys(members) {
		errs = append(errs, limits.Check(GCPMembersPerPolicy, "the allow policy of "+resource, len(members[resource])))
	}
	return errors.Join(errs...)
}

// prefixClauses are the CEL clauses, any of which admits a request, that
// keep a bucket binding to objects under the prefixes: the object's name
// starts with one of them, or the listing asks for keys under one of them
// (Cloud Storage checks objects.list on the bucket, whose name no object
// prefix matches, so the list attribute is what admits listing).
func prefixClauses(bucket string, prefixes []string) []string {
	var clauses []string
	for _, p := range prefixes {
		clauses = append(clauses,
			"resource.name.startsWith("+celString(gcpid.ObjectName(bucket, p))+")",
			"api.getAttribute("+celString(GCSListPrefixAttribute)+", '').startsWith("+celString(p)+")")
	}
	return clauses
}

// hasGCPGrants reports whether there are bindings to write.
func hasGCPGrants(t *Trust) bool {
	return t.GCP != nil && len(t.GCP.ResourceBindings) > 0
}
