// Package kname holds the Kubernetes name rules the project checks: object
// names, namespaces, container names and label keys and values. The rules are
// Kubernetes' own (k8s.io/apimachinery), so a name this package accepts is one
// the API server accepts; the Want* texts say what would be valid in messages.
// The function's validation and trust call the same predicates, so a subject
// that trust pins is always a name the function accepts, and the reverse.
package kname

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// What each rule wants, for messages.
const (
	WantLabel         = "a DNS-1123 label: lowercase letters, digits and '-'"
	WantSubdomain     = "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.'"
	WantLabelKey      = "a label key such as app or example.com/team"
	WantLabelValue    = "a label value: at most 63 letters, digits, '-', '_' and '.'"
	WantAnnotationKey = "an annotation key such as description or example.com/owner"
)

// Length limits of the two DNS-1123 shapes.
const (
	MaxLabelLength     = validation.DNS1123LabelMaxLength
	MaxSubdomainLength = validation.DNS1123SubdomainMaxLength
)

// IsLabel reports whether s is a DNS-1123 label (namespaces, container names).
func IsLabel(s string) bool { return len(validation.IsDNS1123Label(s)) == 0 }

// IsSubdomain reports whether s is a DNS-1123 subdomain (most object names,
// ServiceAccounts among them).
func IsSubdomain(s string) bool { return len(validation.IsDNS1123Subdomain(s)) == 0 }

// IsLabelKey reports whether s is a valid label key.
func IsLabelKey(s string) bool { return len(validation.IsQualifiedName(s)) == 0 }

// IsAnnotationKey reports whether s is a valid annotation key: a label key
// in any letter case, as the API server's own annotation check reads it.
func IsAnnotationKey(s string) bool { return len(validation.IsQualifiedName(strings.ToLower(s))) == 0 }

// IsLabelValue reports whether s is a valid label value (empty is valid).
func IsLabelValue(s string) bool { return len(validation.IsValidLabelValue(s)) == 0 }

// IsServiceAccount reports whether namespace and name name one ServiceAccount,
// so that system:serviceaccount:NAMESPACE:NAME is one subject and no pattern.
func IsServiceAccount(namespace, name string) bool {
	return IsLabel(namespace) && IsSubdomain(name)
}

// Printable is s when it is empty or valid, else s quoted in Go syntax with
// every non-ASCII character escaped: a value read from input that is not a
// name (an escape sequence, a line break) cannot forge or hide the rest of a
// message it is written into.
func Printable(s string, valid func(string) bool) string {
	if s == "" || valid(s) {
		return s
	}
	return strconv.QuoteToASCII(s)
}
