package doctor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/trust"
)

// givenTrust is what a cloud holds, read from the JSON `trust --format json`
// writes or from what the user exported from the cloud (converted to the same
// shape). AWS policies are read loosely: an exported policy may use
// operators trust never writes (StringLike), and those must be seen.
type givenTrust struct {
	AWS *struct {
		OIDCProviders []trust.AWSOIDCProvider `json:"oidcProviders"`
		Roles         []givenRole             `json:"roles"`
	} `json:"aws"`
	GCP   *trust.GCP   `json:"gcp"`
	Azure *trust.Azure `json:"azure"`
	// from says what the file was, for messages.
	from string
}

type givenRole struct {
	RoleARN          string      `json:"roleArn"`
	AssumeRolePolicy givenPolicy `json:"assumeRolePolicy"`
}

type givenPolicy struct {
	Statement []givenStatement `json:"Statement"`
}

// givenStatement is an IAM statement as AWS may return it: single values or
// lists, any condition operator, a "*" principal, NotAction and
// NotPrincipal.
type givenStatement struct {
	Effect       string                             `json:"Effect"`
	Principal    givenPrincipal                     `json:"Principal"`
	NotPrincipal json.RawMessage                    `json:"NotPrincipal"`
	Action       stringOrList                       `json:"Action"`
	NotAction    stringOrList                       `json:"NotAction"`
	Condition    map[string]map[string]stringOrList `json:"Condition"`
}

// givenPrincipal is a statement's Principal: "*" (anyone) or a map whose
// Federated names OIDC providers.
type givenPrincipal struct {
	Anyone    bool
	Federated stringOrList
}

// UnmarshalJSON accepts both forms IAM writes.
func (p *givenPrincipal) UnmarshalJSON(data []byte) error {
	var anyone string
	if err := json.Unmarshal(data, &anyone); err == nil {
		if anyone != "*" {
			return fmt.Errorf("a Principal written as a string must be \"*\", not %s", q(anyone))
		}
		p.Anyone = true
		return nil
	}
	var m struct {
		Federated stringOrList `json:"Federated"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("want \"*\" or a map of principals: %w", err)
	}
	p.Federated = m.Federated
	return nil
}

// stringOrList is an IAM policy value: "x" or ["x", "y"].
type stringOrList []string

// UnmarshalJSON accepts both forms IAM writes.
func (s *stringOrList) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*s = many
	return nil
}

// parseTrust recognises the trust JSON of `cross-cloud-access trust`, an IAM
// role trust policy (bare, or as `aws iam get-role` prints it), a GCP
// workload identity pool provider (`gcloud iam workload-identity-pools
// providers describe --format json`) and Azure federated identity
// credentials (one, a list, or a Graph {"value": [...]} page).
func parseTrust(data []byte) (*givenTrust, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		var list []trust.AzureFederatedIdentityCredential
		if listErr := json.Unmarshal(data, &list); listErr == nil && len(list) > 0 {
			return &givenTrust{Azure: &trust.Azure{FederatedIdentityCredentials: list}, from: "Azure federated identity credentials"}, nil
		}
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	has := func(k string) bool { _, ok := probe[k]; return ok }
	g := &givenTrust{}
	switch {
	case has("aws") || has("gcp") || has("azure"):
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(g); err != nil {
			return nil, fmt.Errorf("trust JSON: %w", err)
		}
		g.from = "trust JSON"
	case has("Statement"):
		var p givenPolicy
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("IAM policy document: %w", err)
		}
		g.setRole("", p)
		g.from = "IAM trust policy"
	case has("Role"):
		var r struct {
			Role struct {
				Arn                      string      `json:"Arn"`
				AssumeRolePolicyDocument givenPolicy `json:"AssumeRolePolicyDocument"`
			} `json:"Role"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("aws iam get-role output: %w", err)
		}
		g.setRole(r.Role.Arn, r.Role.AssumeRolePolicyDocument)
		g.from = "aws iam get-role output"
	case has("oidc") && has("name"):
		p, err := parseGCPProvider(data)
		if err != nil {
			return nil, err
		}
		g.GCP = p
		g.from = "GCP workload identity pool provider"
	case has("value"):
		var page struct {
			Value []trust.AzureFederatedIdentityCredential `json:"value"`
		}
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, fmt.Errorf("federated identity credentials (Azure): %w", err)
		}
		g.Azure = &trust.Azure{FederatedIdentityCredentials: page.Value}
		g.from = "Azure federated identity credentials"
	case has("issuer") && has("subject"):
		var c trust.AzureFederatedIdentityCredential
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("federated identity credential (Azure): %w", err)
		}
		g.Azure = &trust.Azure{FederatedIdentityCredentials: []trust.AzureFederatedIdentityCredential{c}}
		g.from = "Azure federated identity credential"
	default:
		return nil, fmt.Errorf("not a trust document: want the JSON of `cross-cloud-access trust --format json`, an IAM role trust policy, a GCP pool provider or Azure federated identity credentials")
	}
	return g, nil
}

func (g *givenTrust) setRole(arn string, p givenPolicy) {
	g.AWS = &struct {
		OIDCProviders []trust.AWSOIDCProvider `json:"oidcProviders"`
		Roles         []givenRole             `json:"roles"`
	}{Roles: []givenRole{{RoleARN: arn, AssumeRolePolicy: p}}}
}

// parseGCPProvider reads a provider as gcloud describes it:
// name projects/N/locations/global/workloadIdentityPools/P/providers/PR.
func parseGCPProvider(data []byte) (*trust.GCP, error) {
	var p struct {
		Name               string            `json:"name"`
		AttributeCondition string            `json:"attributeCondition"`
		AttributeMapping   map[string]string `json:"attributeMapping"`
		OIDC               struct {
			IssuerURI        string   `json:"issuerUri"`
			AllowedAudiences []string `json:"allowedAudiences"`
		} `json:"oidc"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("GCP workload identity pool provider: %w", err)
	}
	parts := strings.Split(p.Name, "/")
	if len(parts) != 8 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != "workloadIdentityPools" || parts[6] != "providers" {
		return nil, fmt.Errorf("GCP workload identity pool provider: name %s is not projects/N/locations/global/workloadIdentityPools/P/providers/PR", q(p.Name))
	}
	return &trust.GCP{WorkloadIdentityPools: []trust.GCPPool{{
		ProjectNumber: parts[1], PoolID: parts[5],
		Providers: []trust.GCPPoolProvider{{
			ProviderID: parts[7], IssuerURI: p.OIDC.IssuerURI, AllowedAudiences: p.OIDC.AllowedAudiences,
			AttributeMapping: p.AttributeMapping, AttributeCondition: p.AttributeCondition,
		}},
	}}}, nil
}

// expectedTrust is the trust the target needs, from trust.Build on the spec
// narrowed to the target's cloud: the rule that writes trust is the rule
// that checks it.
func expectedTrust(t target) (*trust.Trust, error) {
	narrowed := *t.spec
	narrowed.Spec.AWS, narrowed.Spec.GCP, narrowed.Spec.Azure = nil, nil, nil
	// The token doctor reads is checked against the spec's own identity;
	// spec.containers entries would add roles and accounts beside it.
	narrowed.Spec.Containers = nil
	// The token is checked against the cluster's issuer (the issuer check
	// says so); a migration's previous issuers would add trust for other
	// issuers ahead of it.
	narrowed.Spec.Cluster.PreviousIssuers = nil
	switch t.cloud {
	case "aws":
		narrowed.Spec.AWS = t.spec.Spec.AWS
	case "gcp":
		narrowed.Spec.GCP = t.spec.Spec.GCP
	case "azure":
		narrowed.Spec.Azure = t.spec.Spec.Azure
	}
	return trust.Build([]*v1alpha1.CrossCloudAccess{&narrowed})
}

// trustCheck reports whether the given trust admits the target's token:
// its issuer, subject and audience, pinned exactly.
func trustCheck(t target, given *givenTrust) Result {
	r := Result{Target: t.name, Check: CheckTrust, Status: Fail}
	if given == nil {
		r.Status = Skip
		r.Detail = "no --trust given (cross-cloud-access trust --format json SPEC writes it; or export the cloud's)"
		return r
	}
	want, err := expectedTrust(t)
	if err != nil {
		r.Detail, r.Fix = "the spec gives no trust: "+err.Error(), "fix the spec"
		return r
	}
	var detail string
	var ok bool
	switch t.cloud {
	case "aws":
		ok, detail = awsPins(want.AWS, given)
	case "gcp":
		sa := t.spec.Spec.ServiceAccount
		ok, detail = gcpPins(want.GCP, given, v1alpha1.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name}.Subject(), t.audience)
	case "azure":
		ok, detail = azurePins(want.Azure, given)
	}
	r.Detail = given.from + ": " + detail
	if ok {
		r.Status = Pass
	} else {
		r.Fix = "apply the trust `cross-cloud-access trust` prints for this spec (--format shell, terraform or krm)"
	}
	return r
}

func awsPins(want *trust.AWS, given *givenTrust) (bool, string) {
	if given.AWS == nil {
		return false, "holds nothing for AWS"
	}
	role := want.Roles[0]
	stmt := role.AssumeRolePolicy.Statement[0]
	provider := want.OIDCProviders[0]
	var audKey, subKey string
	for k := range stmt.Condition.StringEquals {
		if strings.HasSuffix(k, ":aud") {
			audKey = k
		} else {
			subKey = k
		}
	}
	// The target is one spec: its statement has one audience and one
	// subject.
	aud, sub := stmt.Condition.StringEquals[audKey][0], stmt.Condition.StringEquals[subKey][0]
	if len(given.AWS.OIDCProviders) > 0 {
		i := slices.IndexFunc(given.AWS.OIDCProviders, func(p trust.AWSOIDCProvider) bool { return p.ARN == provider.ARN })
		if i < 0 {
			return false, "no IAM OIDC provider " + q(provider.ARN) + " for issuer " + q(provider.URL)
		}
		if !slices.Contains(given.AWS.OIDCProviders[i].ClientIDList, aud) {
			return false, "IAM OIDC provider " + q(provider.ARN) + " lists client IDs " + qList(given.AWS.OIDCProviders[i].ClientIDList) + ", not the audience " + q(aud)
		}
	}
	var statements []givenStatement
	for _, r := range given.AWS.Roles {
		if r.RoleARN == "" || r.RoleARN == role.RoleARN {
			statements = append(statements, r.AssumeRolePolicy.Statement...)
		}
	}
	if len(statements) == 0 {
		return false, "no trust policy for role " + q(role.RoleARN)
	}
	// Every statement is judged before the verdict, so that one that admits
	// more than it names fails the check wherever it stands.
	var principals, subjects, audiences []string
	pinned := false
	for i, s := range statements {
		if s.Effect != "Allow" || !allowsAction(s, trust.ActionAssumeRoleWithWebID) {
			continue
		}
		at := fmt.Sprintf("role %s, statement %d", q(role.RoleARN), i+1)
		if len(s.NotPrincipal) > 0 {
			return false, at + " allows everyone but its NotPrincipal; name the OIDC provider as Federated principal instead"
		}
		principals = append(principals, s.Principal.Federated...)
		if !s.Principal.Anyone && !slices.Contains(s.Principal.Federated, stmt.Principal.Federated) {
			continue
		}
		for op, conds := range s.Condition {
			for key := range conds {
				if op != "StringEquals" && (strings.EqualFold(key, subKey) || strings.EqualFold(key, audKey)) {
					return false, fmt.Sprintf("%s pins %s with %s; only StringEquals pins exactly one ServiceAccount", at, q(key), q(op))
				}
			}
		}
		subs, audValues := conditionValues(s, subKey), conditionValues(s, audKey)
		if subs == nil {
			return false, fmt.Sprintf("%s admits every ServiceAccount of the issuer %s: it has no StringEquals condition on %s", at, q(provider.URL), q(subKey))
		}
		subjects = append(subjects, subs...)
		if !slices.Contains(subs, sub) {
			continue
		}
		audiences = append(audiences, audValues...)
		if !slices.Equal(audValues, []string{aud}) {
			return false, fmt.Sprintf("%s admits %s with audiences %s; it must pin %s to %s alone", at, q(sub), qList(audValues), q(audKey), q(aud))
		}
		pinned = true
	}
	switch {
	case pinned:
		others := slices.DeleteFunc(slices.Clone(subjects), func(s string) bool { return s == sub })
		detail := fmt.Sprintf("role %s trusts %s for sub %s and aud %s", q(role.RoleARN), q(stmt.Principal.Federated), q(sub), q(aud))
		if len(others) > 0 {
			detail += "; its other statements name only the subjects " + qList(others)
		}
		return true, detail
	case !slices.Contains(principals, stmt.Principal.Federated):
		return false, fmt.Sprintf("role %s trusts federated principals %s, not %s (the issuer %s)", q(role.RoleARN), qList(principals), q(stmt.Principal.Federated), q(provider.URL))
	case !slices.Contains(subjects, sub):
		return false, fmt.Sprintf("role %s pins %s to %s, not %s", q(role.RoleARN), q(subKey), qList(subjects), q(sub))
	default:
		return false, fmt.Sprintf("role %s pins %s to %s, not %s", q(role.RoleARN), q(audKey), qList(audiences), q(aud))
	}
}

// allowsAction reports whether a statement's Action (or NotAction) covers
// action: IAM matches actions without regard to case, with * and ?
// wildcards.
func allowsAction(s givenStatement, action string) bool {
	matches := func(patterns []string) bool {
		return slices.ContainsFunc(patterns, func(p string) bool { return wildcardMatch(strings.ToLower(p), strings.ToLower(action)) })
	}
	if len(s.NotAction) > 0 {
		return !matches(s.NotAction)
	}
	return matches(s.Action)
}

// wildcardMatch matches s against an IAM pattern, where * is any run of
// characters and ? any one. It backtracks only to the last *, so a pattern
// of many stars costs no more than a pass per star.
func wildcardMatch(pattern, s string) bool {
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p, i = p+1, i+1
		case p < len(pattern) && pattern[p] == '*':
			star, mark, p = p, i, p+1
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// conditionValues are the values a statement's StringEquals holds for key
// (IAM condition keys are not case-sensitive); nil when it holds none.
func conditionValues(s givenStatement, key string) []string {
	for k, values := range s.Condition["StringEquals"] {
		if strings.EqualFold(k, key) {
			return values
		}
	}
	return nil
}

func gcpPins(want *trust.GCP, given *givenTrust, subject, audience string) (bool, string) {
	if given.GCP == nil {
		return false, "holds nothing for GCP"
	}
	var pinned string
	for _, wp := range want.WorkloadIdentityPools {
		p := wp.Providers[0]
		name := gcpid.ProviderName(wp.ProjectNumber, wp.PoolID, p.ProviderID)
		var found *trust.GCPPoolProvider
		for _, gp := range given.GCP.WorkloadIdentityPools {
			if gp.ProjectNumber != wp.ProjectNumber || gp.PoolID != wp.PoolID {
				continue
			}
			for i := range gp.Providers {
				if gp.Providers[i].ProviderID == p.ProviderID {
					found = &gp.Providers[i]
				}
			}
		}
		switch {
		case found == nil:
			return false, "no workload identity pool provider " + q(name)
		case found.IssuerURI != p.IssuerURI:
			return false, "provider " + q(name) + " trusts issuer " + q(found.IssuerURI) + ", not " + q(p.IssuerURI)
		case found.AttributeMapping[trust.GCPSubjectAttribute] != trust.GCPSubjectAssertion:
			return false, "provider " + q(name) + " maps google.subject from " + q(found.AttributeMapping[trust.GCPSubjectAttribute]) + ", not " + q(trust.GCPSubjectAssertion)
		case !audiencesAdmit(found.AllowedAudiences, p.AllowedAudiences):
			return false, "provider " + q(name) + " allows audiences " + qList(found.AllowedAudiences) + ", the token needs " + qList(p.AllowedAudiences) + " (an empty list admits only the provider's own name)"
		}
		if ok, detail := judgeCondition(found.AttributeCondition, subject, audience, p.IssuerURI); !ok {
			return false, "provider " + q(name) + " " + detail
		} else {
			pinned = detail
		}
	}
	// Grants are only in the trust JSON; an exported provider has none.
	if given.from == "trust JSON" {
		for _, b := range want.IAMBindings {
			if !slices.Contains(given.GCP.IAMBindings, b) {
				return false, "no IAM binding of " + q(b.Role) + " to " + q(b.Member) + " on " + q(b.Resource)
			}
		}
		for _, p := range want.ResourcePrincipals {
			if !slices.Contains(given.GCP.ResourcePrincipals, p) {
				return false, "principal " + q(p) + " is not granted on any resource"
			}
		}
	}
	return true, "the pool provider trusts the issuer, the subject and the audience; " + pinned
}

// audiencesAdmit: when trust lists no audience the token carries the
// provider's own name, which an empty list admits; otherwise each needed
// audience must be listed.
func audiencesAdmit(given, want []string) bool {
	if len(want) == 0 {
		return len(given) == 0
	}
	for _, a := range want {
		if !slices.Contains(given, a) {
			return false
		}
	}
	return true
}

func azurePins(want *trust.Azure, given *givenTrust) (bool, string) {
	if given.Azure == nil {
		return false, "holds nothing for Azure"
	}
	w := want.FederatedIdentityCredentials[0]
	var issuers, subjects []string
	for _, c := range given.Azure.FederatedIdentityCredentials {
		if c.ClientID != "" && c.ClientID != w.ClientID {
			continue
		}
		issuers = append(issuers, c.Issuer)
		if c.Issuer != w.Issuer {
			continue
		}
		subjects = append(subjects, c.Subject)
		if c.Subject != w.Subject {
			continue
		}
		if !slices.Equal(c.Audiences, w.Audiences) {
			return false, fmt.Sprintf("credential %s has audiences %s, not %s", q(c.Name), qList(c.Audiences), qList(w.Audiences))
		}
		return true, fmt.Sprintf("credential %s trusts issuer %s, subject %s, audience %s", q(c.Name), q(w.Issuer), q(w.Subject), qList(w.Audiences))
	}
	if !slices.Contains(issuers, w.Issuer) {
		return false, fmt.Sprintf("client %s trusts issuers %s, not %s", q(w.ClientID), qList(issuers), q(w.Issuer))
	}
	return false, fmt.Sprintf("client %s trusts subjects %s of the issuer, not %s", q(w.ClientID), qList(subjects), q(w.Subject))
}
