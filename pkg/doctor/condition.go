package doctor

import (
	"fmt"
	"slices"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/trust"
)

// A GCP attribute condition is CEL over the token's claims (assertion) and
// the mapped attributes (google, attribute). It is read with cel-go, as
// Google reads it, and judged by what it means, not by how it is spelled.

// conditionEnv declares what a condition may read; functions are resolved
// when it runs (Google's own, such as extract, are unknown here).
var conditionEnv = func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable("assertion", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("google", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("attribute", cel.MapType(cel.StringType, cel.DynType)),
		ext.Strings(),
	)
	if err != nil {
		panic(fmt.Sprintf("the attribute condition's CEL environment: %v", err))
	}
	return env
}()

// subjectBound is an upper bound of the subjects a condition admits: when
// bounded, only subjects among values can make it true.
type subjectBound struct {
	bounded bool
	values  []string
}

// boundOf reads the subjects a condition can admit from its shape:
// assertion.sub (or google.subject, mapped from it) compared with == to a
// string, or tested with in against a list of strings, joined by && (the
// tightest bound of its terms) and || (the union, bounded only when every
// term is). false admits nothing; anything else (a prefix test, a negation,
// a term about other claims alone) bounds nothing.
func boundOf(e celast.Expr) subjectBound {
	switch e.Kind() {
	case celast.LiteralKind:
		if e.AsLiteral() == types.False {
			return subjectBound{bounded: true}
		}
	case celast.CallKind:
		call := e.AsCall()
		args := call.Args()
		switch call.FunctionName() {
		case operators.LogicalAnd:
			out := subjectBound{}
			for _, a := range args {
				b := boundOf(a)
				switch {
				case !b.bounded:
				case !out.bounded:
					out = b
				default:
					out.values = slices.DeleteFunc(out.values, func(v string) bool { return !slices.Contains(b.values, v) })
				}
			}
			return out
		case operators.LogicalOr:
			out := subjectBound{bounded: true}
			for _, a := range args {
				b := boundOf(a)
				if !b.bounded {
					return subjectBound{}
				}
				for _, v := range b.values {
					if !slices.Contains(out.values, v) {
						out.values = append(out.values, v)
					}
				}
			}
			return out
		case operators.Equals:
			if len(args) == 2 {
				for _, pair := range [][2]celast.Expr{{args[0], args[1]}, {args[1], args[0]}} {
					if isSubject(pair[0]) {
						if v, ok := stringLiteral(pair[1]); ok {
							return subjectBound{bounded: true, values: []string{v}}
						}
					}
				}
			}
		case operators.In:
			if len(args) == 2 && isSubject(args[0]) && args[1].Kind() == celast.ListKind {
				out := subjectBound{bounded: true}
				for _, el := range args[1].AsList().Elements() {
					v, ok := stringLiteral(el)
					if !ok {
						return subjectBound{}
					}
					out.values = append(out.values, v)
				}
				return out
			}
		}
	}
	return subjectBound{}
}

// isSubject reports whether e reads the token's subject: assertion.sub,
// assertion['sub'] or google.subject.
func isSubject(e celast.Expr) bool {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		return !sel.IsTestOnly() && sel.Operand().Kind() == celast.IdentKind &&
			(sel.Operand().AsIdent() == "assertion" && sel.FieldName() == "sub" || sel.Operand().AsIdent() == "google" && sel.FieldName() == "subject")
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != operators.Index || len(call.Args()) != 2 || call.Args()[0].Kind() != celast.IdentKind {
			return false
		}
		key, ok := stringLiteral(call.Args()[1])
		ident := call.Args()[0].AsIdent()
		return ok && (ident == "assertion" && key == "sub" || ident == "google" && key == "subject")
	}
	return false
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().Value().(string)
	return s, ok
}

// judgeCondition says whether a provider's attribute condition admits the
// token of subject with audience and issuer, and no subject it does not
// name: its shape must bound the subjects (boundOf), the token must pass it
// when it runs, and a subject outside the bound must not.
func judgeCondition(condition, subject, audience, issuer string) (ok bool, detail string) {
	if condition == "" {
		return false, "has no attribute condition, so it admits every ServiceAccount of the issuer"
	}
	parsed, iss := conditionEnv.Parse(condition)
	if iss.Err() != nil {
		return false, fmt.Sprintf("has attribute condition %s, which is not CEL: %s", q(condition), q(iss.Err().Error()))
	}
	bound := boundOf(parsed.NativeRep().Expr())
	if !bound.bounded {
		return false, fmt.Sprintf("has attribute condition %s, which admits subjects it does not name: restrict %s to listed subjects with == or in, joined by && and ||",
			q(condition), trust.GCPSubjectAssertion)
	}
	if !slices.Contains(bound.values, subject) {
		return false, fmt.Sprintf("has attribute condition %s, which admits only %s, not %s", q(condition), qList(bound.values), q(subject))
	}
	program, err := conditionEnv.Program(parsed)
	if err != nil {
		return false, fmt.Sprintf("has attribute condition %s, which cannot run: %s", q(condition), q(err.Error()))
	}
	admits := func(sub string) (bool, error) {
		claims := map[string]any{"sub": sub, "aud": []any{audience}, "iss": issuer}
		out, _, err := program.Eval(map[string]any{"assertion": claims, "google": map[string]any{"subject": sub}, "attribute": map[string]any{}})
		if err != nil {
			return false, err
		}
		return out == types.True, nil
	}
	if yes, err := admits(subject); err != nil || !yes {
		why := "false"
		if err != nil {
			why = "an error, " + q(err.Error()) + ","
		}
		return false, fmt.Sprintf("has attribute condition %s, which is %s for the token (sub %s, aud %s)", q(condition), why, q(subject), q(audience))
	}
	// The bound says no other subject gets in; the condition itself must
	// agree.
	other := "system:serviceaccount:cross-cloud-access-doctor:not-" + subject
	if yes, err := admits(other); err == nil && yes {
		return false, fmt.Sprintf("has attribute condition %s, which admits %s too", q(condition), q(other))
	}
	return true, fmt.Sprintf("its attribute condition admits only %s", qList(bound.values))
}
