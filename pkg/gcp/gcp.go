// Package gcp plans access to Google Cloud: on GKE with Workload Identity, the
// annotation GKE's metadata server reads; anywhere else, a workload identity
// pool provider that trusts the cluster, reached through an external_account
// credential configuration that both the client libraries and gcloud read.
package gcp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

// Token is where the token goes. The credential configuration has a folder of
// its own because a ConfigMap volume and a projected volume cannot share one.
var Token = plan.TokenLocation{VolumeName: "gcp-iam-token", MountPath: "/var/run/secrets/iam.googleapis.com/serviceaccount", Path: "token"}

// Names and endpoints of the credential configuration.
const (
	CredentialVolumeName       = "gcp-credential-configuration"
	CredentialMountPath        = "/var/run/secrets/iam.googleapis.com/credential-configuration"
	CredentialFileName         = "credential-configuration.json"
	CredentialConfigMapSuffix  = "-gcp-credentials"
	WindowsConfigMapSuffix     = "-windows"
	ServiceAccountAnnotation   = "iam.gke.io/gcp-service-account"
	subjectTokenTypeJWT        = "urn:ietf:params:oauth:token-type:jwt"
	stsTokenURL                = "https://sts.googleapis.com/v1/token"
	stsIntrospectURL           = "https://sts.googleapis.com/v1/introspect"
	impersonationURLFormat     = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/%s:generateAccessToken"
	defaultUniverseDomain      = "googleapis.com"
	credentialConfigurationEnv = "GOOGLE_APPLICATION_CREDENTIALS"
	gcloudCredentialOverride   = "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE"
	gcloudProject              = "CLOUDSDK_CORE_PROJECT"
	gcloudRegion               = "CLOUDSDK_COMPUTE_REGION"
)

// CredentialConfigMapName is the ConfigMap holding the ServiceAccount's
// credential configuration.
func CredentialConfigMapName(serviceAccount string) string {
	return serviceAccount + CredentialConfigMapSuffix
}

// Plan returns what the GCP target needs; the spec must be defaulted and valid.
func Plan(spec *v1alpha1.Spec) (plan.Target, error) {
	g := spec.GCP
	t := plan.Target{Name: "gcp"}
	if g.Mode == v1alpha1.ModeWorkloadIdentity {
		t.Pod.StaticCredentials = WorkloadIdentityStaticCredentials
		t.Pod.HostNetworkUnsupported = HostNetworkUnsupported
		if g.Impersonates() {
			t.ServiceAccountAnnotations = []plan.KeyValue{{Key: ServiceAccountAnnotation, Value: g.ServiceAccountEmail}}
			return t, nil
		}
		// Direct access: GKE's metadata server gives the pod a token of
		// the Kubernetes ServiceAccount's own principal; an annotation
		// would make it impersonate a Google service account instead.
		sa := spec.ServiceAccount
		t.ExclusiveAnnotations = []string{ServiceAccountAnnotation}
		t.Notes = []string{fmt.Sprintf("GKE Workload Identity, direct access: nothing is written on ServiceAccount %s/%s; "+
			"grant roles to %s", sa.Namespace, sa.Name, gcpid.GKEPrincipal(g.ProjectNumber, g.ProjectID, sa.Namespace, sa.Name))}
		return t, nil
	}
	token := Token.For(g.Audience, g.TokenExpirationSeconds)
	configMap, volume := credentialNames(spec)
	linux, err := federatedParts(g, configMap, volume, token, func(p string) string { return p })
	if err != nil {
		return plan.Target{}, err
	}
	linux.Pod.TokenLimits = []plan.TokenLimit{{Target: t.Name, Min: v1alpha1.MinTokenExpirationSeconds, Max: v1alpha1.MaxTokenExpirationSeconds,
		Why: "Kubernetes' minimum to one day"}}
	t.ConfigMaps, t.Pod = linux.ConfigMaps, linux.Pod
	// Windows containers read the token at a C:\ path, so the credential
	// configuration naming it differs too: a ConfigMap of its own.
	windows, err := federatedParts(g, configMap+WindowsConfigMapSuffix, volume, token, plan.WindowsPath)
	if err != nil {
		return plan.Target{}, err
	}
	windows.Pod.TokenLimits = linux.Pod.TokenLimits
	t.Windows = &windows
	return t, nil
}

// HostNetworkUnsupported is why GKE Workload Identity cannot serve a pod on
// the host network: GKE's metadata server tells pods apart by their own
// network namespace, and a pod on the node's gets the node's service account
// (GKE's Workload Identity Federation limitations).
var HostNetworkUnsupported = "GKE Workload Identity does not serve Pods on the host network: their metadata requests get the node's service account, not this one; " +
	"remove hostNetwork, keep the workload out with the pod template annotation " + v1alpha1.InjectAnnotation + `: "false", or use gcp mode federated, which wires the pod itself`

// WorkloadIdentityStaticCredentials are the variables that make Google's
// clients use a credential file instead of GKE's metadata server: Application
// Default Credentials read GOOGLE_APPLICATION_CREDENTIALS first, gcloud
// CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE. In federated mode the function sets
// both itself, and another value is a conflict like any other.
var WorkloadIdentityStaticCredentials = []plan.StaticCredential{
	{Name: credentialConfigurationEnv, What: "a credential file (a service account key, or another identity's configuration)",
		Why: "the Google client libraries' Application Default Credentials read before GKE's metadata server"},
	{Name: gcloudCredentialOverride, What: "a credential file (a service account key, or another identity's configuration)",
		Why: "gcloud reads before GKE's metadata server"},
}

// credentialNames are the ConfigMap and the volume of the credential
// configuration: the ServiceAccount's own, or, in the view of a
// spec.containers entry with a Google service account of its own, names
// made from that account, so that each account has one ConfigMap and a
// pod that mounts several tells their volumes apart.
func credentialNames(spec *v1alpha1.Spec) (configMap, volume string) {
	if entry, _ := spec.ContainerEntry(); entry != nil && entry.GCP != nil {
		account := AccountSuffix(spec.GCP.ServiceAccountEmail)
		return CredentialConfigMapName(spec.ServiceAccount.Name) + "-" + account, AccountVolumePrefix + account
	}
	return CredentialConfigMapName(spec.ServiceAccount.Name), CredentialVolumeName
}

// AccountVolumePrefix starts the volume name of a Google service account's
// own credential configuration.
const AccountVolumePrefix = "gcp-credentials-"

// AccountSuffix names a Google service account in object and volume names:
// the part before "@" (at most 30 letters, digits and hyphens) for readers,
// and 8 hex digits of the email's SHA-256 to tell apart accounts of the
// same name in two projects. It is a DNS-1123 label of at most 39
// characters, so the volume name stays within Kubernetes' 63.
func AccountSuffix(email string) string {
	name, _, _ := strings.Cut(email, "@")
	sum := sha256.Sum256([]byte(email))
	return name + "-" + hex.EncodeToString(sum[:4])
}

// federatedParts is the pod patch and ConfigMap of federated mode, with paths as
// the pod's containers see them (path), the ConfigMap and its volume named
// configMap and volume.
func federatedParts(g *v1alpha1.GCP, configMap, volume string, token plan.ProjectedToken, path func(string) string) (plan.Windows, error) {
	config, err := NewCredentialConfig(g, path(token.File())).JSON()
	if err != nil {
		return plan.Windows{}, err
	}
	var out plan.Windows
	out.ConfigMaps = []plan.ConfigMap{{Name: configMap, Data: []plan.KeyValue{{Key: CredentialFileName, Value: string(config)}}}}
	out.Pod.Tokens = []plan.ProjectedToken{token}
	out.Pod.ConfigMapVolumes = []plan.ConfigMapVolume{{VolumeName: volume, ConfigMapName: configMap, MountPath: CredentialMountPath}}
	file := path(CredentialMountPath + "/" + CredentialFileName)
	// Client libraries read the first, gcloud only the second.
	out.Pod.Env = []plan.KeyValue{
		{Key: credentialConfigurationEnv, Value: file},
		{Key: gcloudCredentialOverride, Value: file},
	}
	out.Pod.CredentialFiles = []string{credentialConfigurationEnv, gcloudCredentialOverride}
	// gcloud's defaults, as the GCP federation webhook sets them; a
	// container's own choice stays.
	if project := Project(g); project != "" {
		out.Pod.DefaultEnv = append(out.Pod.DefaultEnv, plan.KeyValue{Key: gcloudProject, Value: project})
	}
	if g.Region != "" {
		out.Pod.DefaultEnv = append(out.Pod.DefaultEnv, plan.KeyValue{Key: gcloudRegion, Value: g.Region})
	}
	return out, nil
}

// Project is gcloud's default project for the pods: spec.gcp.projectId,
// else the project ID the impersonated service account's email names, as
// the GCP federation webhook derives it. The Compute Engine default
// account names its project by number, which gcloud does not accept
// everywhere (the workload identity pool commands refuse it), so it gives
// none: "" then, and spec.gcp.projectId sets it.
func Project(g *v1alpha1.GCP) string {
	if g.ProjectID != "" {
		return g.ProjectID
	}
	if project, ok := gcpid.EmailProject(g.ServiceAccountEmail); ok && gcpid.IsProjectID(project) {
		return project
	}
	return ""
}

// CredentialConfig is an external_account credential configuration for an
// OIDC token read from a file. Field order is the order gcloud writes.
type CredentialConfig struct {
	UniverseDomain                 string                       `json:"universe_domain"`
	Type                           string                       `json:"type"`
	Audience                       string                       `json:"audience"`
	SubjectTokenType               string                       `json:"subject_token_type"`
	TokenURL                       string                       `json:"token_url"`
	CredentialSource               CredentialSource             `json:"credential_source"`
	ServiceAccountImpersonationURL string                       `json:"service_account_impersonation_url,omitempty"`
	ServiceAccountImpersonation    *ServiceAccountImpersonation `json:"service_account_impersonation,omitempty"`
	TokenInfoURL                   string                       `json:"token_info_url,omitempty"`
}

// CredentialSource says where the subject token is.
type CredentialSource struct {
	File string `json:"file"`
}

// ServiceAccountImpersonation carries a non-default impersonated token lifetime.
type ServiceAccountImpersonation struct {
	TokenLifetimeSeconds int64 `json:"token_lifetime_seconds"`
}

// NewCredentialConfig is the configuration that
// `gcloud iam workload-identity-pools create-cred-config` writes for the spec
// and a token file. Without a service account to impersonate, the federated
// token is used on resources directly and gcloud adds the introspection URL.
func NewCredentialConfig(g *v1alpha1.GCP, tokenFile string) CredentialConfig {
	c := CredentialConfig{
		UniverseDomain:   defaultUniverseDomain,
		Type:             "external_account",
		Audience:         g.ProviderResource(),
		SubjectTokenType: subjectTokenTypeJWT,
		TokenURL:         stsTokenURL,
		CredentialSource: CredentialSource{File: tokenFile},
	}
	if !g.Impersonates() {
		c.TokenInfoURL = stsIntrospectURL
		return c
	}
	c.ServiceAccountImpersonationURL = fmt.Sprintf(impersonationURLFormat, g.ServiceAccountEmail)
	if g.TokenLifetimeSeconds != 0 {
		c.ServiceAccountImpersonation = &ServiceAccountImpersonation{TokenLifetimeSeconds: g.TokenLifetimeSeconds}
	}
	return c
}

// JSON is the configuration exactly as gcloud writes it: two-space indent, no
// trailing newline, URLs unescaped.
func (c CredentialConfig) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding the GCP credential configuration: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
