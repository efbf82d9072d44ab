package gcp

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/plan"
)

func federated(email string, lifetime int64) *v1alpha1.Spec {
	return &v1alpha1.Spec{
		ServiceAccount: v1alpha1.ServiceAccount{Name: "oidc-exp-service-account", Namespace: "default"},
		GCP: &v1alpha1.GCP{
			Mode:                     v1alpha1.ModeFederated,
			ProjectNumber:            "123456789012",
			WorkloadIdentityPool:     "oidc-exp-workload-identity-pool",
			WorkloadIdentityProvider: "trusted-eks-cluster",
			ServiceAccountEmail:      email,
			TokenLifetimeSeconds:     lifetime,
			TokenExpirationSeconds:   3600,
			Audience:                 "https://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/oidc-exp-workload-identity-pool/providers/trusted-eks-cluster",
		},
	}
}

// gcloud is the oracle: the configuration must be byte-for-byte what
// `gcloud iam workload-identity-pools create-cred-config` writes offline.
func TestCredentialConfigMatchesGcloud(t *testing.T) {
	gcloud, err := exec.LookPath("gcloud")
	if err != nil {
		t.Skip("gcloud is not on PATH; the credential configuration cannot be compared with its writer")
	}
	const email = "oidc-exp-service-account@my-project.iam.gserviceaccount.com"
	for _, tc := range []struct {
		name  string
		spec  *v1alpha1.Spec
		flags []string
	}{
		{"impersonating", federated(email, 0), []string{"--service-account=" + email}},
		{"direct resource access", federated("", 0), nil},
		{"impersonating with lifetime", federated(email, 7200), []string{"--service-account=" + email, "--service-account-token-lifetime-seconds=7200"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, err := Plan(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			want := gcloudCredConfig(t, gcloud, Token.MountPath+"/"+Token.Path, tc.flags)
			if diff := cmp.Diff(want, target.ConfigMaps[0].Data[0].Value); diff != "" {
				t.Errorf("credential configuration differs from gcloud's (-gcloud +ours):\n%s", diff)
			}
			// The Windows configuration names the token as Windows
			// containers see it; gcloud writes the same for that path.
			if target.Windows == nil || len(target.Windows.ConfigMaps) != 1 {
				t.Fatalf("no Windows credential ConfigMap: %+v", target.Windows)
			}
			wantWindows := gcloudCredConfig(t, gcloud, plan.WindowsPath(Token.MountPath+"/"+Token.Path), tc.flags)
			if diff := cmp.Diff(wantWindows, target.Windows.ConfigMaps[0].Data[0].Value); diff != "" {
				t.Errorf("Windows credential configuration differs from gcloud's (-gcloud +ours):\n%s", diff)
			}
		})
	}
}

// gcloudCredConfig is what gcloud writes for the test provider and a token
// file, offline.
func gcloudCredConfig(t *testing.T, gcloud, tokenFile string, flags []string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "config.json")
	args := append([]string{"iam", "workload-identity-pools", "create-cred-config",
		"projects/123456789012/locations/global/workloadIdentityPools/oidc-exp-workload-identity-pool/providers/trusted-eks-cluster",
		"--credential-source-file=" + tokenFile, "--output-file=" + out}, flags...)
	cmd := exec.Command(gcloud, args...)
	cmd.Env = append(os.Environ(), "CLOUDSDK_CONFIG="+t.TempDir(), "CLOUDSDK_CORE_DISABLE_PROMPTS=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcloud: %v\n%s", err, msg)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(written)
}

func TestPlanFederatedWiresTokenConfigAndBothEnvVars(t *testing.T) {
	target, err := Plan(federated("", 0))
	if err != nil {
		t.Fatal(err)
	}
	file := "/var/run/secrets/iam.googleapis.com/credential-configuration/credential-configuration.json"
	want := plan.PodPatch{
		Tokens: []plan.ProjectedToken{{VolumeName: "gcp-iam-token", MountPath: Token.MountPath, Path: "token",
			Audience: federated("", 0).GCP.Audience, ExpirationSeconds: 3600}},
		ConfigMapVolumes: []plan.ConfigMapVolume{{VolumeName: "gcp-credential-configuration",
			ConfigMapName: "oidc-exp-service-account-gcp-credentials", MountPath: CredentialMountPath}},
		Env:             []plan.KeyValue{{Key: "GOOGLE_APPLICATION_CREDENTIALS", Value: file}, {Key: "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", Value: file}},
		CredentialFiles: []string{"GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE"},
		TokenLimits:     []plan.TokenLimit{{Target: "gcp", Min: 600, Max: 86400, Why: "Kubernetes' minimum to one day"}},
	}
	if diff := cmp.Diff(want, target.Pod); diff != "" {
		t.Errorf("pod patch (-want +got):\n%s", diff)
	}
	if len(target.ServiceAccountAnnotations) != 0 {
		t.Errorf("federated mode annotated the ServiceAccount: %v", target.ServiceAccountAnnotations)
	}
}

func TestPlanWorkloadIdentityOnlyAnnotatesAndChecksCredentialFiles(t *testing.T) {
	spec := &v1alpha1.Spec{GCP: &v1alpha1.GCP{Mode: v1alpha1.ModeWorkloadIdentity, ServiceAccountEmail: "a@b.iam.gserviceaccount.com"}}
	target, err := Plan(spec)
	if err != nil {
		t.Fatal(err)
	}
	want := plan.Target{Name: "gcp",
		ServiceAccountAnnotations: []plan.KeyValue{{Key: "iam.gke.io/gcp-service-account", Value: "a@b.iam.gserviceaccount.com"}},
		Pod:                       plan.PodPatch{StaticCredentials: WorkloadIdentityStaticCredentials, HostNetworkUnsupported: HostNetworkUnsupported}}
	if diff := cmp.Diff(want, target); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPlanFederatedDefaultsGcloudProjectAndRegion(t *testing.T) {
	for _, tc := range []struct {
		name, projectID, email, region string
		want                           []plan.KeyValue
	}{
		{"projectId wins over the email's project", "spec-project", "reader@email-project.iam.gserviceaccount.com", "",
			[]plan.KeyValue{{Key: "CLOUDSDK_CORE_PROJECT", Value: "spec-project"}}},
		{"no projectId: the email's project", "", "reader@email-project.iam.gserviceaccount.com", "",
			[]plan.KeyValue{{Key: "CLOUDSDK_CORE_PROJECT", Value: "email-project"}}},
		{"App Engine default account: its project", "", "email-project@appspot.gserviceaccount.com", "",
			[]plan.KeyValue{{Key: "CLOUDSDK_CORE_PROJECT", Value: "email-project"}}},
		{"Compute Engine default account names a number: none", "", "123456789012-compute@developer.gserviceaccount.com", "", nil},
		{"direct access, no projectId: none", "", "", "", nil},
		{"region", "", "reader@email-project.iam.gserviceaccount.com", "europe-west2",
			[]plan.KeyValue{{Key: "CLOUDSDK_CORE_PROJECT", Value: "email-project"}, {Key: "CLOUDSDK_COMPUTE_REGION", Value: "europe-west2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := federated(tc.email, 0)
			spec.GCP.ProjectID, spec.GCP.Region = tc.projectID, tc.region
			target, err := Plan(spec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, target.Pod.DefaultEnv); diff != "" {
				t.Errorf("default env (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, target.Windows.Pod.DefaultEnv); diff != "" {
				t.Errorf("Windows default env (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContainerAccountsGetTheirOwnConfigMapAndVolume(t *testing.T) {
	const own, exporter = "oidc-app@my-project.iam.gserviceaccount.com", "exporter@other-project.iam.gserviceaccount.com"
	spec := federated(own, 0)
	spec.Containers = []v1alpha1.ContainerIdentity{{Names: []string{"exporter"}, GCP: &v1alpha1.ContainerGCP{ServiceAccountEmail: exporter}},
		{Names: []string{"shipper"}, AWS: &v1alpha1.ContainerAWS{RoleARN: "arn:aws:iam::111122223333:role/x"}}}
	mine, err := Plan(spec)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := Plan(spec.ForContainers(0))
	if err != nil {
		t.Fatal(err)
	}
	awsOnly, err := Plan(spec.ForContainers(1))
	if err != nil {
		t.Fatal(err)
	}
	account := AccountSuffix(exporter)
	if account != "exporter-"+account[len("exporter-"):] || len(account) != len("exporter-")+8 {
		t.Fatalf("AccountSuffix(%q) = %q, want exporter- and 8 hex digits", exporter, account)
	}
	if AccountSuffix("exporter@my-project.iam.gserviceaccount.com") == account {
		t.Errorf("AccountSuffix gives accounts of the same name in two projects the same suffix %q", account)
	}
	wantVolume := plan.ConfigMapVolume{VolumeName: "gcp-credentials-" + account, ConfigMapName: "oidc-exp-service-account-gcp-credentials-" + account, MountPath: CredentialMountPath}
	if diff := cmp.Diff([]plan.ConfigMapVolume{wantVolume}, theirs.Pod.ConfigMapVolumes); diff != "" {
		t.Errorf("the exporter's volume (-want +got):\n%s", diff)
	}
	if got := theirs.Windows.ConfigMaps[0].Name; got != wantVolume.ConfigMapName+"-windows" {
		t.Errorf("the exporter's Windows ConfigMap is %q, want %q", got, wantVolume.ConfigMapName+"-windows")
	}
	if diff := cmp.Diff(mine.Pod.Env, theirs.Pod.Env); diff != "" {
		t.Errorf("the credential file's path differs by account (-own +exporter):\n%s", diff)
	}
	if diff := cmp.Diff([]plan.KeyValue{{Key: "CLOUDSDK_CORE_PROJECT", Value: "other-project"}}, theirs.Pod.DefaultEnv); diff != "" {
		t.Errorf("the exporter's gcloud project (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(mine, awsOnly); diff != "" {
		t.Errorf("an entry without gcp changed the GCP target (-spec +entry):\n%s", diff)
	}
}
