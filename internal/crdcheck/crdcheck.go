// Package crdcheck checks custom resources against the real CustomResourceDefinitions of
// the controllers that serve them, with the API server's own code: the
// structural schema, pruning to find unknown fields (a create with
// fieldValidation=Strict refuses them), defaulting, OpenAPI validation
// (types, required fields, patterns, enums), list-type invariants and the
// CRD's CEL rules. So a test needs no API server to know that an object would
// be accepted as written. Only tests import it.
//
// The CRDs are the files in crds/ (crds/README.md says where each comes from
// and at which version).
package crdcheck

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	sigsyaml "sigs.k8s.io/yaml"
)

//go:embed crds/*.yaml
var crdFiles embed.FS

// Checker holds the schema of every served version of the loaded CRDs.
type Checker struct {
	versions map[string]*servedVersion // by "apiVersion/Kind"
}

// servedVersion is what the API server builds from one served version of a
// CRD before it accepts objects of it.
type servedVersion struct {
	crd        string
	namespaced bool
	structural *structuralschema.Structural
	validator  apiextensionsvalidation.SchemaValidator
	cel        *cel.Validator
}

// Load reads the CRDs in crds/.
func Load() (*Checker, error) {
	c := &Checker{versions: map[string]*servedVersion{}}
	files, err := fs.Glob(crdFiles, "crds/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		data, err := crdFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if err := c.add(path.Base(name), data); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return c, nil
}

func (c *Checker) add(file string, data []byte) error {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := sigsyaml.UnmarshalStrict(data, &crd); err != nil {
		return fmt.Errorf("not a CustomResourceDefinition: %w", err)
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		validation := v.Schema
		if validation == nil || validation.OpenAPIV3Schema == nil {
			return fmt.Errorf("version %s has no schema", v.Name)
		}
		var internal apiextensionsinternal.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(validation.OpenAPIV3Schema, &internal, nil); err != nil {
			return fmt.Errorf("version %s: %w", v.Name, err)
		}
		structural, err := structuralschema.NewStructural(&internal)
		if err != nil {
			return fmt.Errorf("version %s: the schema is not structural: %w", v.Name, err)
		}
		validator, _, err := apiextensionsvalidation.NewSchemaValidator(&internal)
		if err != nil {
			return fmt.Errorf("version %s: %w", v.Name, err)
		}
		key := crd.Spec.Group + "/" + v.Name + "/" + crd.Spec.Names.Kind
		c.versions[key] = &servedVersion{
			crd:        file,
			namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
			structural: structural,
			validator:  validator,
			cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
		}
	}
	return nil
}

// Known reports whether a loaded CRD serves apiVersion and kind.
func (c *Checker) Known(apiVersion, kind string) bool {
	_, ok := c.versions[apiVersion+"/"+kind]
	return ok
}

// Kinds lists the "apiVersion/Kind" of every served version, sorted.
func (c *Checker) Kinds() []string {
	kinds := make([]string, 0, len(c.versions))
	for k := range c.versions {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// Check refuses what kube-apiserver would refuse when the object is created
// with strict field validation: a kind no CRD serves, an unknown or duplicate
// field, a missing required field, a value of the wrong type or outside the
// schema's pattern, enum or bounds, a broken CEL rule, an invalid name. The
// error lists every problem with its field path. data is one object as YAML
// or JSON.
func (c *Checker) Check(data []byte) error {
	// Duplicate keys: strict decoding refuses them as the API server's
	// strict field validation does.
	var obj map[string]any
	if err := sigsyaml.UnmarshalStrict(data, &obj); err != nil {
		return fmt.Errorf("does not decode strictly: %w", err)
	}
	u := &unstructured.Unstructured{Object: obj}
	v, ok := c.versions[u.GetAPIVersion()+"/"+u.GetKind()]
	if !ok {
		return fmt.Errorf("no loaded CRD serves %s %s (add its CRD to internal/crdcheck/crds)", u.GetAPIVersion(), u.GetKind())
	}
	if v.namespaced && u.GetNamespace() == "" {
		// kubectl apply sends an object without a namespace to the
		// namespace of its context; the API server sees it there.
		u.SetNamespace("default")
	}
	var errs field.ErrorList
	_, _, unknownMeta, err := schemaobjectmeta.GetObjectMetaWithOptions(obj, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), obj["metadata"], err.Error()))
	}
	for _, p := range unknownMeta {
		errs = append(errs, field.Invalid(field.NewPath(p), nil, "unknown field in metadata"))
	}
	for _, p := range structuralpruning.PruneWithOptions(obj, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		errs = append(errs, field.Invalid(field.NewPath(p), nil, "unknown field (strict field validation refuses it; the CRD "+v.crd+" has no such field)"))
	}
	structuraldefaulting.Default(obj, v.structural)
	errs = append(errs, apimachineryvalidation.ValidateObjectMetaAccessor(u, v.namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiextensionsvalidation.ValidateCustomResource(nil, obj, v.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(nil, obj, v.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	if len(errs) == 0 {
		celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	if err := errs.ToAggregate(); err != nil {
		return fmt.Errorf("%s %s %q against %s: %w", u.GetAPIVersion(), u.GetKind(), u.GetName(), v.crd, err)
	}
	return nil
}

// CheckStream checks every object of a YAML stream and returns how many it
// checked; the error names each refused object.
func (c *Checker) CheckStream(data []byte) (int, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var errs []error
	n := 0
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, err
		}
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		n++
		if err := c.Check(doc); err != nil {
			errs = append(errs, fmt.Errorf("object %d: %w", n, err))
		}
	}
	return n, errors.Join(errs...)
}

// stripComments drops whole-line comments, so a document of only comments
// counts as empty.
func stripComments(doc []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
