package trust

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
)

// identities are who the pods of a spec are to each cloud, read from what the
// function wrote for them (not from the spec): the role AWS gives their
// sessions, the member Google sees, the client ID Entra ID signs in.
type identities struct {
	awsRole, gcpMember, azureClientID string
}

// podIdentities runs the function on one spec and a Pod of its
// ServiceAccount, and reads the identities off the output.
func podIdentities(t *testing.T, node *yaml.RNode, spec v1alpha1.Spec, doc document) identities {
	t.Helper()
	sa := spec.ServiceAccount
	pod := yaml.MustParse(fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: app, namespace: %s}\nspec:\n  serviceAccountName: %s\n  containers: [{name: app, image: busybox}]\n", sa.Namespace, sa.Name))
	out, results := function.Run(node, []*yaml.RNode{pod})
	if results.ExitCode() != 0 {
		t.Fatalf("function on %s: %v", node.GetName(), results.Error())
	}
	var id identities
	env := map[string]string{}
	annotations := map[string]string{}
	var credentialConfig string
	for _, o := range out {
		switch o.GetKind() {
		case "Pod":
			containers, _ := o.Pipe(yaml.Lookup("spec", "containers"))
			for _, c := range containers.Content() {
				vars, _ := yaml.NewRNode(c).Pipe(yaml.Lookup("env"))
				if vars == nil {
					continue
				}
				for _, v := range vars.Content() {
					n := yaml.NewRNode(v)
					env[yaml.GetValue(n.Field("name").Value)] = yaml.GetValue(n.Field("value").Value)
				}
			}
		case "ServiceAccount":
			annotations = o.GetAnnotations()
		case "ConfigMap":
			if data := o.GetDataMap(); data["credential-configuration.json"] != "" {
				credentialConfig = data["credential-configuration.json"]
			}
		}
	}
	subject := "system:serviceaccount:" + sa.Namespace + ":" + sa.Name

	// AWS: the role in the pod's environment (projected), on the
	// ServiceAccount (webhook), or in the pod identity association for the
	// pod's ServiceAccount (podIdentity: nothing reaches the pod).
	switch {
	case env["AWS_ROLE_ARN"] != "":
		id.awsRole = env["AWS_ROLE_ARN"]
	case annotations["eks.amazonaws.com/role-arn"] != "":
		id.awsRole = annotations["eks.amazonaws.com/role-arn"]
	case spec.AWS != nil && doc.AWS != nil:
		for _, a := range doc.AWS.PodIdentityAssociations {
			if a["namespace"] == sa.Namespace && a["serviceAccount"] == sa.Name {
				id.awsRole = a["roleArn"]
			}
		}
	}

	// GCP: the Google service account the credential configuration or the
	// ServiceAccount annotation impersonates, else the principal the token
	// itself becomes: the pool (from the configuration's audience) and the
	// token's subject, or, on GKE, the ServiceAccount's own principal.
	if credentialConfig != "" {
		var cfg struct {
			Audience                       string `json:"audience"`
			ServiceAccountImpersonationURL string `json:"service_account_impersonation_url"`
		}
		if err := json.Unmarshal([]byte(credentialConfig), &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.ServiceAccountImpersonationURL != "" {
			email := strings.TrimSuffix(cfg.ServiceAccountImpersonationURL[strings.LastIndex(cfg.ServiceAccountImpersonationURL, "/")+1:], ":generateAccessToken")
			id.gcpMember = "serviceAccount:" + email
		} else {
			pool := strings.TrimPrefix(cfg.Audience[:strings.Index(cfg.Audience, "/providers/")], "//iam.googleapis.com/")
			id.gcpMember = "principal://iam.googleapis.com/" + pool + "/subject/" + subject
		}
	} else if email := annotations["iam.gke.io/gcp-service-account"]; email != "" {
		id.gcpMember = "serviceAccount:" + email
	} else if spec.GCP != nil {
		g := spec.GCP
		id.gcpMember = fmt.Sprintf("principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s.svc.id.goog/subject/ns/%s/sa/%s",
			g.ProjectNumber, g.ProjectID, sa.Namespace, sa.Name)
	}

	// Azure: the client ID in the pod's environment or on the ServiceAccount.
	id.azureClientID = env["AZURE_CLIENT_ID"]
	if id.azureClientID == "" {
		id.azureClientID = annotations["azure.workload.identity/client-id"]
	}
	return id
}

// Every grant goes to an identity the pods actually get, and every spec's
// grants reach its pods: an AWS permissions policy sits on a role the pods
// assume, a GCP binding names the member the pods present, an Azure role
// assignment names the client ID the pods sign in as.
func TestEveryGrantGoesToTheIdentityThePodsGet(t *testing.T) {
	checked := 0
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			specs := readCaseSpecs(t, name)
			trust, err := Build(specs)
			if err != nil {
				t.Fatal(err)
			}
			doc := decodeDocument(t, trust)
			nodes := caseSpecNodes(t, name)
			roles, members, clients := map[string]bool{}, map[string]bool{}, map[string]bool{}
			for i, spec := range specs {
				id := podIdentities(t, nodes[i], spec.Spec, doc)
				s := spec.Spec
				if s.AWS != nil {
					roles[id.awsRole] = true
					if s.AWS.Grants != nil {
						checked++
						granted := false
						for _, r := range doc.AWS.Roles {
							granted = granted || r.RoleARN == id.awsRole && len(r.PermissionsPolicy)+len(r.ManagedPolicyARNs) > 0
						}
						if !granted {
							t.Errorf("%s: the pods get role %q, which has none of the spec's grants", spec.Metadata.Name, id.awsRole)
						}
					}
				}
				if s.GCP != nil {
					members[id.gcpMember] = true
					if s.GCP.Grants != nil {
						checked++
						for _, g := range s.GCP.Grants.GCS {
							if !hasBinding(doc, "//storage.googleapis.com/projects/_/buckets/"+g.Bucket, id.gcpMember) {
								t.Errorf("%s: no binding on bucket %s for %s, the member the pods present", spec.Metadata.Name, g.Bucket, id.gcpMember)
							}
						}
						for _, g := range s.GCP.Grants.Roles {
							if !hasBinding(doc, g.Resource, id.gcpMember) {
								t.Errorf("%s: no binding on %s for %s, the member the pods present", spec.Metadata.Name, g.Resource, id.gcpMember)
							}
						}
					}
				}
				if s.Azure != nil {
					clients[id.azureClientID] = true
					if s.Azure.Grants != nil {
						checked++
						if !slices.ContainsFunc(doc.Azure.RoleAssignments, func(a map[string]string) bool { return a["clientId"] == id.azureClientID }) {
							t.Errorf("%s: no role assignment for client ID %q, the one the pods sign in as", spec.Metadata.Name, id.azureClientID)
						}
					}
				}
			}
			if doc.AWS != nil {
				for _, r := range doc.AWS.Roles {
					if len(r.PermissionsPolicy)+len(r.ManagedPolicyARNs) > 0 && !roles[r.RoleARN] {
						t.Errorf("role %s has grants but no pod gets it (pods get %v)", r.RoleARN, roles)
					}
				}
			}
			if doc.GCP != nil {
				for _, b := range doc.GCP.ResourceBindings {
					if !members[fmt.Sprint(b["member"])] {
						t.Errorf("binding on %v goes to %v, which no pod presents (pods present %v)", b["resource"], b["member"], members)
					}
				}
			}
			if doc.Azure != nil {
				for _, a := range doc.Azure.RoleAssignments {
					if !clients[a["clientId"]] {
						t.Errorf("role assignment at %s goes to client ID %s, which no pod signs in as", a["scope"], a["clientId"])
					}
				}
			}
		})
	}
	// Guard against a vacuous pass: the grants-* cases grant on each cloud.
	if checked < 10 {
		t.Errorf("only %d specs with grants were checked", checked)
	}
}

func hasBinding(doc document, resource, member string) bool {
	return slices.ContainsFunc(doc.GCP.ResourceBindings, func(b map[string]any) bool {
		return b["resource"] == resource && b["member"] == member
	})
}

// caseSpecNodes are the CrossCloudAccess documents of a case, in the order
// ReadSpecs reads them.
func caseSpecNodes(t *testing.T, name string) []*yaml.RNode {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := kio.FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	var out []*yaml.RNode
	for _, n := range nodes {
		if n.GetKind() == v1alpha1.Kind {
			out = append(out, n)
		}
	}
	return out
}
