// Package keyprefix is the grammar of the object key prefixes a grant may
// keep a bucket to, in S3 and Cloud Storage alike. A prefix reaches an IAM
// policy (where "*" and "?" are wildcards and "${" starts a policy variable),
// a CEL string in a Google IAM condition, shell commands and generated code,
// so only the characters both object stores call safe are accepted, and the
// function's validation and trust call this one check.
package keyprefix

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxLength is the longest prefix: S3 and Cloud Storage both cap object
// names at 1,024 bytes.
const MaxLength = 1024

// Want says what a valid prefix is, for messages.
const Want = "a plain key prefix such as reports/2026/: letters, digits and ! - _ . ' ( ) / = + , @ :, at most 1024 characters, not starting with / or -, without . or .. as a path segment"

// ErrWildcard is wrapped by the error about a prefix with "*" or "?": a
// prefix is matched as written, and a wildcard would widen it.
var ErrWildcard = errors.New("a prefix is matched as written; a wildcard would widen it")

// Check reports why prefix is not a plain key prefix, or nil. The empty
// prefix (the whole bucket) is valid.
func Check(prefix string) error {
	if len(prefix) > MaxLength {
		return fmt.Errorf("is %d characters long; want %s", len(prefix), Want)
	}
	if strings.ContainsAny(prefix, "*?") {
		return fmt.Errorf("%s has a wildcard (%w); want %s", strconv.QuoteToASCII(prefix), ErrWildcard, Want)
	}
	for _, r := range prefix {
		if !safe(r) {
			return fmt.Errorf("%s has %s, which is not allowed; want %s", strconv.QuoteToASCII(prefix), strconv.QuoteRuneToASCII(r), Want)
		}
	}
	if strings.HasPrefix(prefix, "/") {
		return fmt.Errorf("%q starts with /, which no object key starts with; want %s", prefix, Want)
	}
	if strings.HasPrefix(prefix, "-") {
		return fmt.Errorf("%q starts with -, which a command line could read as an option; want %s", prefix, Want)
	}
	for _, segment := range strings.Split(prefix, "/") {
		if segment == "." || segment == ".." {
			return fmt.Errorf("%q has %q as a path segment, which reads as a directory reference although object keys have none; want %s", prefix, segment, Want)
		}
	}
	return nil
}

// safe reports whether r is one of the characters Amazon S3 and Cloud
// Storage document as safe in object names (less "*"), or "=", "+", ",",
// "@" and ":", which partitioned layouts (date=2026-01-01/) use.
func safe(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("!-_.'()/=+,@:", r)
}
