package arn

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRole(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Role
		ok   bool
	}{
		{"arn:aws:iam::111122223333:role/oidc_exp_federated_role", Role{"aws", "111122223333", "/", "oidc_exp_federated_role"}, true},
		{"arn:aws-cn:iam::111122223333:role/team/app/r+=,.@-", Role{"aws-cn", "111122223333", "/team/app/", "r+=,.@-"}, true},
		{"arn:aws-us-gov:iam::111122223333:role/r", Role{"aws-us-gov", "111122223333", "/", "r"}, true},
		{"arn:aws-iso:iam::111122223333:role/r", Role{}, false},
		{"arn:aws:iam::11112222333:role/r", Role{}, false},
		{"arn:aws:iam::111122223333:user/r", Role{}, false},
		{"arn:aws:iam::111122223333:role/", Role{}, false},
		{"arn:aws:iam::111122223333:role/" + strings.Repeat("n", 65), Role{}, false},
		{"arn:aws:iam::111122223333:role/a b", Role{}, false},
		{"arn:aws:iam::111122223333:role/r\n", Role{}, false},
		{" arn:aws:iam::111122223333:role/r", Role{}, false},
	} {
		got, err := ParseRole(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseRole(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok && !errors.Is(err, ErrNotRole) {
			t.Errorf("ParseRole(%q) = %v, want it to wrap ErrNotRole", tc.in, err)
		}
		if tc.ok && got != tc.want {
			t.Errorf("ParseRole(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseRoleRefusesAPathLongerThanIAMAllows(t *testing.T) {
	long := "arn:aws:iam::111122223333:role/" + strings.Repeat("p/", 257) + "r"
	if _, err := ParseRole(long); err == nil || !strings.Contains(err.Error(), "at most 512") {
		t.Fatalf("ParseRole(path of 514) = %v, want a path-length error", err)
	}
	ok := "arn:aws:iam::111122223333:role/" + strings.Repeat("p/", 256) + "r"
	if _, err := ParseRole(ok); err != nil {
		t.Fatalf("ParseRole(path of 512) = %v, want ok", err)
	}
}

func TestOIDCProviderAndAccount(t *testing.T) {
	r, err := ParseRole("arn:aws-cn:iam::111122223333:role/r")
	if err != nil {
		t.Fatal(err)
	}
	got := r.OIDCProvider("oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC")
	if want := "arn:aws-cn:iam::111122223333:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC"; got != want {
		t.Errorf("OIDCProvider = %q, want %q", got, want)
	}
	for in, want := range map[string]string{
		got:                                "111122223333",
		"arn:aws:iam::444455556666:role/x": "444455556666",
		"arn:aws:s3:::bucket":              "",
		"not an arn":                       "",
	} {
		if got := Account(in); got != want {
			t.Errorf("Account(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRegionPartitionAndDNSSuffix(t *testing.T) {
	for _, tc := range []struct {
		region, partition, suffix string
	}{
		{"eu-west-2", "aws", "amazonaws.com"},
		{"us-east-1", "aws", "amazonaws.com"},
		{"cn-north-1", "aws-cn", "amazonaws.com.cn"},
		{"cn-northwest-1", "aws-cn", "amazonaws.com.cn"},
		{"us-gov-west-1", "aws-us-gov", "amazonaws.com"},
		{"us-iso-east-1", "aws-iso", "c2s.ic.gov"},
		{"us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"},
	} {
		if !IsRegion(tc.region) {
			t.Errorf("IsRegion(%q) = false", tc.region)
		}
		if got := RegionPartition(tc.region); got != tc.partition {
			t.Errorf("RegionPartition(%q) = %q, want %q", tc.region, got, tc.partition)
		}
		if got := DNSSuffix(tc.partition); got != tc.suffix {
			t.Errorf("DNSSuffix(%q) = %q, want %q", tc.partition, got, tc.suffix)
		}
		if got := RegionPartition(ExampleRegion(tc.partition)); got != tc.partition {
			t.Errorf("ExampleRegion(%q) = a region of %q", tc.partition, got)
		}
	}
	for _, bad := range []string{"", "eu-west", "EU-WEST-2", "eu-west-2a", "global"} {
		if IsRegion(bad) {
			t.Errorf("IsRegion(%q) = true", bad)
		}
	}
}
