package issuer

import "testing"

func TestGKEIssuerMatchesTheArticle(t *testing.T) {
	got := GKE("my-project", "europe-west2-a", "oidc-exp-cluster")
	want := "https://container.googleapis.com/v1/projects/my-project/locations/europe-west2-a/clusters/oidc-exp-cluster"
	if got != want {
		t.Fatalf("GKE() = %q, want %q", got, want)
	}
	if msg := ProviderMismatch("gke", got); msg != "" {
		t.Fatalf("derived GKE issuer flagged: %s", msg)
	}
}

func TestHostPath(t *testing.T) {
	for in, want := range map[string]string{
		"https://oidc.eks.eu-west-2.amazonaws.com/id/ABC": "oidc.eks.eu-west-2.amazonaws.com/id/ABC",
		"https://westeurope.oic.prod-aks.azure.com/t/g/":  "westeurope.oic.prod-aks.azure.com/t/g",
	} {
		if got := HostPath(in); got != want {
			t.Errorf("HostPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		issuer string
		ok     bool
	}{
		{"https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC", true},
		{"https://kubernetes.default.svc", true},
		{"", false},
		{"http://oidc.example.com", false},
		{"https:///path", false},
		{"https://oidc.example.com/?a=b", false},
		{"https://oidc.example.com/#frag", false},
		{"https://user@oidc.example.com", false},
		{"::not a url", false},
	} {
		err := Parse(tc.issuer)
		if (err == nil) != tc.ok {
			t.Errorf("Parse(%q) = %v, want ok=%v", tc.issuer, err, tc.ok)
		}
	}
}

func TestProviderMismatch(t *testing.T) {
	for _, tc := range []struct {
		provider, issuer string
		mismatch         bool
	}{
		{"eks", "https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC", false},
		{"eks", "https://container.googleapis.com/v1/projects/p/locations/l/clusters/c", true},
		{"aks", "https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/", false},
		{"aks", "https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111", true},
		{"generic", "https://anything.example.com", false},
	} {
		if got := ProviderMismatch(tc.provider, tc.issuer) != ""; got != tc.mismatch {
			t.Errorf("ProviderMismatch(%q, %q) mismatch = %v, want %v", tc.provider, tc.issuer, got, tc.mismatch)
		}
	}
}

func TestIdentify(t *testing.T) {
	for _, tc := range []struct {
		issuer   string
		provider string
		parts    map[string]string
	}{
		{"https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC", "eks",
			map[string]string{"region": "eu-west-2", "domain": "amazonaws.com", "id": "4E604436464FFCC52F8B96807F5BD5BC"}},
		{"https://oidc.eks.cn-north-1.amazonaws.com.cn/id/4E604436464FFCC52F8B96807F5BD5BC", "eks",
			map[string]string{"region": "cn-north-1", "domain": "amazonaws.com.cn"}},
		{GKE("my-project", "europe-west2-a", "oidc-exp-cluster"), "gke",
			map[string]string{"project": "my-project", "cluster": "oidc-exp-cluster"}},
		{"https://uksouth.oic.prod-aks.azure.com/11111111-2222-3333-4444-555555555555/66666666-7777-8888-9999-000000000000/", "aks",
			map[string]string{"region": "uksouth", "id": "66666666-7777-8888-9999-000000000000"}},
		// Lowercase hex is not what EKS hands out: the same rule as the
		// function's warning, so trust never names it as an EKS cluster.
		{"https://oidc.eks.eu-west-2.amazonaws.com/id/4e604436464ffcc52f8b96807f5bd5bc", "", nil},
		{"https://issuer.example.com", "", nil},
	} {
		got, ok := Identify(tc.issuer)
		if ok != (tc.provider != "") || got.Provider != tc.provider {
			t.Errorf("Identify(%q) = %+v, %v; want provider %q", tc.issuer, got, ok, tc.provider)
			continue
		}
		for k, v := range tc.parts {
			if got.Parts[k] != v {
				t.Errorf("Identify(%q).Parts[%s] = %q, want %q", tc.issuer, k, got.Parts[k], v)
			}
		}
	}
}

// A value that ends up in comments, quoted strings and command lines of
// every renderer must not be able to end one of them.
func TestParseRefusesHostileIssuers(t *testing.T) {
	for _, hostile := range []string{
		"https://issuer.example.com/a\u2028apiVersion: v1",
		"https://issuer.example.com/a\u2029x",
		"https://issuer.example.com/a\u0085x",
		"https://issuer.example.com/a\nb",
		"https://issuer.example.com/a b",
		"https://issuer.example.com/'$(id)'",
		"https://issuer.example.com/`id`",
		"https://issuer.example.com/a\"b",
		"https://issuer.example.com/a\\b",
		"https://issüer.example.com",
		"https://Issuer.Example.com",
		"https://issuer.example.com/.well-known/openid-configuration",
		"https://issuer.example.com/id/.well-known/openid-configuration/x",
	} {
		if err := Parse(hostile); err == nil {
			t.Errorf("Parse(%q) accepted it", hostile)
		}
	}
	for _, ok := range []string{
		"https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC",
		"https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/",
		"https://issuer.example.com:8443/cluster-1",
	} {
		if err := Parse(ok); err != nil {
			t.Errorf("Parse(%q) = %v, want ok", ok, err)
		}
	}
}

// EKS and GKE tokens never carry a trailing slash in their iss claim; AKS
// issuers always end in one and are left alone.
func TestSlashAdded(t *testing.T) {
	for _, tc := range []struct {
		issuer   string
		provider string
	}{
		{"https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC/", "eks"},
		{GKE("my-project", "europe-west2", "prod") + "/", "gke"},
		{"https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC", ""},
		{"https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/", ""},
		{"https://issuer.example.com/", ""},
	} {
		provider, added := SlashAdded(tc.issuer)
		if added != (tc.provider != "") || provider != tc.provider {
			t.Errorf("SlashAdded(%q) = %q, %v; want %q", tc.issuer, provider, added, tc.provider)
		}
	}
}
