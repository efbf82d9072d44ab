package doctor

import (
	"strings"
	"testing"
)

func TestJudgeConditionReadsWhatTheConditionMeans(t *testing.T) {
	const sub, other, aud = "system:serviceaccount:default:app", "system:serviceaccount:jobs:runner", "https://iam.googleapis.com/p"
	for _, c := range []struct {
		condition string
		ok        bool
		want      string // part of the detail
	}{
		{"assertion.sub == '" + sub + "'", true, `admits only ["` + sub + `"]`},
		{"'" + sub + "' == assertion.sub", true, ""},
		{"assertion['sub'] == '" + sub + "'", true, ""},
		{"google.subject == '" + sub + "'", true, ""},
		{"assertion.sub in ['" + other + "', '" + sub + "']", true, `admits only ["` + other + `", "` + sub + `"]`},
		{"(assertion.sub == '" + other + "' && 'x' in assertion.aud) || (assertion.sub == '" + sub + "' && '" + aud + "' in assertion.aud)", true, ""},
		{"assertion.sub == '" + sub + "' && assertion.sub.startsWith('system:')", true, ""},
		{"false || assertion.sub == '" + sub + "'", true, ""},
		{"", false, "no attribute condition"},
		{"true", false, "admits subjects it does not name"},
		{"assertion.sub in ['" + sub + "'] || assertion.sub.startsWith('system:serviceaccount:')", false, "admits subjects it does not name"},
		{"assertion.sub != '" + other + "'", false, "admits subjects it does not name"},
		{"!(assertion.sub != '" + sub + "')", false, "admits subjects it does not name"},
		{"assertion.sub.matches('^" + sub + "$')", false, "admits subjects it does not name"},
		{"assertion.sub in ['" + sub + "', assertion.name]", false, "admits subjects it does not name"},
		{"'" + aud + "' in assertion.aud", false, "admits subjects it does not name"},
		{"assertion.sub == '" + sub + "' || true", false, "admits subjects it does not name"},
		{"assertion.sub == '" + other + "'", false, `admits only ["` + other + `"], not "` + sub + `"`},
		{"assertion.sub == '" + sub + "' && false", false, "admits only []"},
		{"assertion.sub == '" + sub + "' && 'other-audience' in assertion.aud", false, "which is false for the token"},
		{"assertion.sub == '" + sub + "' && extract(assertion.sub, '{x}') == ''", false, "for the token"},
		{"assertion.sub == ", false, "which is not CEL"},
		{"assertion.sub == 'a\u2028b'", false, `\u2028`},
	} {
		ok, detail := judgeCondition(c.condition, sub, aud, "https://issuer.example.com")
		if ok != c.ok || !strings.Contains(detail, c.want) {
			t.Errorf("judgeCondition(%q) = %v, %q; want %v and a detail containing %q", c.condition, ok, detail, c.ok, c.want)
		}
		if strings.ContainsAny(detail, "\n\u2028") {
			t.Errorf("judgeCondition(%q): the detail holds a line break: %q", c.condition, detail)
		}
	}
}

func TestWildcardMatchIsIAMs(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"sts:assumerolewithwebidentity", "sts:assumerolewithwebidentity", true},
		{"sts:*", "sts:assumerolewithwebidentity", true},
		{"*", "sts:assumerolewithwebidentity", true},
		{"sts:assumerole", "sts:assumerolewithwebidentity", false},
		{"sts:assumerole*", "sts:assumerolewithwebidentity", true},
		{"sts:assume?olewith*", "sts:assumerolewithwebidentity", true},
		{"s3:*", "sts:assumerolewithwebidentity", false},
		{strings.Repeat("*a", 40) + "*b", strings.Repeat("a", 200), false},
	} {
		if got := wildcardMatch(c.pattern, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v; want %v", c.pattern, c.s, got, c.want)
		}
	}
}
