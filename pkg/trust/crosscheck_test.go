package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/issuer"
)

// document is the JSON trust document as a reader that does not share this
// package's types sees it (the e2e harness decodes it the same loose way):
// conditions are maps of maps, principals and actions raw JSON.
type document struct {
	AWS *struct {
		OIDCProviders []struct {
			URL          string   `json:"url"`
			ClientIDList []string `json:"clientIdList"`
			ARN          string   `json:"arn"`
		} `json:"oidcProviders"`
		Roles []struct {
			RoleARN          string `json:"roleArn"`
			AssumeRolePolicy struct {
				Version   string `json:"Version"`
				Statement []struct {
					Effect    string                     `json:"Effect"`
					Principal map[string]json.RawMessage `json:"Principal"`
					Action    json.RawMessage            `json:"Action"`
					Condition map[string]map[string]any  `json:"Condition"`
				} `json:"Statement"`
			} `json:"assumeRolePolicy"`
			PermissionsPolicy json.RawMessage `json:"permissionsPolicy"`
			ManagedPolicyARNs []string        `json:"managedPolicyArns"`
		} `json:"roles"`
		PodIdentityAssociations []map[string]string `json:"podIdentityAssociations"`
	} `json:"aws"`
	GCP *struct {
		WorkloadIdentityPools []struct {
			ProjectNumber string `json:"projectNumber"`
			PoolID        string `json:"poolId"`
			Providers     []struct {
				ProviderID         string            `json:"providerId"`
				IssuerURI          string            `json:"issuerUri"`
				AllowedAudiences   []string          `json:"allowedAudiences"`
				AttributeMapping   map[string]string `json:"attributeMapping"`
				AttributeCondition string            `json:"attributeCondition"`
			} `json:"providers"`
		} `json:"workloadIdentityPools"`
		IAMBindings        []map[string]string `json:"iamBindings"`
		ResourcePrincipals []string            `json:"resourcePrincipals"`
		ResourceBindings   []map[string]any    `json:"resourceBindings"`
	} `json:"gcp"`
	Azure *struct {
		FederatedIdentityCredentials []map[string]any    `json:"federatedIdentityCredentials"`
		RoleAssignments              []map[string]string `json:"roleAssignments"`
	} `json:"azure"`
}

func decodeDocument(t *testing.T, trust *Trust) document {
	t.Helper()
	var out bytes.Buffer
	if err := RenderJSON(&out, trust); err != nil {
		t.Fatal(err)
	}
	var doc document
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("trust JSON does not decode: %v", err)
	}
	return doc
}

func readCaseSpecs(t *testing.T, name string) []*v1alpha1.CrossCloudAccess {
	t.Helper()
	var messages bytes.Buffer
	specs, err := ReadSpecs(nil, &messages, []string{filepath.Join("testdata", name, "input.yaml")})
	if err != nil {
		t.Fatalf("%v\n%s", err, messages.String())
	}
	return specs
}

var (
	oneSubject  = regexp.MustCompile(`^assertion\.sub == '([^'\\]*)'$`)
	subjectList = regexp.MustCompile(`^assertion\.sub in \[('[^'\\]*'(?:, '[^'\\]*')*)\]$`)
	pinnedTerm  = regexp.MustCompile(`^\(assertion\.sub == '([^'\\]*)' && '([^'\\]*)' in assertion\.aud\)$`)
)

// conditionValues reads an IAM condition value as IAM does: a string, or a
// list admitting any one of its strings; nil for anything else.
func conditionValues(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

// pinnedSubjects reads a condition that holds each subject to its audience;
// nil when the condition has another shape.
func pinnedSubjects(condition string) map[string]string {
	out := map[string]string{}
	for _, term := range strings.Split(condition, " || ") {
		m := pinnedTerm.FindStringSubmatch(term)
		if m == nil {
			return nil
		}
		out[m[1]] = m[2]
	}
	return out
}

// admittedSubjects reads the subjects an attribute condition admits; it
// understands only the two shapes Build writes, so anything else fails.
func admittedSubjects(t *testing.T, condition string) []string {
	t.Helper()
	if m := oneSubject.FindStringSubmatch(condition); m != nil {
		return []string{m[1]}
	}
	if pinned := pinnedSubjects(condition); pinned != nil {
		return slices.Sorted(maps.Keys(pinned))
	}
	if m := subjectList.FindStringSubmatch(condition); m != nil {
		var out []string
		for _, q := range strings.Split(m[1], ", ") {
			out = append(out, strings.Trim(q, "'"))
		}
		return out
	}
	t.Fatalf("attribute condition %q pins no subject", condition)
	return nil
}

// Every spec's ServiceAccount gets in with exactly the subject, audience and
// issuer the workload side uses, and the trust lets in no one else.
func TestTrustDocumentAgreesWithTheWorkloadSide(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			specs := readCaseSpecs(t, name)
			trust, err := Build(specs)
			if err != nil {
				t.Fatal(err)
			}
			doc := decodeDocument(t, trust)
			wantStatements := map[string]map[string]bool{} // role -> issuer+audience, or pod identity ServiceAccount
			wantSubjects := map[string]map[string]bool{}   // pool provider -> subjects
			var identities []*v1alpha1.Spec
			for _, spec := range specs {
				// Each container identity trusts the spec's subject too.
				identities = append(identities, spec.Spec.Identities()...)
			}
			for _, identity := range identities {
				s := *identity
				subject := s.ServiceAccount.Subject()
				// The cluster's issuer, then each previous issuer of a
				// migration: every one is trusted alike.
				for i, iss := range append([]string{s.Cluster.Issuer}, s.Cluster.PreviousIssuers...) {
					hostPath := issuer.HostPath(iss)
					if hostPath != strings.TrimSuffix(strings.TrimPrefix(iss, "https://"), "/") {
						t.Fatalf("HostPath(%q) = %q", iss, hostPath)
					}
					if s.AWS != nil {
						if wantStatements[s.AWS.RoleARN] == nil {
							wantStatements[s.AWS.RoleARN] = map[string]bool{}
						}
						if s.AWS.Mode == v1alpha1.ModePodIdentity {
							checkPodIdentity(t, doc, s)
							wantStatements[s.AWS.RoleARN]["pod identity "+subject] = true
						} else {
							checkAWS(t, doc, s, iss, subject, hostPath)
							wantStatements[s.AWS.RoleARN][hostPath+" "+s.AWS.Audience] = true
						}
					}
					if s.GCP != nil {
						key := checkGCP(t, doc, s, iss, i > 0, subject)
						if key != "" {
							if wantSubjects[key] == nil {
								wantSubjects[key] = map[string]bool{}
							}
							wantSubjects[key][subject] = true
						}
					}
					if s.Azure != nil {
						checkAzure(t, doc, s, iss, subject)
					}
				}
			}
			if doc.AWS != nil {
				for _, role := range doc.AWS.Roles {
					if got, want := len(role.AssumeRolePolicy.Statement), len(wantStatements[role.RoleARN]); got != want {
						t.Errorf("role %s has %d statements; the specs need %d", role.RoleARN, got, want)
					}
				}
			}
			if doc.GCP != nil {
				for _, pool := range doc.GCP.WorkloadIdentityPools {
					for _, p := range pool.Providers {
						key := pool.ProjectNumber + "/" + pool.PoolID + "/" + p.ProviderID
						got := admittedSubjects(t, p.AttributeCondition)
						want := slices.Sorted(func(yield func(string) bool) {
							for s := range wantSubjects[key] {
								if !yield(s) {
									return
								}
							}
						})
						if !slices.Equal(got, want) {
							t.Errorf("provider %s admits %q; the specs need exactly %q", key, got, want)
						}
					}
				}
			}
		})
	}
}

func checkAWS(t *testing.T, doc document, s v1alpha1.Spec, iss, subject, hostPath string) {
	t.Helper()
	if doc.AWS == nil {
		t.Fatalf("spec has aws but the document has no aws")
	}
	role, err := arn.ParseRole(s.AWS.RoleARN)
	if err != nil {
		t.Fatal(err)
	}
	providerARN := role.OIDCProvider(hostPath)
	found := false
	for _, p := range doc.AWS.OIDCProviders {
		if p.ARN == providerARN {
			found = true
			if p.URL != iss {
				t.Errorf("OIDC provider %s has url %q, want the issuer %q", p.ARN, p.URL, iss)
			}
			if !slices.Contains(p.ClientIDList, s.AWS.Audience) {
				t.Errorf("OIDC provider %s client IDs %q lack the token audience %q", p.ARN, p.ClientIDList, s.AWS.Audience)
			}
		}
	}
	if !found {
		t.Errorf("no OIDC provider %s", providerARN)
	}
	for _, role := range doc.AWS.Roles {
		if role.RoleARN != s.AWS.RoleARN {
			continue
		}
		for _, st := range role.AssumeRolePolicy.Statement {
			var federated string
			if err := json.Unmarshal(st.Principal["Federated"], &federated); err != nil || federated != providerARN {
				continue
			}
			cond := st.Condition["StringEquals"]
			if !slices.Contains(conditionValues(cond[hostPath+":sub"]), subject) {
				continue
			}
			var action string
			_ = json.Unmarshal(st.Action, &action)
			if st.Effect != "Allow" || action != "sts:AssumeRoleWithWebIdentity" {
				t.Errorf("statement for %s is %s %s", subject, st.Effect, action)
			}
			if got := conditionValues(cond[hostPath+":aud"]); !slices.Equal(got, []string{s.AWS.Audience}) {
				t.Errorf("statement for %s requires audiences %q; the token carries %q, and only it may be admitted", subject, got, s.AWS.Audience)
			}
			if len(st.Condition) != 1 || len(cond) != 2 {
				t.Errorf("statement for %s has conditions %v; want exactly StringEquals on :sub and :aud", subject, st.Condition)
			}
			return
		}
	}
	t.Errorf("role %s has no statement for %s from %s", s.AWS.RoleARN, subject, providerARN)
}

// checkPodIdentity checks that the role trusts EKS Pod Identity for exactly
// the namespace and ServiceAccount the function wires, on the spec's cluster,
// and that the association names the same.
func checkPodIdentity(t *testing.T, doc document, s v1alpha1.Spec) {
	t.Helper()
	sa, cluster := s.ServiceAccount, s.Cluster.EKS.ClusterName
	want := map[string]string{
		"aws:RequestTag/kubernetes-namespace":       sa.Namespace,
		"aws:RequestTag/kubernetes-service-account": sa.Name,
	}
	found := false
	for _, role := range doc.AWS.Roles {
		if role.RoleARN != s.AWS.RoleARN {
			continue
		}
		for _, st := range role.AssumeRolePolicy.Statement {
			var service string
			if err := json.Unmarshal(st.Principal["Service"], &service); err != nil || service != "pods.eks.amazonaws.com" {
				continue
			}
			cond := st.Condition["StringEquals"]
			if len(st.Condition) != 1 || len(cond) != 3 || !slices.Contains(conditionValues(cond["aws:RequestTag/eks-cluster-name"]), cluster) {
				continue
			}
			// A list is only ever of clusters: namespace and name are one
			// value each, or the statement would admit their pairings.
			if !slices.Equal(conditionValues(cond["aws:RequestTag/kubernetes-namespace"]), []string{want["aws:RequestTag/kubernetes-namespace"]}) ||
				!slices.Equal(conditionValues(cond["aws:RequestTag/kubernetes-service-account"]), []string{want["aws:RequestTag/kubernetes-service-account"]}) {
				continue
			}
			var actions []string
			if err := json.Unmarshal(st.Action, &actions); err != nil || !slices.Equal(actions, []string{"sts:AssumeRole", "sts:TagSession"}) {
				t.Errorf("pod identity statement for %s/%s allows %s; want sts:AssumeRole and sts:TagSession", sa.Namespace, sa.Name, st.Action)
			}
			found = true
		}
	}
	if !found {
		t.Errorf("role %s has no pod identity statement pinned to %v", s.AWS.RoleARN, want)
	}
	association := map[string]string{"clusterName": cluster, "namespace": sa.Namespace, "serviceAccount": sa.Name, "roleArn": s.AWS.RoleARN}
	if !slices.ContainsFunc(doc.AWS.PodIdentityAssociations, func(a map[string]string) bool { return maps.Equal(a, association) }) {
		t.Errorf("pod identity associations %v lack %v", doc.AWS.PodIdentityAssociations, association)
	}
}

// checkGCP checks one spec's GCP trust for one of its issuers and returns
// the key of the pool provider that admits it ("" for GKE Workload
// Identity). A previous issuer's provider is found by its issuer: its ID is
// derived, and must be a valid one.
func checkGCP(t *testing.T, doc document, s v1alpha1.Spec, iss string, previous bool, subject string) string {
	t.Helper()
	g := s.GCP
	if doc.GCP == nil {
		t.Fatalf("spec has gcp but the document has no gcp")
	}
	hasBinding := func(resource, member string) bool {
		for _, b := range doc.GCP.IAMBindings {
			if b["resource"] == resource && b["role"] == "roles/iam.workloadIdentityUser" && b["member"] == member {
				return true
			}
		}
		return false
	}
	if g.Mode == v1alpha1.ModeWorkloadIdentity && !g.Impersonates() {
		principal := fmt.Sprintf("principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s.svc.id.goog/subject/ns/%s/sa/%s",
			g.ProjectNumber, g.ProjectID, s.ServiceAccount.Namespace, s.ServiceAccount.Name)
		if !slices.Contains(doc.GCP.ResourcePrincipals, principal) {
			t.Errorf("resource principals %q lack the direct-access principal %s", doc.GCP.ResourcePrincipals, principal)
		}
		return ""
	}
	if g.Mode == v1alpha1.ModeWorkloadIdentity {
		member := fmt.Sprintf("serviceAccount:%s.svc.id.goog[%s/%s]", g.ProjectID, s.ServiceAccount.Namespace, s.ServiceAccount.Name)
		if !hasBinding(ServiceAccountResource(g.ServiceAccountEmail), member) {
			t.Errorf("no workloadIdentityUser grant for %s on %s", member, g.ServiceAccountEmail)
		}
		return ""
	}
	for _, pool := range doc.GCP.WorkloadIdentityPools {
		if pool.ProjectNumber != g.ProjectNumber || pool.PoolID != g.WorkloadIdentityPool {
			continue
		}
		for _, p := range pool.Providers {
			if previous && (p.IssuerURI != iss || !slices.Contains(admittedSubjects(t, p.AttributeCondition), subject)) {
				continue
			}
			if !previous && p.ProviderID != g.WorkloadIdentityProvider {
				continue
			}
			if p.IssuerURI != iss {
				t.Errorf("provider %s trusts %q, want the issuer %q", p.ProviderID, p.IssuerURI, iss)
			}
			if !providerID.MatchString(p.ProviderID) || strings.HasPrefix(p.ProviderID, "gcp-") {
				t.Errorf("provider ID %q is not one Google accepts (4 to 32 of [a-z0-9-], not starting with - or gcp-)", p.ProviderID)
			}
			if pinned := pinnedSubjects(p.AttributeCondition); pinned != nil && pinned[subject] != g.Audience {
				t.Errorf("provider %s holds %s to audience %q; its token carries %q", p.ProviderID, subject, pinned[subject], g.Audience)
			}
			if len(p.AllowedAudiences) > 1 && pinnedSubjects(p.AttributeCondition) == nil {
				t.Errorf("provider %s allows %d audiences but its condition %q holds no subject to its own", p.ProviderID, len(p.AllowedAudiences), p.AttributeCondition)
			}
			if p.AttributeMapping["google.subject"] != "assertion.sub" {
				t.Errorf("provider %s maps google.subject from %q", p.ProviderID, p.AttributeMapping["google.subject"])
			}
			own := "https://iam.googleapis.com/projects/" + g.ProjectNumber + "/locations/global/workloadIdentityPools/" + g.WorkloadIdentityPool + "/providers/" + p.ProviderID
			if len(p.AllowedAudiences) == 0 {
				if g.Audience != own {
					t.Errorf("provider %s lists no audiences, so Google wants its own name %q; the token carries %q", p.ProviderID, own, g.Audience)
				}
			} else if !slices.Contains(p.AllowedAudiences, g.Audience) {
				t.Errorf("provider %s allows %q; the token carries %q", p.ProviderID, p.AllowedAudiences, g.Audience)
			}
			principal := "principal://iam.googleapis.com/projects/" + g.ProjectNumber + "/locations/global/workloadIdentityPools/" + g.WorkloadIdentityPool + "/subject/" + subject
			if g.Impersonates() {
				if !hasBinding(ServiceAccountResource(g.ServiceAccountEmail), principal) {
					t.Errorf("no workloadIdentityUser grant for %s on %s", principal, g.ServiceAccountEmail)
				}
			} else if !slices.Contains(doc.GCP.ResourcePrincipals, principal) {
				t.Errorf("resource principals %q lack %s", doc.GCP.ResourcePrincipals, principal)
			}
			return g.ProjectNumber + "/" + g.WorkloadIdentityPool + "/" + p.ProviderID
		}
	}
	t.Errorf("no pool provider %s trusts %s for %s", g.ProviderResource(), iss, subject)
	return ""
}

// providerID is Google's grammar of a workload identity pool provider ID.
var providerID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{3,31}$`)

func checkAzure(t *testing.T, doc document, s v1alpha1.Spec, iss, subject string) {
	t.Helper()
	if doc.Azure == nil {
		t.Fatalf("spec has azure but the document has no azure")
	}
	for _, c := range doc.Azure.FederatedIdentityCredentials {
		if c["clientId"] != s.Azure.ClientID || c["issuer"] != iss || c["subject"] != subject {
			continue
		}
		if c["tenantId"] != s.Azure.TenantID {
			t.Errorf("credential %v is in tenant %v, want %s", c["name"], c["tenantId"], s.Azure.TenantID)
		}
		if fmt.Sprint(c["audiences"]) != "["+v1alpha1.DefaultAzureAudience+"]" {
			t.Errorf("credential %v has audiences %v, want [%s]", c["name"], c["audiences"], v1alpha1.DefaultAzureAudience)
		}
		return
	}
	t.Errorf("no federated identity credential for %s from %s on %s", subject, iss, s.Azure.ClientID)
}

// The function patches pods with projected tokens; every audience it
// projects must be one the trust accepts for that ServiceAccount.
func TestProjectedTokenAudiencesAreAccepted(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			nodes, err := kio.FromBytes(data)
			if err != nil {
				t.Fatal(err)
			}
			trust := buildCase(t, name)
			for _, node := range nodes {
				if node.GetKind() != v1alpha1.Kind {
					continue
				}
				spec, _ := v1alpha1.Decode(node)
				sa := spec.Spec.ServiceAccount
				pod := yaml.MustParse(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: app, namespace: %s}
spec:
  serviceAccountName: %s
  containers: [{name: app, image: busybox}]
`, sa.Namespace, sa.Name))
				out, results := function.Run(node, []*yaml.RNode{pod})
				if results.ExitCode() != 0 {
					t.Fatalf("function on %s: %v", node.GetName(), results.Error())
				}
				got := projectedAudiences(t, out)
				for _, audience := range got {
					if !accepts(trust, spec.Spec, audience) {
						t.Errorf("%s: the pod gets a token for audience %q, which no trust for %s accepts", node.GetName(), audience, sa.Subject())
					}
				}
				// Guard against a vacuous pass: every projected mode must
				// have put its token in the pod.
				var want []string
				if a := spec.Spec.AWS; a != nil && a.Mode == v1alpha1.ModeProjected {
					want = append(want, a.Audience)
				}
				if g := spec.Spec.GCP; g != nil && g.Mode == v1alpha1.ModeFederated {
					want = append(want, g.Audience)
				}
				if z := spec.Spec.Azure; z != nil && z.Mode == v1alpha1.ModeProjected {
					want = append(want, v1alpha1.DefaultAzureAudience)
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
					t.Errorf("%s: the pod's projected audiences are %q; the projected modes need %q", node.GetName(), got, want)
				}
			}
		})
	}
}

func projectedAudiences(t *testing.T, items []*yaml.RNode) []string {
	t.Helper()
	var out []string
	for _, item := range items {
		if item.GetKind() != "Pod" {
			continue
		}
		volumes, err := item.Pipe(yaml.Lookup("spec", "volumes"))
		if err != nil || volumes == nil {
			continue
		}
		for _, v := range volumes.Content() {
			sources, _ := yaml.NewRNode(v).Pipe(yaml.Lookup("projected", "sources"))
			if sources == nil {
				continue
			}
			for _, s := range sources.Content() {
				aud, _ := yaml.NewRNode(s).Pipe(yaml.Lookup("serviceAccountToken", "audience"))
				if aud != nil {
					out = append(out, yaml.GetValue(aud))
				}
			}
		}
	}
	return out
}

// accepts reports whether some cloud's trust for the spec's ServiceAccount
// accepts a token with this audience.
func accepts(t *Trust, s v1alpha1.Spec, audience string) bool {
	subject := s.ServiceAccount.Subject()
	hostPath := issuer.HostPath(s.Cluster.Issuer)
	if s.AWS != nil && t.AWS != nil {
		for _, r := range t.AWS.Roles {
			for _, st := range r.AssumeRolePolicy.Statement {
				if r.RoleARN == s.AWS.RoleARN && slices.Contains(st.Condition.StringEquals[hostPath+":sub"], subject) && slices.Equal(st.Condition.StringEquals[hostPath+":aud"], Values{audience}) {
					return true
				}
			}
		}
	}
	if s.GCP != nil && t.GCP != nil {
		for _, pool := range t.GCP.WorkloadIdentityPools {
			for _, p := range pool.Providers {
				if pool.ProjectNumber != s.GCP.ProjectNumber || pool.PoolID != s.GCP.WorkloadIdentityPool || p.ProviderID != s.GCP.WorkloadIdentityProvider {
					continue
				}
				if len(p.AllowedAudiences) == 0 && (audience == "https:"+s.GCP.ProviderResource() || audience == s.GCP.ProviderResource()) {
					return true
				}
				if slices.Contains(p.AllowedAudiences, audience) {
					return true
				}
			}
		}
	}
	if s.Azure != nil && t.Azure != nil {
		for _, c := range t.Azure.FederatedIdentityCredentials {
			if c.ClientID == s.Azure.ClientID && c.Subject == subject && c.Issuer == s.Cluster.Issuer && slices.Contains(c.Audiences, audience) {
				return true
			}
		}
	}
	return false
}
