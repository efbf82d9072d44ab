// Package arn is the grammar of the AWS IAM names the project reads and
// writes: the role a spec names and the OIDC provider trust derives from it,
// and what a role's grants name (S3 buckets, actions, the ARNs a statement
// grants on, managed policies). The function's validation and trust's
// builders both call it, so they can never accept different values.
package arn

import (
	"fmt"
	"regexp"
	"strings"
)

// MaxRolePathLength is the longest role path IAM allows.
const MaxRolePathLength = 512

// RoleGrammar says what a valid role ARN is, for messages.
const RoleGrammar = "arn:PARTITION:iam::ACCOUNT:role/NAME with partition aws, aws-cn or aws-us-gov and a 12-digit account"

// Partitions are the AWS partitions a role may be in. The isolated partitions
// (aws-iso*) have no public STS endpoint a cluster outside them could reach.
var Partitions = []string{"aws", "aws-cn", "aws-us-gov"}

// partition is what names a partition's regions and hosts: the prefix of its
// regions' codes, the DNS suffix of its endpoints (oidc.eks.REGION.SUFFIX,
// sts.REGION.SUFFIX) and a region to name in messages. The commercial
// partition, aws, has every other region. Source: the partitions of the AWS
// SDKs' endpoint rules (partitions.json: regionRegex, dnsSuffix).
type partition struct {
	name, regionPrefix, dnsSuffix, exampleRegion string
}

var partitions = []partition{
	{"aws-cn", "cn-", "amazonaws.com.cn", "cn-north-1"},
	{"aws-us-gov", "us-gov-", "amazonaws.com", "us-gov-west-1"},
	{"aws-iso", "us-iso-", "c2s.ic.gov", "us-iso-east-1"},
	{"aws-iso-b", "us-isob-", "sc2s.sgov.gov", "us-isob-east-1"},
	{"aws-iso-e", "eu-isoe-", "cloud.adc-e.uk", "eu-isoe-west-1"},
	{"aws-iso-f", "us-isof-", "csp.hci.ic.gov", "us-isof-south-1"},
}

var commercial = partition{"aws", "", "amazonaws.com", "eu-west-2"}

func partitionOf(name string) partition {
	for _, p := range partitions {
		if p.name == name {
			return p
		}
	}
	return commercial
}

var region = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)

// WantRegion says what a region code is, for messages.
const WantRegion = "an AWS region such as eu-west-2"

// IsRegion reports whether s is written as an AWS region code.
func IsRegion(s string) bool { return region.MatchString(s) }

// RegionPartition is the partition a region code belongs to.
func RegionPartition(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.regionPrefix) {
			return p.name
		}
	}
	return commercial.name
}

// DNSSuffix is the domain of a partition's endpoints: amazonaws.com.cn for
// China, amazonaws.com for the commercial and GovCloud partitions.
func DNSSuffix(partition string) string { return partitionOf(partition).dnsSuffix }

// ExampleRegion is a region of the partition, to name in messages.
func ExampleRegion(partition string) string { return partitionOf(partition).exampleRegion }

var role = regexp.MustCompile(`^arn:(` + strings.Join(Partitions, "|") + `):iam::(\d{12}):role/((?:[\x21-\x7e]+/)*)([\w+=,.@-]{1,64})$`)

// Role is a parsed IAM role ARN.
type Role struct {
	Partition string
	Account   string
	// Path is "/" or "/a/b/", as IAM writes it.
	Path string
	Name string
}

// ErrNotRole is wrapped by every ParseRole error.
var ErrNotRole = fmt.Errorf("not an IAM role ARN; want %s", RoleGrammar)

// ParseRole reads a role ARN, arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
func ParseRole(s string) (Role, error) {
	m := role.FindStringSubmatch(s)
	if m == nil {
		return Role{}, ErrNotRole
	}
	r := Role{Partition: m[1], Account: m[2], Path: "/" + m[3], Name: m[4]}
	if len(m[3]) > MaxRolePathLength {
		return r, fmt.Errorf("has a path of %d characters; want at most %d, the longest path IAM allows", len(m[3]), MaxRolePathLength)
	}
	return r, nil
}

// OIDCProvider is the ARN of the IAM OIDC provider for an issuer (given
// without its scheme, as issuer.HostPath writes it) in the role's account.
func (r Role) OIDCProvider(issuerHostPath string) string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", r.Partition, r.Account, issuerHostPath)
}

// Account reads the account from any IAM ARN (arn:PARTITION:iam::ACCOUNT:...),
// or "" when s is not one.
func Account(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[2] != "iam" {
		return ""
	}
	return parts[4]
}
