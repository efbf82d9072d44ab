// Package front is the loopback "internet" of an e2e run: one HTTPS server
// on 127.0.0.1:443 (inside the run's private network namespace) that
// presents a certificate from the test CA for every cloud host name and
// hands each request to the server behind that name, as DNS and the clouds'
// load balancers would. Host names reach it through the run's hosts file.
package front

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Front routes requests by host name (and, for issuer hosts, path prefix).
type Front struct {
	logger *log.Logger
	mu     sync.RWMutex
	routes map[string][]route
	server *http.Server
}

type route struct {
	prefix  string
	handler http.Handler
}

// New returns an empty front.
func New(logger *log.Logger) *Front {
	return &Front{logger: logger, routes: map[string][]route{}}
}

// Handle sends requests for host whose path starts with prefix to h,
// replacing any earlier route for the same host and prefix.
func (f *Front) Handle(host, prefix string, h http.Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	host = strings.ToLower(host)
	rs := f.routes[host]
	for i := range rs {
		if rs[i].prefix == prefix {
			rs[i].handler = h
			return
		}
	}
	rs = append(rs, route{prefix: prefix, handler: h})
	sort.Slice(rs, func(i, j int) bool { return len(rs[i].prefix) > len(rs[j].prefix) })
	f.routes[host] = rs
}

// Hosts returns every host name with a route.
func (f *Front) Hosts() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []string
	for h := range f.routes {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// ServeHTTP implements http.Handler.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	f.mu.RLock()
	rs := f.routes[host]
	f.mu.RUnlock()
	for _, rt := range rs {
		if strings.HasPrefix(r.URL.Path, rt.prefix) {
			f.logger.Printf("front: %s https://%s%s", r.Method, host, r.URL.Path)
			rt.handler.ServeHTTP(w, r)
			return
		}
	}
	f.logger.Printf("front: NO ROUTE for %s https://%s%s", r.Method, host, r.URL.Path)
	http.Error(w, fmt.Sprintf("no server for https://%s%s in this e2e run", host, r.URL.Path), http.StatusBadGateway)
}

// ListenAndServe serves HTTPS on addr with cert until Close.
func (f *Front) ListenAndServe(addr string, cert tls.Certificate) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("front: listen on %s: %w", addr, err)
	}
	f.server = &http.Server{
		Handler:           f,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          f.logger,
	}
	go func() {
		if err := f.server.ServeTLS(l, "", ""); !errors.Is(err, http.ErrServerClosed) {
			f.logger.Printf("front: stopped serving: %v", err)
		}
	}()
	return nil
}

// Close stops serving.
func (f *Front) Close() error {
	if f.server == nil {
		return nil
	}
	return f.server.Close()
}

// ReverseProxy forwards to target keeping the request's Host header (S3
// signatures cover it) and trusting tlsConfig for an https target.
func ReverseProxy(target *url.URL, tlsConfig *tls.Config) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{TLSClientConfig: tlsConfig, ResponseHeaderTimeout: 60 * time.Second},
	}
}

// Switch is a handler whose target can be replaced while serving.
type Switch struct {
	mu sync.RWMutex
	h  http.Handler
}

// Set replaces the handler.
func (s *Switch) Set(h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = h
}

// ServeHTTP implements http.Handler.
func (s *Switch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h := s.h
	s.mu.RUnlock()
	if h == nil {
		http.Error(w, "no server configured for this host in the current scenario", http.StatusBadGateway)
		return
	}
	h.ServeHTTP(w, r)
}
