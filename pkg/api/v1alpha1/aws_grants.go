package v1alpha1

import (
	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/keyprefix"
)

// AWSGrants are what the role may do: `trust` renders them as the role's
// permissions beside its trust policy. They change nothing in the pods.
type AWSGrants struct {
	// S3 grants read, write or both on a bucket, or on the keys under a
	// prefix of it.
	S3 []S3Grant `json:"s3,omitempty"`
	// ManagedPolicyARNs are existing managed policies, attached as they are.
	ManagedPolicyARNs []string `json:"managedPolicyArns,omitempty"`
	// Statements grant anything else: actions on named resources.
	Statements []AWSStatement `json:"statements,omitempty"`
}

// S3Grant is access to one bucket. Read is the article's s3:GetObject,
// s3:GetObjectVersion and s3:ListBucket; write is s3:PutObject and
// s3:AbortMultipartUpload; readWrite is both and s3:DeleteObject.
type S3Grant struct {
	Bucket string `json:"bucket"`
	// Prefix keeps the grant to keys under it, listing included
	// (s3:ListBucket conditioned on s3:prefix).
	Prefix string     `json:"prefix,omitempty"`
	Level  GrantLevel `json:"level,omitempty" jsonschema:"enum=read,enum=write,enum=readWrite"`
	// PerNamespace puts the pod's namespace in front of the prefix
	// (NAMESPACE/PREFIX), read from the kubernetes-namespace session tag
	// EKS Pod Identity sets, so one role shared by many namespaces keeps
	// each to its own keys. aws.mode podIdentity only.
	PerNamespace bool `json:"perNamespace,omitempty"`
}

// AWSStatement allows actions on resources. A "*" resource, and an action
// that is "*" or has any wildcard, are errors: name what the role needs.
type AWSStatement struct {
	Actions   []string `json:"actions"`
	Resources []string `json:"resources"`
}

func (g *AWSGrants) defaults() {
	for i := range g.S3 {
		defaultLevel(&g.S3[i].Level)
	}
}

// check checks the grants of a role; role is nil when the role ARN itself
// is not valid, and then nothing that depends on its partition is checked.
func (g *AWSGrants) check(v *checker, field string, role *arn.Role, mode Mode) {
	if len(g.S3)+len(g.ManagedPolicyARNs)+len(g.Statements) == 0 {
		v.errorf(field, "is empty and grants nothing; add s3, managedPolicyArns or statements, or remove it")
	}
	each(field+".s3", g.S3, func(field string, s *S3Grant) {
		v.required(field+".bucket", s.Bucket, arn.IsBucket, arn.WantBucket)
		if err := keyprefix.Check(s.Prefix); err != nil {
			v.errorf(field+".prefix", "%v", err)
		}
		v.checkLevel(field+".level", s.Level)
		if s.PerNamespace && mode != ModePodIdentity {
			v.errorf(field+".perNamespace", "needs aws.mode podIdentity, whose sessions carry the kubernetes-namespace tag it reads (mode is %s); remove it, or use a prefix per ServiceAccount", mode)
		}
	})
	if role == nil {
		return
	}
	each(field+".managedPolicyArns", g.ManagedPolicyARNs, func(field string, p *string) {
		if err := arn.CheckManagedPolicy(role.Partition, *p); err != nil {
			v.errorf(field, "%v", err)
		}
	})
	each(field+".statements", g.Statements, func(field string, s *AWSStatement) {
		if len(s.Actions) == 0 {
			v.errorf(field+".actions", "is empty; want at least one action, such as sqs:ReceiveMessage")
		}
		if len(s.Resources) == 0 {
			v.errorf(field+".resources", "is empty; want at least one resource ARN (a statement never applies to every resource)")
		}
		each(field+".actions", s.Actions, func(field string, a *string) {
			if err := arn.CheckAction(*a); err != nil {
				v.errorf(field, "%v", err)
			}
		})
		each(field+".resources", s.Resources, func(field string, r *string) {
			if err := arn.CheckResource(role.Partition, *r); err != nil {
				v.errorf(field, "%v", err)
			}
		})
	})
}

// validRole is the parsed role ARN, or nil when it is not valid (its own
// check reports why).
func validRole(roleARN string) *arn.Role {
	role, err := arn.ParseRole(roleARN)
	if err != nil {
		return nil
	}
	return &role
}
