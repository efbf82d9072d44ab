package trust

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcpid"
)

// gcpResourceFormat is how each format names a resource of one type: the
// non-authoritative Terraform member resource and its arguments, the gcloud
// command that adds one binding, and the Config Connector kind an
// IAMPolicyMember references (with its external reference format, from
// Config Connector's IAMPolicyMember reference).
type gcpResourceFormat struct {
	terraformType string
	terraformArgs func(gcpid.Resource) [][2]string
	gcloud        func(gcpid.Resource) []string
	// gcloudConditions says the gcloud command takes --condition: an
	// unconditional binding then says --condition=None, which gcloud asks
	// for when the policy already holds conditional bindings.
	gcloudConditions bool
	kccAPIVersion    string
	kccKind          string
	kccExternal      func(gcpid.Resource) string
}

var gcpResourceFormats = map[gcpid.ResourceType]gcpResourceFormat{
	gcpid.TypeBucket: {
		terraformType: "google_storage_bucket_iam_member",
		terraformArgs: func(r gcpid.Resource) [][2]string { return [][2]string{{"bucket", r.ID}} },
		gcloud: func(r gcpid.Resource) []string {
			return []string{"gcloud", "storage", "buckets", "add-iam-policy-binding", "gs://" + r.ID}
		},
		gcloudConditions: true,
		kccAPIVersion:    "storage.cnrm.cloud.google.com/v1beta1", kccKind: "StorageBucket",
		kccExternal: func(r gcpid.Resource) string { return r.ID },
	},
	gcpid.TypeTopic: {
		terraformType: "google_pubsub_topic_iam_member",
		terraformArgs: func(r gcpid.Resource) [][2]string { return [][2]string{{"project", r.Project}, {"topic", r.ID}} },
		gcloud: func(r gcpid.Resource) []string {
			return []string{"gcloud", "pubsub", "topics", "add-iam-policy-binding", r.ID, "--project=" + r.Project}
		},
		kccAPIVersion: "pubsub.cnrm.cloud.google.com/v1beta1", kccKind: "PubSubTopic",
		kccExternal: func(r gcpid.Resource) string { return "projects/" + r.Project + "/topics/" + r.ID },
	},
	gcpid.TypeSubscription: {
		terraformType: "google_pubsub_subscription_iam_member",
		terraformArgs: func(r gcpid.Resource) [][2]string { return [][2]string{{"project", r.Project}, {"subscription", r.ID}} },
		gcloud: func(r gcpid.Resource) []string {
			return []string{"gcloud", "pubsub", "subscriptions", "add-iam-policy-binding", r.ID, "--project=" + r.Project}
		},
		kccAPIVersion: "pubsub.cnrm.cloud.google.com/v1beta1", kccKind: "PubSubSubscription",
		kccExternal: func(r gcpid.Resource) string { return "projects/" + r.Project + "/subscriptions/" + r.ID },
	},
	gcpid.TypeSecret: {
		terraformType: "google_secret_manager_secret_iam_member",
		terraformArgs: func(r gcpid.Resource) [][2]string { return [][2]string{{"project", r.Project}, {"secret_id", r.ID}} },
		gcloud: func(r gcpid.Resource) []string {
			return []string{"gcloud", "secrets", "add-iam-policy-binding", r.ID, "--project=" + r.Project}
		},
		gcloudConditions: true,
		kccAPIVersion:    "secretmanager.cnrm.cloud.google.com/v1beta1", kccKind: "SecretManagerSecret",
		kccExternal: func(r gcpid.Resource) string { return "projects/" + r.Project + "/secrets/" + r.ID },
	},
	gcpid.TypeProject: {
		terraformType: "google_project_iam_member",
		terraformArgs: func(r gcpid.Resource) [][2]string { return [][2]string{{"project", r.Project}} },
		gcloud: func(r gcpid.Resource) []string {
			return []string{"gcloud", "projects", "add-iam-policy-binding", r.Project}
		},
		gcloudConditions: true,
		kccAPIVersion:    "resourcemanager.cnrm.cloud.google.com/v1beta1", kccKind: "Project",
		kccExternal: func(r gcpid.Resource) string { return "projects/" + r.Project },
	},
	gcpid.TypeServiceAccount: {
		terraformType: "google_service_account_iam_member",
		terraformArgs: func(r gcpid.Resource) [][2]string {
			return [][2]string{{"service_account_id", "projects/" + r.Project + "/serviceAccounts/" + r.ID}}
		},
		gcloud: func(r gcpid.Resource) []string {
			return []string{"gcloud", "iam", "service-accounts", "add-iam-policy-binding", r.ID, "--project=" + r.Project}
		},
		gcloudConditions: true,
		kccAPIVersion:    ConfigConnectorIAMAPIVersion, kccKind: "IAMServiceAccount",
		kccExternal: func(r gcpid.Resource) string { return "projects/" + r.Project + "/serviceAccounts/" + r.ID },
	},
}

// gcpBindingTarget parses a binding's resource and finds its formats.
func gcpBindingTarget(b GCPResourceBinding) (gcpid.Resource, gcpResourceFormat, error) {
	r, err := gcpid.ParseResource(b.Resource)
	if err != nil {
		return gcpid.Resource{}, gcpResourceFormat{}, fmt.Errorf("binding of %s to %s: %w", b.Role, b.Member, err)
	}
	format, ok := gcpResourceFormats[r.Type]
	if !ok {
		return gcpid.Resource{}, gcpResourceFormat{}, fmt.Errorf("binding of %s to %s on %s: no format knows resources of type %s", b.Role, b.Member, b.Resource, r.Type)
	}
	return r, format, nil
}

// terraformGCPGrants writes each binding as the resource type's
// non-authoritative *_iam_member, which adds one member and leaves the
// others (never *_iam_binding or *_iam_policy, which remove them).
func terraformGCPGrants(f *terraformFile, t *Trust) error {
	for _, b := range t.GCP.ResourceBindings {
		r, format, err := gcpBindingTarget(b)
		if err != nil {
			return err
		}
		name := f.names.name(format.terraformType+"/"+b.Resource+"/"+b.Role+"/"+b.Member, grantLabel(b, r)...)
		body := f.resource(format.terraformType, name, grantComments(b)...)
		for _, arg := range format.terraformArgs(r) {
			body.SetAttributeValue(arg[0], cty.StringVal(arg[1]))
		}
		body.SetAttributeValue("role", cty.StringVal(b.Role))
		body.SetAttributeRaw("member", gcpMemberTokens(f, t, b.Member))
		if c := b.Condition; c != nil {
			condition := body.AppendNewBlock("condition", nil).Body()
			condition.SetAttributeValue("title", cty.StringVal(c.Title))
			condition.SetAttributeValue("expression", cty.StringVal(c.Expression))
		}
	}
	return nil
}

// gcpMemberTokens is the member as HCL: a principal of a pool this output
// creates refers to the pool (so the grant comes after it), as
// terraformGCP's workloadIdentityUser grants do; any other is a string.
func gcpMemberTokens(f *terraformFile, t *Trust, member string) hclwrite.Tokens {
	pool, subject, ok := principalPool(member)
	if !ok {
		return stringTokens(member)
	}
	for _, p := range t.GCP.WorkloadIdentityPools {
		if p.ProjectNumber == pool.projectNumber && p.PoolID == pool.poolID {
			ref := f.names.name("google_iam_workload_identity_pool/"+p.ProjectNumber+"/"+p.PoolID, p.PoolID)
			return interpolation(gcpid.PrincipalPrefix, reference("google_iam_workload_identity_pool", ref, "name"), gcpid.PrincipalSubject+subject)
		}
	}
	return stringTokens(member)
}

// shellGCPGrants writes each binding as the resource type's gcloud
// add-iam-policy-binding, with its condition as gcloud's --condition
// dictionary.
func shellGCPGrants(s *shellScript, t *Trust) error {
	for _, b := range t.GCP.ResourceBindings {
		r, format, err := gcpBindingTarget(b)
		if err != nil {
			return err
		}
		args := append(format.gcloud(r), "--member="+b.Member, "--role="+b.Role)
		switch {
		case b.Condition != nil:
			condition, err := gcloudList([]string{"expression=" + b.Condition.Expression, "title=" + b.Condition.Title})
			if err != nil {
				return fmt.Errorf("the condition of %s on %s: %w", b.Role, b.Resource, err)
			}
			args = append(args, "--condition="+condition)
		case format.gcloudConditions:
			args = append(args, "--condition=None")
		}
		s.section(grantComments(b)...)
		s.command(args...)
	}
	return nil
}

// krmGCPGrants writes each binding as a Config Connector IAMPolicyMember
// referencing the resource by its external name.
func krmGCPGrants(o *krmOutput, t *Trust) error {
	for _, b := range t.GCP.ResourceBindings {
		r, format, err := gcpBindingTarget(b)
		if err != nil {
			return err
		}
		o.add(ConfigConnectorIAMAPIVersion, "IAMPolicyMember", b.Resource+"/"+b.Role+"/"+b.Member, grantLabel(b, r),
			kccPolicyMemberSpec{
				Member: b.Member, Role: b.Role,
				ResourceRef: kccRef{APIVersion: format.kccAPIVersion, Kind: format.kccKind, External: format.kccExternal(r)},
				Condition:   b.Condition,
			}, strings.Join(grantComments(b), " "))
	}
	return nil
}

// grantComments say who gets which role on what, and what a condition
// asks of the bucket.
func grantComments(b GCPResourceBinding) []string {
	lines := []string{fmt.Sprintf("Let %s use %s on %s.", b.Member, b.Role, b.Resource)}
	if b.Condition != nil {
		lines = append(lines, "Only objects under the prefixes in the condition, and listings of them; IAM conditions need uniform bucket-level access on the bucket.")
	}
	return lines
}

// grantLabel is the readable name of a binding: who, the role's last word
// and the resource's own ID.
func grantLabel(b GCPResourceBinding, r gcpid.Resource) []string {
	role := b.Role[strings.LastIndex(b.Role, "/")+1:]
	role = role[strings.LastIndex(role, ".")+1:]
	return []string{memberLabel(b.Member), role, strings.Split(r.ID, "@")[0]}
}

// memberLabel is a member as a few readable words: the ServiceAccount of a
// principal, or the name of a Google service account.
func memberLabel(member string) string {
	if _, subject, ok := principalPool(member); ok {
		return strings.ReplaceAll(readableSubject(subject), "/", "_")
	}
	if email, ok := strings.CutPrefix(member, workloadIdentityPrefix); ok {
		return strings.Split(email, "@")[0]
	}
	return member
}
