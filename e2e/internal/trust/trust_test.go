package trust

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestLoadAllClouds(t *testing.T) {
	doc, err := Load("../../testdata/all-clouds/trust.json")
	if err != nil {
		t.Fatal(err)
	}
	if doc.AWS == nil || doc.GCP == nil || doc.Azure == nil {
		t.Fatalf("want all three clouds, got %+v", doc)
	}
	st := doc.AWS.Roles[0].AssumeRolePolicy.Statement[0]
	issuer := "container.googleapis.com/v1/projects/my-project/locations/europe-west2-a/clusters/oidc-exp-cluster"
	if got, want := st.ConditionValues("https://"+issuer+":sub", "StringEquals"), []string{"system:serviceaccount:default:oidc-exp-service-account"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sub condition = %v, want %v", got, want)
	}
	if got := st.ConditionValues(issuer+":sub", "StringLike"); got != nil {
		t.Errorf("StringLike values = %v, want none", got)
	}
	if got, err := st.FederatedPrincipals(); err != nil || len(got) != 1 || got[0] != doc.AWS.OIDCProviders[0].ARN {
		t.Errorf("federated principals = %v, %v", got, err)
	}
}

func TestParseToleratesUnknownFields(t *testing.T) {
	doc, err := Parse([]byte(`{"aws":{"oidcProviders":[{"url":"https://x","thumbprintList":["ab"]}],"extra":1},"future":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if doc.AWS.OIDCProviders[0].URL != "https://x" {
		t.Errorf("url = %q", doc.AWS.OIDCProviders[0].URL)
	}
}

func TestFederatedPrincipalsIsAStringOrAList(t *testing.T) {
	for raw, want := range map[string][]string{
		`"arn:a"`:            {"arn:a"},
		`["arn:a", "arn:b"]`: {"arn:a", "arn:b"},
		`{"x": 1}`:           nil,
	} {
		st := IAMStatement{Principal: map[string]json.RawMessage{"Federated": json.RawMessage(raw)}}
		got, err := st.FederatedPrincipals()
		if !reflect.DeepEqual(got, want) || (err != nil) != (want == nil) {
			t.Errorf("Federated %s: %v, %v; want %v", raw, got, err, want)
		}
	}
	if got, err := (IAMStatement{}).FederatedPrincipals(); got != nil || err != nil {
		t.Errorf("no Federated principal: %v, %v", got, err)
	}
}
