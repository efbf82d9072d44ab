package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/discovery"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
)

// fetchTimeout is how long a cloud waits for an issuer's documents: AWS STS
// gives up after 5 seconds.
const fetchTimeout = 5 * time.Second

// NewHTTPClient is the client the online checks fetch with: the system's
// trust store (as the clouds use public CAs; where the system has none, the
// embedded roots of installFallbackRoots), no redirects followed (a
// document must be at its exact URL), the clouds' timeout, and no proxy (a
// cloud fetches from the internet, not through the user's network). Unless
// allowPrivate, it connects to no loopback, link-local, private or other
// non-public address (checked on the address it dials, after DNS): a cloud
// could not reach such an issuer, and a spec or a discovery document must
// not make doctor probe the local network.
func NewHTTPClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: fetchTimeout}
	if !allowPrivate {
		dialer.Control = refuseNonPublic
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = dialer.DialContext
	return &http.Client{
		Timeout:   fetchTimeout,
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ErrNonPublicAddress is wrapped when an issuer's host resolves to an
// address the internet cannot reach, and --allow-private-issuer was not given.
var ErrNonPublicAddress = errors.New("not a public address")

// refuseNonPublic is a net.Dialer Control: it runs on the resolved address
// before the connection is made.
func refuseNonPublic(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	if what := nonPublic(addr.Unmap()); what != "" {
		return fmt.Errorf("%s is %s, %w", addr, what, ErrNonPublicAddress)
	}
	return nil
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// nonPublic names the kind of address a cloud could not reach, "" for a
// public one.
func nonPublic(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsPrivate():
		return "a private address"
	case sharedAddressSpace.Contains(a):
		return "a shared (carrier-grade NAT) address"
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	return ""
}

// published is what an issuer serves, fetched once per run and issuer.
type published struct {
	config    *discovery.Configuration
	configErr error
	keys      *jose.JSONWebKeySet
	keysErr   error
}

// fetcher fetches each issuer's documents once.
type fetcher struct {
	ctx    context.Context
	client *http.Client
	cache  map[string]*published
}

func (f *fetcher) issuer(iss string) *published {
	if p, ok := f.cache[iss]; ok {
		return p
	}
	p := &published{}
	f.cache[iss] = p
	if err := issuer.Parse(iss); err != nil {
		p.configErr = fmt.Errorf("spec.cluster.issuer %w", err)
		return p
	}
	data, err := f.get(discovery.URL(iss, discovery.DiscoveryPath))
	if err != nil {
		p.configErr = err
		return p
	}
	if p.config, p.configErr = discovery.ParseConfiguration(data); p.configErr != nil {
		return p
	}
	if err := issuer.Parse(p.config.JWKSURI); err != nil {
		p.keysErr = fmt.Errorf("jwks_uri %w", err)
		return p
	}
	if data, err = f.get(p.config.JWKSURI); err != nil {
		p.keysErr = err
		return p
	}
	p.keys, p.keysErr = discovery.ParseJWKS(data)
	return p
}

// get fetches one document as a cloud would, and says what went wrong in
// terms of the host.
func (f *fetcher) get(url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", q(url), err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", q(url), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, fmt.Errorf("GET %s redirects (%d) to %s; serve the document at exactly this URL", q(url), resp.StatusCode, q(resp.Header.Get("Location")))
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s answered %d; the document must be public (anonymous read)", q(url), resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, discovery.MaxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", q(url), err)
	}
	return data, nil
}

// onlineChecks fetches the spec's issuer as the clouds do (never the
// token's iss, which may be anything: the issuer check compares the two)
// and verifies the token's signature with the published key its kid names.
func onlineChecks(t target, tok *token, f *fetcher) []Result {
	iss := t.spec.Spec.Cluster.Issuer
	p := f.issuer(iss)
	res := func(check string, status Status, detail, fix string) Result {
		return Result{Target: t.name, Check: check, Status: status, Detail: detail, Fix: fix}
	}
	publish := "publish the documents of `cross-cloud-access issuer` at the issuer URL"
	if p.configErr != nil {
		fix := publish
		if errors.Is(p.configErr, ErrNonPublicAddress) {
			fix = "a cloud fetches the issuer over the internet: publish the documents at a public address, or pass --allow-private-issuer to check a lab cluster's issuer"
		}
		return []Result{
			res(CheckDiscovery, Fail, p.configErr.Error(), fix),
			res(CheckDiscoveryIssuer, Skip, "no discovery document", ""),
			res(CheckJWKS, Skip, "no discovery document", ""),
			res(CheckSignature, Skip, "no published keys", ""),
		}
	}
	out := []Result{res(CheckDiscovery, Pass, "fetched "+q(discovery.URL(iss, discovery.DiscoveryPath)), "")}
	if p.config.Issuer == iss {
		out = append(out, res(CheckDiscoveryIssuer, Pass, "the document's issuer is spec.cluster.issuer", ""))
	} else {
		out = append(out, res(CheckDiscoveryIssuer, Fail, "the document says issuer "+q(p.config.Issuer)+", spec.cluster.issuer is "+q(iss),
			"regenerate the documents with `cross-cloud-access issuer --issuer` set to spec.cluster.issuer (the token's iss must equal it too)"))
	}
	if p.keysErr != nil {
		fix := "publish the cluster's JWKS (kubectl get --raw /openid/v1/jwks | cross-cloud-access issuer ...) at jwks_uri"
		if errors.Is(p.keysErr, ErrNonPublicAddress) {
			fix = "a cloud fetches jwks_uri over the internet: publish the key set at a public address, or pass --allow-private-issuer to check a lab cluster's issuer"
		}
		return append(out, res(CheckJWKS, Fail, p.keysErr.Error(), fix),
			res(CheckSignature, Skip, "no published keys", ""))
	}
	out = append(out, res(CheckJWKS, Pass, fmt.Sprintf("fetched %s: %d key(s)", q(p.config.JWKSURI), len(p.keys.Keys)), ""))
	return append(out, signatureCheck(t, tok, p.keys))
}

func signatureCheck(t target, tok *token, keys *jose.JSONWebKeySet) Result {
	r := Result{Target: t.name, Check: CheckSignature, Status: Fail}
	republish := "publish the cluster's current keys: kubectl get --raw /openid/v1/jwks | cross-cloud-access issuer --issuer ISSUER --out DIR, then upload DIR"
	if tok.kid == "" {
		r.Detail, r.Fix = "the token has no kid header", "use a token from kube-apiserver (it always sets kid); Google STS requires kid"
		return r
	}
	found := keys.Key(tok.kid)
	if len(found) == 0 {
		r.Detail = "kid " + q(tok.kid) + " is not among the published keys " + qList(discovery.KeyIDs(keys))
		r.Fix = republish
		return r
	}
	var claims jwt.Claims
	if err := tok.raw.Claims(found[0].Key, &claims); err != nil {
		r.Detail = "the signature does not verify with published key " + q(tok.kid) + ": " + err.Error()
		r.Fix = republish
		return r
	}
	r.Status = Pass
	r.Detail = "verified with published key " + q(tok.kid)
	return r
}
