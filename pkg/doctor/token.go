package doctor

import (
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// token is a parsed service account token. Nothing in it is trusted until
// the signature check passes.
type token struct {
	raw    *jwt.JSONWebToken
	claims jwt.Claims
	kid    string
}

// parseToken reads a compact JWT signed with RS256, the only algorithm
// kube-apiserver uses with RSA keys and the one every cloud accepts.
func parseToken(s string) (*token, error) {
	raw, err := jwt.ParseSigned(strings.TrimSpace(s), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("not a JWT signed with RS256: %w", err)
	}
	t := &token{raw: raw}
	if err := raw.UnsafeClaimsWithoutVerification(&t.claims); err != nil {
		return nil, fmt.Errorf("claims do not decode: %w", err)
	}
	if len(raw.Headers) > 0 {
		t.kid = raw.Headers[0].KeyID
	}
	return t, nil
}

// maxLifetime is the longest lifetime (exp - iat) a cloud documents; zero
// where none is documented.
var maxLifetime = map[string]time.Duration{
	// Google STS: "exp ... Must be less than 48 hours after iat".
	"gcp": 48 * time.Hour,
}

// clockSkew is how far iat and nbf may lie in the future: the clouds allow a
// few minutes between clocks.
const clockSkew = 5 * time.Minute

// claimChecks compares the token with what the target's spec says: issuer,
// audience, subject and validity, one result each.
func claimChecks(t target, tok *token, now time.Time) []Result {
	spec := t.spec.Spec
	res := func(check string, ok bool, detail, fix string) Result {
		r := Result{Target: t.name, Check: check, Status: Pass, Detail: detail}
		if !ok {
			r.Status, r.Fix = Fail, fix
		}
		return r
	}
	c := tok.claims
	wantSub := spec.ServiceAccount.Subject()
	sa := spec.ServiceAccount
	var out []Result
	if c.Issuer == spec.Cluster.Issuer {
		out = append(out, res(CheckIssuer, true, "iss is "+q(c.Issuer)+", the spec's spec.cluster.issuer", ""))
	} else {
		out = append(out, res(CheckIssuer, false,
			"iss is "+q(c.Issuer)+", spec.cluster.issuer is "+q(spec.Cluster.Issuer),
			"the clouds compare iss character for character: set spec.cluster.issuer to the token's iss (kubectl get --raw /.well-known/openid-configuration), or start kube-apiserver with --service-account-issuer="+shellWord(spec.Cluster.Issuer)+" (cross-cloud-access issuer prints the flags)"))
	}
	aud := []string(c.Audience)
	if slices.Contains(aud, t.audience) {
		out = append(out, res(CheckAudience, true, "aud "+qList(aud)+" holds "+q(t.audience), ""))
	} else {
		out = append(out, res(CheckAudience, false,
			"aud is "+qList(aud)+", the "+t.cloud+" target needs "+q(t.audience),
			"project the token with audience "+q(t.audience)+" (the function's output does; kubectl create token "+sa.Name+" -n "+sa.Namespace+" --audience="+shellWord(t.audience)+")"))
	}
	if c.Subject == wantSub {
		out = append(out, res(CheckSubject, true, "sub is "+q(c.Subject), ""))
	} else {
		out = append(out, res(CheckSubject, false,
			"sub is "+q(c.Subject)+", the spec's ServiceAccount is "+q(wantSub),
			"run the pod as ServiceAccount "+sa.Name+" in namespace "+sa.Namespace+" (spec.serviceAccount), or add a spec for the ServiceAccount it runs as"))
	}
	out = append(out, expiryCheck(t, c, now))
	return out
}

func expiryCheck(t target, c jwt.Claims, now time.Time) Result {
	r := Result{Target: t.name, Check: CheckExpiry, Status: Fail}
	refresh := "request a fresh token (kubelet refreshes projected tokens; read the file anew for every exchange)"
	switch {
	case c.Expiry == nil:
		r.Detail, r.Fix = "the token has no exp", "use a token from the TokenRequest API (projected or kubectl create token): the clouds refuse tokens without exp"
		return r
	case c.IssuedAt == nil:
		r.Detail, r.Fix = "the token has no iat", "use a token from the TokenRequest API: Google STS requires iat"
		return r
	}
	exp, iat := c.Expiry.Time(), c.IssuedAt.Time()
	lifetime := exp.Sub(iat)
	switch {
	case !now.Before(exp):
		r.Detail, r.Fix = "expired at "+formatTime(exp)+" (now "+formatTime(now)+")", refresh
		return r
	case iat.After(now.Add(clockSkew)):
		r.Detail, r.Fix = "iat "+formatTime(iat)+" is in the future (now "+formatTime(now)+")", "synchronise the clocks of kube-apiserver's host (NTP)"
		return r
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(clockSkew)):
		r.Detail, r.Fix = "not valid before "+formatTime(c.NotBefore.Time())+" (now "+formatTime(now)+")", "synchronise the clocks of kube-apiserver's host (NTP)"
		return r
	}
	if limit := maxLifetime[t.cloud]; limit > 0 && lifetime >= limit {
		r.Detail = fmt.Sprintf("lifetime %s (iat %s, exp %s) is not under the %s %s allows", lifetime, formatTime(iat), formatTime(exp), limit, t.cloud)
		r.Fix = fmt.Sprintf("set spec.%s.tokenExpirationSeconds below %d", t.cloud, int64(limit/time.Second))
		return r
	}
	r.Status = Pass
	r.Detail = fmt.Sprintf("valid until %s (lifetime %s)", formatTime(exp), lifetime)
	return r
}

// shellWord quotes a value for a printed command line when it holds anything
// but letters, digits and -._:/@= (or starts with "-"). Values are printed
// after "--flag=", where a leading "-" cannot be taken for a flag.
func shellWord(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._:/@=", r)) {
			safe = false
			break
		}
	}
	if safe && !strings.HasPrefix(s, "-") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
