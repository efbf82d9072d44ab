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

	// Containers give some containers another identity (containers.go).
	Containers []ContainerIdentity `json:"containers,omitempty"`

	// AdmissionPolicy also wires Pods created at runtime (admission.go).
	AdmissionPolicy *AdmissionPolicy `json:"admissionPolicy,omitempty"`

	// entry is the spec.containers entry, at entryIndex, that a
	// ForContainers view is for; nil for the spec as written.
	entry      *ContainerIdentity
	entryIndex int
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
	Provider Provider `json:"provider" jsonschema:"enum=eks,enum=gke,enum=aks,enum=generic"`
	Issuer   string   `json:"issuer,omitempty" jsonschema:"description=Service account issuer URL (https). Required unless provider is gke and gke is given."`
	// PreviousIssuers are issuers the cluster signed tokens with before
	// Issuer, still trusted while those tokens live out an issuer
	// migration. Only trust reads them: the workload side is the same for
	// every issuer.
	PreviousIssuers []string    `json:"previousIssuers,omitempty" jsonschema:"description=Issuers still trusted during an issuer migration (trust only); each an https issuer URL other than issuer."`
	GKE             *GKECluster `json:"gke,omitempty"`
	EKS             *EKSCluster `json:"eks,omitempty"`
}

// EKSCluster names an EKS cluster, for what EKS keys by cluster name rather
// than by issuer: pod identity associations.
type EKSCluster struct {
	ClusterName string `json:"clusterName"`
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
	// Labels and Annotations go on the ServiceAccount and the ConfigMaps the
	// function emits: kustomize's labels and commonAnnotations never reach
	// what an exec transformer adds. A ServiceAccount already in the input
	// gets the missing ones; another value there is a conflict.
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`

	// namespaceDefaulted says neither spec.serviceAccount.namespace nor
	// metadata.namespace was given: Namespace holds DefaultNamespace for the
	// subcommands, and the function infers the namespace from its items.
	namespaceDefaulted bool
}

// NamespaceGiven reports whether the spec named the ServiceAccount's
// namespace (in spec.serviceAccount.namespace or metadata.namespace), rather
// than leaving it to the items (the function) or to "default" (trust).
func (s ServiceAccount) NamespaceGiven() bool { return !s.namespaceDefaulted }

// Workloads widens or narrows what is patched. By default every pod template
// that runs as the ServiceAccount is patched, in all its containers.
type Workloads struct {
	Selector   *WorkloadSelector `json:"selector,omitempty"`
	Containers []string          `json:"containers,omitempty"`
	// PodTemplates declares more kinds that carry pod templates (custom
	// resources the built-in table does not know).
	PodTemplates []PodTemplateKind `json:"podTemplates,omitempty"`
}

// PodTemplateKind is a kind with pod templates and where they are: by
// apiVersion (one version) or by group (any version).
type PodTemplateKind struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Group      string `json:"group,omitempty"`
	Kind       string `json:"kind"`
	// Paths use the kinds table's grammar: fields joined by ".", [*] for
	// every list element, * for every map value, ? after an optional field.
	Paths []string `json:"paths"`
}

// WorkloadSelector picks extra workloads; they are also made to run as the
// ServiceAccount. All given criteria must match.
type WorkloadSelector struct {
	Kinds  []string          `json:"kinds,omitempty"`
	Names  []string          `json:"names,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Mode is how a cloud's credentials reach the pod: through that cloud's own
// webhook or metadata server, or wired by the function. Each cloud allows a
// subset; "auto" is resolved from the cluster by Default.
type Mode string

// Modes, shared by the clouds.
const (
	ModeAuto             Mode = "auto"
	ModeWebhook          Mode = "webhook"
	ModeProjected        Mode = "projected"
	ModeWorkloadIdentity Mode = "workloadIdentity"
	ModeFederated        Mode = "federated"
	ModePodIdentity      Mode = "podIdentity"
)

// cloud is the part of a spec for one cloud: it defaults and checks itself
// against the cluster. A new cloud is a new type with these methods and one
// line in Spec.clouds.
type cloud interface {
	defaults(c *Cluster)
	check(v *checker, c *Cluster)
}

// clouds are the clouds the spec names, in the order of its fields.
func (s *Spec) clouds() []cloud {
	var out []cloud
	if s.AWS != nil {
		out = append(out, s.AWS)
	}
	if s.GCP != nil {
		out = append(out, s.GCP)
	}
	if s.Azure != nil {
		out = append(out, s.Azure)
	}
	return out
}
