// Package celstring writes CEL string literals. CEL reaches two places from
// a spec: the admission policies the API server runs, and the conditions of
// Google IAM (workload identity providers and grants). Both are code, so no
// value is written into them unescaped.
package celstring

import (
	"fmt"
	"strings"
)

// Quote is s as a CEL string literal between quote characters (' or "):
// the quote and backslashes are escaped, and every rune outside printable
// ASCII (line breaks, which CEL refuses inside quotes, U+2028, control
// characters) is written as a \u or \U escape, which CEL reads back as the
// same rune.
func Quote(s string, quote rune) string {
	var b strings.Builder
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
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
	b.WriteRune(quote)
	return b.String()
}
