package admission

import (
	"fmt"
	"strings"
)

// Quote is s as a CEL string literal. Every value in a policy comes from a
// validated spec, but a policy is code the API server runs, so nothing is
// written into it unescaped: quotes and backslashes are escaped, and every
// rune outside printable ASCII (newlines, U+2028, control characters) is
// written as a \u or \U escape, which CEL reads back to the same rune.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteList is names as a CEL list of string literals.
func quoteList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = Quote(n)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
