package trust

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// FuzzRenderersKeepValuesLiteral puts one arbitrary value wherever a spec's
// values reach the trust and its grants (oddTrustWith), and holds every
// format to saying exactly that value: the JSON reads back the same, the
// HCL evaluates to it, the shell script passes it to the commands as one
// argument each, the KRM objects carry it, the CEL conditions compare with
// it, and no comment can be broken out of. The spec's validation keeps
// today's values far plainer; this proves the escaping alone is enough.
func FuzzRenderersKeepValuesLiteral(f *testing.F) {
	f.Add(oddValue)
	for _, lineBreak := range lineBreaks {
		f.Add("x" + lineBreak + "pwned" + lineBreak + `resource "null_resource" "pwned" {}` + lineBreak + "kind: Pwned")
	}
	for _, s := range []string{
		"", "-", "--x", "-x=1", "'", `\`, `\'`, `"`, "${pwned}", "$${x}", "%{ if true }x%{ endif }",
		"$(pwned)", "`pwned`", "^;^a;b", "a,b=c", "title=x,expression=y", "#", "\t", "\x1b[31m",
		"\u202e", "\ufeff", "…", "\x7f", "\\u0041", "'\n'", "a\u2028b", "{{ pwned }}", "*", "?",
	} {
		f.Add(s)
	}
	plainObjects, _ := renderKRMObjects(f, oddTrustWith("plain"))
	f.Fuzz(func(t *testing.T, odd string) {
		if !utf8.ValidString(odd) || strings.ContainsRune(odd, 0) {
			// Specs are YAML, read as UTF-8, and shell.go's variable mark
			// relies on no value holding a NUL byte.
			t.Skip("not UTF-8 or holds a NUL byte: no spec value can")
		}
		trust := oddTrustWith(odd)
		outputs := map[string]string{}
		for format, render := range renderers {
			var out bytes.Buffer
			if err := render(&out, trust); err != nil {
				t.Fatalf("--format %s: %v", format, err)
			}
			outputs[format] = out.String()
			checkCommentLines(t, format, out.String())
		}

		var back Trust
		if err := json.Unmarshal([]byte(outputs["json"]), &back); err != nil {
			t.Fatalf("json: %v", err)
		}
		if diff := cmp.Diff(trust, &back, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("json read back (-trust +json):\n%s", diff)
		}

		checkTerraformAgainstTrust(t, trust)
		checkShellCarriesOddTrust(t, trust)
		for _, call := range runWithStubs(t, outputs["shell"]) {
			if call[0] == "pwned" {
				t.Errorf("shell: a value became a command: %q", call)
			}
		}
		want := grantsOfTrust(trust)
		for format, read := range map[string]func(*testing.T, *Trust) grants{
			"terraform": terraformGrants, "shell": shellGrants, "krm": krmGrants,
		} {
			if diff := cmp.Diff(want, read(t, trust).sorted()); diff != "" {
				t.Errorf("grants (-json +%s):\n%s", format, diff)
			}
		}
		if objects, _ := renderKRMObjects(t, trust); len(objects) != len(plainObjects) {
			t.Errorf("krm: %d objects, %d with a plain value: a value became an object", len(objects), len(plainObjects))
		}
		checkConditionsCompareWith(t, trust, odd)
	})
}

// renderKRMObjects renders the trust as KRM and reads the objects back,
// with the text they came from.
func renderKRMObjects(t testing.TB, trust *Trust) ([]*yaml.RNode, string) {
	t.Helper()
	var out bytes.Buffer
	if err := RenderKRM(&out, trust); err != nil {
		t.Fatal(err)
	}
	objects, err := kio.FromBytes(out.Bytes())
	if err != nil {
		t.Fatalf("KRM output does not parse: %v\n%s", err, out.String())
	}
	return objects, out.String()
}

// checkConditionsCompareWith checks with Google's CEL parser and evaluator
// that the pool provider's condition admits the subject odd, and the grant's
// condition an object named odd, and nothing else.
func checkConditionsCompareWith(t *testing.T, trust *Trust, odd string) {
	t.Helper()
	env, err := cel.NewEnv(
		cel.Variable("assertion", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("resource", cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		t.Fatal(err)
	}
	eval := func(expression string, vars map[string]any) bool {
		t.Helper()
		parsed, issues := env.Compile(expression)
		if issues.Err() != nil {
			t.Fatalf("%q does not compile: %v", expression, issues.Err())
		}
		program, err := env.Program(parsed)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := program.Eval(vars)
		if err != nil {
			t.Fatalf("evaluate %q: %v", expression, err)
		}
		got, ok := out.Value().(bool)
		return ok && got
	}
	condition := trust.GCP.WorkloadIdentityPools[0].Providers[0].AttributeCondition
	for _, subject := range []string{odd, "x'y", odd + "x", ""} {
		want := subject == odd || subject == "x'y"
		if got := eval(condition, map[string]any{"assertion": map[string]any{"sub": subject}}); got != want {
			t.Errorf("%s with assertion.sub = %q is %v, want %v", condition, subject, got, want)
		}
	}
	grant := trust.GCP.ResourceBindings[0].Condition.Expression
	for _, name := range []string{odd, odd + "/more", "x" + odd, ""} {
		want := strings.HasPrefix(name, odd)
		if got := eval(grant, map[string]any{"resource": map[string]any{"name": name}}); got != want {
			t.Errorf("%s with resource.name = %q is %v, want %v", grant, name, got, want)
		}
	}
}
