package plan

import (
	"strings"
	"testing"
)

func TestWithTokenExpiration(t *testing.T) {
	aws := TokenLimit{Target: "aws", Min: 600, Max: 86400, Why: "Kubernetes' minimum to one day"}
	azure := TokenLimit{Target: "azure", Min: 3600, Max: 86400, Why: "what Azure workload identity accepts"}
	webhook := TokenLimit{Target: "aws", Elsewhere: "the EKS webhook projects it"}
	tokens := []ProjectedToken{{VolumeName: "aws-iam-token", ExpirationSeconds: 86400}, {VolumeName: "azure-identity-token", ExpirationSeconds: 3600}}
	for _, tc := range []struct {
		name    string
		pod     PodPatch
		seconds int64
		want    []int64 // the tokens' expirations, when accepted
		wantErr []string
	}{
		{"none keeps the spec's", PodPatch{Tokens: tokens, TokenLimits: []TokenLimit{aws, azure}}, 0, []int64{86400, 3600}, nil},
		{"within every range", PodPatch{Tokens: tokens, TokenLimits: []TokenLimit{aws, azure}}, 7200, []int64{7200, 7200}, nil},
		{"under one target's minimum", PodPatch{Tokens: tokens, TokenLimits: []TokenLimit{aws, azure}}, 1800, nil,
			[]string{"1800 seconds is out of the azure token's range; want 3600 to 86400 seconds (what Azure workload identity accepts)"}},
		{"over every maximum", PodPatch{Tokens: tokens, TokenLimits: []TokenLimit{aws, azure}}, 90000, nil, []string{"aws token's range", "azure token's range"}},
		{"a token projected elsewhere", PodPatch{TokenLimits: []TokenLimit{webhook}}, 7200, nil, []string{"the aws token is not the function's to set: the EKS webhook projects it"}},
		{"no token at all", PodPatch{}, 7200, nil, []string{"no cloud of the spec projects a token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.pod.WithTokenExpiration(tc.seconds)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("WithTokenExpiration(%d) accepted; want %q", tc.seconds, tc.wantErr)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				if got.Tokens[i].ExpirationSeconds != w {
					t.Errorf("token %d expires after %d, want %d", i, got.Tokens[i].ExpirationSeconds, w)
				}
			}
			if tc.pod.Tokens[0].ExpirationSeconds != 86400 {
				t.Error("WithTokenExpiration changed the plan's own tokens")
			}
		})
	}
}

func TestTokenRangeIsWhatEveryTokenAccepts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits []TokenLimit
		lo, hi int64
		ok     bool
	}{
		{"one", []TokenLimit{{Min: 600, Max: 86400}}, 600, 86400, true},
		{"the narrowest", []TokenLimit{{Min: 600, Max: 86400}, {Min: 3600, Max: 86400}}, 3600, 86400, true},
		{"one elsewhere", []TokenLimit{{Min: 600, Max: 86400}, {Elsewhere: "webhook"}}, 0, 0, false},
		{"none", nil, 0, 0, false},
	} {
		lo, hi, ok := PodPatch{TokenLimits: tc.limits}.TokenRange()
		if lo != tc.lo || hi != tc.hi || ok != tc.ok {
			t.Errorf("%s: TokenRange = %d, %d, %v; want %d, %d, %v", tc.name, lo, hi, ok, tc.lo, tc.hi, tc.ok)
		}
	}
}

func TestPodForPicksTheWindowsFormAndTheTemplatesExpiration(t *testing.T) {
	limit := []TokenLimit{{Target: "aws", Min: 600, Max: 86400}}
	p := Plan{
		Pod:     PodPatch{Tokens: []ProjectedToken{{ExpirationSeconds: 86400}}, Env: []KeyValue{{Key: "F", Value: "/linux"}}, TokenLimits: limit},
		Windows: &Windows{Pod: PodPatch{Tokens: []ProjectedToken{{ExpirationSeconds: 86400}}, Env: []KeyValue{{Key: "F", Value: `C:\windows`}}, TokenLimits: limit}},
	}
	got, err := p.PodFor(true, 3600)
	if err != nil {
		t.Fatal(err)
	}
	if got.Env[0].Value != `C:\windows` || got.Tokens[0].ExpirationSeconds != 3600 {
		t.Errorf("PodFor(windows, 3600) = %+v", got)
	}
	if got, _ := p.PodFor(false, 0); got.Env[0].Value != "/linux" || got.Tokens[0].ExpirationSeconds != 86400 {
		t.Errorf("PodFor(linux, 0) = %+v", got)
	}
}
