// Package issuer knows the shape of service account issuer URLs: how GKE
// derives one, what each provider's looks like, and the host-and-path form
// that AWS uses in IAM condition keys and OIDC provider ARNs.
package issuer

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// GKE is the issuer of a GKE cluster: the same for zonal and regional clusters,
// with or without Workload Identity.
func GKE(projectID, location, clusterName string) string {
	return fmt.Sprintf("https://container.googleapis.com/v1/projects/%s/locations/%s/clusters/%s", projectID, location, clusterName)
}

// HostPath is the issuer without its scheme, as AWS IAM writes it in condition
// keys ("<hostpath>:sub") and in the OIDC provider ARN.
func HostPath(issuer string) string {
	return strings.TrimSuffix(strings.TrimPrefix(issuer, "https://"), "/")
}

// Parse checks that the issuer can be an OIDC issuer: an absolute https URL
// with a host and neither query nor fragment (OIDC discovery appends
// "/.well-known/openid-configuration" to it, and clouds compare it verbatim
// with the token's iss claim).
func Parse(issuer string) error {
	if issuer == "" {
		return fmt.Errorf("is empty; give the cluster's service account issuer URL (kubectl get --raw /.well-known/openid-configuration shows it)")
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return fmt.Errorf("is not a URL (%v); want https://host/path", err)
	}
	switch {
	case u.Scheme != "https":
		return fmt.Errorf("%q must use https: AWS, Google and Azure only fetch OIDC discovery over https", issuer)
	case u.Host == "":
		return fmt.Errorf("%q has no host; want https://host/path", issuer)
	case u.User != nil:
		return fmt.Errorf("%q must not carry user information", issuer)
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Errorf("%q must not have a query: OIDC issuers are compared verbatim and discovery is appended to the path", issuer)
	case u.Fragment != "" || strings.Contains(issuer, "#"):
		return fmt.Errorf("%q must not have a fragment", issuer)
	case !IsPlainURL(issuer):
		return fmt.Errorf("%s holds %s, which no issuer URL needs (it could end a comment, a quoted string or a command line); want https://host/path of letters, digits and - . _ : / %% (percent-encode anything else)",
			strconv.QuoteToASCII(issuer), strconv.QuoteRuneToASCII(firstUnplain(issuer)))
	case strings.Contains(u.Path, "/.well-known/"):
		return fmt.Errorf("%q is a discovery document's URL, not an issuer: remove /.well-known/ and what follows (clouds compare the issuer with the token's iss claim, which never has it)", issuer)
	case hasDotSegment(u.Path):
		return fmt.Errorf("%q has a . or .. path segment; clouds compare the issuer verbatim with the token's, so write the path without dot segments", issuer)
	case u.String() != issuer || strings.ToLower(u.Host) != u.Host:
		return fmt.Errorf("%q is not written as its own canonical URL (lowercase host, no escapes a client would rewrite); write it exactly as the token's iss claim has it", issuer)
	}
	return nil
}

// IsPlainURL reports whether s is made only of letters, digits and
// "-._:/%": issuer, bucket and authority URLs need no more, and such a value
// cannot end a comment, a quoted string or a command line wherever it is
// written, and reads the same everywhere.
func IsPlainURL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._:/%", c) >= 0) {
			return false
		}
	}
	return true
}

// firstUnplain is the first character IsPlainURL refuses.
func firstUnplain(s string) rune {
	for _, r := range s {
		if !IsPlainURL(string(r)) {
			return r
		}
	}
	return 0
}

// hasDotSegment reports a "." or ".." path segment, which clients resolve
// away while clouds compare the issuer verbatim.
func hasDotSegment(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// Shape is what the issuers one provider hands out look like. The pattern's
// named groups (region, project, cluster, id) are the parts a readable name
// of the cluster is made from.
type Shape struct {
	Provider string
	Pattern  *regexp.Regexp
	Example  string
}

// Shapes are the managed providers' issuer shapes, one per provider: the
// function warns when an issuer does not fit its provider's, and trust names
// resources after the parts. A generic cluster has no fixed shape.
var Shapes = []Shape{
	{"eks", regexp.MustCompile(`^https://oidc\.eks\.(?P<region>[a-z0-9-]+)\.(?P<domain>amazonaws\.com(?:\.cn)?)/id/(?P<id>[0-9A-F]{32})$`),
		"https://oidc.eks.REGION.amazonaws.com/id/32HEXDIGITS"},
	{"gke", regexp.MustCompile(`^https://container\.googleapis\.com/v1/projects/(?P<project>[^/]+)/locations/[^/]+/clusters/(?P<cluster>[^/]+)$`),
		"https://container.googleapis.com/v1/projects/PROJECT/locations/LOCATION/clusters/NAME"},
	{"aks", regexp.MustCompile(`^https://(?P<region>[a-z0-9-]+)\.oic\.prod-aks\.azure\.com/[0-9a-f-]{36}/(?P<id>[0-9a-f-]{36})/$`),
		"https://REGION.oic.prod-aks.azure.com/TENANT/GUID/"},
}

func shapeOf(provider string) (Shape, bool) {
	for _, s := range Shapes {
		if s.Provider == provider {
			return s, true
		}
	}
	return Shape{}, false
}

// ProviderMismatch explains why an issuer does not look like one its provider
// hands out, or returns "" when it does or when the provider has no fixed shape.
// A mismatch is worth a warning, not an error: custom issuers exist.
func ProviderMismatch(provider, issuer string) string {
	shape, ok := shapeOf(provider)
	if !ok || shape.Pattern.MatchString(issuer) {
		return ""
	}
	return fmt.Sprintf("%q does not look like an issuer of provider %s (%s); the clouds will only trust tokens whose iss claim is exactly this URL", issuer, provider, shape.Example)
}

// SlashAdded reports an issuer that is an EKS or GKE issuer with a "/"
// added at its end, and which provider's. Their tokens' iss claim never ends
// in one, and clouds compare the issuer with it verbatim; AWS even writes the
// OIDC provider without it and its condition keys with it trimmed, so one
// half of a trust would differ from the other. AKS issuers do end in "/":
// they are taken exactly as they are.
func SlashAdded(issuer string) (provider string, added bool) {
	trimmed, found := strings.CutSuffix(issuer, "/")
	if !found {
		return "", false
	}
	m, ok := Identify(trimmed)
	if !ok || (m.Provider != "eks" && m.Provider != "gke") {
		return "", false
	}
	return m.Provider, true
}

// Managed is a managed provider's issuer taken apart.
type Managed struct {
	// Provider is eks, gke or aks.
	Provider string
	// Parts are the shape's named groups that matched, by name.
	Parts map[string]string
}

// Identify reports which managed provider handed out an issuer, if any.
func Identify(issuer string) (Managed, bool) {
	for _, s := range Shapes {
		m := s.Pattern.FindStringSubmatch(issuer)
		if m == nil {
			continue
		}
		parts := map[string]string{}
		for i, name := range s.Pattern.SubexpNames() {
			if name != "" {
				parts[name] = m[i]
			}
		}
		return Managed{Provider: s.Provider, Parts: parts}, true
	}
	return Managed{}, false
}
