package v1alpha1

import (
	"fmt"
	"slices"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
)

// ContainerIdentity gives the named containers (and initContainers) of the
// selected workloads their own identity in each cloud it names. They keep
// the ServiceAccount's token, so every cloud sees the same subject; only the
// role, Google service account or client ID they exchange it for differs.
// Containers it does not name, and clouds it does not name, keep the spec's.
type ContainerIdentity struct {
	Names []string        `json:"names"`
	AWS   *ContainerAWS   `json:"aws,omitempty"`
	GCP   *ContainerGCP   `json:"gcp,omitempty"`
	Azure *ContainerAzure `json:"azure,omitempty"`
}

// ContainerAWS is the IAM role the named containers assume in place of
// spec.aws.roleArn.
type ContainerAWS struct {
	RoleARN string `json:"roleArn"`
	// Grants are this role's permissions, as spec.aws.grants are the
	// spec's role's; the role gets none of the spec's.
	Grants *AWSGrants `json:"grants,omitempty"`
}

// ContainerGCP is the Google service account the named containers
// impersonate in place of spec.gcp.serviceAccountEmail.
type ContainerGCP struct {
	ServiceAccountEmail string `json:"serviceAccountEmail"`
	// Grants are this Google service account's roles on resources, as
	// spec.gcp.grants are the spec's; it gets none of the spec's.
	Grants *GCPGrants `json:"grants,omitempty"`
}

// ContainerAzure is the application or managed identity the named
// containers sign in as in place of spec.azure.clientId.
type ContainerAzure struct {
	ClientID string `json:"clientId"`
	// Grants are this identity's role assignments, as spec.azure.grants
	// are the spec's; it gets none of the spec's.
	Grants *AzureGrants `json:"grants,omitempty"`
}

// ForContainers is the spec as the containers of spec.containers[i] use it:
// a copy whose cloud blocks carry that entry's role, Google service account
// and client ID in place of the spec's, with the entry's grants (never the
// spec's: another identity gets only what its entry grants), and no
// spec.containers. The cloud
// planners and trust's builders read it as they read any spec, so a
// container's identity is wired and trusted by the same code as the
// spec's own. ContainerEntry tells it from the spec as written.
func (s *Spec) ForContainers(i int) *Spec {
	entry := s.Containers[i]
	view := *s
	view.Containers = nil
	view.entry = &entry
	view.entryIndex = i
	if entry.AWS != nil && s.AWS != nil {
		aws := *s.AWS
		aws.RoleARN = entry.AWS.RoleARN
		aws.Grants = entry.AWS.Grants
		view.AWS = &aws
	}
	if entry.GCP != nil && s.GCP != nil {
		gcp := *s.GCP
		gcp.ServiceAccountEmail = entry.GCP.ServiceAccountEmail
		gcp.Grants = entry.GCP.Grants
		view.GCP = &gcp
	}
	if entry.Azure != nil && s.Azure != nil {
		azure := *s.Azure
		azure.ClientID = entry.Azure.ClientID
		azure.Grants = entry.Azure.Grants
		view.Azure = &azure
	}
	return &view
}

// Identities are the spec as each group of its containers uses it: the spec
// itself first (every wired container no entry names), then one ForContainers
// view per spec.containers entry. Whatever must hold for every identity (a
// trust statement, a binding, a federated credential) iterates over them.
func (s *Spec) Identities() []*Spec {
	out := []*Spec{s}
	for i := range s.Containers {
		out = append(out, s.ForContainers(i))
	}
	return out
}

// ContainerEntry is the spec.containers entry a ForContainers view is for,
// and its path ("spec.containers[0]"); nil for the spec as written.
func (s *Spec) ContainerEntry() (*ContainerIdentity, string) {
	if s.entry == nil {
		return nil, ""
	}
	return s.entry, fmt.Sprintf("spec.containers[%d]", s.entryIndex)
}

// wholePod says, per cloud and mode, why that mode cannot give one
// container another identity than the rest of the pod: each names the
// component that wires the whole pod. A mode not listed is wired container
// by container by the function.
var wholePod = map[string]map[Mode]string{
	"spec.aws": {
		ModeWebhook:     "the EKS pod identity webhook gives every container the ServiceAccount's role, and skips a container that sets AWS_ROLE_ARN itself, leaving it without a token",
		ModePodIdentity: "EKS Pod Identity gives every container of the pod the association's role",
	},
	"spec.gcp":   {ModeWorkloadIdentity: "GKE's metadata server serves one identity per pod"},
	"spec.azure": {ModeWebhook: "the Azure workload identity webhook gives every container the client ID of the ServiceAccount's annotation"},
}

// containers checks spec.containers: names are container names, each in one
// entry only (and among spec.workloads.containers when that narrows the
// wiring); each entry names a cloud the spec uses, in a mode that wires
// containers one by one, with a value of that cloud's grammar that differs
// from the spec's own.
func (v *checker) containers(s *Spec) {
	seen := map[string]string{}
	var wired []string
	if s.Workloads != nil {
		wired = s.Workloads.Containers
	}
	for i, entry := range s.Containers {
		at := fmt.Sprintf("spec.containers[%d]", i)
		if len(entry.Names) == 0 {
			v.errorf(at+".names", "is required; want the names of the containers (or initContainers) that get this identity")
		}
		for j, name := range entry.Names {
			field := fmt.Sprintf("%s.names[%d]", at, j)
			switch first, dup := seen[name]; {
			case !kname.IsLabel(name):
				v.errorf(field, "%s is not valid; want a container name (%s)", kname.Printable(name, kname.IsLabel), kname.WantLabel)
			case dup:
				v.errorf(field, "%q is also named at %s; a container gets one identity: remove it from one of the entries", name, first)
			case len(wired) > 0 && !slices.Contains(wired, name):
				v.errorf(field, "%q is not among spec.workloads.containers, which limits the wiring to those containers; add it there or remove it here", name)
			default:
				seen[name] = field
			}
		}
		if entry.AWS == nil && entry.GCP == nil && entry.Azure == nil {
			v.errorf(at, "names no cloud; give aws, gcp or azure (the identity these containers get there), or remove the entry")
		}
		if entry.AWS != nil && v.containerCloud(at+".aws", "spec.aws", s.AWS != nil, s.AWS.modeOf()) {
			field := at + ".aws.roleArn"
			if v.roleARN(field, entry.AWS.RoleARN) {
				v.notOwn(field, entry.AWS.RoleARN, s.AWS.RoleARN, "spec.aws.roleArn")
			}
			if entry.AWS.Grants != nil {
				entry.AWS.Grants.check(v, at+".aws.grants", validRole(entry.AWS.RoleARN), s.AWS.Mode)
			}
		}
		if entry.GCP != nil && v.containerCloud(at+".gcp", "spec.gcp", s.GCP != nil, s.GCP.modeOf()) {
			field := at + ".gcp.serviceAccountEmail"
			v.required(field, entry.GCP.ServiceAccountEmail, gcpid.IsEmail, gcpid.WantEmail)
			v.notOwn(field, entry.GCP.ServiceAccountEmail, s.GCP.ServiceAccountEmail, "spec.gcp.serviceAccountEmail")
			if entry.GCP.Grants != nil {
				entry.GCP.Grants.check(v, at+".gcp.grants")
			}
		}
		if entry.Azure != nil && v.containerCloud(at+".azure", "spec.azure", s.Azure != nil, s.Azure.modeOf()) {
			field := at + ".azure.clientId"
			v.required(field, entry.Azure.ClientID, guid.MatchString, wantClientID)
			v.notOwn(field, entry.Azure.ClientID, s.Azure.ClientID, "spec.azure.clientId")
			if entry.Azure.Grants != nil {
				entry.Azure.Grants.check(v, at+".azure.grants", entry.Azure.ClientID)
			}
		}
	}
}

// containerCloud reports whether an entry's block for a cloud can apply:
// the spec uses the cloud, in a mode that wires containers one by one.
func (v *checker) containerCloud(field, cloudField string, used bool, mode Mode) bool {
	if !used {
		v.errorf(field, "is set but the spec has no %s, which gives the token, audience and endpoints this identity uses; add %s or remove this block", cloudField, cloudField)
		return false
	}
	if why, ok := wholePod[cloudField][mode]; ok {
		v.errorf(field, "cannot apply: %s.mode is %s, and %s; use mode %s, in which the function wires each container, or remove this block",
			cloudField, mode, why, wiringMode(cloudField))
		return false
	}
	return true
}

// notOwn refuses an entry's value that is the spec's own: the block would
// change nothing, which suggests another value was meant.
func (v *checker) notOwn(field, value, own, ownField string) {
	if value != "" && value == own {
		v.errorf(field, "%q is %s already, which every container not named in spec.containers gets; remove this block or give these containers another identity", value, ownField)
	}
}

// wiringMode is the mode of a cloud in which the function wires containers.
func wiringMode(cloudField string) Mode {
	if cloudField == "spec.gcp" {
		return ModeFederated
	}
	return ModeProjected
}

// modeOf is a cloud block's resolved mode, "" when the spec has no such
// block (a nil pointer).
func (a *AWS) modeOf() Mode {
	if a == nil {
		return ""
	}
	return a.Mode
}

func (g *GCP) modeOf() Mode {
	if g == nil {
		return ""
	}
	return g.Mode
}

func (z *Azure) modeOf() Mode {
	if z == nil {
		return ""
	}
	return z.Mode
}
