// Package iamroles stands in for the one thing AWS IAM does that MinIO
// cannot: give one web identity (one token subject) other permissions
// depending on the role it asks for. Two containers of one pod with their own
// roles (spec.containers) present the same ServiceAccount token; only the
// RoleArn of their AssumeRoleWithWebIdentity calls differs. MinIO's
// claim-based OpenID provider ignores RoleArn and maps the token's sub claim
// to one policy, and its role-policy providers are one per client ID, which
// is the token's audience, so no MinIO configuration tells the two roles
// apart.
//
// The gate sits in front of MinIO's STS. For a role it knows it refuses a
// subject the role's trust policy does not name (AccessDenied, as IAM
// answers), and passes the role's permissions policy to MinIO as the
// session policy, which MinIO intersects with the subject's own policy, so
// the credentials carry exactly the role's permissions. Every other request
// passes untouched. Everything else stays MinIO's: the token's signature,
// issuer, audience and expiry, the credentials, and S3 itself.
package iamroles

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Role is one IAM role as the gate needs it.
type Role struct {
	// ARN is the role's ARN, as the clients send it in RoleArn.
	ARN string
	// Subjects are the token subjects its trust policy admits.
	Subjects []string
	// Policy is its permissions policy (an IAM policy document).
	Policy string
}

// Gate is the stand-in; Next is MinIO.
type Gate struct {
	roles  map[string]Role
	next   http.Handler
	logger *log.Logger
}

// maxForm bounds an STS request body: a token and a few parameters.
const maxForm = 1 << 20

// New returns a gate for roles in front of next.
func New(next http.Handler, roles []Role, logger *log.Logger) *Gate {
	g := &Gate{roles: map[string]Role{}, next: next, logger: logger}
	for _, r := range roles {
		g.roles[r.ARN] = r
	}
	return g
}

// ServeHTTP gates AssumeRoleWithWebIdentity calls for the known roles and
// passes everything else on.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		g.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	if err != nil || len(body) > maxForm {
		http.Error(w, "iamroles: the request body cannot be read", http.StatusBadRequest)
		return
	}
	form, err := url.ParseQuery(string(body))
	role, known := g.roles[form.Get("RoleArn")]
	if err != nil || form.Get("Action") != "AssumeRoleWithWebIdentity" || !known {
		g.forward(w, r, body)
		return
	}
	subject := unverifiedSubject(form.Get("WebIdentityToken"))
	if !slices.Contains(role.Subjects, subject) {
		g.logger.Printf("iamroles: role %s does not trust subject %q: AccessDenied", role.ARN, subject)
		refuse(w, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
		return
	}
	form.Set("Policy", role.Policy)
	g.logger.Printf("iamroles: subject %q assumes role %s: its permissions go to MinIO as the session policy", subject, role.ARN)
	g.forward(w, r, []byte(form.Encode()))
}

// forward passes the request on with body.
func (g *Gate) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	g.next.ServeHTTP(w, r)
}

// unverifiedSubject reads the sub claim of a JWT without checking it: the
// gate only picks the policy; MinIO verifies the token after it.
func unverifiedSubject(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Sub
}

// refuse answers as AWS STS does when a role's trust policy does not admit
// the caller.
func refuse(w http.ResponseWriter, message string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>%s</Message></Error><RequestId>iamroles</RequestId></ErrorResponse>`, message)
}
