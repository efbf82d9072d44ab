package function

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// fuzzSeedConfig is a valid spec that patches the workloads of the
// pkg/workload testdata, which run as oidc-exp-service-account and carry no
// config of their own.
const fuzzSeedConfig = `apiVersion: crosscloud.dev/v1alpha1
kind: CrossCloudAccess
metadata:
  name: oidc-exp
spec:
  cluster:
    provider: generic
    issuer: https://kubernetes.example.com
  serviceAccount:
    name: oidc-exp-service-account
  aws:
    roleArn: arn:aws:iam::111122223333:role/oidc_exp_federated_role
    region: eu-west-2
  gcp:
    projectNumber: "123456789012"
    workloadIdentityPool: oidc-exp-workload-identity-pool
    workloadIdentityProvider: trusted-cluster
  azure:
    tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
    clientId: 0e5a3f8c-1b2d-4c6e-9f70-123456789abc
`

// resourceList wraps a functionConfig and items, as written in the golden
// cases, into the ResourceList the function reads on stdin. Anchors, aliases
// and merge keys stay as written, as kpt passes them (kio.FromBytes would
// expand them, as kustomize does).
func resourceList(config, input []byte) ([]byte, error) {
	doc := yaml.MustParse("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n")
	items, err := (&kio.ByteReader{Reader: bytes.NewReader(input), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return nil, err
	}
	list := yaml.NewListRNode()
	for _, item := range items {
		list.YNode().Content = append(list.YNode().Content, item.YNode())
	}
	if err := doc.PipeE(yaml.SetField("items", list)); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(config)) > 0 {
		c, err := yaml.Parse(string(config))
		if err != nil {
			return nil, err
		}
		if err := doc.PipeE(yaml.SetField("functionConfig", c)); err != nil {
			return nil, err
		}
	}
	return []byte(doc.MustString()), nil
}

// fuzzSeeds are ResourceLists built from every golden case and from the
// pkg/workload cases (under fuzzSeedConfig), plus the raw files themselves.
func fuzzSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	add := func(config, input []byte) {
		if rl, err := resourceList(config, input); err == nil {
			seeds = append(seeds, rl)
		}
	}
	dirs, err := filepath.Glob(filepath.Join(goldenRoot, "*"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, dir := range dirs {
		config, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
		input, _ := os.ReadFile(filepath.Join(dir, "input.yaml"))
		if config == nil && input == nil {
			continue
		}
		add(config, input)
		seeds = append(seeds, config, input)
	}
	inputs, err := filepath.Glob(filepath.Join("..", "workload", "testdata", "*", "input.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, path := range inputs {
		input, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		add([]byte(fuzzSeedConfig), input)
	}
	return seeds
}

// FuzzFunction runs the whole function, as the binary does, on arbitrary
// ResourceList bytes. It must never panic; when it fails it writes no items
// and says why in an error Result; when it succeeds every item it writes can
// be read back.
func FuzzFunction(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		checkExecution(t, input)
	})
}

// FuzzFunctionConfigAndItems is FuzzFunction with the ResourceList built from
// a functionConfig and a stream of items, so that mutations land in specs and
// workloads rather than in the ResourceList envelope.
func FuzzFunctionConfigAndItems(f *testing.F) {
	dirs, err := filepath.Glob(filepath.Join(goldenRoot, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, dir := range dirs {
		config, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
		input, _ := os.ReadFile(filepath.Join(dir, "input.yaml"))
		if config != nil || input != nil {
			f.Add(string(config), string(input))
		}
	}
	inputs, err := filepath.Glob(filepath.Join("..", "workload", "testdata", "*", "input.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range inputs {
		input, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fuzzSeedConfig, string(input))
	}
	f.Fuzz(func(t *testing.T, config, input string) {
		rl, err := resourceList([]byte(config), []byte(input))
		if err != nil {
			return
		}
		checkExecution(t, rl)
	})
}

// checkExecution runs the function on ResourceList bytes and checks what any
// input must give: no panic; on failure no items and an error Result; on
// success no error Result and items that can be read back.
func checkExecution(t *testing.T, input []byte) {
	t.Helper()
	out, err := runResourceList(input)
	if err != nil && len(out) == 0 {
		// The framework refused the input before the function saw it
		// (not a ResourceList, unreadable items): nothing was written.
		return
	}
	rl, parseErr := yaml.Parse(string(out))
	if parseErr != nil {
		t.Fatalf("the output is not YAML (%v):\n%s", parseErr, string(out))
	}
	items := outputItems(t, rl)
	if err != nil {
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("the function wrote output but failed with an error of its framework: %v\n%s", err, string(out))
		}
		if len(items) != 0 {
			t.Fatalf("the function failed (%v) but wrote %d items", err, len(items))
		}
		if !hasErrorResult(t, rl) {
			t.Fatalf("the function failed without an error Result:\n%s", string(out))
		}
		checkResultsSayWhere(t, out)
		return
	}
	if hasErrorResult(t, rl) {
		t.Fatalf("the function succeeded with an error Result:\n%s", string(out))
	}
	for i, item := range items {
		text, err := item.String()
		if err != nil {
			t.Fatalf("item %d cannot be written: %v", i, err)
		}
		if _, err := yaml.Parse(text); err != nil {
			t.Fatalf("item %d cannot be read back (%v):\n%s", i, err, text)
		}
	}
}

// checkResultsSayWhere fails unless every Result of a ResourceList the
// function wrote has a message and names a field or an object.
func checkResultsSayWhere(t *testing.T, out []byte) {
	t.Helper()
	var rl struct {
		Results []*framework.Result `json:"results"`
	}
	if err := sigsyaml.Unmarshal(out, &rl); err != nil {
		t.Fatalf("the results cannot be read: %v", err)
	}
	for _, r := range rl.Results {
		if r.Message == "" || ((r.Field == nil || r.Field.Path == "") && r.ResourceRef == nil) {
			t.Fatalf("a Result without a message, or naming neither a field nor an object: %+v", r)
		}
	}
}

// outputItems returns the items of a ResourceList the function wrote.
func outputItems(t *testing.T, rl *yaml.RNode) []*yaml.RNode {
	t.Helper()
	items, err := rl.Pipe(yaml.Lookup("items"))
	if err != nil {
		t.Fatalf("the output has no readable items: %v", err)
	}
	if items == nil {
		return nil
	}
	elements, err := items.Elements()
	if err != nil {
		t.Fatalf("the output items are not a list: %v", err)
	}
	return elements
}

// hasErrorResult reports whether a ResourceList the function wrote carries a
// Result of severity error.
func hasErrorResult(t *testing.T, rl *yaml.RNode) bool {
	t.Helper()
	results, err := rl.Pipe(yaml.Lookup("results"))
	if err != nil || results == nil {
		return false
	}
	elements, err := results.Elements()
	if err != nil {
		t.Fatalf("the output results are not a list: %v", err)
	}
	for _, r := range elements {
		severity, err := r.Pipe(yaml.Lookup("severity"))
		if err == nil && severity != nil && yaml.GetValue(severity) == string(framework.Error) {
			return true
		}
	}
	return false
}

// unreadableResourceList is not YAML: a flow sequence is never closed.
const unreadableResourceList = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- a: [b\n"

// TestUnreadableResourceListWritesNothing: input that is not YAML never
// reaches the function; the framework refuses it, writes nothing and the
// process exits non-zero.
func TestUnreadableResourceListWritesNothing(t *testing.T) {
	for _, input := range []string{
		unreadableResourceList,
		"\tkind: ResourceList\n",
	} {
		out, err := runResourceList([]byte(input))
		if err == nil {
			t.Errorf("%q was accepted", input)
		}
		if len(out) != 0 {
			t.Errorf("%q: wrote %q; want nothing", input, out)
		}
	}
}

// TestItemsThatAreNotObjectsAreNamedByIndex guards what FuzzFunction found:
// a null item has no kind or name to point at, so its error names its index
// among the items. (A list or scalar item never reaches the function: the
// framework refuses it and writes nothing.)
func TestItemsThatAreNotObjectsAreNamedByIndex(t *testing.T) {
	for _, tc := range []struct{ item, want string }{
		{"null", "is null; want a Kubernetes object"},
		{"", "is null; want a Kubernetes object"},
		{"[a, b]", ""},
		{"just a note", ""},
	} {
		t.Run(tc.item, func(t *testing.T) {
			input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- " + tc.item + "\nfunctionConfig:\n" + indent(fuzzSeedConfig, "  ")
			out, err := runResourceList([]byte(input))
			if tc.want == "" {
				if err == nil || len(out) != 0 {
					t.Fatalf("got error %v and output %q; want the framework to refuse the input and write nothing", err, out)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got error %v; want %v", err, ErrInvalid)
			}
			var rl struct {
				Items   []any               `json:"items"`
				Results []*framework.Result `json:"results"`
			}
			if err := sigsyaml.Unmarshal(out, &rl); err != nil {
				t.Fatal(err)
			}
			if len(rl.Items) != 0 || len(rl.Results) != 1 {
				t.Fatalf("got %d items and %d results; want none and one:\n%s", len(rl.Items), len(rl.Results), string(out))
			}
			r := rl.Results[0]
			if r.Field == nil || r.Field.Path != "items[1]" || !strings.HasPrefix(r.Message, tc.want) {
				t.Errorf("got %q at %+v; want %q at items[1]", r.Message, r.Field, tc.want)
			}
		})
	}
}

func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	return prefix + strings.Join(lines, "\n"+prefix) + "\n"
}
