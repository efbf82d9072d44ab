package trust

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
)

// terraformAWSGrants writes each role's permissions: its inline policy as an
// aws_iam_role_policy and each managed policy as an
// aws_iam_role_policy_attachment. Both leave the role's other policies
// alone (unlike aws_iam_role's inline_policy and managed_policy_arns, which
// own them all).
func terraformAWSGrants(f *terraformFile, t *Trust) error {
	return eachGrantedRole(t, func(r AWSRole, role arn.Role) error {
		// The role's resource, by the name terraformAWS gave it: referring
		// to it orders the policies after the role exists.
		roleName := hclwrite.TokensForTraversal(reference("aws_iam_role", f.names.name("aws_iam_role/"+r.RoleARN, role.Name), "name"))
		if p := r.PermissionsPolicy; p != nil {
			name := f.names.name("aws_iam_role_policy/"+r.RoleARN, role.Name, "permissions")
			body := f.resource("aws_iam_role_policy", name, permissionsComment(role)+" Its other inline and managed policies stay.")
			body.SetAttributeValue("name", cty.StringVal(InlinePolicyName))
			body.SetAttributeRaw("role", roleName)
			body.SetAttributeRaw("policy", hclwrite.TokensForFunctionCall("jsonencode", permissionsPolicyTokens(p)))
		}
		for _, policy := range r.ManagedPolicyARNs {
			name := f.names.name("aws_iam_role_policy_attachment/"+r.RoleARN+"/"+policy, role.Name, managedPolicyName(policy))
			body := f.resource("aws_iam_role_policy_attachment", name, attachmentComment(role, policy))
			body.SetAttributeRaw("role", roleName)
			body.SetAttributeValue("policy_arn", cty.StringVal(policy))
		}
		return nil
	})
}

// eachGrantedRole calls write for each role that has permissions, with its
// parsed ARN, and stops at the first error.
func eachGrantedRole(t *Trust, write func(AWSRole, arn.Role) error) error {
	for _, r := range t.AWS.Roles {
		if r.PermissionsPolicy == nil && len(r.ManagedPolicyARNs) == 0 {
			continue
		}
		role, err := parseTrustedRole(r)
		if err != nil {
			return err
		}
		if err := write(r, role); err != nil {
			return err
		}
	}
	return nil
}

// permissionsPolicyTokens is the policy as an HCL object for jsonencode, in
// the layout of the trust policy beside it.
func permissionsPolicyTokens(p *PermissionsPolicy) hclwrite.Tokens {
	statements := make([]hclwrite.Tokens, len(p.Statement))
	for i, s := range p.Statement {
		fields := []hclwrite.ObjectAttrTokens{
			objectField("Effect", stringTokens(s.Effect)),
			objectField("Action", hclwrite.TokensForValue(stringList(s.Action))),
			objectField("Resource", hclwrite.TokensForValue(stringList(s.Resource))),
		}
		if len(s.Condition) > 0 {
			operators := make([]hclwrite.ObjectAttrTokens, 0, len(s.Condition))
			for _, op := range sortedKeys(s.Condition) {
				keys := make([]hclwrite.ObjectAttrTokens, 0, len(s.Condition[op]))
				for _, k := range sortedKeys(s.Condition[op]) {
					keys = append(keys, hclwrite.ObjectAttrTokens{Name: stringTokens(k), Value: hclwrite.TokensForValue(stringList(s.Condition[op][k]))})
				}
				operators = append(operators, objectField(op, hclwrite.TokensForObject(keys)))
			}
			fields = append(fields, objectField("Condition", hclwrite.TokensForObject(operators)))
		}
		statements[i] = hclwrite.TokensForObject(fields)
	}
	return hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
		objectField("Version", stringTokens(p.Version)),
		objectField("Statement", multilineTupleTokens(statements)),
	})
}

// shellAWSGrants writes put-role-policy for each role's inline policy and
// attach-role-policy for each managed policy.
func shellAWSGrants(s *shellScript, t *Trust) error {
	return eachGrantedRole(t, func(r AWSRole, role arn.Role) error {
		if p := r.PermissionsPolicy; p != nil {
			policy, err := oneLineJSON(p)
			if err != nil {
				return err
			}
			s.section(permissionsComment(role) + " This replaces its inline policy " + InlinePolicyName + "; its other policies stay.")
			s.command("aws", "iam", "put-role-policy", "--role-name", role.Name, "--policy-name", InlinePolicyName, "--policy-document", policy)
		}
		for _, policy := range r.ManagedPolicyARNs {
			s.section(attachmentComment(role, policy))
			s.command("aws", "iam", "attach-role-policy", "--role-name", role.Name, "--policy-arn", policy)
		}
		return nil
	})
}

// krmAWSGrants notes what the ACK Role's policy fields mean: krmAWS writes
// them on the role's one Role object (ackRoleGrants), since two objects
// for one IAM role would undo each other.
func krmAWSGrants(o *krmOutput, _ *Trust) error {
	o.note("AWS: each Role's inlinePolicies and policies are the role's whole set: the ACK controller removes inline and managed policies the Role does not list.")
	return nil
}

// ackRoleGrants are the ACK Role's inlinePolicies (the inline policy as a
// JSON string, by name) and policies (managed policy ARNs) for a role's
// grants; both nil when it has none.
func ackRoleGrants(r AWSRole) (map[string]string, []string, error) {
	var inline map[string]string
	if r.PermissionsPolicy != nil {
		policy, err := encodeJSON(r.PermissionsPolicy)
		if err != nil {
			return nil, nil, err
		}
		inline = map[string]string{InlinePolicyName: string(policy)}
	}
	return inline, r.ManagedPolicyARNs, nil
}

// permissionsNote ends the comment on an aws_iam_role: where its
// permissions come from.
func permissionsNote(r AWSRole) string {
	if r.PermissionsPolicy == nil && len(r.ManagedPolicyARNs) == 0 {
		return ". Attach its permissions separately."
	}
	return ". Its permissions follow."
}

func permissionsComment(role arn.Role) string {
	return fmt.Sprintf("AWS account %s: what role %s may do.", role.Account, role.Name)
}

func attachmentComment(role arn.Role, policy string) string {
	return fmt.Sprintf("AWS account %s: role %s also gets managed policy %s.", role.Account, role.Name, policy)
}

// managedPolicyName is the last part of a managed policy ARN, for names.
func managedPolicyName(policyARN string) string {
	return policyARN[strings.LastIndex(policyARN, "/")+1:]
}
