package trust

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
)

// isServiceAccountGrant reports whether b, written as a service account
// binding, is one of the trust's grants rather than one of its
// workloadIdentityUser bindings.
func isServiceAccountGrant(t *Trust, b GCPIAMBinding) bool {
	if t.GCP == nil {
		return false
	}
	email := b.Resource[strings.LastIndex(b.Resource, "/")+1:]
	return slices.ContainsFunc(t.GCP.ResourceBindings, func(g GCPResourceBinding) bool {
		r, err := gcpid.ParseResource(g.Resource)
		return err == nil && r.Type == gcpid.TypeServiceAccount && r.ID == email && g.Role == b.Role && g.Member == b.Member
	})
}

// grants is what a format says the clouds must grant, in the trust
// document's own types, so every format can be compared with it.
type grants struct {
	Policies    map[string]*PermissionsPolicy // by role name
	Managed     map[string][]string           // by role name
	Bindings    []GCPResourceBinding
	Assignments []AzureRoleAssignment
}

// grantsOfTrust is what the trust document grants.
func grantsOfTrust(t *Trust) grants {
	g := grants{Policies: map[string]*PermissionsPolicy{}, Managed: map[string][]string{}}
	if t.AWS != nil {
		for _, r := range t.AWS.Roles {
			role, _ := arn.ParseRole(r.RoleARN)
			if r.PermissionsPolicy != nil {
				g.Policies[role.Name] = r.PermissionsPolicy
			}
			if len(r.ManagedPolicyARNs) > 0 {
				g.Managed[role.Name] = r.ManagedPolicyARNs
			}
		}
	}
	if t.GCP != nil {
		g.Bindings = t.GCP.ResourceBindings
	}
	if t.Azure != nil {
		g.Assignments = t.Azure.RoleAssignments
	}
	return g.sorted()
}

func (g grants) sorted() grants {
	for _, m := range g.Managed {
		slices.Sort(m)
	}
	slices.SortFunc(g.Bindings, func(a, b GCPResourceBinding) int {
		return cmpStrings(a.Resource, b.Resource, a.Role, b.Role, a.Member, b.Member)
	})
	slices.SortFunc(g.Assignments, func(a, b AzureRoleAssignment) int {
		return cmpStrings(a.ClientID, b.ClientID, a.Scope, b.Scope, a.RoleDefinitionID, b.RoleDefinitionID)
	})
	return g
}

// grantCases are the golden cases that grant something.
func grantCases(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, name := range goldenCases(t) {
		if g := grantsOfTrust(buildCase(t, name)); len(g.Policies)+len(g.Managed)+len(g.Bindings)+len(g.Assignments) > 0 {
			out = append(out, name)
		}
	}
	if len(out) < 7 {
		t.Fatalf("%d golden cases grant something; want the grants-* cases", len(out))
	}
	return out
}

// Each format says, in its own syntax, exactly what the JSON document
// grants: the HCL evaluated, the shell commands run (with recording stubs)
// and the KRM objects read back all give the document's policies, managed
// policies, bindings and role assignments.
func TestGrantsInEveryFormatAreTheTrustDocuments(t *testing.T) {
	for _, name := range grantCases(t) {
		trust := buildCase(t, name)
		want := grantsOfTrust(trust)
		for format, read := range map[string]func(*testing.T, *Trust) grants{
			"terraform": terraformGrants, "shell": shellGrants, "krm": krmGrants,
		} {
			t.Run(name+"/"+format, func(t *testing.T) {
				if diff := cmp.Diff(want, read(t, trust).sorted()); diff != "" {
					t.Errorf("grants (-json +%s):\n%s", format, diff)
				}
			})
		}
	}
}

// terraformGrants evaluates the grant resources of the rendered HCL.
func terraformGrants(t *testing.T, trust *Trust) grants {
	t.Helper()
	body := parseHCL(t, renderTerraform(t, trust))
	ctx := terraformContext(t, body, trust)
	roles, principals := map[string]cty.Value{}, map[string]cty.Value{}
	clientOf := map[string]string{} // data source label -> client ID
	for _, block := range body.Blocks {
		switch {
		case block.Type == "resource" && block.Labels[0] == "aws_iam_role":
			roles[block.Labels[1]] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(evalString(t, block.Body.Attributes["name"].Expr, nil))})
		case block.Type == "data" && block.Labels[0] == "azuread_service_principal":
			id := evalString(t, block.Body.Attributes["client_id"].Expr, nil)
			principals[block.Labels[1]] = cty.ObjectVal(map[string]cty.Value{"object_id": cty.StringVal("object-of-" + id)})
			clientOf["object-of-"+id] = id
		}
	}
	if len(roles) > 0 {
		ctx.Variables["aws_iam_role"] = cty.ObjectVal(roles)
	}
	if len(principals) > 0 {
		ctx.Variables["data"] = cty.ObjectVal(map[string]cty.Value{"azuread_service_principal": cty.ObjectVal(principals)})
	}
	ctx.Functions = map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc}
	attr := func(b *hclsyntax.Block, name string) string { return evalString(t, b.Body.Attributes[name].Expr, ctx) }
	g := grants{Policies: map[string]*PermissionsPolicy{}, Managed: map[string][]string{}}
	for _, block := range body.Blocks {
		if block.Type != "resource" {
			continue
		}
		switch typ := block.Labels[0]; typ {
		case "aws_iam_role_policy":
			if name := attr(block, "name"); name != InlinePolicyName {
				t.Errorf("%s names inline policy %q, want %q", block.Labels[1], name, InlinePolicyName)
			}
			var p PermissionsPolicy
			if err := json.Unmarshal([]byte(attr(block, "policy")), &p); err != nil {
				t.Fatal(err)
			}
			g.Policies[attr(block, "role")] = &p
		case "aws_iam_role_policy_attachment":
			role := attr(block, "role")
			g.Managed[role] = append(g.Managed[role], attr(block, "policy_arn"))
		case "azurerm_role_assignment":
			if got := attr(block, "principal_type"); got != "ServicePrincipal" {
				t.Errorf("%s principal_type = %q", block.Labels[1], got)
			}
			g.Assignments = append(g.Assignments, AzureRoleAssignment{
				Scope: attr(block, "scope"), RoleDefinitionID: attr(block, "role_definition_id"), ClientID: clientOf[attr(block, "principal_id")],
				Role: roleNameOf(trust, attr(block, "role_definition_id")),
			})
		default:
			b, ok := terraformBinding(t, block, typ, attr)
			if !ok {
				continue
			}
			if typ == "google_service_account_iam_member" && !isServiceAccountGrant(trust, GCPIAMBinding{Resource: strings.TrimPrefix(b.Resource, "//iam.googleapis.com/"), Role: b.Role, Member: b.Member}) {
				continue // a workloadIdentityUser binding of the trust
			}
			g.Bindings = append(g.Bindings, b)
		}
	}
	return g
}

// terraformBinding reads a *_iam_member resource back into the binding it
// makes, by the arguments gcpResourceFormats gives its type.
func terraformBinding(t *testing.T, block *hclsyntax.Block, typ string, attr func(*hclsyntax.Block, string) string) (GCPResourceBinding, bool) {
	t.Helper()
	for rtype, format := range gcpResourceFormats {
		if format.terraformType != typ {
			continue
		}
		args := map[string]string{}
		for name := range block.Body.Attributes {
			if name != "role" && name != "member" {
				args[name] = attr(block, name)
			}
		}
		b := GCPResourceBinding{Resource: fullResourceName(rtype, args), Role: attr(block, "role"), Member: attr(block, "member")}
		for _, c := range block.Body.Blocks {
			if c.Type == "condition" {
				b.Condition = &GCPCondition{Title: attr(c, "title"), Expression: attr(c, "expression")}
			}
		}
		return b, true
	}
	return GCPResourceBinding{}, false
}

// fullResourceName writes a resource's full name from a Terraform member
// resource's arguments.
func fullResourceName(typ gcpid.ResourceType, args map[string]string) string {
	switch typ {
	case gcpid.TypeBucket:
		return gcpid.BucketResource(args["bucket"])
	case gcpid.TypeTopic:
		return "//pubsub.googleapis.com/projects/" + args["project"] + "/topics/" + args["topic"]
	case gcpid.TypeSubscription:
		return "//pubsub.googleapis.com/projects/" + args["project"] + "/subscriptions/" + args["subscription"]
	case gcpid.TypeSecret:
		return "//secretmanager.googleapis.com/projects/" + args["project"] + "/secrets/" + args["secret_id"]
	case gcpid.TypeProject:
		return "//cloudresourcemanager.googleapis.com/projects/" + args["project"]
	case gcpid.TypeServiceAccount:
		return "//iam.googleapis.com/" + args["service_account_id"]
	}
	return fmt.Sprintf("<unknown type %s %v>", typ, args)
}

// roleNameOf is the name the trust gives a role definition ID.
func roleNameOf(t *Trust, roleDefinitionID string) string {
	for _, a := range t.Azure.RoleAssignments {
		if a.RoleDefinitionID == roleDefinitionID {
			return a.Role
		}
	}
	return "<unknown " + roleDefinitionID + ">"
}

// shellGrants runs the rendered script with recording stubs and reads the
// grant commands back.
func shellGrants(t *testing.T, trust *Trust) grants {
	t.Helper()
	g := grants{Policies: map[string]*PermissionsPolicy{}, Managed: map[string][]string{}}
	for _, c := range runWithStubs(t, renderShell(t, trust)) {
		switch verb := strings.Join(c, " "); {
		case strings.HasPrefix(verb, "aws iam put-role-policy "):
			if name := flagValue(c, "--policy-name"); name != InlinePolicyName {
				t.Errorf("put-role-policy --policy-name %q, want %q", name, InlinePolicyName)
			}
			var p PermissionsPolicy
			if err := json.Unmarshal([]byte(flagValue(c, "--policy-document")), &p); err != nil {
				t.Fatal(err)
			}
			g.Policies[flagValue(c, "--role-name")] = &p
		case strings.HasPrefix(verb, "aws iam attach-role-policy "):
			role := flagValue(c, "--role-name")
			g.Managed[role] = append(g.Managed[role], flagValue(c, "--policy-arn"))
		case strings.HasPrefix(verb, "az role assignment create "):
			id := "/subscriptions/" + strings.Split(flagValue(c, "--scope"), "/")[2] + "/providers/Microsoft.Authorization/roleDefinitions/" + flagValue(c, "--role")
			g.Assignments = append(g.Assignments, AzureRoleAssignment{
				Scope: flagValue(c, "--scope"), Role: roleNameOf(trust, id), RoleDefinitionID: id, ClientID: flagValue(c, "--assignee"),
			})
		case strings.HasPrefix(verb, "gcloud ") && slices.Contains(c, "add-iam-policy-binding"):
			b := gcloudBinding(t, c)
			if b.Role == GCPWorkloadIdentityUserRole && !isServiceAccountGrant(trust, GCPIAMBinding{Resource: b.Resource, Role: b.Role, Member: b.Member}) {
				continue // a workloadIdentityUser binding of the trust
			}
			g.Bindings = append(g.Bindings, b)
		}
	}
	return g
}

// gcloudBinding reads an add-iam-policy-binding command back into the
// binding it makes, reading --condition as gcloud's dictionary flag does.
func gcloudBinding(t *testing.T, c []string) GCPResourceBinding {
	t.Helper()
	i := slices.Index(c, "add-iam-policy-binding")
	id, project := c[i+1], flagValue(c, "--project")
	var resource string
	switch strings.Join(c[1:i], " ") {
	case "storage buckets":
		resource = gcpid.BucketResource(strings.TrimPrefix(id, "gs://"))
	case "pubsub topics":
		resource = "//pubsub.googleapis.com/projects/" + project + "/topics/" + id
	case "pubsub subscriptions":
		resource = "//pubsub.googleapis.com/projects/" + project + "/subscriptions/" + id
	case "secrets":
		resource = "//secretmanager.googleapis.com/projects/" + project + "/secrets/" + id
	case "projects":
		resource = "//cloudresourcemanager.googleapis.com/projects/" + id
	case "iam service-accounts":
		resource = "//iam.googleapis.com/projects/" + project + "/serviceAccounts/" + id
	default:
		t.Fatalf("unknown gcloud binding command %q", c)
	}
	b := GCPResourceBinding{Resource: resource, Role: flagValue(c, "--role"), Member: flagValue(c, "--member")}
	if condition := flagValue(c, "--condition"); !strings.HasPrefix(condition, "<missing") && condition != "None" {
		b.Condition = &GCPCondition{}
		for _, item := range gcloudArgList(condition) {
			key, value, _ := strings.Cut(item, "=")
			switch key {
			case "title":
				b.Condition.Title = value
			case "expression":
				b.Condition.Expression = value
			default:
				t.Errorf("--condition has key %q", key)
			}
		}
	}
	return b
}

// krmGrants reads the grants back from the rendered objects.
func krmGrants(t *testing.T, trust *Trust) grants {
	t.Helper()
	objects, _ := renderKRMObjects(t, trust)
	g := grants{Policies: map[string]*PermissionsPolicy{}, Managed: map[string][]string{}}
	for _, o := range objects {
		switch o.GetKind() {
		case "Role":
			role := field(t, o, "spec", "name")
			if inline, _ := o.Pipe(yaml.Lookup("spec", "inlinePolicies")); inline != nil {
				var p PermissionsPolicy
				if err := json.Unmarshal([]byte(field(t, o, "spec", "inlinePolicies", InlinePolicyName)), &p); err != nil {
					t.Fatal(err)
				}
				g.Policies[role] = &p
			}
			if policies, _ := o.Pipe(yaml.Lookup("spec", "policies")); policies != nil {
				for _, e := range policies.Content() {
					g.Managed[role] = append(g.Managed[role], e.Value)
				}
			}
		case "IAMPolicyMember":
			kind, external := field(t, o, "spec", "resourceRef", "kind"), field(t, o, "spec", "resourceRef", "external")
			b := GCPResourceBinding{Role: field(t, o, "spec", "role"), Member: field(t, o, "spec", "member")}
			for rtype, format := range gcpResourceFormats {
				if format.kccKind == kind {
					b.Resource = kccFullName(rtype, external)
				}
			}
			if kind == "IAMServiceAccount" && !isServiceAccountGrant(trust, GCPIAMBinding{Resource: external, Role: b.Role, Member: b.Member}) {
				continue // a workloadIdentityUser binding of the trust
			}
			if c, _ := o.Pipe(yaml.Lookup("spec", "condition")); c != nil {
				b.Condition = &GCPCondition{Title: field(t, o, "spec", "condition", "title"), Expression: field(t, o, "spec", "condition", "expression")}
			}
			g.Bindings = append(g.Bindings, b)
		case "RoleAssignment":
			id := field(t, o, "spec", "roleDefinitionReference", "armId")
			g.Assignments = append(g.Assignments, AzureRoleAssignment{
				Scope: field(t, o, "spec", "owner", "armId"), RoleDefinitionID: id, Role: roleNameOf(trust, id),
				ClientID: strings.TrimPrefix(field(t, o, "spec", "principalIdFromConfig", "name"), "azure-principal-"),
			})
		}
	}
	return g
}

// kccFullName writes a resource's full name from Config Connector's
// external reference.
func kccFullName(typ gcpid.ResourceType, external string) string {
	switch typ {
	case gcpid.TypeBucket:
		return gcpid.BucketResource(external)
	case gcpid.TypeTopic, gcpid.TypeSubscription:
		return "//pubsub.googleapis.com/" + external
	case gcpid.TypeSecret:
		return "//secretmanager.googleapis.com/" + external
	case gcpid.TypeProject:
		return "//cloudresourcemanager.googleapis.com/" + external
	case gcpid.TypeServiceAccount:
		return "//iam.googleapis.com/" + external
	}
	return "<unknown " + external + ">"
}

// Every resource type a grant may name has a row in every format, so
// validation and rendering can never disagree on what is renderable.
func TestEveryGrantableResourceTypeHasAFormat(t *testing.T) {
	for _, typ := range gcpid.ResourceTypes() {
		f, ok := gcpResourceFormats[typ]
		if !ok || f.terraformType == "" || f.kccKind == "" || f.gcloud == nil || f.terraformArgs == nil || f.kccExternal == nil {
			t.Errorf("resource type %s has no complete format row", typ)
		}
		if strings.HasSuffix(f.terraformType, "_iam_binding") || strings.HasSuffix(f.terraformType, "_iam_policy") || !strings.HasSuffix(f.terraformType, "_iam_member") {
			t.Errorf("%s renders as %s; want a non-authoritative *_iam_member", typ, f.terraformType)
		}
	}
	if len(gcpResourceFormats) != len(gcpid.ResourceTypes()) {
		t.Errorf("%d format rows for %d resource types", len(gcpResourceFormats), len(gcpid.ResourceTypes()))
	}
}
