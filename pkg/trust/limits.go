package trust

import "fmt"

// Option changes how Build checks what it builds: the quotas an account has
// raised above the clouds' defaults.
type Option func(*limits)

// limits are the quotas an account can raise, as the trust command's flags
// give them.
type limits struct {
	awsManagedPoliciesPerRole int
}

func defaultLimits() limits {
	return limits{awsManagedPoliciesPerRole: AWSManagedPoliciesPerRole.Limit}
}

// WithAWSManagedPoliciesQuota sets the account's managed policies per role
// quota (Service Quotas L-0DA4ABF3) when it has been raised.
func WithAWSManagedPoliciesQuota(n int) Option {
	return func(l *limits) { l.awsManagedPoliciesPerRole = n }
}

// limitedBuilder is a cloudBuilder that checks a quota an account can raise.
type limitedBuilder interface {
	useLimits(limits)
}

// MaxAWSManagedPoliciesPerRole is the most AWS raises the managed policies
// per role quota to: its IAM quotas documentation has said 20 and, more
// recently, 25; anything above both would print policies IAM refuses.
const MaxAWSManagedPoliciesPerRole = 25

// checkManagedPoliciesQuota accepts a raised managed policies per role
// quota: never under the default, never over what AWS grants.
func checkManagedPoliciesQuota(n int) error {
	if n < AWSManagedPoliciesPerRole.Limit || n > MaxAWSManagedPoliciesPerRole {
		return fmt.Errorf("--aws-managed-policies-quota %d is not valid; want %d to %d: the account's quota %s, which is %d unless raised",
			n, AWSManagedPoliciesPerRole.Limit, MaxAWSManagedPoliciesPerRole, AWSManagedPoliciesPerRole.Code, AWSManagedPoliciesPerRole.Limit)
	}
	return nil
}
