package azureemu

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/oidc/oidctest"
	"github.com/crosscloud-dev/cross-cloud-access/e2e/internal/trust"
)

func TestToken(t *testing.T) {
	iss := oidctest.New(t)
	const sub, client, tenant = "system:serviceaccount:default:sa", "client-1", "tenant-1"
	e := New("login.microsoftonline.com", &oidc.Verifier{HTTPClient: iss.Client}, log.New(io.Discard, "", 0))
	e.Configure([]trust.AzureFederatedCredential{{Name: "fic", Issuer: iss.URL, Subject: sub, Audiences: []string{"api://AzureADTokenExchange"}, ClientID: client, TenantID: tenant}})
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	post := func(clientID, assertion string) int {
		resp, err := http.PostForm(srv.URL+"/"+tenant+"/oauth2/v2.0/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {clientID}, "scope": {"https://storage.azure.com/.default"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := resp.Body.Close(); err != nil {
			t.Errorf("close the answer: %v", err)
		}
		return resp.StatusCode
	}
	if got := post(client, iss.Token(t, sub, "api://AzureADTokenExchange", time.Hour)); got != http.StatusOK {
		t.Fatalf("matching assertion: %d", got)
	}
	for name, code := range map[string]int{
		"wrong subject":  post(client, iss.Token(t, "system:serviceaccount:other:sa", "api://AzureADTokenExchange", time.Hour)),
		"wrong audience": post(client, iss.Token(t, sub, "sts.amazonaws.com", time.Hour)),
		"expired":        post(client, iss.Token(t, sub, "api://AzureADTokenExchange", -time.Hour)),
		"other client":   post("client-2", iss.Token(t, sub, "api://AzureADTokenExchange", time.Hour)),
	} {
		if code == http.StatusOK {
			t.Errorf("%s: token issued", name)
		}
	}
}
