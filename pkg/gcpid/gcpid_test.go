package gcpid

import "testing"

func TestEmailProject(t *testing.T) {
	for _, tc := range []struct {
		email, project string
		ok             bool
	}{
		{"oidc-exp-service-account@my-project.iam.gserviceaccount.com", "my-project", true},
		{"my-project@appspot.gserviceaccount.com", "my-project", true},
		{"123456789012-compute@developer.gserviceaccount.com", "123456789012", true},
		{"a@my-project.iam.gserviceaccount.com", "", false},
		{"app@My-Project.iam.gserviceaccount.com", "", false},
		{"app@my-project.iam.gserviceaccount.com.evil.example", "", false},
		{"-app@my-project.iam.gserviceaccount.com", "", false},
		{"", "", false},
	} {
		got, ok := EmailProject(tc.email)
		if got != tc.project || ok != tc.ok || IsEmail(tc.email) != tc.ok {
			t.Errorf("EmailProject(%q) = %q, %v; want %q, %v", tc.email, got, ok, tc.project, tc.ok)
		}
	}
}

func TestIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule func(string) bool
		in   string
		want bool
	}{
		{"project ID", IsProjectID, "my-project", true},
		{"project ID", IsProjectID, "my-p", false},
		{"project ID", IsProjectID, "1project", false},
		{"project ID", IsProjectID, "project-", false},
		{"project number", IsProjectNumber, "123456789012", true},
		{"project number", IsProjectNumber, "0123", false},
		{"project number", IsProjectNumber, "my-project", false},
		{"pool", IsPoolOrProvider, "oidc-exp-workload-identity-pool", true},
		{"pool", IsPoolOrProvider, "gcp-pool", false},
		{"pool", IsPoolOrProvider, "abc", false},
		{"pool", IsPoolOrProvider, "Pool", false},
		{"region", IsRegion, "europe-west2", true},
		{"region", IsRegion, "northamerica-northeast1", true},
		{"region", IsRegion, "us-central1", true},
		{"region", IsRegion, "europe-west2-a", false},
		{"region", IsRegion, "Europe-West2", false},
		{"region", IsRegion, "-europe-west2", false},
		{"region", IsRegion, "europe-west2\u2028x", false},
		{"region", IsRegion, "global", false},
	} {
		if got := tc.rule(tc.in); got != tc.want {
			t.Errorf("%s(%q) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestPoolAndProviderIDsCannotBeOptions(t *testing.T) {
	for _, id := range []string{"-oidc", "--endpoint-url=x", "-abc"} {
		if IsPoolOrProvider(id) {
			t.Errorf("IsPoolOrProvider(%q) = true; a leading - would become a gcloud option", id)
		}
	}
}
