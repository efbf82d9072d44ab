package googleemu

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc/oidctest"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/trust"
)

const (
	sub      = "system:serviceaccount:default:oidc-exp-service-account"
	email    = "oidc-exp-service-account@my-project.iam.gserviceaccount.com"
	provider = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/prov"
	poolRes  = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool"
)

// bucketRead is roles/storage.objectViewer on the test bucket for member.
func bucketRead(member string) trust.GCPResourceBinding {
	return trust.GCPResourceBinding{Resource: "//storage.googleapis.com/projects/_/buckets/bucket", Role: "roles/storage.objectViewer", Member: member}
}

func setup(t *testing.T, iss *oidctest.Issuer, grants ...trust.GCPResourceBinding) (*Emulator, *httptest.Server) {
	t.Helper()
	e := New(&oidc.Verifier{HTTPClient: iss.Client}, log.New(io.Discard, "", 0))
	e.Configure(trust.GCP{
		WorkloadIdentityPools: []trust.GCPPool{{ProjectNumber: "123", PoolID: "pool", Providers: []trust.GCPProvider{{
			ProviderID: "prov", IssuerURI: iss.URL, AttributeMapping: map[string]string{"google.subject": "assertion.sub"},
		}}}},
		IAMBindings:      []trust.GCPBinding{{Resource: "projects/my-project/serviceAccounts/" + email, Role: "roles/iam.workloadIdentityUser", Member: "principal:" + poolRes + "/subject/" + sub}},
		ResourceBindings: grants,
	})
	mux := http.NewServeMux()
	mux.Handle("/v1/token", e.STSHandler())
	mux.Handle("/v1/projects/", e.IAMCredentialsHandler())
	storage := e.StorageGate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.WriteString(w, "objects"); err != nil {
			t.Errorf("storage backend: %v", err)
		}
	}))
	for _, prefix := range []string{"/storage/", "/download/", "/upload/"} {
		mux.Handle(prefix, storage)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return e, srv
}

func exchange(t *testing.T, srv *httptest.Server, subjectToken string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(srv.URL+"/v1/token", url.Values{
		"grant_type":         {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"audience":           {provider},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:jwt"},
		"subject_token":      {subjectToken},
		"scope":              {"https://www.googleapis.com/auth/cloud-platform"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	decodeAnswer(t, resp, &out)
	return resp.StatusCode, out
}

// decodeAnswer decodes a JSON answer and closes it.
func decodeAnswer(t *testing.T, resp *http.Response, into any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatalf("decode the answer (%s): %v", resp.Status, err)
	}
	closeAnswer(t, resp)
}

func closeAnswer(t *testing.T, resp *http.Response) {
	t.Helper()
	if err := resp.Body.Close(); err != nil {
		t.Errorf("close the answer: %v", err)
	}
}

func newRequest(t *testing.T, method, u, token, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func call(t *testing.T, method, u, token, body string) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(newRequest(t, method, u, token, body))
	if err != nil {
		t.Fatal(err)
	}
	closeAnswer(t, resp)
	return resp.StatusCode
}

func TestExchangeAndImpersonate(t *testing.T) {
	iss := oidctest.New(t)
	_, srv := setup(t, iss, bucketRead("serviceAccount:"+email))
	status, out := exchange(t, srv, iss.Token(t, sub, "https:"+provider, time.Hour))
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, out)
	}
	sts := out["access_token"].(string)
	if got := call(t, "GET", srv.URL+"/storage/v1/b/bucket/o", sts, ""); got != http.StatusForbidden {
		t.Errorf("federated token on bucket granted only to the service account: %d, want 403", got)
	}
	resp, err := http.DefaultClient.Do(newRequest(t, "POST", srv.URL+"/v1/projects/-/serviceAccounts/"+email+":generateAccessToken", sts, `{"scope":["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var gen map[string]string
	decodeAnswer(t, resp, &gen)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("generateAccessToken: %d", resp.StatusCode)
	}
	if got := call(t, "GET", srv.URL+"/storage/v1/b/bucket/o", gen["accessToken"], ""); got != http.StatusOK {
		t.Errorf("impersonated token on bucket: %d, want 200", got)
	}
	if got := call(t, "GET", srv.URL+"/storage/v1/b/other/o", gen["accessToken"], ""); got != http.StatusForbidden {
		t.Errorf("impersonated token on another bucket: %d, want 403", got)
	}
}

func TestRefusals(t *testing.T) {
	iss := oidctest.New(t)
	other := oidctest.New(t)
	_, srv := setup(t, iss)
	for name, token := range map[string]string{
		"wrong audience": iss.Token(t, sub, "sts.amazonaws.com", time.Hour),
		"expired":        iss.Token(t, sub, provider, -time.Hour),
		"other issuer":   other.Token(t, sub, provider, time.Hour),
	} {
		if status, out := exchange(t, srv, token); status == http.StatusOK {
			t.Errorf("%s: exchange succeeded: %v", name, out)
		}
	}
	status, out := exchange(t, srv, iss.Token(t, "system:serviceaccount:default:other", provider, time.Hour))
	if status != http.StatusOK {
		t.Fatalf("other subject: exchange: %d %v", status, out)
	}
	if got := call(t, "POST", srv.URL+"/v1/projects/-/serviceAccounts/"+email+":generateAccessToken", out["access_token"].(string), `{"scope":["x"]}`); got != http.StatusForbidden {
		t.Errorf("other subject impersonating: %d, want 403", got)
	}
}

func TestDirectAccess(t *testing.T) {
	iss := oidctest.New(t)
	_, srv := setup(t, iss, bucketRead("principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/subject/"+sub))
	_, out := exchange(t, srv, iss.Token(t, sub, provider, time.Hour))
	if got := call(t, "GET", srv.URL+"/storage/v1/b/bucket/o", out["access_token"].(string), ""); got != http.StatusOK {
		t.Errorf("principal granted on bucket: %d, want 200", got)
	}
}

func TestEvalPath(t *testing.T) {
	claims := oidc.Claims{"sub": "s", "kubernetes.io": map[string]any{"namespace": "default"}}
	for expr, want := range map[string]string{
		"assertion.sub": "s",
		"assertion['kubernetes.io']['namespace']": "default",
		`assertion["kubernetes.io"].namespace`:    "default",
		"'literal'":                               "literal",
	} {
		got, err := evalPath(expr, nil, claims)
		if err != nil || got != want {
			t.Errorf("evalPath(%q) = %q, %v; want %q", expr, got, err, want)
		}
	}
	if _, err := evalPath("assertion.sub + 'x'", nil, claims); err == nil {
		t.Error("unsupported expression accepted")
	}
	ok, err := evalCondition("assertion.sub == 's' && attribute.ns != 'kube-system'", map[string]string{"attribute.ns": "default"}, claims)
	if err != nil || !ok {
		t.Errorf("condition: %v %v", ok, err)
	}
}

// The stand-in's Cloud Storage check reads the rendered bindings as IAM
// does: a role's permissions (objectViewer reads and lists, never writes)
// and a prefix condition evaluated in CEL, on object names and on the prefix
// a listing asks for.
func TestStorageGateHonoursRolesAndPrefixConditions(t *testing.T) {
	iss := oidctest.New(t)
	member := "principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/subject/" + sub
	prefixRead := bucketRead(member)
	// As trust renders a read grant kept to reports/.
	prefixRead.Condition = &trust.GCPCondition{Title: "t", Expression: "resource.name.startsWith('projects/_/buckets/bucket/objects/reports/') || " +
		"api.getAttribute('storage.googleapis.com/objectListPrefix', '').startsWith('reports/')"}
	_, srv := setup(t, iss, prefixRead)
	_, out := exchange(t, srv, iss.Token(t, sub, provider, time.Hour))
	token := out["access_token"].(string)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/storage/v1/b/bucket/o?prefix=reports/", http.StatusOK},
		{"GET", "/storage/v1/b/bucket/o?prefix=reports/2026/&delimiter=/", http.StatusOK},
		{"GET", "/storage/v1/b/bucket/o/reports%2Fa.txt?alt=media", http.StatusOK},
		{"GET", "/download/storage/v1/b/bucket/o/reports%2Fa.txt", http.StatusOK},
		{"GET", "/storage/v1/b/bucket/o", http.StatusForbidden},
		{"GET", "/storage/v1/b/bucket/o?prefix=other/", http.StatusForbidden},
		{"GET", "/storage/v1/b/bucket/o/test.txt?alt=media", http.StatusForbidden},
		{"POST", "/upload/storage/v1/b/bucket/o?uploadType=media&name=reports/new.txt", http.StatusForbidden},
		{"DELETE", "/storage/v1/b/bucket/o/reports%2Fa.txt", http.StatusForbidden},
		{"GET", "/storage/v1/b/other/o?prefix=reports/", http.StatusForbidden},
	} {
		if got := call(t, tc.method, srv.URL+tc.path, token, ""); got != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, got, tc.want)
		}
	}
}

// A condition the stand-in cannot evaluate admits nothing.
func TestStorageGateFailsClosedOnABadCondition(t *testing.T) {
	iss := oidctest.New(t)
	member := "principal://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/subject/" + sub
	bad := bucketRead(member)
	bad.Condition = &trust.GCPCondition{Title: "t", Expression: "resource.name.startsWith("}
	_, srv := setup(t, iss, bad)
	_, out := exchange(t, srv, iss.Token(t, sub, provider, time.Hour))
	if got := call(t, "GET", srv.URL+"/storage/v1/b/bucket/o", out["access_token"].(string), ""); got != http.StatusForbidden {
		t.Errorf("a broken condition: %d, want 403", got)
	}
}
