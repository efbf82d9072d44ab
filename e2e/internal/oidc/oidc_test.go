package oidc

import "testing"

func TestAudienceInAcceptsAStringOrAListAudience(t *testing.T) {
	accepted := []string{"sts.amazonaws.com", "api://AzureADTokenExchange"}
	for _, tt := range []struct {
		aud  any
		want bool
	}{
		{"sts.amazonaws.com", true},
		{[]any{"other", "api://AzureADTokenExchange"}, true},
		{[]any{"other"}, false},
		{"", false},
		{nil, false},
	} {
		if got := (Claims{"aud": tt.aud}).AudienceIn(accepted); got != tt.want {
			t.Errorf("aud %v: AudienceIn = %v, want %v", tt.aud, got, tt.want)
		}
	}
}
