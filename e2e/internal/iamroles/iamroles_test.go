package iamroles

import (
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func token(sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(`{"sub":"`+sub+`"}`)) + ".sig"
}

// recorder is MinIO: it keeps the form it was sent.
type recorder struct{ form url.Values }

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.form, _ = url.ParseQuery(string(body))
	if req.ContentLength != int64(len(body)) {
		http.Error(w, "content length differs from the body", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func post(t *testing.T, g http.Handler, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "https://sts.eu-west-2.amazonaws.com/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	return rec
}

func TestGate(t *testing.T) {
	const app, other = "arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:role/other"
	sub := "system:serviceaccount:default:reports"
	roles := []Role{{ARN: app, Subjects: []string{sub}, Policy: `{"Statement":[]}`}}
	for _, tc := range []struct {
		name       string
		form       url.Values
		wantStatus int
		wantPolicy string // the session policy MinIO got; "-" when the request never reached it
	}{
		{"a known role and a trusted subject: its policy", url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "RoleArn": {app}, "WebIdentityToken": {token(sub)}}, 200, `{"Statement":[]}`},
		{"a known role, another subject: AccessDenied", url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "RoleArn": {app}, "WebIdentityToken": {token("system:serviceaccount:default:other")}}, 403, "-"},
		{"a known role, no readable token: AccessDenied", url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "RoleArn": {app}, "WebIdentityToken": {"garbage"}}, 403, "-"},
		{"a role the gate does not know: untouched", url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "RoleArn": {other}, "WebIdentityToken": {token(sub)}}, 200, ""},
		{"another action: untouched", url.Values{"Action": {"GetCallerIdentity"}, "RoleArn": {app}}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			minio := &recorder{}
			rec := post(t, New(minio, roles, log.New(io.Discard, "", 0)), tc.form)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantPolicy == "-" {
				if minio.form != nil {
					t.Error("a refused request reached MinIO")
				}
				if !strings.Contains(rec.Body.String(), "<Code>AccessDenied</Code>") {
					t.Errorf("refusal %s is not STS's AccessDenied", rec.Body)
				}
				return
			}
			if got := minio.form.Get("Policy"); got != tc.wantPolicy {
				t.Errorf("session policy %q, want %q", got, tc.wantPolicy)
			}
			if minio.form.Get("Action") != tc.form.Get("Action") {
				t.Error("the rest of the form did not reach MinIO")
			}
		})
	}
}
