package function

import (
	"github.com/crosscloud-dev/cross-cloud-access/pkg/kinds"

	"encoding/base64"
	"fmt"
	"math/rand"
	"strings"
)

// This file generates random but valid function inputs for the property
// tests: every workload kind, containers, init containers, native sidecars,
// ephemeral containers, env, envFrom, volumes, several ServiceAccounts and
// namespaces, unrelated objects, comments and unknown fields, and one to
// three specs with random clouds and modes. Alongside the YAML it records
// what the function is expected to do, so that properties can be checked
// without re-implementing the function.

// objectKey identifies an object among the items: apiVersion, kind, the
// namespace it lands in (namespaceOf) and name.
type objectKey struct{ APIVersion, Kind, Namespace, Name string }

func (k objectKey) String() string {
	return fmt.Sprintf("%s %s %s/%s", k.APIVersion, k.Kind, k.Namespace, k.Name)
}

// genSpec is one generated CrossCloudAccess and the modes it resolves to.
type genSpec struct {
	Name      string
	Namespace string // of the ServiceAccount
	Account   string // ServiceAccount name
	AWSMode   string // resolved; "" when the spec has no aws
	GCPMode   string
	AzureMode string
	// SelectLabel selects extra workloads through spec.workloads.selector
	// ("" when the spec has none).
	SelectLabel string
	// AccountInInput says the ServiceAccount is already among the items.
	AccountInInput bool
	// Item says the spec is an item (not the functionConfig); Local says
	// it is marked local-config and stays in the output.
	Item, Local bool
	YAML        string
}

// annotatesAccount reports whether the spec sets ServiceAccount annotations.
func (s genSpec) annotatesAccount() bool {
	return s.AWSMode == "webhook" || s.GCPMode == "workloadIdentity" || s.AzureMode == "webhook"
}

// genObject is one generated item.
type genObject struct {
	Key  objectKey
	YAML string
	// Touched says the function is expected to edit it; every other object
	// must come out byte-identical.
	Touched bool
	// Strict says the object decodes strictly into Kubernetes' types (it
	// carries no unknown field) and is of a kind kubecheck knows.
	Strict bool
	// Account is the ServiceAccount the object is (a ServiceAccount) or
	// names as its serviceAccountName (a workload); Pick is a workload's
	// pick label, which a spec's selector may match.
	Account, Pick string
}

// genCase is one generated run of the function.
type genCase struct {
	Config  string
	Specs   []genSpec
	Objects []genObject // the items other than specs, in input order
	Input   string      // every item, specs included, as a multi-document stream
}

var (
	genNamespaces = []string{"", "default", "apps", "team-b"}
	genKinds      = kinds.Kubernetes
	genProviders  = []string{"eks", "gke", "aks", "generic"}
)

// landsIn is the namespace an object written with namespace ns lands in.
func landsIn(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// generateCase builds one random input from r.
func generateCase(r *rand.Rand) genCase {
	var c genCase
	specCount := 1 + r.Intn(3)
	usedAccounts := map[string]bool{}
	for i := 0; i < specCount; i++ {
		ns := genNamespaces[r.Intn(len(genNamespaces))]
		account := fmt.Sprintf("sa-%d", r.Intn(4))
		for usedAccounts[landsIn(ns)+"/"+account] {
			account += "x"
		}
		usedAccounts[landsIn(ns)+"/"+account] = true
		c.Specs = append(c.Specs, generateSpec(r, i, ns, account))
	}
	c.Config = c.Specs[0].YAML

	// Objects that are not workloads.
	var objects []genObject
	for i, s := range c.Specs {
		if s.AccountInInput {
			objects = append(objects, accountObject(r, s, i))
		}
	}
	// envFrom sources: never providing a variable the function sets.
	for _, ns := range []string{"default", "apps", "team-b"} {
		objects = append(objects,
			genObject{Key: objectKey{"v1", "ConfigMap", ns, "settings"}, Strict: true, YAML: fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: %s
# keys an envFrom reads, none of them a cloud's variable
data:
  LOG_LEVEL: debug
  FEATURE_FLAGS: "a,b"
`, ns)},
			genObject{Key: objectKey{"v1", "Secret", ns, "app-secret"}, Strict: true, YAML: fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: app-secret
  namespace: %s
type: Opaque
data:
  DB_PASSWORD: %s
stringData:
  DB_USER: app
`, ns, base64.StdEncoding.EncodeToString([]byte("not-a-real-password")))})
	}
	objects = append(objects, unrelatedObjects(r)...)

	// Workloads.
	workloads := 2 + r.Intn(10)
	for i := 0; i < workloads; i++ {
		objects = append(objects, generateWorkload(r, i, c.Specs))
	}
	// A spec whose namespace has neither its ServiceAccount nor a workload
	// of it, while another namespace has, is refused (scope.go's misplaced):
	// such a spec gets its ServiceAccount in the input, as a user would fix it
	// (until none is left: one added ServiceAccount is elsewhere for another).
	for changed := true; changed; {
		changed = false
		for i, s := range c.Specs {
			if s.AccountInInput {
				continue
			}
			here, elsewhere := false, false
			for _, o := range objects {
				if o.Account != s.Account && (s.SelectLabel == "" || o.Pick != s.SelectLabel) {
					continue
				}
				if o.Key.Namespace == s.Namespace {
					here = true
				} else {
					elsewhere = true
				}
			}
			if elsewhere && !here {
				c.Specs[i].AccountInInput = true
				changed = true
				objects = append(objects, accountObject(r, s, i))
			}
		}
	}
	r.Shuffle(len(objects), func(i, j int) { objects[i], objects[j] = objects[j], objects[i] })
	c.Objects = objects

	// The stream: spec items first or last, the functionConfig itself
	// sometimes (as kpt passes it).
	var docs []string
	for _, o := range objects {
		docs = append(docs, o.YAML)
	}
	for _, s := range c.Specs {
		if s.Item {
			if r.Intn(2) == 0 {
				docs = append(docs, s.YAML)
			} else {
				docs = append([]string{s.YAML}, docs...)
			}
		}
	}
	if r.Intn(4) == 0 {
		// kpt passes the functionConfig file as an item too.
		docs = append(docs, c.Config)
	}
	c.Input = strings.Join(docs, "---\n")
	return c
}

// accountObject is the ServiceAccount of spec number i, among the input.
func accountObject(r *rand.Rand, s genSpec, i int) genObject {
	return genObject{
		Key:     objectKey{"v1", "ServiceAccount", s.Namespace, s.Account},
		YAML:    serviceAccountYAML(r, s.Account, s.Namespace, i),
		Touched: s.annotatesAccount(),
		Strict:  true,
		Account: s.Account,
	}
}

// generateSpec builds spec number i for ServiceAccount ns/account.
func generateSpec(r *rand.Rand, i int, ns, account string) genSpec {
	s := genSpec{Name: fmt.Sprintf("spec-%d", i), Namespace: landsIn(ns), Account: account, Item: i > 0}
	s.Local = s.Item && r.Intn(2) == 0
	provider := genProviders[r.Intn(len(genProviders))]
	var b strings.Builder
	b.WriteString("apiVersion: crosscloud.dev/v1alpha1\nkind: CrossCloudAccess\nmetadata:\n  name: " + s.Name + "\n")
	if s.Local {
		b.WriteString("  annotations:\n    config.kubernetes.io/local-config: \"true\"\n")
	}
	b.WriteString("spec:\n  cluster:\n    provider: " + provider + "\n")
	workloadIdentity := false
	switch provider {
	case "eks":
		b.WriteString("    issuer: https://oidc.eks.eu-west-2.amazonaws.com/id/4E604436464FFCC52F8B96807F5BD5BC\n")
	case "gke":
		workloadIdentity = r.Intn(2) == 0
		b.WriteString(fmt.Sprintf("    gke:\n      projectId: my-project\n      location: europe-west2-a\n      clusterName: cluster-%d\n      workloadIdentity: %v\n", i, workloadIdentity))
	case "aks":
		b.WriteString("    issuer: https://westeurope.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/0e5a3f8c-1b2d-4c6e-9f70-123456789abc/\n")
	default:
		b.WriteString("    issuer: https://kubernetes.example.com\n")
	}
	b.WriteString("  serviceAccount:\n    name: " + account + "\n")
	// Always named: a spec without one takes the namespace of its items
	// (scope.go), which this model does not follow; the golden cases do.
	b.WriteString("    namespace: " + landsIn(ns) + "\n")
	s.AccountInInput = r.Intn(3) == 0
	if s.AccountInInput && r.Intn(2) == 0 {
		b.WriteString("    create: false\n")
	}
	if r.Intn(3) == 0 {
		s.SelectLabel = fmt.Sprintf("select-%d", i)
		b.WriteString("  workloads:\n    selector:\n      labels:\n        pick: " + s.SelectLabel + "\n")
	}

	clouds := 1 + r.Intn(7) // bit set: aws, gcp, azure
	if clouds&1 != 0 {
		modes := []string{"auto", "projected", ""}
		if provider == "eks" {
			modes = append(modes, "webhook")
		}
		mode := modes[r.Intn(len(modes))]
		s.AWSMode = "projected"
		if mode == "webhook" || ((mode == "auto" || mode == "") && provider == "eks") {
			s.AWSMode = "webhook"
		}
		b.WriteString(fmt.Sprintf("  aws:\n    roleArn: arn:aws:iam::111122223333:role/role-%d\n", i))
		if mode != "" {
			b.WriteString("    mode: " + mode + "\n")
		}
		if s.AWSMode == "projected" {
			if r.Intn(2) == 0 {
				b.WriteString("    region: eu-west-2\n")
			}
			if r.Intn(2) == 0 {
				b.WriteString("    roleSessionName: session-" + account + "\n")
			}
			if r.Intn(2) == 0 {
				b.WriteString(fmt.Sprintf("    tokenExpirationSeconds: %d\n", 600+r.Intn(86400-600)))
			}
		}
	}
	if clouds&2 != 0 {
		modes := []string{"auto", "federated", ""}
		if workloadIdentity {
			modes = append(modes, "workloadIdentity")
		}
		mode := modes[r.Intn(len(modes))]
		s.GCPMode = "federated"
		if mode == "workloadIdentity" || ((mode == "auto" || mode == "") && workloadIdentity) {
			s.GCPMode = "workloadIdentity"
		}
		b.WriteString("  gcp:\n")
		if mode != "" {
			b.WriteString("    mode: " + mode + "\n")
		}
		if s.GCPMode == "workloadIdentity" {
			b.WriteString("    serviceAccountEmail: app-" + account + "@my-project.iam.gserviceaccount.com\n")
		} else {
			b.WriteString("    projectNumber: \"123456789012\"\n    workloadIdentityPool: cluster-pool\n    workloadIdentityProvider: cluster-" + fmt.Sprint(i) + "\n")
			if r.Intn(2) == 0 {
				b.WriteString("    serviceAccountEmail: app-" + account + "@my-project.iam.gserviceaccount.com\n")
				if r.Intn(2) == 0 {
					b.WriteString("    tokenLifetimeSeconds: 1800\n")
				}
			}
		}
	}
	if clouds&4 != 0 {
		modes := []string{"auto", "projected", ""}
		if provider == "aks" {
			modes = append(modes, "webhook")
		}
		mode := modes[r.Intn(len(modes))]
		s.AzureMode = "projected"
		if mode == "webhook" || ((mode == "auto" || mode == "") && provider == "aks") {
			s.AzureMode = "webhook"
		}
		b.WriteString("  azure:\n    tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47\n    clientId: 0e5a3f8c-1b2d-4c6e-9f70-12345678900" + fmt.Sprint(i) + "\n")
		if mode != "" {
			b.WriteString("    mode: " + mode + "\n")
		}
	}
	s.YAML = b.String()
	return s
}

func serviceAccountYAML(r *rand.Rand, name, ns string, i int) string {
	comment := ""
	if r.Intn(2) == 0 {
		comment = "# owned by the platform team\n"
	}
	return fmt.Sprintf(`%sapiVersion: v1
kind: ServiceAccount
metadata:
  name: %s
  namespace: %s
  annotations:
    team: platform-%d
automountServiceAccountToken: false
`, comment, name, ns, i)
}

// unrelatedObjects are objects no spec may touch, some of them shaped like
// workloads of another API group.
func unrelatedObjects(r *rand.Rand) []genObject {
	all := []genObject{
		{Key: objectKey{"v1", "Service", "apps", "api"}, Strict: true, YAML: `apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: apps
spec:
  selector: {app: api}   # flow style survives
  ports:
  - port: 80
    targetPort: 8080
`},
		{Key: objectKey{"apiextensions.k8s.io/v1", "CustomResourceDefinition", "default", "widgets.example.com"}, YAML: `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`},
		{Key: objectKey{"example.com/v1", "Widget", "apps", "gadget"}, YAML: `apiVersion: example.com/v1
kind: Widget
metadata:
  name: gadget
  namespace: apps
spec:
  serviceAccountName: sa-0   # not a pod template: must stay as it is
  someUnknownField: {nested: [1, 2, 3]}
`},
		// A kind named like a workload in another group is not one.
		{Key: objectKey{"example.com/v1", "Deployment", "default", "lookalike"}, YAML: `apiVersion: example.com/v1
kind: Deployment
metadata:
  name: lookalike
spec:
  template:
    spec:
      serviceAccountName: sa-0
      containers: [{name: app, image: example.com/app:1}]
`},
		{Key: objectKey{"kpt.dev/v1", "Kptfile", "default", "package"}, YAML: `apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: package
  annotations:
    config.kubernetes.io/local-config: "true"
info:
  description: a package
`},
	}
	var picked []genObject
	for _, o := range all {
		if r.Intn(3) != 0 {
			picked = append(picked, o)
		}
	}
	return picked
}

// generateWorkload builds workload number i, running as one of the specs'
// ServiceAccounts, another one, or none.
func generateWorkload(r *rand.Rand, i int, specs []genSpec) genObject {
	row := genKinds[r.Intn(len(genKinds))]
	kind := row.Kind
	ns := genNamespaces[r.Intn(len(genNamespaces))]
	name := fmt.Sprintf("w%d-%s", i, strings.ToLower(kind))
	key := objectKey{row.APIVersions()[0], kind, landsIn(ns), name}

	// Who it runs as.
	account := ""
	labels := map[string]string{"app": name}
	touched := false
	switch r.Intn(5) {
	case 0, 1: // a spec's ServiceAccount, maybe in another namespace
		s := specs[r.Intn(len(specs))]
		account = s.Account
		if r.Intn(4) != 0 {
			ns = s.Namespace
			key.Namespace = s.Namespace
		}
	case 2: // someone else
		account = "unrelated"
	case 3: // selected by a spec's label selector, running as nobody yet
		s := specs[r.Intn(len(specs))]
		if s.SelectLabel != "" {
			labels["pick"] = s.SelectLabel
			if r.Intn(2) == 0 {
				ns = s.Namespace
				key.Namespace = s.Namespace
			}
		}
	}
	for _, s := range specs {
		if s.Namespace != key.Namespace {
			continue
		}
		// Every mode stamps the templates it selects, webhook modes too.
		if account == s.Account {
			touched = true
		}
		if s.SelectLabel != "" && labels["pick"] == s.SelectLabel {
			// The selector sets serviceAccountName, then patches.
			touched = true
		}
	}

	strict := true
	pod := podSpec(r, kind, account)
	if r.Intn(8) == 0 {
		// Unknown fields survive; the object no longer decodes strictly.
		pod = append(pod, "x-team-note: kept as written")
		strict = false
	}
	var b strings.Builder
	if r.Intn(3) == 0 {
		b.WriteString("# workload " + name + "\n")
	}
	b.WriteString("apiVersion: " + key.APIVersion + "\nkind: " + kind + "\nmetadata:\n  name: " + name + "\n")
	if ns != "" {
		b.WriteString("  namespace: " + ns + "\n")
	}
	b.WriteString("  labels:\n")
	for _, k := range []string{"app", "pick"} {
		if v, ok := labels[k]; ok {
			b.WriteString("    " + k + ": " + v + "\n")
		}
	}
	if r.Intn(3) == 0 {
		b.WriteString("  annotations:\n    note: \"kept: as written\"  # a comment on an annotation\n")
	}
	template := func(indent string) {
		b.WriteString(indent + "metadata:\n" + indent + "  labels:\n" + indent + "    app: " + name + "\n")
		b.WriteString(indent + "spec:\n")
		for _, line := range pod {
			b.WriteString(indent + "  " + line + "\n")
		}
	}
	switch kind {
	case "Pod":
		b.WriteString("spec:\n")
		for _, line := range pod {
			b.WriteString("  " + line + "\n")
		}
	case "PodTemplate":
		b.WriteString("template:\n")
		template("  ")
	case "CronJob":
		b.WriteString("spec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n")
		template("        ")
	case "Job":
		b.WriteString("spec:\n  backoffLimit: 2\n  template:\n")
		template("    ")
	default:
		b.WriteString("spec:\n  selector:\n    matchLabels:\n      app: " + name + "\n")
		if kind == "StatefulSet" {
			b.WriteString("  serviceName: " + name + "\n")
		}
		b.WriteString("  template:\n")
		template("    ")
	}
	return genObject{Key: key, YAML: b.String(), Touched: touched, Strict: strict, Account: account, Pick: labels["pick"]}
}

// podSpec returns the lines of a pod spec, unindented.
func podSpec(r *rand.Rand, kind, account string) []string {
	var lines []string
	if account != "" {
		field := "serviceAccountName"
		if r.Intn(6) == 0 {
			field = "serviceAccount" // deprecated, still honoured
		}
		lines = append(lines, field+": "+account)
	}
	if kind == "Pod" || kind == "Job" || kind == "CronJob" || kind == "PodTemplate" {
		lines = append(lines, "restartPolicy: Never")
	}
	volumes := r.Intn(3)
	if volumes > 0 {
		lines = append(lines, "volumes:")
		for v := 0; v < volumes; v++ {
			lines = append(lines, fmt.Sprintf("- name: data-%d", v), "  emptyDir: {}")
		}
	}
	if r.Intn(3) == 0 {
		lines = append(lines, "initContainers:")
		lines = append(lines, container(r, "setup", volumes, false)...)
		if r.Intn(2) == 0 {
			lines = append(lines, container(r, "proxy", volumes, true)...)
		}
	}
	lines = append(lines, "containers:  # the main containers")
	containers := 1 + r.Intn(3)
	for c := 0; c < containers; c++ {
		name := "app"
		if c > 0 {
			name = fmt.Sprintf("helper-%d", c)
		}
		lines = append(lines, container(r, name, volumes, false)...)
	}
	if kind == "Pod" && r.Intn(3) == 0 {
		lines = append(lines, "ephemeralContainers:", "- name: debugger", "  image: busybox:1.36", "  env: [{name: AWS_REGION, value: us-east-1}]")
	}
	return lines
}

// container returns the lines of one list element.
func container(r *rand.Rand, name string, volumes int, sidecar bool) []string {
	lines := []string{"- name: " + name, "  image: example.com/" + name + ":1.0"}
	if sidecar {
		lines = append(lines, "  restartPolicy: Always  # a native sidecar")
	}
	switch r.Intn(4) {
	case 0:
		lines = append(lines, "  env:", "  - name: LOG_LEVEL", "    value: info", "  - name: POD_NAME", "    valueFrom:", "      fieldRef: {fieldPath: metadata.name}")
	case 1:
		lines = append(lines, "  env: [{name: PORT, value: \"8080\"}]")
	case 2:
		lines = append(lines, "  env: []")
	}
	if r.Intn(3) == 0 {
		lines = append(lines, "  envFrom:", "  - configMapRef: {name: settings}", "  - prefix: APP_", "    secretRef:", "      name: app-secret")
	}
	if volumes > 0 && r.Intn(2) == 0 {
		lines = append(lines, "  volumeMounts:")
		for v := 0; v < volumes; v++ {
			lines = append(lines, fmt.Sprintf("  - name: data-%d", v), fmt.Sprintf("    mountPath: /data/%d", v))
		}
	}
	return lines
}
