package v1alpha1

import (
	"slices"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/keyprefix"
)

// GCPGrants are roles on Google Cloud resources: `trust` binds them to the
// Google service account when the pods impersonate one, else to the pods'
// own principal:// identity. They change nothing in the pods.
type GCPGrants struct {
	// GCS grants read, write or both on a bucket, or on the objects under a
	// prefix of it.
	GCS []GCSGrant `json:"gcs,omitempty"`
	// Roles grant any role on one resource, named by its full resource name.
	Roles []GCPRoleGrant `json:"roles,omitempty"`
}

// GCSGrant is a role on one bucket: read is roles/storage.objectViewer (the
// article's), write roles/storage.objectCreator, readWrite
// roles/storage.objectUser.
type GCSGrant struct {
	Bucket string `json:"bucket"`
	// Prefix keeps the grant to objects under it with an IAM condition on
	// the object name (and on the prefix a listing asks for).
	Prefix string     `json:"prefix,omitempty"`
	Level  GrantLevel `json:"level,omitempty" jsonschema:"enum=read,enum=write,enum=readWrite"`
}

// GCPRoleGrant is one role on one resource.
type GCPRoleGrant struct {
	Role string `json:"role"`
	// Resource is a full resource name (//pubsub.googleapis.com/projects/P/
	// subscriptions/S), never a wildcard.
	Resource string `json:"resource"`
}

func (g *GCPGrants) defaults() {
	for i := range g.GCS {
		defaultLevel(&g.GCS[i].Level)
	}
}

func (g *GCPGrants) check(v *checker, field string) {
	if len(g.GCS)+len(g.Roles) == 0 {
		v.errorf(field, "is empty and grants nothing; add gcs or roles, or remove it")
	}
	each(field+".gcs", g.GCS, func(field string, s *GCSGrant) {
		v.required(field+".bucket", s.Bucket, gcpid.IsBucket, gcpid.WantBucket)
		if err := keyprefix.Check(s.Prefix); err != nil {
			v.errorf(field+".prefix", "%v", err)
		}
		v.checkLevel(field+".level", s.Level)
	})
	each(field+".roles", g.Roles, func(field string, r *GCPRoleGrant) {
		switch {
		case slices.Contains(gcpid.BasicRoles, r.Role):
			v.errorf(field+".role", "%q is a basic role, which grants every service's permissions on the resource; want a predefined role of the service, such as roles/storage.objectViewer or roles/pubsub.subscriber", r.Role)
		default:
			v.required(field+".role", r.Role, gcpid.IsRole, gcpid.WantRole)
		}
		if r.Resource == "" {
			v.errorf(field+".resource", "is required; want %s", gcpid.WantResource())
		} else if _, err := gcpid.ParseResource(r.Resource); err != nil {
			v.errorf(field+".resource", "%v", err)
		}
	})
}
