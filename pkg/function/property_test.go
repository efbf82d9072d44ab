package function

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/internal/benchdata"
	"github.com/crosscloud-dev/cross-cloud-access/internal/kubecheck"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/gcp"
)

// propertyInputs is how many generated inputs each property is checked on.
// Seeds are fixed: a failure names its seed, and
// go test -run 'TestProperty.*/seed=N' reproduces it.
const propertyInputs = 300

// forEachCase runs check on propertyInputs generated cases, each as its own
// subtest named after its seed. The function runs once per case; its output
// is shared by every property.
func forEachCase(t *testing.T, check func(t *testing.T, c genCase, out []*yaml.RNode)) {
	t.Helper()
	for seed := int64(1); seed <= propertyInputs; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			run := generatedRun(t, seed)
			check(t, run.Case, run.Out)
		})
	}
}

// caseRun is a generated case and the function's output for it.
type caseRun struct {
	Case genCase
	Out  []*yaml.RNode
}

var (
	caseRunsMu sync.Mutex
	caseRuns   = map[int64]caseRun{}
)

// generatedRun generates the case of seed and runs the function on it, once
// per test binary.
func generatedRun(t *testing.T, seed int64) caseRun {
	t.Helper()
	caseRunsMu.Lock()
	defer caseRunsMu.Unlock()
	if run, ok := caseRuns[seed]; ok {
		return run
	}
	c := generateCase(rand.New(rand.NewSource(seed)))
	run := caseRun{Case: c, Out: mustRun(t, c.Config, c.Input)}
	caseRuns[seed] = run
	return run
}

// execute runs the function exactly as the binary does and returns its
// stdout.
func execute(config, input string) ([]byte, error) {
	rl, err := benchdata.Wrap([]byte(config), []byte(input))
	if err != nil {
		return nil, fmt.Errorf("building the ResourceList: %w", err)
	}
	return runResourceList(rl)
}

// mustRun runs the function on a generated case, which is valid: any error
// Result fails the test.
func mustRun(t *testing.T, config, input string) []*yaml.RNode {
	t.Helper()
	out, err := execute(config, input)
	if err != nil {
		t.Fatalf("the function failed on a valid input: %v\n%s\n--- config:\n%s\n--- input:\n%s", err, out, config, input)
	}
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatalf("the output is not YAML: %v", err)
	}
	return outputItems(t, rl)
}

// keyOf identifies an item as the generator does.
func keyOf(n *yaml.RNode) objectKey {
	return objectKey{n.GetApiVersion(), n.GetKind(), namespaceOf(n), n.GetName()}
}

// inputNodes reads generated items the way the function receives them.
func inputNodes(t *testing.T, input string) []*yaml.RNode {
	t.Helper()
	nodes, err := kio.FromBytes([]byte(input))
	if err != nil {
		t.Fatalf("a generated input does not parse: %v\n%s", err, input)
	}
	return nodes
}

// TestGeneratorCoversEveryKindAndMode guards the generator: over the
// generated cases every workload kind and every resolved mode occurs, and
// both touched and untouched workloads do, or the properties prove little.
func TestGeneratorCoversEveryKindAndMode(t *testing.T) {
	seen := map[string]int{}
	for seed := int64(1); seed <= propertyInputs; seed++ {
		c := generateCase(rand.New(rand.NewSource(seed)))
		for _, s := range c.Specs {
			seen["aws "+s.AWSMode]++
			seen["gcp "+s.GCPMode]++
			seen["azure "+s.AzureMode]++
			seen[fmt.Sprintf("%d specs", len(c.Specs))]++
		}
		for _, o := range c.Objects {
			seen[o.Key.Kind]++
			seen[fmt.Sprintf("touched %v", o.Touched)]++
		}
	}
	for _, want := range append([]string{
		"aws webhook", "aws projected", "gcp workloadIdentity", "gcp federated", "azure webhook", "azure projected",
		"1 specs", "2 specs", "3 specs", "touched true", "touched false", "ServiceAccount", "CustomResourceDefinition",
	}, genKinds.Names()...) {
		if seen[want] == 0 {
			t.Errorf("no generated case has %s", want)
		}
	}
	t.Logf("%v", seen)
}

// TestPropertyIdempotent: running the function over its own output, with the
// same specs, writes the same bytes.
func TestPropertyIdempotent(t *testing.T) {
	forEachCase(t, func(t *testing.T, c genCase, first []*yaml.RNode) {
		// Spec items that left the output go back in, as in a rebuild.
		var again []string
		for _, s := range c.Specs {
			if s.Item && !s.Local {
				again = append(again, s.YAML)
			}
		}
		for _, n := range first {
			again = append(again, n.MustString())
		}
		second := mustRun(t, c.Config, strings.Join(again, "---\n"))
		if a, b := joinItems(first), joinItems(second); a != b {
			t.Fatalf("a second run changed the output:\n--- first:\n%s\n--- second:\n%s", a, b)
		}
	})
}

func joinItems(items []*yaml.RNode) string {
	var parts []string
	for _, n := range items {
		parts = append(parts, n.MustString())
	}
	return strings.Join(parts, "---\n")
}

// TestPropertyUnselectedObjectsUnchanged: every object no spec selects comes
// out byte-identical: unrelated kinds, workloads of other ServiceAccounts or
// namespaces, look-alikes of other groups, local-config specs. Every object a
// spec selects does change.
func TestPropertyUnselectedObjectsUnchanged(t *testing.T) {
	forEachCase(t, func(t *testing.T, c genCase, out []*yaml.RNode) {
		touched := map[objectKey]bool{}
		for _, o := range c.Objects {
			touched[o.Key] = o.Touched
		}
		written := map[objectKey]string{}
		for _, n := range out {
			written[keyOf(n)] = n.MustString()
		}
		unchanged := 0
		for _, n := range inputNodes(t, c.Input) {
			key := keyOf(n)
			got, ok := written[key]
			if !ok {
				continue
			}
			if touched[key] {
				// The other half: what a spec selects is edited, so the
				// expectation above is not vacuous.
				if got == n.MustString() {
					t.Errorf("%s is selected by a spec but did not change:\n%s", key, got)
				}
				continue
			}
			unchanged++
			if want := n.MustString(); got != want {
				t.Errorf("%s is selected by no spec but changed:\n--- in:\n%s\n--- out:\n%s", key, want, got)
			}
		}
		if unchanged == 0 {
			t.Fatal("no unselected object to compare: the generator is broken")
		}
	})
}

// TestPropertyNoObjectLostOrDuplicated: the output is the input, minus the
// spec items that are not local-config, plus one ServiceAccount per spec
// whose ServiceAccount is not in the input and one credential ConfigMap per
// gcp federated spec; nothing else, and nothing twice.
func TestPropertyNoObjectLostOrDuplicated(t *testing.T) {
	forEachCase(t, func(t *testing.T, c genCase, out []*yaml.RNode) {
		want := map[objectKey]int{}
		for _, n := range inputNodes(t, c.Input) {
			want[keyOf(n)]++
		}
		for _, s := range c.Specs {
			if s.Item && !s.Local {
				want[objectKey{"crosscloud.dev/v1alpha1", "CrossCloudAccess", "default", s.Name}]--
			}
			if !s.AccountInInput {
				want[objectKey{"v1", "ServiceAccount", s.Namespace, s.Account}]++
			}
			if s.GCPMode == "federated" {
				want[objectKey{"v1", "ConfigMap", s.Namespace, gcp.CredentialConfigMapName(s.Account)}]++
			}
		}
		got := map[objectKey]int{}
		for _, n := range out {
			got[keyOf(n)]++
		}
		for key, n := range want {
			if got[key] != n {
				t.Errorf("%s: %d in the output, want %d", key, got[key], n)
			}
		}
		for key, n := range got {
			if _, ok := want[key]; !ok {
				t.Errorf("%s: %d in the output, want none", key, n)
			}
		}
	})
}

// TestPropertyNoDuplicateNamesInPodTemplates: no pod template of the output
// has two volumes of one name, and no container two env entries or two
// mounts of one name or path.
func TestPropertyNoDuplicateNamesInPodTemplates(t *testing.T) {
	forEachCase(t, func(t *testing.T, c genCase, out []*yaml.RNode) {
		for _, n := range out {
			for _, problem := range duplicateNames(n) {
				t.Errorf("%s: %s\n%s", keyOf(n), problem, n.MustString())
			}
		}
	})
}

// podSpecPaths says where each workload kind keeps its pod spec.
var podSpecPaths = map[string][]string{
	"v1/Pod":              {"spec"},
	"v1/PodTemplate":      {"template", "spec"},
	"apps/v1/Deployment":  {"spec", "template", "spec"},
	"apps/v1/StatefulSet": {"spec", "template", "spec"},
	"apps/v1/DaemonSet":   {"spec", "template", "spec"},
	"apps/v1/ReplicaSet":  {"spec", "template", "spec"},
	"batch/v1/Job":        {"spec", "template", "spec"},
	"batch/v1/CronJob":    {"spec", "jobTemplate", "spec", "template", "spec"},
}

// duplicateNames lists the repeated names in the pod spec of a workload.
func duplicateNames(n *yaml.RNode) []string {
	path, ok := podSpecPaths[n.GetApiVersion()+"/"+n.GetKind()]
	if !ok {
		return nil
	}
	spec, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || spec == nil {
		return nil
	}
	var problems []string
	repeated := func(where string, list *yaml.RNode, field string) {
		if list == nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range list.Content() {
			value, err := yaml.NewRNode(e).Pipe(yaml.Lookup(field))
			if err != nil || value == nil {
				continue
			}
			v := yaml.GetValue(value)
			if seen[v] {
				problems = append(problems, fmt.Sprintf("%s has %s %q twice", where, field, v))
			}
			seen[v] = true
		}
	}
	volumes, _ := spec.Pipe(yaml.Lookup("volumes"))
	repeated("volumes", volumes, "name")
	for _, field := range []string{"containers", "initContainers", "ephemeralContainers"} {
		list, _ := spec.Pipe(yaml.Lookup(field))
		if list == nil {
			continue
		}
		for _, container := range list.Content() {
			c := yaml.NewRNode(container)
			where := field + "[" + c.Field("name").Value.YNode().Value + "]"
			env, _ := c.Pipe(yaml.Lookup("env"))
			repeated(where+".env", env, "name")
			mounts, _ := c.Pipe(yaml.Lookup("volumeMounts"))
			repeated(where+".volumeMounts", mounts, "name")
			repeated(where+".volumeMounts", mounts, "mountPath")
		}
	}
	return problems
}

// TestPropertyPatchedObjectsDecodeStrictly: every object the function
// emits, and every object it patched that decoded strictly before, decodes
// strictly into Kubernetes' own types.
func TestPropertyPatchedObjectsDecodeStrictly(t *testing.T) {
	forEachCase(t, func(t *testing.T, c genCase, out []*yaml.RNode) {
		strictBefore := map[objectKey]bool{}
		inInput := map[objectKey]bool{}
		for _, o := range c.Objects {
			inInput[o.Key] = true
			strictBefore[o.Key] = o.Strict && kubecheck.Known(o.Key.APIVersion, o.Key.Kind)
		}
		checked := 0
		for _, n := range out {
			key := keyOf(n)
			if inInput[key] && !strictBefore[key] {
				continue
			}
			if !kubecheck.Known(key.APIVersion, key.Kind) {
				continue
			}
			checked++
			if err := kubecheck.Strict(key.APIVersion, key.Kind, []byte(n.MustString())); err != nil {
				t.Errorf("%s: %v\n%s", key, err, n.MustString())
			}
		}
		if checked == 0 {
			t.Fatal("no object was checked: the generator is broken")
		}
	})
}

// secretWords are what a credential or its label contains, lowercased.
// Inputs never contain one, so any match in the output is the function's
// doing.
var secretWords = []string{
	"-----begin",            // a PEM block
	"private key",           // PEM private key
	"private_key",           // a Google service account key file
	"aws_secret_access_key", // an AWS credentials file
	"secretaccesskey",       // an AWS SDK or Terraform field
	"bearer ",               // an Authorization header
	"client_secret",         // an OAuth client secret
	"clientsecret",
}

// jwtOrAccessKeyID is a JWT (its header starts with {" in base64url) or an
// AWS access key id.
var jwtOrAccessKeyID = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}|\b(AKIA|ASIA)[A-Z0-9]{16}\b`)

// isSecretKeyRune is a character of an AWS secret access key (base64).
func isSecretKeyRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == '+'
}

// findSecrets names the credential shapes found in text.
func findSecrets(text string) []string {
	var found []string
	lower := strings.ToLower(text)
	for _, w := range secretWords {
		if strings.Contains(lower, w) {
			found = append(found, fmt.Sprintf("%q", w))
		}
	}
	if m := jwtOrAccessKeyID.FindString(text); m != "" {
		found = append(found, fmt.Sprintf("a JWT or access key id (%q)", m))
	}
	// An AWS secret access key: exactly 40 base64 characters, with letters
	// of both cases and a digit (paths and names rarely have all three).
	for _, word := range strings.FieldsFunc(text, func(r rune) bool { return !isSecretKeyRune(r) && r != '=' }) {
		if len(word) == 40 && strings.ContainsAny(word, "0123456789") &&
			strings.ToLower(word) != word && strings.ToUpper(word) != word {
			found = append(found, fmt.Sprintf("an AWS secret key (%q)", word))
		}
	}
	return found
}

// TestPropertyNoSecretsInOutput: the function writes no private key, secret
// key or bearer token: keyless access means no key anywhere.
func TestPropertyNoSecretsInOutput(t *testing.T) {
	forEachCase(t, func(t *testing.T, c genCase, out []*yaml.RNode) {
		if found := findSecrets(c.Config + c.Input); len(found) > 0 {
			t.Fatalf("the generated input already holds %s: the generator is broken", strings.Join(found, ", "))
		}
		text := joinItems(out)
		if found := findSecrets(text); len(found) > 0 {
			t.Errorf("the output holds %s:\n%s", strings.Join(found, ", "), text)
		}
	})
}

// TestSecretShapesAreFound guards the scanner of TestPropertyNoSecretsInOutput:
// each shape it claims to find is found.
func TestSecretShapesAreFound(t *testing.T) {
	for _, leak := range []string{
		"-----BEGIN RSA PRIVATE KEY-----",
		`{"type": "service_account", "private_key": "x"}`,
		"aws_secret_access_key = x",
		"key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
		"AKIAIOSFODNN7EXAMPLE",
		"Authorization: Bearer abc",
		"token: eyJhbGciOiJSUzI1NiJ9.e30.sig",
		"clientSecret: x",
	} {
		if len(findSecrets(leak)) == 0 {
			t.Errorf("%q is not recognised as a secret", leak)
		}
	}
}

// remedyWords are what a message says when it tells the user what would be
// valid or what to do.
var remedyWords = []string{"want", "set ", "remove", "use ", "fix", "add ", "merge", "rename", "move", "give", "choose", "must", "enable", "stop", "pass ", "replace", "leave", "valid fields:"}

// badCaseResults reads the Results of every testdata/bad-* golden, by case.
func badCaseResults(t *testing.T) map[string][]*framework.Result {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(goldenRoot, "bad-*"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]*framework.Result{}
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
		if err != nil {
			t.Fatalf("%s has no golden: run go test ./pkg/function -update and read it: %v", dir, err)
		}
		var rl struct {
			Items   []any               `json:"items"`
			Results []*framework.Result `json:"results"`
		}
		if err := sigsyaml.Unmarshal(data, &rl); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if len(rl.Items) != 0 {
			t.Errorf("%s: the golden has %d items; a bad input must give none", dir, len(rl.Items))
		}
		cases[filepath.Base(dir)] = rl.Results
	}
	return cases
}

// TestBadCasesSayWhereAndHowToFix: every case of the bad-input catalogue
// fails with at least one error Result, and every error Result points at a
// field or an object and says what would be valid.
func TestBadCasesSayWhereAndHowToFix(t *testing.T) {
	cases := badCaseResults(t)
	if len(cases) < 40 {
		t.Errorf("the catalogue has %d cases; want at least 40", len(cases))
	}
	for name, results := range cases {
		errorsFound := 0
		for _, r := range results {
			if r.Severity != framework.Error {
				continue
			}
			errorsFound++
			if (r.Field == nil || r.Field.Path == "") && r.ResourceRef == nil {
				t.Errorf("%s: %q names neither a field nor an object", name, r.Message)
			}
			if !saysWhatWouldBeValid(r.Message) {
				t.Errorf("%s: %q does not say what would be valid (none of %q)", name, r.Message, remedyWords)
			}
		}
		if errorsFound == 0 {
			t.Errorf("%s: no error Result; a bad input must fail", name)
		}
	}
}

func saysWhatWouldBeValid(message string) bool {
	lower := strings.ToLower(message)
	for _, w := range remedyWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// troubleshootingDoc is the catalogue of errors for users.
const troubleshootingDoc = "../../docs/troubleshooting.md"

// TestTroubleshootingQuotesRealMessages: every message quoted in the first
// column of docs/troubleshooting.md appears in a golden output (or, for
// unreadable input, in what the framework says), and every case the doc
// names exists, so the doc cannot drift from the code.
func TestTroubleshootingQuotesRealMessages(t *testing.T) {
	doc, err := os.ReadFile(troubleshootingDoc)
	if err != nil {
		t.Fatal(err)
	}
	var known []string
	goldens, err := filepath.Glob(filepath.Join(goldenRoot, "*", "expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range goldens {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var rl struct {
			Results []*framework.Result `json:"results"`
		}
		if err := sigsyaml.Unmarshal(data, &rl); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, r := range rl.Results {
			known = append(known, r.Message)
		}
	}
	// Two inputs the golden harness cannot hold: unreadable YAML and a null
	// item.
	if _, err := runResourceList([]byte(unreadableResourceList)); err != nil {
		known = append(known, err.Error())
	}
	nullItem, _ := runResourceList([]byte("kind: ResourceList\nitems:\n- null\n"))
	var nullItemRL struct {
		Results []*framework.Result `json:"results"`
	}
	if err := sigsyaml.Unmarshal(nullItem, &nullItemRL); err != nil {
		t.Fatal(err)
	}
	for _, r := range nullItemRL.Results {
		known = append(known, r.Message)
	}
	codeSpan := regexp.MustCompile("`([^`]+)`")
	rows := 0
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "message (part)" {
			continue
		}
		rows++
		quote := codeSpan.FindStringSubmatch(cells[1])
		if quote == nil {
			t.Errorf("row %q quotes no message", line)
			continue
		}
		if !slices.ContainsFunc(known, func(m string) bool { return strings.Contains(m, quote[1]) }) {
			t.Errorf("%q is quoted in %s but no golden message contains it", quote[1], troubleshootingDoc)
		}
		for _, name := range strings.Split(cells[len(cells)-2], ",") {
			name = strings.TrimSpace(name)
			if strings.HasPrefix(name, "bad-") || strings.HasPrefix(name, "error-") {
				if _, err := os.Stat(filepath.Join(goldenRoot, name, "expected.yaml")); err != nil {
					t.Errorf("%s names case %s, which has no golden", troubleshootingDoc, name)
				}
			}
		}
	}
	if rows < 40 {
		t.Errorf("%s has %d rows; want one per kind of error", troubleshootingDoc, rows)
	}
}
