package googleemu

import (
	"fmt"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc"
)

// mapAttributes applies a provider's attribute mapping to the claims of a
// verified token. It understands the subset of CEL that attribute mappings
// use in practice: a path into the assertion such as assertion.sub or
// assertion['kubernetes.io']['namespace']. Anything else is an error, so the
// stand-in fails closed instead of guessing.
func mapAttributes(mapping map[string]string, claims oidc.Claims) (map[string]string, error) {
	if len(mapping) == 0 {
		mapping = map[string]string{"google.subject": "assertion.sub"}
	}
	attrs := map[string]string{}
	for target, expr := range mapping {
		v, err := evalPath(strings.TrimSpace(expr), nil, claims)
		if err != nil {
			return nil, fmt.Errorf("attribute mapping %s=%s: %w", target, expr, err)
		}
		attrs[target] = v
	}
	return attrs, nil
}

// evalCondition evaluates an attribute condition made of comparisons
// (PATH == 'literal' or PATH != 'literal') joined by &&. An empty condition
// is true.
func evalCondition(cond string, attrs map[string]string, claims oidc.Claims) (bool, error) {
	cond = strings.TrimSpace(cond)
	if cond == "" {
		return true, nil
	}
	for _, term := range strings.Split(cond, "&&") {
		term = strings.TrimSpace(term)
		op := "=="
		i := strings.Index(term, "==")
		if j := strings.Index(term, "!="); j >= 0 {
			op, i = "!=", j
		}
		if i < 0 {
			return false, fmt.Errorf("attribute condition %q: the stand-in only understands == and != comparisons joined by &&", cond)
		}
		left, err := evalPath(strings.TrimSpace(term[:i]), attrs, claims)
		if err != nil {
			return false, fmt.Errorf("attribute condition %q: %w", cond, err)
		}
		right, err := evalPath(strings.TrimSpace(term[i+2:]), attrs, claims)
		if err != nil {
			return false, fmt.Errorf("attribute condition %q: %w", cond, err)
		}
		if (left == right) != (op == "==") {
			return false, nil
		}
	}
	return true, nil
}

// evalPath evaluates a string literal, google.X / attribute.X (when attrs is
// given) or a path into the assertion.
func evalPath(expr string, attrs map[string]string, claims oidc.Claims) (string, error) {
	if len(expr) >= 2 && (expr[0] == '\'' || expr[0] == '"') && expr[len(expr)-1] == expr[0] {
		return expr[1 : len(expr)-1], nil
	}
	if attrs != nil && (strings.HasPrefix(expr, "google.") || strings.HasPrefix(expr, "attribute.")) {
		return attrs[expr], nil
	}
	rest, ok := strings.CutPrefix(expr, "assertion")
	if !ok {
		return "", fmt.Errorf("unsupported expression %q", expr)
	}
	var cur any = map[string]any(claims)
	for rest != "" {
		var key string
		switch {
		case strings.HasPrefix(rest, "."):
			rest = rest[1:]
			end := 0
			for end < len(rest) && (rest[end] == '_' || rest[end] >= 'a' && rest[end] <= 'z' || rest[end] >= 'A' && rest[end] <= 'Z' || end > 0 && rest[end] >= '0' && rest[end] <= '9') {
				end++
			}
			if end == 0 {
				return "", fmt.Errorf("unsupported expression %q", expr)
			}
			key, rest = rest[:end], rest[end:]
		case strings.HasPrefix(rest, "['") || strings.HasPrefix(rest, `["`):
			quote := rest[1]
			end := strings.IndexByte(rest[2:], quote)
			if end < 0 || len(rest) < end+4 || rest[end+3] != ']' {
				return "", fmt.Errorf("unsupported expression %q", expr)
			}
			key, rest = rest[2:end+2], rest[end+4:]
		default:
			return "", fmt.Errorf("unsupported expression %q", expr)
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return "", fmt.Errorf("%q: %s is not an object", expr, key)
		}
		cur = m[key]
	}
	switch v := cur.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	default:
		return fmt.Sprint(v), nil
	}
}
