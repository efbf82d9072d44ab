package schemas_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/crosscloud-dev/cross-cloud-access/schemas"
)

// compile loads the checked-in schema into an independent JSON Schema
// validator (not the kube-openapi one the function uses), so editors and CI
// that read the file see the same rules.
func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemas.CrossCloudAccessV1alpha1))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemas.FileName, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemas.FileName)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// specsIn returns every CrossCloudAccess document of a YAML file as JSON values.
func specsIn(t *testing.T, path string) []any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := kio.FromBytes(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []any
	for _, n := range nodes {
		if n.GetKind() != "CrossCloudAccess" {
			continue
		}
		raw, err := n.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func glob(t *testing.T, patterns ...string) []string {
	t.Helper()
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

// Every example and every golden spec the function accepts validates; each
// example starts with the modeline that points editors at the schema.
func TestExamplesAndGoldenSpecsValidate(t *testing.T) {
	s := compile(t)
	files := glob(t, "../examples/*/cross-cloud-access.yaml", "../examples/*/*/cross-cloud-access.yaml", "../testdata/*/config.yaml", "../pkg/trust/testdata/*/input.yaml")
	checked := 0
	for _, path := range files {
		base := filepath.Base(filepath.Dir(path))
		if strings.HasPrefix(base, "error-") || strings.HasPrefix(base, "bad-") {
			continue
		}
		if strings.Contains(path, "examples") {
			data, _ := os.ReadFile(path)
			if !strings.HasPrefix(string(data), "# yaml-language-server: $schema=") {
				t.Errorf("%s does not start with the yaml-language-server $schema line", path)
			}
		}
		for _, spec := range specsIn(t, path) {
			checked++
			if err := s.Validate(spec); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("validated %d specs; the globs found too few", checked)
	}
}

// The schema is strict: unknown fields, wrong types and unknown modes fail in
// the independent validator too.
func TestSchemaRejectsWhatTheFunctionRejects(t *testing.T) {
	s := compile(t)
	valid := map[string]any{
		"apiVersion": "crosscloud.dev/v1alpha1",
		"kind":       "CrossCloudAccess",
		"spec": map[string]any{
			"cluster":        map[string]any{"provider": "eks", "issuer": "https://oidc.example.com"},
			"serviceAccount": map[string]any{"name": "app"},
			"aws":            map[string]any{"roleArn": "arn:aws:iam::111122223333:role/x"},
		},
	}
	if err := s.Validate(roundTrip(t, valid)); err != nil {
		t.Fatalf("the baseline is invalid: %v", err)
	}
	for name, mutate := range map[string]func(spec map[string]any){
		"unknown field":    func(spec map[string]any) { spec["aws"].(map[string]any)["roleARN"] = "x" },
		"wrong type":       func(spec map[string]any) { spec["aws"].(map[string]any)["tokenExpirationSeconds"] = "1h" },
		"unknown mode":     func(spec map[string]any) { spec["aws"].(map[string]any)["mode"] = "irsa" },
		"unknown provider": func(spec map[string]any) { spec["cluster"].(map[string]any)["provider"] = "openshift" },
		"missing account":  func(spec map[string]any) { delete(spec, "serviceAccount") },
	} {
		t.Run(name, func(t *testing.T) {
			doc := roundTrip(t, valid).(map[string]any)
			mutate(doc["spec"].(map[string]any))
			if err := s.Validate(doc); err == nil {
				t.Error("the schema accepted it")
			}
		})
	}
}

// roundTrip deep-copies a document into the validator's JSON value form.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
