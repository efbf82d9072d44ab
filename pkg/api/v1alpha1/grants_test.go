package v1alpha1

import (
	"strconv"
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

const (
	grantsRole  = "  aws:\n    roleArn: arn:aws:iam::111122223333:role/r\n"
	grantsGCP   = "  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: prov}\n"
	grantsAzure = "  azure:\n    tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47\n    clientId: 0e5a3f8c-1b2d-4c6e-9f70-123456789abc\n"
	storageID   = "/subscriptions/72f988bf-86f1-41af-91ab-2d7cd011db47/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/oidcexp"
)

func TestValidGrantsPass(t *testing.T) {
	for name, extra := range map[string]string{
		"the article's S3 read": grantsRole + "    grants: {s3: [{bucket: oidc-exp-s3-bucket, level: read}]}\n",
		"S3 prefix, write":      grantsRole + "    grants: {s3: [{bucket: b-c-d, prefix: 'reports/date=2026-01-01/', level: write}]}\n",
		"statements and managed policies": grantsRole + `    grants:
      managedPolicyArns: [arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess]
      statements:
      - actions: [sqs:ReceiveMessage, sqs:DeleteMessage]
        resources: [arn:aws:sqs:eu-west-2:111122223333:jobs, 'arn:aws:s3:::b-c-d/reports/*']
`,
		"per namespace with pod identity": "  cluster: {provider: eks, issuer: 'https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC', eks: {clusterName: c}}\n" +
			"  aws:\n    roleArn: arn:aws:iam::111122223333:role/r\n    mode: podIdentity\n    grants: {s3: [{bucket: shared, perNamespace: true, prefix: reports/}]}\n",
		"the article's GCS objectViewer":    grantsGCP[:len(grantsGCP)-2] + ", grants: {gcs: [{bucket: oidc-exp-gcs-bucket}]}}\n",
		"GCS prefix and a topic role":       grantsGCP[:len(grantsGCP)-2] + ", grants: {gcs: [{bucket: b_c_d, prefix: a/, level: readWrite}], roles: [{role: roles/pubsub.subscriber, resource: '//pubsub.googleapis.com/projects/my-project/subscriptions/jobs'}]}}\n",
		"an Azure container":                grantsAzure + "    grants: {blob: [{storageAccount: '" + storageID + "', container: data}]}\n",
		"an Azure role by name and by GUID": grantsAzure + "    grants: {roles: [{role: Storage Queue Data Reader, scope: '" + storageID + "/queueServices/default/queues/jobs'}, {role: 11111111-2222-3333-4444-555555555555, scope: '" + storageID + "'}]}\n",
	} {
		t.Run(name, func(t *testing.T) {
			doc := base + extra
			if strings.Contains(extra, "provider: eks") {
				doc = strings.Replace(doc, `  cluster: {provider: generic, issuer: "https://kubernetes.example.com"}`+"\n", "", 1)
			}
			c, errs := Decode(kyaml.MustParse(doc))
			if c == nil || len(errs) != 0 {
				t.Fatalf("want a valid spec, got %v", errs)
			}
		})
	}
}

// Grants default to the least level: read.
func TestGrantLevelDefaultsToRead(t *testing.T) {
	c, errs := decode(t, grantsRole+"    grants: {s3: [{bucket: b-c-d}]}\n"+grantsGCP[:len(grantsGCP)-2]+", grants: {gcs: [{bucket: b-c-d}]}}\n"+grantsAzure+"    grants: {blob: [{storageAccount: '"+storageID+"', container: data}]}\n")
	if c == nil {
		t.Fatal(errs)
	}
	if got := []GrantLevel{c.Spec.AWS.Grants.S3[0].Level, c.Spec.GCP.Grants.GCS[0].Level, c.Spec.Azure.Grants.Blob[0].Level}; got[0] != LevelRead || got[1] != LevelRead || got[2] != LevelRead {
		t.Errorf("levels %v, want read everywhere", got)
	}
}

// hostile are values that must never reach a policy, a command line or
// generated code: wildcards, line breaks, command substitution, traversal,
// a leading "-", policy variables.
var hostile = []string{"*", "a\nb", "a\u2028b", "a\u0085b", "$(touch pwned)", "`id`", "../../x", "-rf", "${aws:username}", "a b", "a'b\"c"}

func TestInvalidGrantsNameTheField(t *testing.T) {
	type tc struct{ name, extra, field, mentions string }
	cases := []tc{
		{"empty aws grants", grantsRole + "    grants: {}\n", "spec.aws.grants", "grants nothing"},
		{"no bucket", grantsRole + "    grants: {s3: [{prefix: a/}]}\n", "spec.aws.grants.s3[0].bucket", "required"},
		{"s3 bucket uppercase", grantsRole + "    grants: {s3: [{bucket: Bucket}]}\n", "spec.aws.grants.s3[0].bucket", "lowercase"},
		{"s3 level", grantsRole + "    grants: {s3: [{bucket: b-c-d, level: admin}]}\n", "spec.aws.grants.s3[0].level", "readWrite"},
		{"s3 prefix wildcard", grantsRole + "    grants: {s3: [{bucket: b-c-d, prefix: 'a/*'}]}\n", "spec.aws.grants.s3[0].prefix", "wildcard"},
		{"s3 prefix leading slash", grantsRole + "    grants: {s3: [{bucket: b-c-d, prefix: /a}]}\n", "spec.aws.grants.s3[0].prefix", "starts with /"},
		{"per namespace without pod identity", grantsRole + "    grants: {s3: [{bucket: b-c-d, perNamespace: true}]}\n", "spec.aws.grants.s3[0].perNamespace", "podIdentity"},
		{"action *", grantsRole + "    grants: {statements: [{actions: ['*'], resources: ['arn:aws:sqs:eu-west-2:111122223333:jobs']}]}\n", "spec.aws.grants.statements[0].actions[0]", "wildcard"},
		{"action s3:*", grantsRole + "    grants: {statements: [{actions: ['s3:*'], resources: ['arn:aws:s3:::b-c-d']}]}\n", "spec.aws.grants.statements[0].actions[0]", "wildcard"},
		{"action s3:Get*", grantsRole + "    grants: {statements: [{actions: ['s3:Get*'], resources: ['arn:aws:s3:::b-c-d']}]}\n", "spec.aws.grants.statements[0].actions[0]", "each action listed"},
		{"resource *", grantsRole + "    grants: {statements: [{actions: [s3:GetObject], resources: ['*']}]}\n", "spec.aws.grants.statements[0].resources[0]", "every resource"},
		{"resource every bucket", grantsRole + "    grants: {statements: [{actions: [s3:GetObject], resources: ['arn:aws:s3:::*']}]}\n", "spec.aws.grants.statements[0].resources[0]", "wildcard"},
		{"resource other partition", grantsRole + "    grants: {statements: [{actions: [s3:GetObject], resources: ['arn:aws-cn:s3:::b-c-d']}]}\n", "spec.aws.grants.statements[0].resources[0]", "partition"},
		{"no actions", grantsRole + "    grants: {statements: [{actions: [], resources: ['arn:aws:s3:::b-c-d']}]}\n", "spec.aws.grants.statements[0].actions", "at least one"},
		{"no resources", grantsRole + "    grants: {statements: [{actions: [s3:GetObject], resources: []}]}\n", "spec.aws.grants.statements[0].resources", "at least one"},
		{"managed policy other partition", grantsRole + "    grants: {managedPolicyArns: ['arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess']}\n", "spec.aws.grants.managedPolicyArns[0]", "partition"},
		{"unknown grants field", grantsRole + "    grants: {s3: [{bucket: b-c-d, acl: public-read}]}\n", "spec.aws.grants.s3[0].acl", "valid fields: bucket, level, perNamespace, prefix"},
		{"empty gcp grants", grantsGCP[:len(grantsGCP)-2] + ", grants: {}}\n", "spec.gcp.grants", "grants nothing"},
		{"gcs bucket google", grantsGCP[:len(grantsGCP)-2] + ", grants: {gcs: [{bucket: my-google-bucket}]}}\n", "spec.gcp.grants.gcs[0].bucket", "google"},
		{"gcs prefix wildcard", grantsGCP[:len(grantsGCP)-2] + ", grants: {gcs: [{bucket: b-c-d, prefix: 'a?'}]}}\n", "spec.gcp.grants.gcs[0].prefix", "wildcard"},
		{"gcp basic role", grantsGCP[:len(grantsGCP)-2] + ", grants: {roles: [{role: roles/editor, resource: '//cloudresourcemanager.googleapis.com/projects/my-project'}]}}\n", "spec.gcp.grants.roles[0].role", "basic role"},
		{"gcp wildcard resource", grantsGCP[:len(grantsGCP)-2] + ", grants: {roles: [{role: roles/pubsub.subscriber, resource: '//pubsub.googleapis.com/projects/my-project/subscriptions/*'}]}}\n", "spec.gcp.grants.roles[0].resource", "wildcard"},
		{"gcp unknown resource type", grantsGCP[:len(grantsGCP)-2] + ", grants: {roles: [{role: roles/compute.viewer, resource: '//compute.googleapis.com/projects/p/zones/z/instances/i'}]}}\n", "spec.gcp.grants.roles[0].resource", "full resource name"},
		{"azure grants without clientId", "  azure:\n    tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47\n    grants: {blob: [{storageAccount: '" + storageID + "', container: data}]}\n", "spec.azure.clientId", "role assignments"},
		{"azure storage account not one", grantsAzure + "    grants: {blob: [{storageAccount: '/subscriptions/72f988bf-86f1-41af-91ab-2d7cd011db47/resourceGroups/rg', container: data}]}\n", "spec.azure.grants.blob[0].storageAccount", "storage account"},
		{"azure container", grantsAzure + "    grants: {blob: [{storageAccount: '" + storageID + "', container: Data}]}\n", "spec.azure.grants.blob[0].container", "container name"},
		{"azure owner", grantsAzure + "    grants: {roles: [{role: Owner, scope: '" + storageID + "'}]}\n", "spec.azure.grants.roles[0].role", "every resource"},
		{"azure unknown role", grantsAzure + "    grants: {roles: [{role: Storage Blob Data Reeder, scope: '" + storageID + "'}]}\n", "spec.azure.grants.roles[0].role", "GUID"},
		{"azure scope", grantsAzure + "    grants: {roles: [{role: Storage Blob Data Reader, scope: '/subscriptions/*'}]}\n", "spec.azure.grants.roles[0].scope", "wildcard"},
	}
	for _, h := range hostile {
		q := yamlQuote(h)
		cases = append(cases,
			tc{"hostile bucket " + h, grantsRole + "    grants: {s3: [{bucket: " + q + "}]}\n", "spec.aws.grants.s3[0].bucket", "not valid"},
			tc{"hostile prefix " + h, grantsRole + "    grants: {s3: [{bucket: b-c-d, prefix: " + q + "}]}\n", "spec.aws.grants.s3[0].prefix", "want"},
			tc{"hostile action " + h, grantsRole + "    grants: {statements: [{actions: [" + q + "], resources: ['arn:aws:s3:::b-c-d']}]}\n", "spec.aws.grants.statements[0].actions[0]", "action"},
			tc{"hostile resource " + h, grantsRole + "    grants: {statements: [{actions: [s3:GetObject], resources: ['arn:aws:sqs:eu-west-2:111122223333:jobs', " + q + "]}]}\n", "spec.aws.grants.statements[0].resources[1]", "ARN"},
			tc{"hostile managed policy " + h, grantsRole + "    grants: {managedPolicyArns: [" + q + "]}\n", "spec.aws.grants.managedPolicyArns[0]", "managed policy"},
			tc{"hostile gcs bucket " + h, grantsGCP[:len(grantsGCP)-2] + ", grants: {gcs: [{bucket: " + q + "}]}}\n", "spec.gcp.grants.gcs[0].bucket", "not valid"},
			tc{"hostile gcs prefix " + h, grantsGCP[:len(grantsGCP)-2] + ", grants: {gcs: [{bucket: b-c-d, prefix: " + q + "}]}}\n", "spec.gcp.grants.gcs[0].prefix", "want"},
			tc{"hostile gcp role " + h, grantsGCP[:len(grantsGCP)-2] + ", grants: {roles: [{role: " + q + ", resource: '//cloudresourcemanager.googleapis.com/projects/my-project'}]}}\n", "spec.gcp.grants.roles[0].role", "role"},
			tc{"hostile gcp resource " + h, grantsGCP[:len(grantsGCP)-2] + ", grants: {roles: [{role: roles/pubsub.viewer, resource: " + yamlQuote("//pubsub.googleapis.com/projects/my-project/topics/"+h) + "}]}}\n", "spec.gcp.grants.roles[0].resource", "full resource name"},
			tc{"hostile container " + h, grantsAzure + "    grants: {blob: [{storageAccount: '" + storageID + "', container: " + q + "}]}\n", "spec.azure.grants.blob[0].container", "container"},
			tc{"hostile scope " + h, grantsAzure + "    grants: {roles: [{role: Storage Blob Data Reader, scope: " + yamlQuote(storageID+"/x/"+h) + "}]}\n", "spec.azure.grants.roles[0].scope", "Resource Manager"},
			tc{"hostile azure role " + h, grantsAzure + "    grants: {roles: [{role: " + q + ", scope: '" + storageID + "'}]}\n", "spec.azure.grants.roles[0].role", "role"},
		)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, errs := decode(t, tc.extra)
			requireFieldError(t, c, errs, tc.field, tc.mentions)
			for _, e := range errs {
				if strings.ContainsAny(e.Message, "\n\u2028\u0085") {
					t.Errorf("%s: the message carries a raw line break: %q", e.Field, e.Message)
				}
			}
		})
	}
}

// yamlQuote writes s as a YAML double-quoted scalar: Go's escapes (\n, \xXX,
// \uXXXX) are YAML's too, so every line break and non-ASCII rune is escaped.
func yamlQuote(s string) string { return strconv.QuoteToASCII(s) }
