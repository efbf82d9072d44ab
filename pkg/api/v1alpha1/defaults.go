package v1alpha1

import (
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
)

// Defaults that the clouds' own tooling uses, so output matches what EKS's and
// AKS's webhooks would inject.
const (
	DefaultNamespace                   = "default"
	DefaultAWSAudience                 = "sts.amazonaws.com"
	DefaultAWSTokenExpirationSeconds   = 86400
	DefaultSTSRegionalEndpoints        = "regional"
	DefaultGCPTokenExpirationSeconds   = 3600
	DefaultAzureAudience               = "api://AzureADTokenExchange"
	DefaultAzureAuthorityHost          = "https://login.microsoftonline.com/"
	DefaultAzureTokenExpirationSeconds = 3600
)

// Default fills every optional field and resolves each "auto" mode from the
// cluster, so that later stages read only concrete values. It is safe to call
// on an invalid spec: Check reports what is wrong afterwards.
func (c *CrossCloudAccess) Default() {
	s := &c.Spec
	if s.Cluster.Issuer == "" && s.Cluster.Provider == ProviderGKE && s.Cluster.GKE != nil {
		s.Cluster.Issuer = issuer.GKE(s.Cluster.GKE.ProjectID, s.Cluster.GKE.Location, s.Cluster.GKE.ClusterName)
	}
	if s.ServiceAccount.Namespace == "" {
		// A namespaced spec acts in its own namespace.
		s.ServiceAccount.Namespace = c.Metadata.Namespace
	}
	if s.ServiceAccount.Namespace == "" {
		s.ServiceAccount.Namespace = DefaultNamespace
		s.ServiceAccount.namespaceDefaulted = true
	}
	if s.ServiceAccount.Create == nil {
		create := true
		s.ServiceAccount.Create = &create
	}
	if s.AdmissionPolicy != nil {
		s.AdmissionPolicy.defaults()
	}
	for _, cl := range s.clouds() {
		cl.defaults(&s.Cluster)
	}
	for _, entry := range s.Containers {
		if entry.AWS != nil && entry.AWS.Grants != nil {
			entry.AWS.Grants.defaults()
		}
		if entry.GCP != nil && entry.GCP.Grants != nil {
			entry.GCP.Grants.defaults()
		}
		if entry.Azure != nil && entry.Azure.Grants != nil {
			entry.Azure.Grants.defaults()
		}
	}
}

// subjectPrefix starts the sub claim of every ServiceAccount token.
const subjectPrefix = "system:serviceaccount:"

// Subject is the sub claim of the ServiceAccount's tokens.
func (s ServiceAccount) Subject() string {
	return subjectPrefix + s.Namespace + ":" + s.Name
}

// ParseSubject reads a ServiceAccount token's sub claim back into the
// ServiceAccount's namespace and name; ok is false for any other string.
func ParseSubject(subject string) (sa ServiceAccount, ok bool) {
	rest, found := strings.CutPrefix(subject, subjectPrefix)
	if !found {
		return ServiceAccount{}, false
	}
	namespace, name, found := strings.Cut(rest, ":")
	if !found || namespace == "" || name == "" || strings.Contains(name, ":") {
		return ServiceAccount{}, false
	}
	return ServiceAccount{Namespace: namespace, Name: name}, true
}

// unnamedSpec stands for a spec without metadata.name in stamps and markers.
const unnamedSpec = "unnamed"

// StampName is the name a spec's stamps and emitted-object markers carry:
// metadata.name, or "unnamed".
func (c *CrossCloudAccess) StampName() string {
	if c.Metadata.Name != "" {
		return c.Metadata.Name
	}
	return unnamedSpec
}

func defaultString(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func defaultInt(p *int64, v int64) {
	if *p == 0 {
		*p = v
	}
}
