package gcpid

import (
	"strings"
	"testing"
)

func TestIsBucketFollowsCloudStorageNamingRules(t *testing.T) {
	for name, want := range map[string]bool{
		"oidc-exp-gcs-bucket":   true,
		"abc":                   true,
		"my_bucket":             true,
		"example.com.assets":    true,
		strings.Repeat("a", 63): true,
		strings.Repeat("a", 64): false,
		strings.Repeat("a", 63) + "." + strings.Repeat("b", 63): true,
		strings.Repeat("a", 64) + ".b":                          false,
		"ab":                                                    false,
		"Upper":                                                 false,
		"-lead":                                                 false,
		"trail_":                                                false,
		"a..b":                                                  false,
		"192.168.5.4":                                           false,
		"goog-bucket":                                           false,
		"my-google-bucket":                                      false,
		"my-g00gle-bucket":                                      false,
		"bucket\n":                                              false,
		"bucket\u2028x":                                         false,
		"bucket*":                                               false,
		"b/c":                                                   false,
		"":                                                      false,
	} {
		if got := IsBucket(name); got != want {
			t.Errorf("IsBucket(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestIsRole(t *testing.T) {
	for role, want := range map[string]bool{
		"roles/storage.objectViewer":              true,
		"roles/pubsub.subscriber":                 true,
		"projects/my-project/roles/jobReader":     true,
		"organizations/1234567/roles/jobs.reader": true,
		"roles/*":              false,
		"roles/":               false,
		"storage.objectViewer": false,
		"roles/a b":            false,
		"roles/x\n":            false,
		"projects/-/roles/x":   false,
		"--role=roles/owner":   false,
	} {
		if got := IsRole(role); got != want {
			t.Errorf("IsRole(%q) = %v, want %v", role, got, want)
		}
	}
}

func TestParseResource(t *testing.T) {
	for name, want := range map[string]Resource{
		"//storage.googleapis.com/projects/_/buckets/oidc-exp-gcs-bucket":                                       {TypeBucket, "", "oidc-exp-gcs-bucket"},
		"//pubsub.googleapis.com/projects/my-project/topics/jobs":                                               {TypeTopic, "my-project", "jobs"},
		"//pubsub.googleapis.com/projects/123456789012/subscriptions/jobs-sub":                                  {TypeSubscription, "123456789012", "jobs-sub"},
		"//secretmanager.googleapis.com/projects/my-project/secrets/db_password":                                {TypeSecret, "my-project", "db_password"},
		"//cloudresourcemanager.googleapis.com/projects/my-project":                                             {TypeProject, "my-project", "my-project"},
		"//iam.googleapis.com/projects/my-project/serviceAccounts/reader-sa@my-project.iam.gserviceaccount.com": {TypeServiceAccount, "my-project", "reader-sa@my-project.iam.gserviceaccount.com"},
	} {
		got, err := ParseResource(name)
		if err != nil || got != want {
			t.Errorf("ParseResource(%q) = %+v, %v; want %+v", name, got, err, want)
		}
	}
	for _, bad := range []string{
		"",
		"*",
		"//storage.googleapis.com/projects/_/buckets/*",
		"//storage.googleapis.com/projects/_/buckets/goog-x",
		"//storage.googleapis.com/projects/_/buckets/b/objects/o",
		"//pubsub.googleapis.com/projects/my-project/topics/*",
		"//pubsub.googleapis.com/projects/my-project/topics/goog-x",
		"//pubsub.googleapis.com/projects/*/topics/jobs",
		"//pubsub.googleapis.com/projects/my-project/topics/jobs\n",
		"//pubsub.googleapis.com/projects/my-project/topics/jobs\u2028x",
		"pubsub.googleapis.com/projects/my-project/topics/jobs",
		"projects/my-project/topics/jobs",
		"//compute.googleapis.com/projects/my-project/zones/z/instances/i",
		"//iam.googleapis.com/projects/my-project/serviceAccounts/not-an-email",
		"//cloudresourcemanager.googleapis.com/projects/-",
	} {
		if _, err := ParseResource(bad); err == nil {
			t.Errorf("ParseResource(%q) = nil error, want one", bad)
		}
	}
}
