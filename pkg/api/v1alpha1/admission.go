package v1alpha1

// AdmissionPolicy asks for admission policies that wire Pods created at
// runtime (by operators, kubectl run), which a manifest-time function never
// sees. The policies run inside the API server: no webhook server, no
// certificates.
type AdmissionPolicy struct {
	// APIVersion is the admissionregistration version the cluster serves the
	// policies at: v1 from Kubernetes 1.36 (GA, on by default), v1beta1 for
	// 1.34 and 1.35 with the MutatingAdmissionPolicy feature gate.
	APIVersion string `json:"apiVersion,omitempty" jsonschema:"enum=admissionregistration.k8s.io/v1,enum=admissionregistration.k8s.io/v1beta1"`
	// FailurePolicy is what the API server does when a policy cannot be
	// evaluated: Fail refuses the Pod (it would run without credentials),
	// Ignore admits it unwired.
	FailurePolicy string `json:"failurePolicy,omitempty" jsonschema:"enum=Fail,enum=Ignore"`
}

// Admission policy settings the API accepts.
const (
	AdmissionV1          = "admissionregistration.k8s.io/v1"
	AdmissionV1beta1     = "admissionregistration.k8s.io/v1beta1"
	FailurePolicyFail    = "Fail"
	FailurePolicyIgnore  = "Ignore"
	DefaultAdmissionAPI  = AdmissionV1
	DefaultFailurePolicy = FailurePolicyFail
)

// defaults picks v1, which Kubernetes 1.36 serves by default, and Fail, so a
// Pod is never admitted without the credentials the policy should give it.
func (a *AdmissionPolicy) defaults() {
	defaultString(&a.APIVersion, DefaultAdmissionAPI)
	defaultString(&a.FailurePolicy, DefaultFailurePolicy)
}

func (a *AdmissionPolicy) check(v *checker) {
	switch a.APIVersion {
	case AdmissionV1, AdmissionV1beta1:
	default:
		v.errorf("spec.admissionPolicy.apiVersion", "%q is not valid; want %s (Kubernetes 1.36 and later) or %s (1.34 and 1.35 with the MutatingAdmissionPolicy feature gate)",
			a.APIVersion, AdmissionV1, AdmissionV1beta1)
	}
	switch a.FailurePolicy {
	case FailurePolicyFail, FailurePolicyIgnore:
	default:
		v.errorf("spec.admissionPolicy.failurePolicy", "%q is not valid; want Fail (refuse a Pod the policy cannot wire) or Ignore (admit it unwired)", a.FailurePolicy)
	}
}
