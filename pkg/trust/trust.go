// Package trust renders the cloud side of keyless access from the same
// CrossCloudAccess specs that the function uses for the workload side: the AWS
// IAM OIDC providers and role trust policies, the GCP workload identity pools,
// providers and IAM grants, and the Azure federated identity credentials that
// let exactly the specs' ServiceAccounts in, and nothing else.
//
// Build is a pure function from specs to a Trust value; one renderer per
// format (JSON, Terraform, shell, KRM) writes that value out.
//
// Each cloud lives in its own two files: CLOUD.go holds its part of Trust,
// its builder and the names the cloud defines; CLOUD_render.go holds its part
// of each format (terraformCLOUD, shellCLOUD, krmCLOUD) and the controller
// types of the KRM output. A new cloud adds those two files, its field in
// Trust and its row in the clouds table; nothing else changes. The formats'
// shared machinery is written once: terraform.go (hclwrite blocks, strings,
// references), shell.go (script lines and quoting), krm.go (objects and
// notes), json.go (the one JSON encoding), names.go (readable unique names,
// sorting) and render.go (headers and comments).
package trust

import (
	"errors"
	"fmt"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kname"
)

// Trust is everything the clouds must be told so that the specs'
// ServiceAccounts, and only they, can get in. Its JSON form is the document
// `cross-cloud-access trust --format json` prints; a cloud no spec uses is nil.
type Trust struct {
	AWS   *AWS   `json:"aws,omitempty"`
	GCP   *GCP   `json:"gcp,omitempty"`
	Azure *Azure `json:"azure,omitempty"`
}

// cloud is one cloud's share of trust, written in that cloud's own files:
// how specs become its part of Trust, and how each format writes that part.
type cloud struct {
	// newBuilder starts collecting the cloud's trust from specs.
	newBuilder func() cloudBuilder
	// present reports whether Trust has anything of the cloud; the formats'
	// parts are called only then.
	present   func(*Trust) bool
	terraform func(*terraformFile, *Trust) error
	shell     func(*shellScript, *Trust) error
	krm       func(*krmOutput, *Trust) error
}

// clouds are the clouds trust knows, in the order every format writes them;
// each cloud's grants (CLOUD_grants.go) follow its trust, and are built
// after it, onto the identities it made.
var clouds = []cloud{
	{newBuilder: newAWSBuilder, present: func(t *Trust) bool { return t.AWS != nil }, terraform: terraformAWS, shell: shellAWS, krm: krmAWS},
	{newBuilder: newAWSGrantsBuilder, present: hasAWSGrants, terraform: terraformAWSGrants, shell: shellAWSGrants, krm: krmAWSGrants},
	{newBuilder: newGCPBuilder, present: func(t *Trust) bool { return t.GCP != nil }, terraform: terraformGCP, shell: shellGCP, krm: krmGCP},
	{newBuilder: newGCPGrantsBuilder, present: hasGCPGrants, terraform: terraformGCPGrants, shell: shellGCPGrants, krm: krmGCPGrants},
	{newBuilder: newAzureBuilder, present: func(t *Trust) bool { return t.Azure != nil }, terraform: terraformAzure, shell: shellAzure, krm: krmAzure},
	{newBuilder: newAzureGrantsBuilder, present: hasAzureGrants, terraform: terraformAzureGrants, shell: shellAzureGrants, krm: krmAzureGrants},
}

// eachPresentCloud calls write for each cloud t has something of, in table
// order, and stops at the first error.
func eachPresentCloud(t *Trust, write func(cloud) error) error {
	for _, c := range clouds {
		if !c.present(t) {
			continue
		}
		if err := write(c); err != nil {
			return err
		}
	}
	return nil
}

// cloudBuilder merges what the specs need from one cloud.
type cloudBuilder interface {
	// add takes one spec's share; a spec that does not use the cloud adds
	// nothing.
	add(s *specTrust) error
	// build sets the cloud's field of t, sorted, and leaves it nil when no
	// spec used the cloud; output over one of the cloud's quotas (at the
	// run's limits) is an error.
	build(t *Trust, limits Limits) error
}

// specTrust is one checked spec as every builder reads it.
type specTrust struct {
	// name says which spec an error is about.
	name string
	// subject is the token subject of the spec's ServiceAccount.
	subject string
	spec    *v1alpha1.Spec
}

// identities are the spec as each group of its containers uses it
// (v1alpha1.Spec.Identities), each named for errors.
func (s *specTrust) identities() []*specTrust {
	var out []*specTrust
	for _, spec := range s.spec.Identities() {
		view := *s
		view.spec = spec
		if _, at := spec.ContainerEntry(); at != "" {
			view.name += ", " + at
		}
		out = append(out, &view)
	}
	return out
}

// issuers are the issuers whose tokens the spec's ServiceAccount presents:
// the cluster's, then the previous ones still trusted during a migration.
func (s *specTrust) issuers() []string {
	return append([]string{s.spec.Cluster.Issuer}, s.spec.Cluster.PreviousIssuers...)
}

// ErrConflict is wrapped by every error about specs that cannot share one
// output (two issuers for one pool provider, two tenants for one client ID).
var ErrConflict = errors.New("specs conflict")

// ErrUnsafe is wrapped by every error about a spec whose trust would let in
// more than its ServiceAccount (a wildcard or empty subject, no audience).
var ErrUnsafe = errors.New("trust would not be pinned to one ServiceAccount")

// Build merges the trust every spec needs into one de-duplicated, sorted
// value. Specs must be defaulted and valid (v1alpha1.Decode gives such specs);
// conflicts between specs, anything that would need a wildcard and output
// over a cloud's default quotas are errors.
func Build(specs []*v1alpha1.CrossCloudAccess) (*Trust, error) {
	return BuildWithin(specs, nil)
}

// BuildWithin is Build with the limits of the user's accounts where they
// differ from the clouds' defaults.
func BuildWithin(specs []*v1alpha1.CrossCloudAccess, limits Limits) (*Trust, error) {
	builders := make([]cloudBuilder, len(clouds))
	for i, c := range clouds {
		builders[i] = c.newBuilder()
	}
	var errs []error
	for _, c := range specs {
		s, err := checkSpec(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Each identity the spec gives (its own, then each
		// spec.containers entry's) trusts the same subject.
		for _, identity := range s.identities() {
			for _, b := range builders {
				errs = append(errs, b.add(identity))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Every spec is in; what can still fail are the clouds' limits.
	errs = nil
	t := &Trust{}
	for _, b := range builders {
		errs = append(errs, b.build(t, limits))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// checkSpec refuses what no cloud may trust: a subject that is not one
// ServiceAccount, an issuer that is not an OIDC issuer.
func checkSpec(c *v1alpha1.CrossCloudAccess) (*specTrust, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: a nil spec", ErrUnsafe)
	}
	s := &specTrust{name: specName(c), subject: c.Spec.ServiceAccount.Subject(), spec: &c.Spec}
	if err := checkSubject(c.Spec.ServiceAccount); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if err := issuer.Parse(c.Spec.Cluster.Issuer); err != nil {
		return nil, fmt.Errorf("%s: spec.cluster.issuer %w", s.name, err)
	}
	return s, nil
}

func specName(c *v1alpha1.CrossCloudAccess) string {
	sa := c.Spec.ServiceAccount
	if c.Metadata.Name == "" {
		return fmt.Sprintf("CrossCloudAccess for ServiceAccount %s/%s", sa.Namespace, sa.Name)
	}
	return fmt.Sprintf("CrossCloudAccess %s (ServiceAccount %s/%s)", c.Metadata.Name, sa.Namespace, sa.Name)
}

// checkSubject admits only Kubernetes names: anything else (a "*" above all)
// in the subject could widen the trust beyond one ServiceAccount.
func checkSubject(sa v1alpha1.ServiceAccount) error {
	if !kname.IsServiceAccount(sa.Namespace, sa.Name) {
		return fmt.Errorf("%w: ServiceAccount %q in namespace %q is not a Kubernetes name, so the subject %q would not name one ServiceAccount",
			ErrUnsafe, sa.Name, sa.Namespace, sa.Subject())
	}
	return nil
}

func checkAudience(field, audience string) error {
	if strings.TrimSpace(audience) == "" || strings.ContainsAny(audience, "*?") {
		return fmt.Errorf("%w: %s %q must be one exact audience (not empty, no * or ?)", ErrUnsafe, field, audience)
	}
	return nil
}
