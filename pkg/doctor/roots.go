package doctor

import (
	"crypto/x509"
	"fmt"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// installFallbackRoots gives crypto/x509 the Mozilla (NSS) root set, pinned
// by the version of golang.org/x/crypto/x509roots/fallback in go.mod, as the
// roots to use where the system has none: the container image holds only
// the binary, no /etc/ssl/certs. A system store (SSL_CERT_FILE, SSL_CERT_DIR,
// the distribution's bundle) still wins wherever there is one. The roots are
// parsed on the first online check, not at start-up, so the function itself,
// which never dials out, does not pay for them. x509.SetFallbackRoots may be
// called once per process, hence the Once.
var installFallbackRoots = sync.OnceValue(func() error {
	pool := x509.NewCertPool()
	n := 0
	for root := range bundle.Roots() {
		cert, err := x509.ParseCertificate(root.Certificate)
		if err != nil {
			return fmt.Errorf("the embedded CA root #%d: %w", n, err)
		}
		if root.Constraint == nil {
			pool.AddCert(cert)
		} else {
			// A root NSS distrusts after a date: keep its constraint.
			pool.AddCertWithConstraint(cert, root.Constraint)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("the embedded CA root set is empty")
	}
	x509.SetFallbackRoots(pool)
	return nil
})
