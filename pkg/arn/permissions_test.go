package arn

import (
	"errors"
	"strings"
	"testing"
)

func TestIsBucketFollowsS3NamingRules(t *testing.T) {
	for name, want := range map[string]bool{
		"oidc-exp-s3-bucket":           true,
		"abc":                          true,
		"a.b.c":                        true,
		"my.bucket-2":                  true,
		strings.Repeat("a", 63):        true,
		strings.Repeat("a", 64):        false,
		"ab":                           false,
		"Upper":                        false,
		"-lead":                        false,
		"trail-":                       false,
		"two..dots":                    false,
		"192.168.5.4":                  false,
		"under_score":                  false,
		"xn--bucket":                   false,
		"sthree-bucket":                false,
		"amzn-s3-demo-bucket":          false,
		"bucket-s3alias":               false,
		"bucket--ol-s3":                false,
		"bucket.mrap":                  false,
		"bucket--x-s3":                 false,
		"bucket--table-s3":             false,
		"bucket\n":                     false,
		"bucket\u2028":                 false,
		"bucket*":                      false,
		"b/c":                          false,
		"":                             false,
		"bucket name":                  false,
		"$(touch pwned)":               false,
		"bucket;rm -rf /":              false,
		strings.Repeat("a.", 31) + "a": true,
	} {
		if got := IsBucket(name); got != want {
			t.Errorf("IsBucket(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCheckActionRefusesWildcards(t *testing.T) {
	for _, ok := range []string{"s3:GetObject", "sqs:ReceiveMessage", "execute-api:Invoke", "kms:Decrypt"} {
		if err := CheckAction(ok); err != nil {
			t.Errorf("CheckAction(%q) = %v, want ok", ok, err)
		}
	}
	for _, wild := range []string{"*", "s3:*", "s3:Get*", "s3:Get?bject", "*:GetObject", "sqs:*Message"} {
		if err := CheckAction(wild); !errors.Is(err, ErrWildcard) {
			t.Errorf("CheckAction(%q) = %v, want ErrWildcard", wild, err)
		}
	}
	for _, bad := range []string{"", "GetObject", "s3:", ":GetObject", "S3:GetObject", "s3:Get Object", "s3:GetObject\n", "s3:GetObject\u2028", "-s3:GetObject", "s3:Get-Object", "s3:GetObject,s3:PutObject"} {
		if err := CheckAction(bad); err == nil {
			t.Errorf("CheckAction(%q) = nil, want an error", bad)
		}
	}
}

func TestCheckResourceAllowsNamedResourcesOnly(t *testing.T) {
	for _, ok := range []string{
		"arn:aws:s3:::oidc-exp-s3-bucket",
		"arn:aws:s3:::oidc-exp-s3-bucket/*",
		"arn:aws:s3:::oidc-exp-s3-bucket/reports/2026-*.csv",
		"arn:aws:sqs:eu-west-2:111122223333:jobs",
		"arn:aws:sqs:eu-west-2:111122223333:jobs-*",
		"arn:aws:dynamodb:eu-west-2:111122223333:table/orders/index/*",
		"arn:aws:kms:eu-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:logs:eu-west-2:111122223333:log-group:app:*",
	} {
		if err := CheckResource("aws", ok); err != nil {
			t.Errorf("CheckResource(%q) = %v, want ok", ok, err)
		}
	}
	for _, wild := range []string{
		"*",
		"**",
		"arn:aws:s3:::*",
		"arn:aws:s3:::*/reports",
		"arn:aws:s3:::oidc-*/x",
		"arn:aws:s3:::bucket?/x",
		"arn:aws:sqs:*:111122223333:jobs",
		"arn:aws:sqs:eu-west-2:*:jobs",
		"arn:aws:*:eu-west-2:111122223333:jobs",
		"arn:*:sqs:eu-west-2:111122223333:jobs",
		"arn:aws:sqs:eu-west-2:111122223333:*",
		"arn:aws:sqs:eu-west-2:111122223333:*jobs",
	} {
		if err := CheckResource("aws", wild); !errors.Is(err, ErrWildcard) {
			t.Errorf("CheckResource(%q) = %v, want ErrWildcard", wild, err)
		}
	}
	for _, bad := range []string{
		"",
		"oidc-exp-s3-bucket",
		"arn:aws:s3::oidc-exp-s3-bucket",
		"arn:aws-cn:s3:::oidc-exp-s3-bucket",
		"arn:aws:s3:::Bad_Bucket/x",
		"arn:aws:sqs:eu-west-2:111122223333:jobs\n",
		"arn:aws:sqs:eu-west-2:111122223333:jobs\u2028x",
		"arn:aws:sqs:eu-west-2:111122223333:${aws:username}",
		"arn:aws:sqs:eu-west-2:111122223333:a b",
		"arn:aws:sqs:Europe:111122223333:jobs",
		"arn:aws:sqs:eu-west-2:1111:jobs",
		"arn:aws:SQS:eu-west-2:111122223333:jobs",
		"arn:aws:sqs:eu-west-2:111122223333:",
	} {
		if err := CheckResource("aws", bad); err == nil {
			t.Errorf("CheckResource(%q) = nil, want an error", bad)
		}
	}
	if err := CheckResource("aws", "arn:aws-cn:s3:::b-c-d"); err == nil || !strings.Contains(err.Error(), "partition") {
		t.Errorf("a resource of another partition: %v, want a partition error", err)
	}
}

func TestCheckManagedPolicy(t *testing.T) {
	for _, ok := range []string{
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole",
		"arn:aws:iam::111122223333:policy/team/reader+=,.@-_",
	} {
		if err := CheckManagedPolicy("aws", ok); err != nil {
			t.Errorf("CheckManagedPolicy(%q) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{
		"",
		"arn:aws:iam::aws:role/ReadOnlyAccess",
		"arn:aws:iam::11112222333:policy/p",
		"arn:aws-cn:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::aws:policy/*",
		"arn:aws:iam::aws:policy/p\n",
		"arn:aws:iam::aws:policy/" + strings.Repeat("p", 129),
	} {
		if err := CheckManagedPolicy("aws", bad); err == nil {
			t.Errorf("CheckManagedPolicy(%q) = nil, want an error", bad)
		}
	}
}

func TestBucketARN(t *testing.T) {
	if got, want := Bucket("aws-cn", "b-c-d"), "arn:aws-cn:s3:::b-c-d"; got != want {
		t.Errorf("Bucket = %q, want %q", got, want)
	}
}
