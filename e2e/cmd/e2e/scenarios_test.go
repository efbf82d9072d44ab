package main

import (
	"errors"
	"testing"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/trust"
)

func TestARenderFailureIsKeptForTheNamespace(t *testing.T) {
	dir := t.TempDir()
	if err := keptFailure(dir, "render-error.txt"); err != nil {
		t.Fatalf("nothing kept yet: %v", err)
	}
	if err := keepFailure(dir, "render-error.txt", errors.New("kustomize build examples/x: exit status 1")); err != nil {
		t.Fatal(err)
	}
	if err := keptFailure(dir, "render-error.txt"); err == nil || err.Error() != "kustomize build examples/x: exit status 1" {
		t.Errorf("kept failure = %v", err)
	}
}

func TestPerContainerScenarioGivesEachRoleItsOwnBucket(t *testing.T) {
	for _, s := range scenarios {
		if len(s.containers) == 0 {
			continue
		}
		buckets := s.roleBuckets()
		if len(buckets) != len(s.containers) || len(s.containers) < 2 {
			t.Errorf("%s: %d containers, roles %v: want at least two containers, each with a role of its own", s.name, len(s.containers), buckets)
		}
		seen := map[string]string{}
		for _, c := range s.containers {
			if other, ok := seen[c.reads]; ok {
				t.Errorf("%s: %s and %s read the same bucket %s; each must be refused what only the other may do", s.name, other, c.name, c.reads)
			}
			seen[c.reads] = c.name
		}
	}
	if (scenario{}).roleBuckets() != nil {
		t.Error("a scenario without containers gives its roles buckets of their own")
	}
}

func TestTokenIssuerReadsTheIssClaim(t *testing.T) {
	// {"alg":"RS256"}.{"iss":"https://issuer.example.com/a","sub":"x"}.sig
	token := "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLmNvbS9hIiwic3ViIjoieCJ9.c2ln"
	if iss, err := tokenIssuer(token); err != nil || iss != "https://issuer.example.com/a" {
		t.Errorf("tokenIssuer = %q, %v", iss, err)
	}
	for _, bad := range []string{"", "a.b", "a.!!.c"} {
		if _, err := tokenIssuer(bad); err == nil {
			t.Errorf("tokenIssuer(%q) read an issuer", bad)
		}
	}
}

func TestTrustedIssuersListEveryIssuerOnce(t *testing.T) {
	doc, err := trust.Parse([]byte(`{"aws":{"oidcProviders":[{"url":"https://b.example.com"},{"url":"https://a.example.com"}],"roles":[]},
		"azure":{"federatedIdentityCredentials":[{"issuer":"https://a.example.com"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := trustedIssuers(doc); len(got) != 2 || got[0] != "https://a.example.com" || got[1] != "https://b.example.com" {
		t.Errorf("trustedIssuers = %q", got)
	}
	if _, err := clusterIssuer(doc); err == nil {
		t.Error("clusterIssuer took one of two issuers")
	}
}
