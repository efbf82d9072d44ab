package gcpid

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// What the grant grammars accept, for messages.
const (
	WantBucket = "a Cloud Storage bucket name: 3 to 63 lowercase letters, digits, hyphens, underscores and dots (up to 222 with dots, 63 between them), starting and ending with a letter or digit, not an IP address, not starting with goog and not containing google"
	WantRole   = "a role such as roles/pubsub.subscriber, or a custom role projects/PROJECT/roles/NAME or organizations/NUMBER/roles/NAME"
)

var (
	bucketChars     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*[a-z0-9]$`)
	bucketComponent = regexp.MustCompile(`^[a-z0-9_-]{1,63}$`)
	// Predefined roles and custom roles of a project or an organization.
	role = regexp.MustCompile(`^((projects/` + projectID + `|organizations/[1-9][0-9]{0,19})/)?roles/[A-Za-z0-9_.]{1,128}$`)
)

// BasicRoles are Google's basic roles: each grants thousands of permissions
// across every service of the resource, so a grant may not name them.
var BasicRoles = []string{"roles/owner", "roles/editor", "roles/viewer"}

// IsBucket reports whether name is a Cloud Storage bucket name Google
// accepts.
func IsBucket(name string) bool {
	if len(name) < 3 || len(name) > 222 || !bucketChars.MatchString(name) || net.ParseIP(name) != nil {
		return false
	}
	components := strings.Split(name, ".")
	if len(components) == 1 && len(name) > 63 {
		return false
	}
	for _, c := range components {
		if !bucketComponent.MatchString(c) {
			return false
		}
	}
	return !strings.HasPrefix(name, "goog") && !strings.Contains(name, "google") && !strings.Contains(name, "g00gle")
}

// IsRole reports whether s names a predefined or custom IAM role.
func IsRole(s string) bool { return role.MatchString(s) }

// ResourceType is a kind of Google Cloud resource a grant may name, by the
// type name IAM conditions use for it (resource.type).
type ResourceType string

// The resource types a grant may name. Each has a non-authoritative member
// resource in Terraform, an add-iam-policy-binding command in gcloud and a
// kind Config Connector's IAMPolicyMember can reference.
const (
	TypeBucket         ResourceType = "storage.googleapis.com/Bucket"
	TypeTopic          ResourceType = "pubsub.googleapis.com/Topic"
	TypeSubscription   ResourceType = "pubsub.googleapis.com/Subscription"
	TypeSecret         ResourceType = "secretmanager.googleapis.com/Secret"
	TypeProject        ResourceType = "cloudresourcemanager.googleapis.com/Project"
	TypeServiceAccount ResourceType = "iam.googleapis.com/ServiceAccount"
)

// Resource is a parsed full resource name: its type, its project (none for
// a bucket, whose name is global) and its own ID (the bucket, topic,
// subscription, secret or project ID, or the service account's email).
type Resource struct {
	Type    ResourceType
	Project string
	ID      string
}

// resourceName is one resource type's full resource name,
// //SERVICE/projects/PROJECT/COLLECTION/ID, with the grammar of its ID.
type resourceName struct {
	typ     ResourceType
	pattern *regexp.Regexp
	example string
}

const projectIDOrNumber = `(` + projectID + `|[1-9][0-9]{0,18})`

// resourceNames are the full resource names a grant may name, in Google's
// own spelling (https://cloud.google.com/iam/docs/full-resource-names).
var resourceNames = []resourceName{
	{TypeBucket, regexp.MustCompile(`^//storage\.googleapis\.com/projects/_/buckets/()([a-z0-9._-]{3,222})$`), "//storage.googleapis.com/projects/_/buckets/BUCKET"},
	// Topic and subscription IDs: a letter, then letters, digits and
	// - _ . ~ + %, 3 to 255 in all, not starting with goog.
	{TypeTopic, regexp.MustCompile(`^//pubsub\.googleapis\.com/projects/` + projectIDOrNumber + `/topics/([A-Za-z][A-Za-z0-9._~+%-]{2,254})$`), "//pubsub.googleapis.com/projects/PROJECT/topics/TOPIC"},
	{TypeSubscription, regexp.MustCompile(`^//pubsub\.googleapis\.com/projects/` + projectIDOrNumber + `/subscriptions/([A-Za-z][A-Za-z0-9._~+%-]{2,254})$`), "//pubsub.googleapis.com/projects/PROJECT/subscriptions/SUBSCRIPTION"},
	{TypeSecret, regexp.MustCompile(`^//secretmanager\.googleapis\.com/projects/` + projectIDOrNumber + `/secrets/([A-Za-z0-9_-]{1,255})$`), "//secretmanager.googleapis.com/projects/PROJECT/secrets/SECRET"},
	{TypeProject, regexp.MustCompile(`^//cloudresourcemanager\.googleapis\.com/projects/` + projectIDOrNumber + `()$`), "//cloudresourcemanager.googleapis.com/projects/PROJECT"},
	{TypeServiceAccount, regexp.MustCompile(`^//iam\.googleapis\.com/projects/` + projectIDOrNumber + `/serviceAccounts/([^/]+)$`), "//iam.googleapis.com/projects/PROJECT/serviceAccounts/EMAIL"},
}

// ResourceTypes are the resource types a grant may name, in the order
// WantResource lists them.
func ResourceTypes() []ResourceType {
	types := make([]ResourceType, len(resourceNames))
	for i, r := range resourceNames {
		types[i] = r.typ
	}
	return types
}

// WantResource says which full resource names a grant may name.
func WantResource() string {
	examples := make([]string, len(resourceNames))
	for i, r := range resourceNames {
		examples[i] = r.example
	}
	return "a full resource name, one of " + strings.Join(examples, ", ")
}

// ParseResource reads a full resource name of one of the types a grant may
// name. Other resources (and anything with a wildcard) are an error naming
// the forms that are known.
func ParseResource(name string) (Resource, error) {
	for _, r := range resourceNames {
		m := r.pattern.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		res := Resource{Type: r.typ, Project: m[1], ID: m[2]}
		switch r.typ {
		case TypeBucket:
			if !IsBucket(res.ID) {
				return Resource{}, fmt.Errorf("%q names bucket %q, which is not valid; want %s", name, res.ID, WantBucket)
			}
		case TypeTopic, TypeSubscription:
			if strings.HasPrefix(res.ID, "goog") {
				return Resource{}, fmt.Errorf("%q names %q, which starts with goog, which Google reserves", name, res.ID)
			}
		case TypeProject:
			res.ID = res.Project
		case TypeServiceAccount:
			if !IsEmail(res.ID) {
				return Resource{}, fmt.Errorf("%q names %q, which is not valid; want %s", name, res.ID, WantEmail)
			}
		}
		return res, nil
	}
	if strings.ContainsAny(name, "*?") {
		return Resource{}, fmt.Errorf("%q has a wildcard, which would grant more than one resource; want %s", name, WantResource())
	}
	return Resource{}, fmt.Errorf("%q is not valid; want %s", name, WantResource())
}

// BucketResource is the full resource name of a Cloud Storage bucket.
func BucketResource(bucket string) string {
	return "//storage.googleapis.com/projects/_/buckets/" + bucket
}

// ObjectName is the resource name IAM conditions give an object of a
// bucket (resource.name): projects/_/buckets/BUCKET/objects/KEY.
func ObjectName(bucket, key string) string {
	return "projects/_/buckets/" + bucket + "/objects/" + key
}
