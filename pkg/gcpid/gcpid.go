// Package gcpid is the grammar of the Google Cloud identifiers a spec names:
// project IDs and numbers, workload identity pool and provider IDs, service
// account emails, and what grants name (bucket names, roles, full resource
// names). The function's validation and trust's builders call
// the same code, so they can never accept different identifiers.
package gcpid

import (
	"regexp"
	"strings"
)

// What each identifier must look like, for messages.
const (
	WantProjectID      = "a project ID: 6 to 30 lowercase letters, digits and hyphens, starting with a letter"
	WantProjectNumber  = "the project number (digits only, not the project ID)"
	WantPoolOrProvider = "4 to 32 lowercase letters, digits and hyphens, not starting with gcp- or -"
	WantEmail          = "a service account email such as NAME@PROJECT.iam.gserviceaccount.com"
	WantRegion         = "a Google Cloud region such as europe-west2 or us-central1 (a region, not a zone)"
)

// ReservedPrefix starts pool and provider IDs that Google keeps for itself.
const ReservedPrefix = "gcp-"

const projectID = `[a-z][a-z0-9-]{4,28}[a-z0-9]`

var (
	projectIDPattern     = regexp.MustCompile(`^` + projectID + `$`)
	projectNumberPattern = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)
	// Regions are a geography and a place with a number
	// (northamerica-northeast1); a zone adds "-a", which is no region.
	regionPattern = regexp.MustCompile(`^[a-z]{2,20}-[a-z]{2,20}[0-9]{1,2}$`)
	// No leading "-": the ID becomes a command-line argument of gcloud.
	poolOrProvider = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{3,31}$`)
	// The three kinds of service account: user-managed, App Engine default
	// and Compute Engine default. The group is the project ID or number.
	emails = []*regexp.Regexp{
		regexp.MustCompile(`^` + projectID + `@(` + projectID + `)\.iam\.gserviceaccount\.com$`),
		regexp.MustCompile(`^(` + projectID + `)@appspot\.gserviceaccount\.com$`),
		regexp.MustCompile(`^([0-9]+)-compute@developer\.gserviceaccount\.com$`),
	}
)

// IsProjectID reports whether s is a project ID.
func IsProjectID(s string) bool { return projectIDPattern.MatchString(s) }

// IsProjectNumber reports whether s is a project number.
func IsProjectNumber(s string) bool { return projectNumberPattern.MatchString(s) }

// IsRegion reports whether s has the shape of a Google Cloud region.
func IsRegion(s string) bool { return regionPattern.MatchString(s) }

// IsPoolOrProvider reports whether s can be a workload identity pool or
// provider ID: the shape, and not the reserved prefix.
func IsPoolOrProvider(s string) bool {
	return poolOrProvider.MatchString(s) && !strings.HasPrefix(s, ReservedPrefix)
}

// IsEmail reports whether s is a service account email.
func IsEmail(s string) bool {
	_, ok := EmailProject(s)
	return ok
}

// EmailProject is the project (ID, or number for the Compute Engine default
// account) a service account email belongs to.
func EmailProject(email string) (string, bool) {
	for _, re := range emails {
		if m := re.FindStringSubmatch(email); m != nil {
			return m[1], true
		}
	}
	return "", false
}

// The parts of a principal of a workload identity pool,
// principal://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/subject/S.
// PrincipalPrefix and PrincipalSubject surround the pool's resource name.
const (
	PrincipalPrefix  = "principal://iam.googleapis.com/"
	PrincipalSubject = "/subject/"
	poolNamePrefix   = "projects/"
	poolNameMiddle   = "/locations/global/workloadIdentityPools/"
)

// PoolName is the resource name of a workload identity pool,
// projects/N/locations/global/workloadIdentityPools/P: what the IAM API and
// gcloud take to name it, with the project given by number.
func PoolName(projectNumber, poolID string) string {
	return poolNamePrefix + projectNumber + poolNameMiddle + poolID
}

// ProviderName is the resource name of a workload identity pool provider,
// POOL_NAME/providers/PR.
func ProviderName(projectNumber, poolID, providerID string) string {
	return PoolName(projectNumber, poolID) + "/providers/" + providerID
}

// Principal is the principal identifier of subject in a workload identity
// pool: what roles are granted to, and what may impersonate a service account.
func Principal(projectNumber, poolID, subject string) string {
	return PrincipalPrefix + PoolName(projectNumber, poolID) + PrincipalSubject + subject
}

// ParsePrincipal reads the pool and the subject of a principal identifier.
func ParsePrincipal(member string) (projectNumber, poolID, subject string, ok bool) {
	rest, ok := strings.CutPrefix(member, PrincipalPrefix+poolNamePrefix)
	if !ok {
		return "", "", "", false
	}
	projectNumber, rest, ok = strings.Cut(rest, poolNameMiddle)
	if !ok {
		return "", "", "", false
	}
	poolID, subject, ok = strings.Cut(rest, PrincipalSubject)
	if !ok {
		return "", "", "", false
	}
	return projectNumber, poolID, subject, true
}

// GKEPool is the workload identity pool of GKE clusters in a project.
func GKEPool(projectID string) string { return projectID + ".svc.id.goog" }

// GKEPrincipal is the principal of a Kubernetes ServiceAccount of a GKE
// cluster with Workload Identity, for direct access without a Google service
// account: the pool is the project's GKE pool and the subject names the
// namespace and ServiceAccount.
func GKEPrincipal(projectNumber, projectID, namespace, serviceAccount string) string {
	return Principal(projectNumber, GKEPool(projectID), "ns/"+namespace+"/sa/"+serviceAccount)
}
