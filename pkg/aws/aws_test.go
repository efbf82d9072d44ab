package aws

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

const role = "arn:aws:iam::111122223333:role/oidc_exp_federated_role"

func spec(a v1alpha1.AWS) *v1alpha1.Spec {
	if a.Audience == "" {
		a.Audience = v1alpha1.DefaultAWSAudience
	}
	if a.STSRegionalEndpoints == "" {
		a.STSRegionalEndpoints = v1alpha1.DefaultSTSRegionalEndpoints
	}
	if a.TokenExpirationSeconds == 0 {
		a.TokenExpirationSeconds = v1alpha1.DefaultAWSTokenExpirationSeconds
	}
	a.RoleARN = role
	return &v1alpha1.Spec{AWS: &a}
}

func TestPlan(t *testing.T) {
	tokenFile := "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
	token := plan.ProjectedToken{VolumeName: "aws-iam-token", MountPath: Token.MountPath, Path: "token", Audience: "sts.amazonaws.com", ExpirationSeconds: 86400}
	limits := []plan.TokenLimit{{Target: "aws", Min: 600, Max: 86400, Why: "Kubernetes' minimum to one day"}}
	webhook := plan.PodPatch{StaticCredentials: StaticCredentials, TokenLimits: []plan.TokenLimit{{Target: "aws",
		Elsewhere: "in mode webhook the EKS pod identity webhook projects it; set the webhook's own pod annotation eks.amazonaws.com/token-expiration instead"}}}
	for _, tc := range []struct {
		name string
		aws  v1alpha1.AWS
		want plan.Target
	}{{
		name: "webhook with defaults writes only the role annotation, and checks static keys",
		aws:  v1alpha1.AWS{Mode: "webhook"},
		want: plan.Target{Name: "aws", ServiceAccountAnnotations: []plan.KeyValue{{Key: RoleARNAnnotation, Value: role}}, Pod: webhook},
	}, {
		name: "webhook writes non-default audience, endpoints and expiration",
		aws:  v1alpha1.AWS{Mode: "webhook", Audience: "custom", STSRegionalEndpoints: "legacy", TokenExpirationSeconds: 3600},
		want: plan.Target{Name: "aws", ServiceAccountAnnotations: []plan.KeyValue{
			{Key: RoleARNAnnotation, Value: role}, {Key: AudienceAnnotation, Value: "custom"},
			{Key: STSRegionalEndpointsAnnotation, Value: "false"}, {Key: TokenExpirationAnnotation, Value: "3600"}}, Pod: webhook},
	}, {
		name: "projected mirrors the webhook's injection",
		aws:  v1alpha1.AWS{Mode: "projected", Region: "eu-west-2"},
		want: plan.Target{Name: "aws", Pod: plan.PodPatch{
			Tokens: []plan.ProjectedToken{token},
			Env: []plan.KeyValue{{Key: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"}, {Key: "AWS_DEFAULT_REGION", Value: "eu-west-2"},
				{Key: "AWS_REGION", Value: "eu-west-2"}, {Key: "AWS_ROLE_ARN", Value: role}, {Key: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: tokenFile}},
			StaticCredentials: StaticCredentials, TokenLimits: limits}},
	}, {
		name: "projected without region warns, with session name",
		aws:  v1alpha1.AWS{Mode: "projected", RoleSessionName: "ci"},
		want: plan.Target{Name: "aws", Pod: plan.PodPatch{
			Tokens: []plan.ProjectedToken{token},
			Env: []plan.KeyValue{{Key: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"}, {Key: "AWS_ROLE_ARN", Value: role},
				{Key: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: tokenFile}, {Key: "AWS_ROLE_SESSION_NAME", Value: "ci"}},
			StaticCredentials: StaticCredentials, TokenLimits: limits},
			Warnings: []plan.Warning{{Field: "region", Message: NoRegionWarning}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Plan(spec(tc.aws))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(plan.Target{}, "Windows")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Windows pods get the same token at the same mount, named as Windows
// containers see it, as the EKS webhook writes it for them.
func TestPlanNamesTheTokenAsWindowsSeesIt(t *testing.T) {
	got, err := Plan(spec(v1alpha1.AWS{Mode: "projected", RoleARN: "arn:aws:iam::111122223333:role/r", Audience: "sts.amazonaws.com", STSRegionalEndpoints: "regional", TokenExpirationSeconds: 86400}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Windows == nil {
		t.Fatal("no Windows variant")
	}
	if diff := cmp.Diff(got.Pod.Tokens, got.Windows.Pod.Tokens); diff != "" {
		t.Errorf("Windows tokens differ from Linux ones:\n%s", diff)
	}
	var file string
	for _, kv := range got.Windows.Pod.Env {
		if kv.Key == "AWS_WEB_IDENTITY_TOKEN_FILE" {
			file = kv.Value
		}
	}
	if want := `C:\var\run\secrets\eks.amazonaws.com\serviceaccount\token`; file != want {
		t.Errorf("AWS_WEB_IDENTITY_TOKEN_FILE = %q, want %q", file, want)
	}
}
