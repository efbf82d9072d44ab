package v1alpha1

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	openapierrors "k8s.io/kube-openapi/pkg/validation/errors"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/schemas"
)

var schema = func() *spec.Schema {
	s := &spec.Schema{}
	if err := json.Unmarshal(schemas.CrossCloudAccessV1alpha1, s); err != nil {
		panic(fmt.Sprintf("embedded schema %s does not parse: %v", schemas.FileName, err))
	}
	return s
}()

// Decode turns one CrossCloudAccess document into a defaulted spec. It checks
// the document against the JSON Schema first (unknown fields and wrong types,
// each with its path), then decodes strictly, defaults, and runs Check. The
// spec is nil when any error was found; warnings come back either way.
func Decode(node *kyaml.RNode) (*CrossCloudAccess, FieldErrors) {
	if node == nil || node.IsNilOrEmpty() {
		return nil, FieldErrors{{Field: "functionConfig", Message: "is empty; want a " + Kind + " object (apiVersion " + APIVersion + ")"}}
	}
	data, err := node.MarshalJSON()
	if err != nil {
		return nil, FieldErrors{{Field: "functionConfig", Message: fmt.Sprintf("cannot be read as JSON: %v", err)}}
	}
	if errs := againstSchema(data); len(errs) > 0 {
		return nil, errs
	}
	if errs := explicitZeros(data); len(errs) > 0 {
		return nil, errs
	}
	c := &CrossCloudAccess{}
	if err := sigsyaml.UnmarshalStrict(data, c); err != nil {
		return nil, FieldErrors{{Field: "spec", Message: fmt.Sprintf("does not decode: %v", err)}}
	}
	c.Default()
	found := c.Check()
	if len(found.Errors()) > 0 {
		return nil, found
	}
	return c, found
}

func againstSchema(data []byte) FieldErrors {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return FieldErrors{{Field: "functionConfig", Message: fmt.Sprintf("is not an object: %v", err)}}
	}
	if _, ok := doc.(map[string]any); !ok {
		return FieldErrors{{Field: "functionConfig", Message: "is not an object; want a " + Kind + " object"}}
	}
	err := validate.AgainstSchema(schema, doc, strfmt.Default)
	if err == nil {
		return nil
	}
	var out FieldErrors
	var flatten func(error)
	flatten = func(err error) {
		var composite *openapierrors.CompositeError
		var v *openapierrors.Validation
		switch {
		case errors.As(err, &composite):
			for _, e := range composite.Errors {
				flatten(e)
			}
		case errors.As(err, &v) && v.Code() == openapierrors.RequiredFailCode:
			// Check reports missing fields with what would be valid.
		case errors.As(err, &v):
			out = append(out, schemaError(v))
		default:
			out = append(out, FieldError{Field: "functionConfig", Message: err.Error()})
		}
	}
	flatten(err)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return dedupe(out)
}

// schemaError rewords kube-openapi's messages, which repeat the path and speak
// of "body", into the field-plus-remedy form every other error uses.
func schemaError(v *openapierrors.Validation) FieldError {
	field := v.Name
	msg := v.Error()
	switch v.Code() {
	case openapierrors.UnallowedPropertyCode:
		parent := field
		name := fmt.Sprint(v.Value)
		if name == "" {
			// An empty key ("": x) would otherwise leave the error without a path.
			name = `""`
		}
		field = strings.TrimPrefix(field+"."+name, ".")
		known := knownFields(parent)
		return FieldError{Field: field, Message: "is not a field of " + orRoot(parent) + "; valid fields: " + strings.Join(known, ", ")}
	case openapierrors.InvalidTypeCode:
		want := strings.TrimPrefix(msg, field+" in body must be of type ")
		if i := strings.Index(want, ":"); i >= 0 {
			want = want[:i]
		}
		// The value's own type: an identifier written without quotes
		// (projectNumber: 123456789012) is the usual cause.
		if got := fmt.Sprint(v.Value); want == "string" {
			switch got {
			case "integer", "number":
				return FieldError{Field: field, Message: "has the wrong type: a number; want a string: quote it (YAML reads unquoted digits as a number)"}
			case "boolean":
				return FieldError{Field: field, Message: "has the wrong type: a boolean; want a string: quote it (YAML reads unquoted true, false, yes, no, on and off as a boolean)"}
			}
		}
		return FieldError{Field: field, Message: "has the wrong type; want " + want}
	case openapierrors.EnumFailCode:
		values := make([]string, 0, len(v.Values))
		for _, x := range v.Values {
			values = append(values, fmt.Sprint(x))
		}
		return FieldError{Field: field, Message: fmt.Sprintf("%q is not valid; want one of %s", fmt.Sprint(v.Value), strings.Join(values, ", "))}
	}
	msg = strings.TrimPrefix(msg, field+" in body ")
	return FieldError{Field: orRoot(field), Message: msg}
}

func orRoot(field string) string {
	if field == "" || field == "." {
		return "the object"
	}
	return field
}

// knownFields lists the properties the schema allows at a dotted path, whose
// parts may index a list ("grants.s3[0]").
func knownFields(path string) []string {
	s := schema
	if path != "" && path != "." {
		for _, part := range strings.Split(path, ".") {
			name, _, indexed := strings.Cut(part, "[")
			next, ok := s.Properties[name]
			if !ok {
				return nil
			}
			s = &next
			if indexed {
				if s.Items == nil || s.Items.Schema == nil {
					return nil
				}
				s = s.Items.Schema
			}
		}
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func dedupe(in FieldErrors) FieldErrors {
	seen := map[FieldError]bool{}
	var out FieldErrors
	for _, e := range in {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// zeroMeansDefault are the fields whose zero value reads as "not set": a 0
// written there would silently become the default (or the maximum), so it is
// refused with the valid range instead.
var zeroMeansDefault = []struct {
	cloud, field, want string
}{
	{"aws", "tokenExpirationSeconds", "600 to 86400 (3600 to 86400 in webhook mode), or leave it out for 86400"},
	{"gcp", "tokenExpirationSeconds", "600 to 86400, or leave it out for 3600"},
	{"gcp", "tokenLifetimeSeconds", "600 to 43200, or leave it out for Google's default of 3600"},
	{"azure", "tokenExpirationSeconds", "3600 to 86400, or leave it out for 3600"},
}

// explicitZeros reports the zero-means-default fields written as 0.
func explicitZeros(data []byte) FieldErrors {
	var doc struct {
		Spec map[string]map[string]json.RawMessage `json:"spec"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return nil // the schema and the strict decode report what is wrong
	}
	var out FieldErrors
	for _, z := range zeroMeansDefault {
		if raw, ok := doc.Spec[z.cloud][z.field]; ok && string(raw) == "0" {
			out = append(out, FieldError{Field: "spec." + z.cloud + "." + z.field, Message: "is 0; want " + z.want})
		}
	}
	return out
}
