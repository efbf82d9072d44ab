package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
)

// The real aws, gcloud and az run every command of every shell golden, the
// commented alternatives included. aws and gcloud are pointed at a recording
// endpoint on loopback (their endpoint override settings, fake credentials),
// so a command passes only when the CLI's own parser took it and sent a
// request, and the request that arrived is compared with the JSON golden of
// the same case. az cannot be pointed anywhere without a login; it checks
// every argument before it asks for one, so a command that gets as far as
// "Please run 'az login'" has passed its parser.
//
// Commands are taken from the script by running it in sh and in bash with
// aws, gcloud and az as shell functions that print their arguments: the shells
// do the quoting and expansion, and both must agree. Then each argument list
// is run by the real CLI.
func TestShellGoldensRunInTheRealCLIs(t *testing.T) {
	clis := needCLIs(t, "aws", "gcloud", "az")
	goldens, err := filepath.Glob(filepath.Join("testdata", "*", goldenFiles["shell"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(goldens) == 0 {
		t.Fatal("no shell goldens found")
	}
	runner := &cliRunner{clis: clis, azConfig: t.TempDir(), results: map[string]*cliResult{}}
	for _, golden := range goldens {
		dir := filepath.Dir(golden)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			script, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			var want Trust
			readJSON(t, filepath.Join(dir, goldenFiles["json"]), &want)
			var got receivedTrust
			for _, call := range scriptCalls(t, string(script)) {
				result := runner.run(t, call)
				if result.failure != "" {
					t.Error(result.failure)
					continue
				}
				switch call[0] {
				case "aws":
					got.aws(t, call, result.requests)
				case "gcloud":
					got.gcloud(t, call, result.requests)
				case "az":
					got.az(t, call)
				}
			}
			got.compare(t, &want)
		})
	}
	t.Cleanup(func() {
		for _, cli := range sortedKeys(runner.runs) {
			t.Logf("%s: %d distinct commands run", cli, runner.runs[cli])
		}
	})
}

// cliRunner runs each distinct command once (cases share many) and keeps
// what it did.
type cliRunner struct {
	clis     map[string]string
	azConfig string     // one az command index for every run,
	azMu     sync.Mutex // so one az at a time
	mu       sync.Mutex
	results  map[string]*cliResult
	runs     map[string]int
}

type cliResult struct {
	once     sync.Once
	requests []recordedRequest
	failure  string // why the CLI refused the command, or sent nothing
}

func (c *cliRunner) run(t *testing.T, call []string) *cliResult {
	t.Helper()
	c.mu.Lock()
	key := strings.Join(call, "\x00")
	result, ok := c.results[key]
	if !ok {
		result = &cliResult{}
		c.results[key] = result
		if c.runs == nil {
			c.runs = map[string]int{}
		}
		c.runs[call[0]]++
	}
	c.mu.Unlock()
	result.once.Do(func() {
		switch call[0] {
		case "aws":
			result.requests, result.failure = runRecorded(c.clis["aws"], awsEnv, call[1:])
		case "gcloud":
			result.requests, result.failure = runRecorded(c.clis["gcloud"], gcloudEnv, call[1:])
		case "az":
			c.azMu.Lock()
			defer c.azMu.Unlock()
			result.failure = runAz(c.clis["az"], c.azConfig, call[1:])
		default:
			result.failure = fmt.Sprintf("the script runs %q, which is none of aws, gcloud, az", call)
		}
	})
	return result
}

// needCLIs finds each CLI on PATH. A missing one skips the test with the
// reason, except under CI, where .ci/run installs them and a skip would hide
// that it did not.
func needCLIs(t *testing.T, names ...string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	var missing []string
	for _, name := range names {
		path, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		paths[name] = path
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s not on PATH: the real CLIs check the shell goldens (.ci/run installs them)", strings.Join(missing, ", "))
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return paths
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// scriptCalls are the argument lists of every aws, gcloud and az command the
// script runs, then those of its commented alternatives ("#   COMMAND"), as
// sh and bash pass them. The identity lookups answer with a made-up name, as
// the real ones would with the identity's.
func scriptCalls(t *testing.T, script string) [][]string {
	t.Helper()
	var alternatives []string
	for _, line := range strings.Split(script, "\n") {
		if alt, ok := strings.CutPrefix(line, "#   "); ok {
			alternatives = append(alternatives, alt)
		}
	}
	full := script + "\n" + strings.Join(alternatives, "\n") + "\n"
	var calls [][]string
	for _, shell := range []string{"sh", "bash"} {
		got := shellCalls(t, shell, full)
		if calls != nil {
			if diff := cmp.Diff(calls, got); diff != "" {
				t.Fatalf("sh and bash run different commands (-sh +bash):\n%s", diff)
			}
		}
		calls = got
	}
	if len(calls) == 0 {
		t.Fatal("the script runs no command")
	}
	return calls
}

// shellCalls runs the script in shell with aws, gcloud, az (and pwned, which
// no script should run) as functions that record their arguments, and
// returns one argument list per call. "az identity list" answers with a
// made-up name.
func shellCalls(t *testing.T, shell, script string) [][]string {
	t.Helper()
	path := needShell(t, shell)
	// Records go to fd 4, the test's stdout, so that those made inside a
	// command substitution are not taken for the command's output.
	prelude := `exec 4>&1
record() { printf '%s\0' "$#" "$@" >&4; }
aws() { record aws "$@"; }
gcloud() { record gcloud "$@"; }
az() { record az "$@"; if [ "$1 $2" = "identity list" ]; then echo test-identity; fi; }
pwned() { record pwned "$@"; }
`
	cmd := exec.Command(path, "-c", prelude+script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", shell, err, stderr.String())
	}
	// Each call is its argument count, then its arguments, each ended by a
	// NUL, which no argument can hold.
	var calls [][]string
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	for len(fields) > 0 && string(out) != "" {
		n, err := strconv.Atoi(fields[0])
		if err != nil || n < 1 || n >= len(fields) {
			t.Fatalf("%s: the stubs recorded %q, not an argument count and that many arguments", shell, fields)
		}
		calls = append(calls, fields[1:n+1])
		fields = fields[n+1:]
	}
	return calls
}

// recorder is the endpoint aws and gcloud send their requests to, one per
// command. It answers each as the service would, in the least it takes the
// CLI to finish without an error, and keeps the requests.
type recorder struct {
	mu       sync.Mutex
	requests []recordedRequest
}

type recordedRequest struct {
	Method string
	Path   string
	Query  url.Values
	Body   []byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests = append(r.requests, recordedRequest{Method: req.Method, Path: req.URL.Path, Query: req.URL.Query(), Body: body})
	r.mu.Unlock()
	switch {
	case strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		// AWS query protocol (IAM): an empty result of the action.
		form, _ := url.ParseQuery(string(body))
		action := form.Get("Action")
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult></%sResult><ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></%sResponse>`,
			action, action, action, action)
	case strings.HasSuffix(req.URL.Path, ":getIamPolicy") || (req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/iam")):
		writeJSON(w, map[string]any{"etag": "BwYAAAAAAAA=", "version": 1})
	case strings.HasSuffix(req.URL.Path, ":setIamPolicy"):
		// The policy set is the policy returned.
		var set struct {
			Policy json.RawMessage `json:"policy"`
		}
		_ = json.Unmarshal(body, &set)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(set.Policy)
	case req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/iam"):
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	case strings.HasPrefix(req.URL.Path, "/v1/projects/"):
		// Google long-running create: an operation that is already done.
		writeJSON(w, map[string]any{"name": strings.TrimPrefix(req.URL.Path, "/v1/") + "/operations/test", "done": true, "response": map[string]any{}})
	default:
		// AWS REST-JSON (EKS) and anything else.
		writeJSON(w, map[string]any{})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// runRecorded runs the CLI against a new recorder and returns the requests
// that arrived, or why the command failed or sent nothing.
func runRecorded(cli string, env func(endpoint, dir string) []string, args []string) ([]recordedRequest, string) {
	rec := &recorder{}
	server := httptest.NewServer(rec)
	defer server.Close()
	dir, err := os.MkdirTemp("", "trust-cli-")
	if err != nil {
		return nil, err.Error()
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(cli, args...)
	cmd.Env = env(server.URL, dir)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	command := filepath.Base(cli) + " " + strings.Join(args, " ")
	if err != nil {
		return nil, fmt.Sprintf("%s: %v\n%s", command, err, out)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.requests) == 0 {
		return nil, fmt.Sprintf("%s sent no request\n%s", command, out)
	}
	return rec.requests, ""
}

// baseEnv is a clean environment: no user configuration reaches the CLIs.
func baseEnv(home string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8"}
}

// awsEnv sends every service to the recorder with credentials that are
// obviously fake, and keeps the CLI off the instance metadata service.
func awsEnv(endpoint, dir string) []string {
	return append(baseEnv(dir),
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=test-secret-not-a-key",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=")
}

// gcloudEnv sends the APIs the scripts use to the recorder, with an access
// token from a file (no login) and no metadata server lookups.
func gcloudEnv(endpoint, dir string) []string {
	token := filepath.Join(dir, "token")
	_ = os.WriteFile(token, []byte("test-token\n"), 0o600)
	return append(baseEnv(dir),
		"CLOUDSDK_CONFIG="+dir,
		"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="+token,
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM="+endpoint+"/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE="+endpoint+"/storage/v1/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER="+endpoint+"/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB="+endpoint+"/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_SECRETMANAGER="+endpoint+"/",
		"CLOUDSDK_CORE_CHECK_GCE_METADATA=false",
		"CLOUDSDK_CORE_DISABLE_PROMPTS=1",
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true")
}

// runAz runs az with no account: a command its parser takes ends in "Please
// run 'az login'"; one it refuses ends with the reason (exit 2).
func runAz(az, config string, args []string) string {
	cmd := exec.Command(az, args...)
	cmd.Env = append(baseEnv(config), "AZURE_CONFIG_DIR="+config, "AZURE_CORE_COLLECT_TELEMETRY=false", "AZURE_CORE_NO_COLOR=true")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if !strings.Contains(string(out), "Please run 'az login'") {
		return fmt.Sprintf("az %s: %v: the parser did not take it:\n%s", strings.Join(args, " "), err, out)
	}
	return ""
}

// receivedTrust is the trust as the clouds received it, in the JSON
// document's shape, to compare with the JSON golden.
type receivedTrust struct {
	oidcProviders []AWSOIDCProvider   // created, by URL
	addedClients  map[string][]string // the commented alternative: client IDs added by provider ARN
	roles         []AWSRole           // RoleARN holds the role name the request names
	associations  []AWSPodIdentityAssociation
	pools         []GCPPool // one entry per pool created and one per provider created
	principals    []string  // members of the commented example bucket grant
	credentials   []AzureFederatedIdentityCredential
	// appCredentials are the commented alternative's, for an app registration.
	appCredentials []AzureFederatedIdentityCredential
	// Grants: inline policies and attachments by role name, resource
	// bindings (resources as the API paths name them) and role assignments.
	rolePolicies     map[string]*PermissionsPolicy
	attached         map[string][]string
	resourceBindings []GCPResourceBinding
	roleAssignments  []AzureRoleAssignment
}

func (r *receivedTrust) aws(t *testing.T, call []string, requests []recordedRequest) {
	t.Helper()
	for _, req := range requests {
		if cluster, ok := strings.CutPrefix(req.Path, "/clusters/"); ok {
			// EKS: POST /clusters/NAME/pod-identity-associations.
			var a AWSPodIdentityAssociation
			if err := json.Unmarshal(req.Body, &a); err != nil {
				t.Fatalf("%q: EKS request body: %v", call, err)
			}
			a.ClusterName = strings.TrimSuffix(cluster, "/pod-identity-associations")
			r.associations = append(r.associations, a)
			continue
		}
		form, err := url.ParseQuery(string(req.Body))
		if err != nil {
			t.Fatalf("%q: IAM request body: %v", call, err)
		}
		switch action := form.Get("Action"); action {
		case "CreateOpenIDConnectProvider":
			p := AWSOIDCProvider{URL: form.Get("Url")}
			for i := 1; form.Has(fmt.Sprintf("ClientIDList.member.%d", i)); i++ {
				p.ClientIDList = append(p.ClientIDList, form.Get(fmt.Sprintf("ClientIDList.member.%d", i)))
			}
			r.oidcProviders = append(r.oidcProviders, p)
		case "AddClientIDToOpenIDConnectProvider":
			if r.addedClients == nil {
				r.addedClients = map[string][]string{}
			}
			providerARN := form.Get("OpenIDConnectProviderArn")
			r.addedClients[providerARN] = append(r.addedClients[providerARN], form.Get("ClientID"))
		case "UpdateAssumeRolePolicy":
			var policy PolicyDocument
			if err := json.Unmarshal([]byte(form.Get("PolicyDocument")), &policy); err != nil {
				t.Fatalf("%q: PolicyDocument: %v", call, err)
			}
			r.roles = append(r.roles, AWSRole{RoleARN: form.Get("RoleName"), AssumeRolePolicy: policy})
		case "PutRolePolicy":
			if form.Get("PolicyName") != "cross-cloud-access" {
				t.Errorf("%q named the inline policy %q; trust owns only cross-cloud-access", call, form.Get("PolicyName"))
			}
			var policy PermissionsPolicy
			if err := json.Unmarshal([]byte(form.Get("PolicyDocument")), &policy); err != nil {
				t.Fatalf("%q: PolicyDocument: %v", call, err)
			}
			if r.rolePolicies == nil {
				r.rolePolicies = map[string]*PermissionsPolicy{}
			}
			r.rolePolicies[form.Get("RoleName")] = &policy
		case "AttachRolePolicy":
			if r.attached == nil {
				r.attached = map[string][]string{}
			}
			r.attached[form.Get("RoleName")] = append(r.attached[form.Get("RoleName")], form.Get("PolicyArn"))
		default:
			t.Errorf("%q sent IAM action %s, which this test does not compare with the JSON golden yet", call, action)
		}
	}
}

func (r *receivedTrust) gcloud(t *testing.T, call []string, requests []recordedRequest) {
	t.Helper()
	for _, req := range requests {
		path := strings.TrimPrefix(req.Path, "/v1/")
		switch {
		case strings.HasSuffix(path, "/workloadIdentityPools") && req.Method == http.MethodPost:
			number := strings.Split(path, "/")[1]
			r.pools = append(r.pools, GCPPool{ProjectNumber: number, PoolID: req.Query.Get("workloadIdentityPoolId")})
		case strings.HasSuffix(path, "/providers") && req.Method == http.MethodPost:
			var body struct {
				AttributeCondition string            `json:"attributeCondition"`
				AttributeMapping   map[string]string `json:"attributeMapping"`
				OIDC               struct {
					IssuerURI        string   `json:"issuerUri"`
					AllowedAudiences []string `json:"allowedAudiences"`
				} `json:"oidc"`
			}
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatalf("%q: provider body: %v", call, err)
			}
			parts := strings.Split(path, "/")
			p := GCPPoolProvider{
				ProviderID: req.Query.Get("workloadIdentityPoolProviderId"), IssuerURI: body.OIDC.IssuerURI,
				AllowedAudiences: body.OIDC.AllowedAudiences, AttributeMapping: body.AttributeMapping,
				AttributeCondition: body.AttributeCondition,
			}
			if p.AllowedAudiences == nil {
				p.AllowedAudiences = []string{}
			}
			r.pools = append(r.pools, GCPPool{ProjectNumber: parts[1], PoolID: parts[5], Providers: []GCPPoolProvider{p}})
		case strings.HasSuffix(path, ":setIamPolicy"), strings.HasPrefix(req.Path, "/storage/v1/b/") && req.Method == http.MethodPut:
			var body struct {
				Policy   *policyBindings `json:"policy"`
				Bindings []iamBinding    `json:"bindings"`
			}
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatalf("%q: IAM policy body: %v", call, err)
			}
			bindings := body.Bindings
			if body.Policy != nil {
				bindings = body.Policy.Bindings
			}
			resource := strings.TrimSuffix(path, ":setIamPolicy")
			if bucket, ok := strings.CutPrefix(req.Path, "/storage/v1/b/"); ok {
				bucket = strings.TrimSuffix(bucket, "/iam")
				if bucket == "BUCKET" {
					// The commented example grant of a resource principal.
					for _, b := range bindings {
						r.principals = append(r.principals, b.Members...)
					}
					continue
				}
				resource = "projects/_/buckets/" + bucket
			}
			for _, b := range bindings {
				for _, m := range b.Members {
					// Trust's bindings and the grants' alike: compare
					// holds them to both lists of the golden together.
					r.resourceBindings = append(r.resourceBindings, GCPResourceBinding{Resource: resource, Role: b.Role, Member: m, Condition: b.Condition})
				}
			}
		case req.Method == http.MethodGet, strings.HasSuffix(path, ":getIamPolicy"):
			// Reads before a write.
		default:
			t.Errorf("%q sent %s %s, which this test does not compare with the JSON golden yet: extend receivedTrust.gcloud", call, req.Method, req.Path)
		}
	}
}

type policyBindings struct {
	Bindings []iamBinding `json:"bindings"`
}

type iamBinding struct {
	Role      string        `json:"role"`
	Members   []string      `json:"members"`
	Condition *GCPCondition `json:"condition"`
}

// az sends nothing; what the parser took is the arguments themselves.
func (r *receivedTrust) az(t *testing.T, call []string) {
	t.Helper()
	switch command := strings.Join(call[1:], " ") + " "; {
	case strings.HasPrefix(command, "identity list "):
		// The lookup of the identity's name and resource group.
	case strings.HasPrefix(command, "identity federated-credential create "):
		c := AzureFederatedIdentityCredential{Name: flagValue(call, "--name"), Issuer: flagValue(call, "--issuer"), Subject: flagValue(call, "--subject")}
		if i := slices.Index(call, "--audiences"); i >= 0 {
			c.Audiences = call[i+1:]
		}
		r.credentials = append(r.credentials, c)
	case strings.HasPrefix(command, "ad app federated-credential create "):
		// The commented alternative for an app registration.
		var c AzureFederatedIdentityCredential
		if err := json.Unmarshal([]byte(flagValue(call, "--parameters")), &c); err != nil {
			t.Fatalf("%q: --parameters: %v", call, err)
		}
		c.ClientID = flagValue(call, "--id")
		r.appCredentials = append(r.appCredentials, c)
	case strings.HasPrefix(command, "role assignment create "):
		r.roleAssignments = append(r.roleAssignments, AzureRoleAssignment{
			ClientID: flagValue(call, "--assignee"), RoleDefinitionID: flagValue(call, "--role"), Scope: flagValue(call, "--scope"),
		})
	default:
		t.Errorf("%q is an az command this test does not compare with the JSON golden yet: extend receivedTrust.az", call)
	}
}

// compare holds what arrived to the JSON golden: each OIDC provider, trust
// policy, pod identity association, pool, provider, binding and credential,
// nothing missing and nothing more.
func (r *receivedTrust) compare(t *testing.T, want *Trust) {
	t.Helper()
	var wantProviders []AWSOIDCProvider
	var wantAdded map[string][]string
	var wantRoles []AWSRole
	var wantAssociations []AWSPodIdentityAssociation
	if want.AWS != nil {
		for _, p := range want.AWS.OIDCProviders {
			wantProviders = append(wantProviders, AWSOIDCProvider{URL: p.URL, ClientIDList: p.ClientIDList})
			if wantAdded == nil {
				wantAdded = map[string][]string{}
			}
			wantAdded[p.ARN] = p.ClientIDList
		}
		for _, role := range want.AWS.Roles {
			parsed, err := arn.ParseRole(role.RoleARN)
			if err != nil {
				t.Fatal(err)
			}
			wantRoles = append(wantRoles, AWSRole{RoleARN: parsed.Name, AssumeRolePolicy: role.AssumeRolePolicy})
		}
		wantAssociations = want.AWS.PodIdentityAssociations
	}
	check(t, "OIDC providers", wantProviders, r.oidcProviders)
	if diff := cmp.Diff(wantAdded, r.addedClients); diff != "" {
		t.Errorf("client IDs added to existing OIDC providers: what arrived differs from the JSON golden (-json +received):\n%s", diff)
	}
	check(t, "role trust policies (role name, policy)", wantRoles, r.roles)
	var wantPolicies map[string]*PermissionsPolicy
	var wantAttached map[string][]string
	if want.AWS != nil {
		for _, role := range want.AWS.Roles {
			parsed, err := arn.ParseRole(role.RoleARN)
			if err != nil {
				t.Fatal(err)
			}
			if role.PermissionsPolicy != nil {
				if wantPolicies == nil {
					wantPolicies = map[string]*PermissionsPolicy{}
				}
				wantPolicies[parsed.Name] = role.PermissionsPolicy
			}
			if len(role.ManagedPolicyARNs) > 0 {
				if wantAttached == nil {
					wantAttached = map[string][]string{}
				}
				wantAttached[parsed.Name] = role.ManagedPolicyARNs
			}
		}
	}
	if diff := cmp.Diff(wantPolicies, r.rolePolicies); diff != "" {
		t.Errorf("inline role policies: what arrived differs from the JSON golden (-json +received):\n%s", diff)
	}
	if diff := cmp.Diff(wantAttached, r.attached); diff != "" {
		t.Errorf("attached managed policies: what arrived differs from the JSON golden (-json +received):\n%s", diff)
	}
	check(t, "pod identity associations", wantAssociations, r.associations)

	var wantPools []GCPPool
	var wantBindings []GCPIAMBinding
	var wantPrincipals []string
	if want.GCP != nil {
		for _, pool := range want.GCP.WorkloadIdentityPools {
			wantPools = append(wantPools, GCPPool{ProjectNumber: pool.ProjectNumber, PoolID: pool.PoolID})
			for _, p := range pool.Providers {
				wantPools = append(wantPools, GCPPool{ProjectNumber: pool.ProjectNumber, PoolID: pool.PoolID, Providers: []GCPPoolProvider{p}})
			}
		}
		wantBindings = want.GCP.IAMBindings
		wantPrincipals = want.GCP.ResourcePrincipals
	}
	check(t, "workload identity pools and providers", wantPools, r.pools)
	check(t, "principals in the example bucket grant", wantPrincipals, r.principals)
	var wantResourceBindings []GCPResourceBinding
	for _, b := range wantBindings {
		wantResourceBindings = append(wantResourceBindings, GCPResourceBinding{Resource: b.Resource, Role: b.Role, Member: b.Member})
	}
	if want.GCP != nil {
		for _, b := range want.GCP.ResourceBindings {
			// The API path of the full resource name.
			_, path, _ := strings.Cut(strings.TrimPrefix(b.Resource, "//"), "/")
			b.Resource = path
			wantResourceBindings = append(wantResourceBindings, b)
		}
	}
	sortBindings := func(b []GCPResourceBinding) {
		slices.SortFunc(b, func(x, y GCPResourceBinding) int {
			return strings.Compare(x.Resource+" "+x.Role+" "+x.Member, y.Resource+" "+y.Role+" "+y.Member)
		})
	}
	sortBindings(wantResourceBindings)
	sortBindings(r.resourceBindings)
	check(t, "IAM bindings (trust's and the grants', resources as API paths)", wantResourceBindings, r.resourceBindings)

	var wantCredentials, wantAppCredentials []AzureFederatedIdentityCredential
	if want.Azure != nil {
		for _, c := range want.Azure.FederatedIdentityCredentials {
			wantCredentials = append(wantCredentials, AzureFederatedIdentityCredential{Name: c.Name, Issuer: c.Issuer, Subject: c.Subject, Audiences: c.Audiences})
			wantAppCredentials = append(wantAppCredentials, AzureFederatedIdentityCredential{Name: c.Name, Issuer: c.Issuer, Subject: c.Subject, Audiences: c.Audiences, ClientID: c.ClientID})
		}
	}
	check(t, "Azure federated identity credentials", wantCredentials, r.credentials)
	check(t, "Azure federated identity credentials of app registrations", wantAppCredentials, r.appCredentials)
	var wantAssignments []AzureRoleAssignment
	if want.Azure != nil {
		for _, a := range want.Azure.RoleAssignments {
			// az takes the role definition's GUID.
			guid := a.RoleDefinitionID[strings.LastIndex(a.RoleDefinitionID, "/")+1:]
			wantAssignments = append(wantAssignments, AzureRoleAssignment{ClientID: a.ClientID, RoleDefinitionID: guid, Scope: a.Scope})
		}
	}
	check(t, "Azure role assignments", wantAssignments, r.roleAssignments)
}

func check[T any](t *testing.T, what string, want, got []T) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpEmptyIsNil); diff != "" {
		t.Errorf("%s: what arrived differs from the JSON golden (-json +received):\n%s", what, diff)
	}
}

// cmpEmptyIsNil treats a nil and an empty slice alike.
var cmpEmptyIsNil = cmp.FilterValues(func(a, b any) bool {
	return isEmptySlice(a) && isEmptySlice(b)
}, cmp.Comparer(func(a, b any) bool { return true }))

func isEmptySlice(v any) bool {
	switch s := v.(type) {
	case []string:
		return len(s) == 0
	case []AWSOIDCProvider:
		return len(s) == 0
	case []AWSRole:
		return len(s) == 0
	case []AWSPodIdentityAssociation:
		return len(s) == 0
	case []GCPPool:
		return len(s) == 0
	case []GCPPoolProvider:
		return len(s) == 0
	case []GCPIAMBinding:
		return len(s) == 0
	case []AzureFederatedIdentityCredential:
		return len(s) == 0
	case []GCPResourceBinding:
		return len(s) == 0
	case []AzureRoleAssignment:
		return len(s) == 0
	}
	return false
}
