package admission

import (
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/celstring"
)

// Quote is s as a double-quoted CEL string literal. Every value in a policy
// comes from a validated spec, but a policy is code the API server runs, so
// nothing is written into it unescaped.
func Quote(s string) string { return celstring.Quote(s, '"') }

// quoteList is names as a CEL list of string literals.
func quoteList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = Quote(n)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
