package trust

import (
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// RenderTerraform writes the trust as Terraform, in the resources the article
// uses: aws_iam_openid_connect_provider, aws_iam_role with
// assume_role_policy = jsonencode(...), google_iam_workload_identity_pool,
// google_iam_workload_identity_pool_provider, google_service_account_iam_member
// and azurerm_federated_identity_credential. Resource names are derived from
// the issuer, role, pool, provider and ServiceAccount, so they stay the same
// from one run to the next.
//
// A terraform { required_providers { ... } } block comes first: each provider
// the resources need, at the version the most demanding of them needs
// (terraformResourceTypes says which and why).
func RenderTerraform(w io.Writer, t *Trust) error {
	f := &terraformFile{file: hclwrite.NewEmptyFile(), names: newNameTable(64, "_"), providers: requiredProviders{}}
	if err := eachPresentCloud(t, func(c cloud) error { return c.terraform(f, t) }); err != nil {
		return err
	}
	if f.err != nil {
		return f.err
	}
	out := hclwrite.NewEmptyFile()
	appendComments(out.Body(), generatedBy("terraform"), "Regenerate it rather than editing it: the specs are the source of truth.")
	if len(f.providers) > 0 {
		out.Body().AppendNewline()
		f.providers.block(out.Body())
	}
	out.Body().AppendUnstructuredTokens(f.file.BuildTokens(nil))
	// hclwrite lays the tokens out the way `terraform fmt` does.
	if _, err := out.WriteTo(w); err != nil {
		return fmt.Errorf("write Terraform: %w", err)
	}
	return nil
}

// terraformFile is the Terraform being written, the names given out so far,
// which must be unique across clouds, and what its resources need of their
// providers.
type terraformFile struct {
	file      *hclwrite.File
	names     *nameTable
	providers requiredProviders
	err       error // the first resource type without a row in terraformResourceTypes
}

// resource appends a resource block (see block) and records what its type
// needs of its provider.
func (f *terraformFile) resource(resourceType, name string, comments ...string) *hclwrite.Body {
	if err := f.providers.need(resourceType); err != nil && f.err == nil {
		f.err = err
	}
	return f.block("resource", []string{resourceType, name}, comments...)
}

// dataSource appends a data block (see block) and records what its type
// needs of its provider.
func (f *terraformFile) dataSource(dataType, name string, comments ...string) *hclwrite.Body {
	if err := f.providers.need(dataType); err != nil && f.err == nil {
		f.err = err
	}
	return f.block("data", []string{dataType, name}, comments...)
}

// block appends a blank line, the comment lines and a new block, and returns
// the block's body to fill.
func (f *terraformFile) block(blockType string, labels []string, comments ...string) *hclwrite.Body {
	f.file.Body().AppendNewline()
	f.comment(comments...)
	return f.file.Body().AppendNewBlock(blockType, labels).Body()
}

func (f *terraformFile) comment(lines ...string) {
	appendComments(f.file.Body(), lines...)
}

// appendComments appends each line to body as a comment line.
func appendComments(body *hclwrite.Body, lines ...string) {
	for _, line := range lines {
		body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(commentLine(line))}})
	}
}

// reference is a Terraform reference such as var.NAME or TYPE.NAME.ATTRIBUTE.
func reference(root string, attrs ...string) hcl.Traversal {
	traversal := hcl.Traversal{hcl.TraverseRoot{Name: root}}
	for _, a := range attrs {
		traversal = append(traversal, hcl.TraverseAttr{Name: a})
	}
	return traversal
}

// stringTokens is s as an HCL string literal whose value is exactly s:
// hclwrite escapes quotes, control characters and template sequences.
func stringTokens(s string) hclwrite.Tokens {
	return hclwrite.TokensForValue(cty.StringVal(s))
}

func stringList(values []string) cty.Value {
	if len(values) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	list := make([]cty.Value, len(values))
	for i, v := range values {
		list[i] = cty.StringVal(v)
	}
	return cty.ListVal(list)
}

// stringMapTokens is an object with the map's keys quoted and sorted. A
// quoted key is always a literal string; a bare one such as null or true
// would not be.
func stringMapTokens(m map[string]string) hclwrite.Tokens {
	attrs := make([]hclwrite.ObjectAttrTokens, 0, len(m))
	for _, k := range sortedKeys(m) {
		attrs = append(attrs, hclwrite.ObjectAttrTokens{Name: stringTokens(k), Value: stringTokens(m[k])})
	}
	return hclwrite.TokensForObject(attrs)
}

// objectField is one NAME = VALUE line of an object constructor.
func objectField(name string, value hclwrite.Tokens) hclwrite.ObjectAttrTokens {
	return hclwrite.ObjectAttrTokens{Name: hclwrite.TokensForIdentifier(name), Value: value}
}

// multilineTupleTokens is a tuple with one element per line, each followed by
// a comma, the layout of a list of objects in Terraform's own examples.
func multilineTupleTokens(elems []hclwrite.Tokens) hclwrite.Tokens {
	newline := &hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")}
	toks := hclwrite.Tokens{{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")}, newline}
	for _, e := range elems {
		toks = append(toks, e...)
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComma, Bytes: []byte(",")}, newline)
	}
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
}

// interpolation is the string template "PREFIX${REF}SUFFIX". Prefix and suffix
// are escaped as hclwrite escapes any string, so nothing in them is
// interpolated; the prefix is text of ours and never ends in "$", which would
// turn "${" into an escape.
func interpolation(prefix string, ref hcl.Traversal, suffix string) hclwrite.Tokens {
	toks := hclwrite.Tokens{{Type: hclsyntax.TokenOQuote, Bytes: []byte(`"`)}}
	toks = append(toks, literalTokens(prefix)...)
	toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenTemplateInterp, Bytes: []byte("${")})
	toks = append(toks, hclwrite.TokensForTraversal(ref)...)
	toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenTemplateSeqEnd, Bytes: []byte("}")})
	toks = append(toks, literalTokens(suffix)...)
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCQuote, Bytes: []byte(`"`)})
}

// literalTokens is the inside of stringTokens(s), without the quotes.
func literalTokens(s string) hclwrite.Tokens {
	quoted := stringTokens(s)
	return quoted[1 : len(quoted)-1]
}
