package celstring

import (
	"testing"

	"github.com/google/cel-go/cel"
)

// Every literal Quote writes is read back by Google's CEL implementation
// (cel-go) as exactly the value, in both quote styles, and carries no rune
// outside printable ASCII.
func TestQuoteReadsBackAsTheValue(t *testing.T) {
	env, err := cel.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	values := []string{
		"", "plain", `it's "odd"`, `\`, `\'`, "a\nb", "a\r\nb", "\t", "\x00", "\x7f", "\u0085",
		"\u2028\u2029", "\ufeff", "é", "\U0001F600", "${x}", "' || true || '", `" || true || "`,
		"arn:aws:iam::111122223333:role/x", `" + object.metadata.name + "`,
	}
	for _, quote := range []rune{'\'', '"'} {
		for _, value := range values {
			literal := Quote(value, quote)
			ast, issues := env.Compile(literal)
			if issues.Err() != nil {
				t.Errorf("%s does not compile: %v", literal, issues.Err())
				continue
			}
			program, err := env.Program(ast)
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := program.Eval(map[string]any{})
			if err != nil {
				t.Fatalf("evaluate %s: %v", literal, err)
			}
			if got, _ := out.Value().(string); got != value {
				t.Errorf("%s reads back as %+q, want %+q", literal, got, value)
			}
			for _, r := range literal {
				if r < 0x20 || r >= 0x7f {
					t.Errorf("%+q carries the raw rune %U", literal, r)
				}
			}
		}
	}
}
