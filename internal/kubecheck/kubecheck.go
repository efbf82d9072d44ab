// Package kubecheck decodes objects strictly into Kubernetes' own Go types, so
// tests catch any field the API server would reject or drop. Only tests import
// it: the function binary does not link k8s.io/api.
package kubecheck

import (
	"fmt"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	admissionv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

var types = map[string]func() any{
	"v1/Pod":              func() any { return &corev1.Pod{} },
	"v1/PodTemplate":      func() any { return &corev1.PodTemplate{} },
	"v1/ServiceAccount":   func() any { return &corev1.ServiceAccount{} },
	"v1/ConfigMap":        func() any { return &corev1.ConfigMap{} },
	"v1/Secret":           func() any { return &corev1.Secret{} },
	"v1/Service":          func() any { return &corev1.Service{} },
	"v1/Namespace":        func() any { return &corev1.Namespace{} },
	"apps/v1/Deployment":  func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet": func() any { return &appsv1.StatefulSet{} },
	"apps/v1/DaemonSet":   func() any { return &appsv1.DaemonSet{} },
	"apps/v1/ReplicaSet":  func() any { return &appsv1.ReplicaSet{} },
	"batch/v1/Job":        func() any { return &batchv1.Job{} },
	"batch/v1/CronJob":    func() any { return &batchv1.CronJob{} },
	// The admission policies of spec.admissionPolicy, at both served versions.
	"admissionregistration.k8s.io/v1/MutatingAdmissionPolicy":             func() any { return &admissionv1.MutatingAdmissionPolicy{} },
	"admissionregistration.k8s.io/v1/MutatingAdmissionPolicyBinding":      func() any { return &admissionv1.MutatingAdmissionPolicyBinding{} },
	"admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy":        func() any { return &admissionv1beta1.MutatingAdmissionPolicy{} },
	"admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicyBinding": func() any { return &admissionv1beta1.MutatingAdmissionPolicyBinding{} },
	"admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy":           func() any { return &admissionv1.ValidatingAdmissionPolicy{} },
	"admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding":    func() any { return &admissionv1.ValidatingAdmissionPolicyBinding{} },
}

// Known reports whether apiVersion/kind is a type Strict can check.
func Known(apiVersion, kind string) bool {
	_, ok := types[apiVersion+"/"+kind]
	return ok
}

// Strict decodes one object's YAML into its Kubernetes type, failing on
// unknown or duplicate fields and on wrong types.
func Strict(apiVersion, kind string, data []byte) error {
	newObject, ok := types[apiVersion+"/"+kind]
	if !ok {
		return fmt.Errorf("no Kubernetes type known for %s %s", apiVersion, kind)
	}
	if err := sigsyaml.UnmarshalStrict(data, newObject()); err != nil {
		return fmt.Errorf("%s %s does not decode strictly: %w", apiVersion, kind, err)
	}
	return nil
}
