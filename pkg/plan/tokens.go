package plan

import (
	"errors"
	"fmt"
	"slices"
)

// TokenLimit is what one target accepts as a pod template's own token
// expiration (the crosscloud.dev/token-expiration-seconds annotation).
type TokenLimit struct {
	// Target is the cloud whose token it is ("aws").
	Target string
	// Min and Max bound the expiration in seconds, Why says whose bounds
	// they are.
	Min, Max int64
	Why      string
	// Elsewhere, when set, says that another component (the cloud's
	// webhook) projects this target's token and what it reads instead:
	// the function cannot honour the annotation for it.
	Elsewhere string
}

// WithTokenExpiration is the patch with every token it projects expiring
// after seconds, a pod template's own choice; 0 leaves the spec's. A value
// some target's token cannot take, or a target whose token another
// component projects, is an error naming the target and what it accepts:
// a workload must not run with tokens its owner did not ask for.
func (p PodPatch) WithTokenExpiration(seconds int64) (PodPatch, error) {
	if seconds == 0 {
		return p, nil
	}
	if len(p.TokenLimits) == 0 {
		return p, errors.New("no cloud of the spec projects a token into this pod (their modes use the cloud's own webhook, agent or metadata server), so it would change nothing; remove the annotation")
	}
	var errs []error
	for _, l := range p.TokenLimits {
		switch {
		case l.Elsewhere != "":
			errs = append(errs, fmt.Errorf("the %s token is not the function's to set: %s", l.Target, l.Elsewhere))
		case seconds < l.Min || seconds > l.Max:
			errs = append(errs, fmt.Errorf("%d seconds is out of the %s token's range; want %d to %d seconds (%s)", seconds, l.Target, l.Min, l.Max, l.Why))
		}
	}
	if len(errs) > 0 {
		return p, errors.Join(errs...)
	}
	p.Tokens = slices.Clone(p.Tokens)
	for i := range p.Tokens {
		p.Tokens[i].ExpirationSeconds = seconds
	}
	return p, nil
}

// TokenRange is the expiration every target's token accepts (the
// narrowest of their ranges); ok is false when some target's token is
// projected elsewhere, or when no target projects one, so no value is
// accepted.
func (p PodPatch) TokenRange() (lo, hi int64, ok bool) {
	if len(p.TokenLimits) == 0 {
		return 0, 0, false
	}
	lo, hi = p.TokenLimits[0].Min, p.TokenLimits[0].Max
	for _, l := range p.TokenLimits {
		if l.Elsewhere != "" {
			return 0, 0, false
		}
		lo, hi = max(lo, l.Min), min(hi, l.Max)
	}
	return lo, hi, lo <= hi
}

// PodFor is the pod patch for one pod template: the Windows form on
// Windows nodes, with the template's own token expiration (0: the spec's).
func (p Plan) PodFor(windows bool, expirationSeconds int64) (PodPatch, error) {
	pod := p.Pod
	if windows && p.Windows != nil {
		pod = p.Windows.Pod
	}
	return pod.WithTokenExpiration(expirationSeconds)
}
