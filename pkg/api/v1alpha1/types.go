// Package v1alpha1 is the CrossCloudAccess API: the one object a platform team
// writes to give the workloads of one ServiceAccount keyless access to AWS, GCP
// and Azure. Field names are pinned by the design and used by examples, docs
// and acceptance tests; change them only with a new API version.
package v1alpha1

// Group, Version and Kind identify the API.
const (
	Group      = "crosscloud.dev"
	Version    = "v1alpha1"
	APIVersion = Group + "/" + Version
	Kind       = "CrossCloudAccess"
)

// CrossCloudAccess is the function's configuration: one ServiceAccount, the
// cluster that issues its tokens, and the clouds it may reach.
type CrossCloudAccess struct {
	APIVersion string     `json:"apiVersion" jsonschema:"enum=crosscloud.dev/v1alpha1"`
	Kind       string     `json:"kind" jsonschema:"enum=CrossCloudAccess"`
	Metadata   ObjectMeta `json:"metadata,omitempty"`
	Spec       Spec       `json:"spec"`
}

// ObjectMeta is the part of Kubernetes object metadata a function config may
// carry; kustomize and kpt put their own annotations here.
type ObjectMeta struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Spec says who gets access to what.
type Spec struct {
	Cluster        Cluster        `json:"cluster"`
	ServiceAccount ServiceAccount `json:"serviceAccount"`
	Workloads      *Workloads     `json:"workloads,omitempty"`
	AWS            *AWS           `json:"aws,omitempty"`
	GCP            *GCP           `json:"gcp,omitempty"`
	Azure          *Azure         `json:"azure,omitempty"`
}

// Provider is where the cluster runs; it decides which cloud's own webhook or
// metadata server can be relied on.
type Provider string

// Providers a cluster may have.
const (
	ProviderEKS     Provider = "eks"
	ProviderGKE     Provider = "gke"
	ProviderAKS     Provider = "aks"
	ProviderGeneric Provider = "generic"
)

// Cluster is the cluster the output is deployed to, which is the token issuer.
type Cluster struct {
	Provider Provider    `json:"provider" jsonschema:"enum=eks,enum=gke,enum=aks,enum=generic"`
	Issuer   string      `json:"issuer,omitempty" jsonschema:"description=Service account issuer URL (https). Required unless provider is gke and gke is given."`
	GKE      *GKECluster `json:"gke,omitempty"`
}

// GKECluster names a GKE cluster; its issuer URL is derived from these fields.
type GKECluster struct {
	ProjectID        string `json:"projectId"`
	Location         string `json:"location"`
	ClusterName      string `json:"clusterName"`
	WorkloadIdentity bool   `json:"workloadIdentity,omitempty"`
}

// ServiceAccount is the Kubernetes ServiceAccount whose tokens are trusted.
type ServiceAccount struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// Create emits the ServiceAccount unless the input already has it.
	Create *bool `json:"create,omitempty"`
}

// Workloads widens or narrows what is patched. By default every pod template
// that runs as the ServiceAccount is patched, in all its containers.
type Workloads struct {
	Selector   *WorkloadSelector `json:"selector,omitempty"`
	Containers []string          `json:"containers,omitempty"`
}

// WorkloadSelector picks extra workloads; they are also made to run as the
// ServiceAccount. All given criteria must match.
type WorkloadSelector struct {
	Kinds  []string          `json:"kinds,omitempty"`
	Names  []string          `json:"names,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Mode values shared by the clouds.
const (
	ModeAuto             = "auto"
	ModeWebhook          = "webhook"
	ModeProjected        = "projected"
	ModeWorkloadIdentity = "workloadIdentity"
	ModeFederated        = "federated"
)

// AWS is access to one IAM role through AssumeRoleWithWebIdentity.
type AWS struct {
	RoleARN                string `json:"roleArn"`
	Mode                   string `json:"mode,omitempty" jsonschema:"enum=auto,enum=webhook,enum=projected"`
	Audience               string `json:"audience,omitempty"`
	Region                 string `json:"region,omitempty"`
	STSRegionalEndpoints   string `json:"stsRegionalEndpoints,omitempty" jsonschema:"enum=regional,enum=legacy"`
	RoleSessionName        string `json:"roleSessionName,omitempty"`
	TokenExpirationSeconds int64  `json:"tokenExpirationSeconds,omitempty"`
}

// GCP is access to Google Cloud through GKE Workload Identity or a workload
// identity pool provider that trusts the cluster.
type GCP struct {
	Mode                     string `json:"mode,omitempty" jsonschema:"enum=auto,enum=workloadIdentity,enum=federated"`
	ProjectID                string `json:"projectId,omitempty"`
	ProjectNumber            string `json:"projectNumber,omitempty"`
	WorkloadIdentityPool     string `json:"workloadIdentityPool,omitempty"`
	WorkloadIdentityProvider string `json:"workloadIdentityProvider,omitempty"`
	ServiceAccountEmail      string `json:"serviceAccountEmail,omitempty"`
	TokenLifetimeSeconds     int64  `json:"tokenLifetimeSeconds,omitempty"`
	TokenExpirationSeconds   int64  `json:"tokenExpirationSeconds,omitempty"`
	Audience                 string `json:"audience,omitempty"`
}

// Azure is access to an Entra ID application or managed identity through a
// federated identity credential.
type Azure struct {
	Mode                   string `json:"mode,omitempty" jsonschema:"enum=auto,enum=webhook,enum=projected"`
	TenantID               string `json:"tenantId"`
	ClientID               string `json:"clientId"`
	AuthorityHost          string `json:"authorityHost,omitempty"`
	TokenExpirationSeconds int64  `json:"tokenExpirationSeconds,omitempty"`
}
