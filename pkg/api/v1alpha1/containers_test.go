package v1alpha1

import (
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// clouds is a valid spec part that wires containers in all three clouds.
const clouds = `  aws: {roleArn: 'arn:aws:iam::111122223333:role/app', region: eu-west-2}
  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: prov, serviceAccountEmail: app-reader@my-project.iam.gserviceaccount.com}
  azure: {tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47, clientId: 0e5a3f8c-1b2d-4c6e-9f70-123456789abc}
`

func TestContainerIdentitiesAreChecked(t *testing.T) {
	for _, tc := range []struct {
		name, doc       string
		field, mentions string // "" when valid
	}{
		{"every cloud", base + clouds + `  containers:
  - names: [exporter, backup]
    aws: {roleArn: 'arn:aws:iam::444455556666:role/exporter'}
    gcp: {serviceAccountEmail: exporter@my-project.iam.gserviceaccount.com}
    azure: {clientId: 11111111-2222-3333-4444-555555555555}
  - names: [metrics]
    aws: {roleArn: 'arn:aws:iam::111122223333:role/metrics'}
`, "", ""},
		{"inside spec.workloads.containers", base + clouds + "  workloads: {containers: [app, exporter]}\n  containers: [{names: [exporter], aws: {roleArn: 'arn:aws:iam::111122223333:role/e'}}]\n", "", ""},
		{"no names", base + clouds + "  containers: [{names: [], aws: {roleArn: 'arn:aws:iam::111122223333:role/e'}}]\n", "spec.containers[0].names", "is required"},
		{"not a container name", base + clouds + "  containers: [{names: [Exporter], aws: {roleArn: 'arn:aws:iam::111122223333:role/e'}}]\n", "spec.containers[0].names[0]", "container name"},
		{"a line break in a name is quoted", base + clouds + "  containers: [{names: [\"a\\u2028b\"], aws: {roleArn: 'arn:aws:iam::111122223333:role/e'}}]\n", "spec.containers[0].names[0]", `"a\u2028b"`},
		{"a name in two entries", base + clouds + "  containers:\n  - {names: [exporter], aws: {roleArn: 'arn:aws:iam::111122223333:role/e'}}\n  - {names: [exporter], gcp: {serviceAccountEmail: exporter@my-project.iam.gserviceaccount.com}}\n",
			"spec.containers[1].names[0]", "also named at spec.containers[0].names[0]"},
		{"outside spec.workloads.containers", base + clouds + "  workloads: {containers: [app]}\n  containers: [{names: [exporter], aws: {roleArn: 'arn:aws:iam::111122223333:role/e'}}]\n",
			"spec.containers[0].names[0]", "not among spec.workloads.containers"},
		{"no cloud", base + clouds + "  containers: [{names: [exporter]}]\n", "spec.containers[0]", "names no cloud"},
		{"a cloud the spec does not use", base + "  aws: {roleArn: 'arn:aws:iam::111122223333:role/app', region: eu-west-2}\n  containers: [{names: [exporter], gcp: {serviceAccountEmail: exporter@my-project.iam.gserviceaccount.com}}]\n",
			"spec.containers[0].gcp", "the spec has no spec.gcp"},
		{"a bad role", base + clouds + "  containers: [{names: [exporter], aws: {roleArn: 'arn:aws:iam::111122223333:user/e'}}]\n", "spec.containers[0].aws.roleArn", "role/NAME"},
		{"a bad email", base + clouds + "  containers: [{names: [exporter], gcp: {serviceAccountEmail: exporter@example.com}}]\n", "spec.containers[0].gcp.serviceAccountEmail", "NAME@PROJECT.iam.gserviceaccount.com"},
		{"a bad client ID", base + clouds + "  containers: [{names: [exporter], azure: {clientId: '{0e5a3f8c-1b2d-4c6e-9f70-123456789abc}'}}]\n", "spec.containers[0].azure.clientId", "GUID"},
		{"the spec's own role", base + clouds + "  containers: [{names: [exporter], aws: {roleArn: 'arn:aws:iam::111122223333:role/app'}}]\n", "spec.containers[0].aws.roleArn", "is spec.aws.roleArn already"},
		{"the spec's own Google account", base + clouds + "  containers: [{names: [exporter], gcp: {serviceAccountEmail: app-reader@my-project.iam.gserviceaccount.com}}]\n", "spec.containers[0].gcp.serviceAccountEmail", "is spec.gcp.serviceAccountEmail already"},
		{"the spec's own client ID", base + clouds + "  containers: [{names: [exporter], azure: {clientId: 0e5a3f8c-1b2d-4c6e-9f70-123456789abc}}]\n", "spec.containers[0].azure.clientId", "is spec.azure.clientId already"},
		{"an unknown field", base + clouds + "  containers: [{names: [exporter], aws: {roleArn: 'arn:aws:iam::111122223333:role/e', region: eu-west-1}}]\n", "spec.containers[0].aws.region", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, errs := Decode(kyaml.MustParse(tc.doc))
			if tc.field == "" {
				if c == nil || len(errs.Errors()) != 0 {
					t.Fatalf("want a valid spec, got %v", errs)
				}
				return
			}
			requireFieldError(t, c, errs, tc.field, tc.mentions)
		})
	}
}

func TestContainerIdentitiesNeedAModeThatWiresContainers(t *testing.T) {
	for _, tc := range []struct {
		name, cluster, cloud, entry, field, mentions string
	}{
		{"aws webhook", "{provider: eks, issuer: 'https://oidc.eks.eu-west-2.amazonaws.com/id/ABC'}", "aws: {roleArn: 'arn:aws:iam::111122223333:role/app'}",
			"aws: {roleArn: 'arn:aws:iam::111122223333:role/e'}", "spec.containers[0].aws", "skips a container that sets AWS_ROLE_ARN"},
		{"aws podIdentity", "{provider: eks, issuer: 'https://oidc.eks.eu-west-2.amazonaws.com/id/ABC', eks: {clusterName: c}}", "aws: {roleArn: 'arn:aws:iam::111122223333:role/app', mode: podIdentity}",
			"aws: {roleArn: 'arn:aws:iam::111122223333:role/e'}", "spec.containers[0].aws", "association's role"},
		{"gcp workloadIdentity", "{provider: gke, gke: {projectId: my-project, location: europe-west2, clusterName: c, workloadIdentity: true}}", "gcp: {serviceAccountEmail: app-reader@my-project.iam.gserviceaccount.com}",
			"gcp: {serviceAccountEmail: exporter@my-project.iam.gserviceaccount.com}", "spec.containers[0].gcp", "one identity per pod"},
		{"azure webhook", "{provider: aks, issuer: 'https://eastus.oic.prod-aks.azure.com/t/c/'}", "azure: {tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47, clientId: 0e5a3f8c-1b2d-4c6e-9f70-123456789abc}",
			"azure: {clientId: 11111111-2222-3333-4444-555555555555}", "spec.containers[0].azure", "use mode projected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(base, `cluster: {provider: generic, issuer: "https://kubernetes.example.com"}`, "cluster: "+tc.cluster, 1) +
				"  " + tc.cloud + "\n  containers: [{names: [exporter], " + tc.entry + "}]\n"
			c, errs := Decode(kyaml.MustParse(doc))
			requireFieldError(t, c, errs, tc.field, tc.mentions)
		})
	}
}

func TestForContainersPutsTheEntrysIdentityInPlaceOfTheSpecs(t *testing.T) {
	c, errs := decode(t, clouds+`  containers:
  - names: [exporter]
    gcp: {serviceAccountEmail: exporter@my-project.iam.gserviceaccount.com}
`)
	if c == nil {
		t.Fatal(errs)
	}
	identities := c.Spec.Identities()
	if len(identities) != 2 || identities[0] != &c.Spec {
		t.Fatalf("Identities = %d specs, want the spec itself and one view", len(identities))
	}
	view := identities[1]
	if entry, at := view.ContainerEntry(); entry == nil || at != "spec.containers[0]" {
		t.Errorf("ContainerEntry = %v, %q; want the entry at spec.containers[0]", entry, at)
	}
	if entry, at := c.Spec.ContainerEntry(); entry != nil || at != "" {
		t.Errorf("the spec as written has ContainerEntry %v, %q", entry, at)
	}
	if view.GCP.ServiceAccountEmail != "exporter@my-project.iam.gserviceaccount.com" || c.Spec.GCP.ServiceAccountEmail != "app-reader@my-project.iam.gserviceaccount.com" {
		t.Errorf("view email %q, spec email %q: the view must carry the entry's and leave the spec's", view.GCP.ServiceAccountEmail, c.Spec.GCP.ServiceAccountEmail)
	}
	if view.AWS != c.Spec.AWS || view.Azure != c.Spec.Azure || view.Containers != nil {
		t.Error("the view changed a cloud the entry does not name, or kept spec.containers")
	}
}

func TestGCPRegionIsARegionAndOnlyFederated(t *testing.T) {
	c, errs := decode(t, "  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: prov, region: europe-west2}\n")
	if c == nil || len(errs) != 0 {
		t.Fatalf("want a valid spec, got %v", errs)
	}
	c, errs = decode(t, "  gcp: {projectNumber: '123', workloadIdentityPool: pool, workloadIdentityProvider: prov, region: europe-west2-a}\n")
	requireFieldError(t, c, errs, "spec.gcp.region", "not a zone")
	c, errs = Decode(kyaml.MustParse(strings.Replace(base, `cluster: {provider: generic, issuer: "https://kubernetes.example.com"}`,
		"cluster: {provider: gke, gke: {projectId: my-project, location: europe-west2, clusterName: c, workloadIdentity: true}}", 1) +
		"  gcp: {serviceAccountEmail: app-reader@my-project.iam.gserviceaccount.com, region: europe-west2}\n"))
	requireFieldError(t, c, errs, "spec.gcp.region", "no effect in mode workloadIdentity")
}
