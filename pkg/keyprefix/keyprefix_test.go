package keyprefix

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, ok := range []string{"", "reports/", "reports/2026/", "date=2026-01-01/", "a!b-c_d.e'f(g)h+i,j@k:l", "file.txt", "a./b", strings.Repeat("a", MaxLength)} {
		if err := Check(ok); err != nil {
			t.Errorf("Check(%q) = %v, want ok", ok, err)
		}
	}
	for _, wild := range []string{"*", "reports/*", "rep?rts/"} {
		if err := Check(wild); !errors.Is(err, ErrWildcard) {
			t.Errorf("Check(%q) = %v, want ErrWildcard", wild, err)
		}
	}
	for _, bad := range []string{
		"/reports/", "../other/", "reports/../other/", "./reports", "reports/.", "reports/..",
		"reports\n", "reports\r", "reports\u2028", "reports\u2029", "reports\u0085", "reports\x00", "reports\t",
		"${aws:username}/", "$(id)", "`id`", "a b", "a\\b", "a\"b", "a;b", "a|b", "a&b", "a#b", "a%b", "a{b}", "a[b]", "a<b>", "a~b", "a^b",
		"-rf", "é/", "\ufeff", strings.Repeat("a", MaxLength+1),
	} {
		if err := Check(bad); err == nil {
			t.Errorf("Check(%q) = nil, want an error", bad)
		}
	}
}

// A refused prefix is quoted in the message with every special character
// escaped, so it cannot break the message's line or forge another.
func TestMessagesEscapeTheValue(t *testing.T) {
	err := Check("a\u2028[error] forged")
	if err == nil || strings.ContainsRune(err.Error(), '\u2028') {
		t.Fatalf("Check = %v, want an error with the line break escaped", err)
	}
}
