package trust

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
)

// shortHash is eight hex digits of SHA-256: enough to tell apart the handful
// of names one output holds, short enough to read.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// issuerLabel is a short readable name for a cluster's issuer, for resource
// names: "eks_REGION_IDPREFIX", "gke_PROJECT_CLUSTER", "aks_REGION_IDPREFIX",
// or the issuer's host and path for any other cluster. Names are made unique
// by nameTable, so a short label never merges two issuers.
func issuerLabel(iss string) string {
	managed, ok := issuer.Identify(iss)
	if !ok {
		return identifier(strings.TrimPrefix(iss, "https://"))
	}
	words := []string{managed.Provider}
	for _, part := range issuerLabelParts {
		word, ok := managed.Parts[part]
		if !ok {
			continue
		}
		if part == "id" {
			// Cluster IDs are long random hex; eight digits tell the
			// clusters of one output apart, and nameTable settles the rest.
			word = word[:min(len(word), 8)]
		}
		words = append(words, word)
	}
	return identifier(words...)
}

// issuerLabelParts are the named parts of a managed issuer (issuer.Shapes)
// that a label is made of, in the order they are written.
var issuerLabelParts = []string{"region", "project", "cluster", "id"}

var notIdentifierChar = regexp.MustCompile(`[^a-z0-9]+`)

// identifier turns text into a lowercase word of letters, digits and
// underscores that starts with a letter: valid as a Terraform resource name
// and, with dashes for underscores, as a Kubernetes object name.
func identifier(parts ...string) string {
	s := strings.Trim(notIdentifierChar.ReplaceAllString(strings.ToLower(strings.Join(parts, "_")), "_"), "_")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "r_" + s
	}
	return strings.TrimRight(s, "_")
}

// readableSubject is a token subject without the prefix every ServiceAccount
// subject has: "NAMESPACE:NAME".
func readableSubject(subject string) string {
	return strings.TrimPrefix(subject, "system:serviceaccount:")
}

// nameTable hands out readable names that are unique within one output. A
// name already given to another key gets a hash of the key appended, so the
// same key always gets the same name for the same input.
type nameTable struct {
	byName map[string]string
	maxLen int
	sep    string
}

func newNameTable(maxLen int, sep string) *nameTable {
	return &nameTable{byName: map[string]string{}, maxLen: maxLen, sep: sep}
}

// name is the readable words as one identifier, with the table's separator,
// for the thing key names.
func (t *nameTable) name(key string, readable ...string) string {
	preferred := strings.ReplaceAll(identifier(readable...), "_", t.sep)
	if len(preferred) > t.maxLen {
		preferred = strings.TrimRight(preferred[:t.maxLen], t.sep)
	}
	if owner, taken := t.byName[preferred]; !taken || owner == key {
		t.byName[preferred] = key
		return preferred
	}
	suffix := t.sep + shortHash(key)
	if len(preferred) > t.maxLen-len(suffix) {
		preferred = strings.TrimRight(preferred[:t.maxLen-len(suffix)], t.sep)
	}
	name := preferred + suffix
	t.byName[name] = key
	return name
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

func sortedKeysFunc[K comparable, V any](m map[K]V, compare func(a, b K) int) []K {
	return slices.SortedFunc(maps.Keys(m), compare)
}

func sortedValues[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

// cmpStrings compares pairs (a1, b1, a2, b2, ...) in order, like a tuple.
func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}
