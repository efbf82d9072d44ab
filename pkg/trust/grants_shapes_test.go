package trust

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

// What each S3 level and prefix becomes: the article's one statement for a
// whole bucket read, object actions alone for write, listing conditioned
// on s3:prefix for a prefix, the pod's namespace tag in front for
// perNamespace, and ARNs in the role's partition.
func TestS3GrantStatements(t *testing.T) {
	const b = "arn:aws:s3:::b-c-d"
	list := func(prefixes ...string) PermissionStatement {
		return PermissionStatement{Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: []string{b}, Condition: PolicyConditions{"StringLike": {S3PrefixKey: prefixes}}}
	}
	allow := func(actions []string, resources ...string) PermissionStatement {
		return PermissionStatement{Effect: "Allow", Action: actions, Resource: resources}
	}
	read := []string{"s3:GetObject", "s3:GetObjectVersion"}
	write := []string{"s3:AbortMultipartUpload", "s3:PutObject"}
	for _, tc := range []struct {
		name      string
		partition string
		grants    []v1alpha1.S3Grant
		want      []PermissionStatement
	}{
		{"read a bucket (the article's)", "aws", []v1alpha1.S3Grant{{Bucket: "b-c-d", Level: v1alpha1.LevelRead}},
			[]PermissionStatement{allow([]string{"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"}, b, b+"/*")}},
		{"write a bucket", "aws", []v1alpha1.S3Grant{{Bucket: "b-c-d", Level: v1alpha1.LevelWrite}},
			[]PermissionStatement{allow(write, b+"/*")}},
		{"read and write a bucket", "aws", []v1alpha1.S3Grant{{Bucket: "b-c-d", Level: v1alpha1.LevelReadWrite}},
			[]PermissionStatement{allow([]string{"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:PutObject"}, b, b+"/*")}},
		{"read under a prefix", "aws", []v1alpha1.S3Grant{{Bucket: "b-c-d", Prefix: "r/", Level: v1alpha1.LevelRead}},
			[]PermissionStatement{allow(read, b+"/r/*"), list("r/*")}},
		{"write under a prefix: no listing", "aws", []v1alpha1.S3Grant{{Bucket: "b-c-d", Prefix: "r/", Level: v1alpha1.LevelWrite}},
			[]PermissionStatement{allow(write, b+"/r/*")}},
		{"two prefixes: one listing statement", "aws", []v1alpha1.S3Grant{{Bucket: "b-c-d", Prefix: "r/", Level: v1alpha1.LevelRead}, {Bucket: "b-c-d", Prefix: "a/", Level: v1alpha1.LevelRead}},
			[]PermissionStatement{allow(read, b+"/a/*", b+"/r/*"), list("a/*", "r/*")}},
		{"per namespace", "aws", []v1alpha1.S3Grant{{Bucket: "b-c-d", PerNamespace: true, Level: v1alpha1.LevelRead}},
			[]PermissionStatement{allow(read, b+"/"+PodNamespaceTag+"/*"), list(PodNamespaceTag + "/*")}},
		{"another partition", "aws-cn", []v1alpha1.S3Grant{{Bucket: "b-c-d", Level: v1alpha1.LevelWrite}},
			[]PermissionStatement{allow(write, "arn:aws-cn:s3:::b-c-d/*")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &awsGrants{statements: map[string]map[string]bool{}, listings: map[string]map[string]bool{}, managed: map[string]bool{}}
			for _, grant := range tc.grants {
				if err := g.addS3(tc.partition, grant); err != nil {
					t.Fatal(err)
				}
			}
			want := &PermissionsPolicy{Version: IAMPolicyVersion, Statement: tc.want}
			if diff := cmp.Diff(want, g.policy()); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
		})
	}
}

// A GCS grant of the whole bucket covers its prefixes for the same role and
// member: the binding has no condition.
func TestWholeBucketGrantDropsThePrefixCondition(t *testing.T) {
	spec := grantSpec(t, "app", nil, gcpWithGrants(v1alpha1.GCPGrants{GCS: []v1alpha1.GCSGrant{{Bucket: "b-c-d", Prefix: "r/"}, {Bucket: "b-c-d"}}}), nil)
	trust, err := Build([]*v1alpha1.CrossCloudAccess{spec})
	if err != nil {
		t.Fatal(err)
	}
	if got := trust.GCP.ResourceBindings; len(got) != 1 || got[0].Condition != nil {
		t.Errorf("bindings %+v, want one without a condition", got)
	}
}
