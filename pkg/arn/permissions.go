package arn

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
)

// What the permission grammars accept, for messages.
const (
	WantBucket        = "an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, no two dots in a row, not an IP address, none of the prefixes xn--, sthree-, amzn-s3-demo- or the suffixes -s3alias, --ol-s3, .mrap, --x-s3, --table-s3 that S3 reserves"
	WantAction        = "an IAM action SERVICE:Action, such as sqs:ReceiveMessage, without wildcards"
	WantResource      = "an ARN arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE in the role's partition"
	WantManagedPolicy = "a managed policy ARN arn:PARTITION:iam::ACCOUNT:policy/NAME (ACCOUNT is 12 digits, or aws for an AWS managed policy) in the role's partition"
)

// ErrWildcard is wrapped by every error about a wildcard that would widen a
// grant beyond what was named.
var ErrWildcard = errors.New("it would grant more than named")

var (
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// S3 keeps these prefixes and suffixes for its own bucket kinds: access
	// point aliases, Object Lambda, Multi-Region Access Points, directory
	// and table buckets.
	bucketReservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	bucketReservedSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}

	// An action is a service prefix and an action name; IAM writes action
	// names in letters and digits only.
	action = regexp.MustCompile(`^([a-z0-9][a-z0-9-]*):([A-Za-z0-9]+)$`)

	managedPolicy = regexp.MustCompile(`^arn:(` + strings.Join(Partitions, "|") + `):iam::(\d{12}|aws):policy/((?:[\x21-\x7e]+/)*)([\w+=,.@-]{1,128})$`)

	// The parts of an ARN before the resource: no wildcard, no separator.
	arnService = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	arnRegion  = regexp.MustCompile(`^([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})?$`)
	arnAccount = regexp.MustCompile(`^(\d{12})?$`)
	// A resource part holds printable ASCII only: IAM policy documents take
	// nothing else, and "$" would start a policy variable.
	arnResource = regexp.MustCompile(`^[\x21-\x23\x25-\x7e]+$`)
)

// IsBucket reports whether name is an S3 general purpose bucket name.
func IsBucket(name string) bool {
	if !bucketName.MatchString(name) || strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return false
	}
	for _, p := range bucketReservedPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range bucketReservedSuffixes {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

// Bucket is the ARN of an S3 bucket in a partition; Bucket(...)+"/KEY" names
// its objects.
func Bucket(partition, bucket string) string {
	return "arn:" + partition + ":s3:::" + bucket
}

// CheckAction accepts one IAM action, SERVICE:Action. Any wildcard is
// refused: "*" and "s3:*" grant a whole service or everything, and even a
// partial one such as "s3:Get*" reaches actions nobody named
// (s3:GetBucketPolicy, s3:GetObjectAcl).
func CheckAction(s string) error {
	if strings.ContainsAny(s, "*?") {
		return fmt.Errorf("%q has a wildcard, so %w; want %s, each action listed", s, ErrWildcard, WantAction)
	}
	if !action.MatchString(s) {
		return fmt.Errorf("%q is not valid; want %s", s, WantAction)
	}
	return nil
}

// CheckResource accepts an ARN a statement may grant on, in partition. A
// wildcard may only stand inside the resource part after some literal text
// (arn:aws:s3:::BUCKET/reports/*, arn:aws:sqs:eu-west-2:111122223333:jobs-*):
// never as the whole resource ("*"), in the partition, service, region or
// account, as the whole resource part, or in an S3 bucket name, each of
// which reaches resources nobody named.
func CheckResource(partition, s string) error {
	if strings.Trim(s, "*?") == "" {
		return fmt.Errorf("%q is every resource, so %w; want %s for each resource", s, ErrWildcard, WantResource)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return fmt.Errorf("%q is not an ARN; want %s", s, WantResource)
	}
	p, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if strings.ContainsAny(p+service+region+account, "*?") {
		return fmt.Errorf("%q has a wildcard in its partition, service, region or account, so %w; want %s with each of them written out", s, ErrWildcard, WantResource)
	}
	if p != partition {
		return fmt.Errorf("%q is in partition %q, but the role is in %q; a role's policy reaches its own partition only", s, p, partition)
	}
	if !arnService.MatchString(service) || !arnRegion.MatchString(region) || !arnAccount.MatchString(account) || !arnResource.MatchString(resource) {
		return fmt.Errorf("%q is not valid; want %s with a region such as eu-west-2 (or none), a 12-digit account (or none) and a resource in printable ASCII without $", s, WantResource)
	}
	if strings.Trim(resource, "*?") == "" || strings.ContainsAny(resource[:1], "*?") {
		return fmt.Errorf("%q starts its resource part with a wildcard, which reaches every resource of the service, so %w; want %s whose resource part starts with a name", s, ErrWildcard, WantResource)
	}
	if service == "s3" {
		bucket, _, _ := strings.Cut(resource, "/")
		if strings.ContainsAny(bucket, "*?") {
			return fmt.Errorf("%q has a wildcard in its bucket name, which reaches other buckets, so %w; want the bucket named: %s", s, ErrWildcard, WantBucket)
		}
		if !IsBucket(bucket) {
			return fmt.Errorf("%q names bucket %q, which is not valid; want %s", s, bucket, WantBucket)
		}
	}
	return nil
}

// CheckManagedPolicy accepts the ARN of a managed policy in partition.
func CheckManagedPolicy(partition, s string) error {
	m := managedPolicy.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%q is not valid; want %s", s, WantManagedPolicy)
	}
	if m[1] != partition {
		return fmt.Errorf("%q is in partition %q, but the role is in %q; attach a policy of the role's own partition", s, m[1], partition)
	}
	if len(m[3]) > MaxRolePathLength {
		return fmt.Errorf("%q has a path of %d characters; want at most %d", s, len(m[3]), MaxRolePathLength)
	}
	return nil
}
