package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/arn"
)

// buildCase reads and builds the trust of one testdata case.
func buildCase(t *testing.T, name string) *Trust {
	t.Helper()
	var messages bytes.Buffer
	specs, err := ReadSpecs(nil, &messages, []string{filepath.Join("testdata", name, "input.yaml")})
	if err != nil {
		t.Fatalf("%v\n%s", err, messages.String())
	}
	trust, err := Build(specs)
	if err != nil {
		t.Fatal(err)
	}
	return trust
}

func renderTerraform(t *testing.T, trust *Trust) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := RenderTerraform(&out, trust); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func parseHCL(t *testing.T, src []byte) *hclsyntax.Body {
	t.Helper()
	file, diags := hclsyntax.ParseConfig(src, "trust.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("generated HCL does not parse: %s\n%s", diags.Error(), src)
	}
	return file.Body.(*hclsyntax.Body)
}

func TestTerraformParsesAndIsFormatted(t *testing.T) {
	terraform, lookErr := exec.LookPath("terraform")
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			src := renderTerraform(t, buildCase(t, name))
			parseHCL(t, src)
			if lookErr != nil {
				t.Skipf("terraform is not on PATH (%v); terraform fmt -check not run", lookErr)
			}
			cmd := exec.Command(terraform, "fmt", "-check", "-")
			cmd.Stdin = bytes.NewReader(src)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("terraform fmt -check -: %v\n%s", err, out)
			}
		})
	}
}

// terraformValues are what the references in the generated HCL resolve to,
// taken from the Trust the HCL was rendered from.
func terraformContext(t *testing.T, body *hclsyntax.Body, trust *Trust) *hcl.EvalContext {
	t.Helper()
	providers := map[string]cty.Value{}
	pools := map[string]cty.Value{}
	for _, block := range body.Blocks {
		if block.Type != "resource" || len(block.Labels) != 2 {
			continue
		}
		switch block.Labels[0] {
		case "aws_iam_openid_connect_provider":
			// The HCL names no account: one issuer trusted in several
			// accounts has the account at the end of each label.
			url := evalString(t, block.Body.Attributes["url"].Expr, nil)
			var same []AWSOIDCProvider
			for _, p := range trust.AWS.OIDCProviders {
				if p.URL == url {
					same = append(same, p)
				}
			}
			for _, p := range same {
				if len(same) == 1 || strings.HasSuffix(block.Labels[1], "_"+arn.Account(p.ARN)) {
					providers[block.Labels[1]] = cty.ObjectVal(map[string]cty.Value{"arn": cty.StringVal(p.ARN)})
				}
			}
		case "google_iam_workload_identity_pool":
			project := evalString(t, block.Body.Attributes["project"].Expr, nil)
			id := evalString(t, block.Body.Attributes["workload_identity_pool_id"].Expr, nil)
			pools[block.Labels[1]] = cty.ObjectVal(map[string]cty.Value{
				"name": cty.StringVal("projects/" + project + "/locations/global/workloadIdentityPools/" + id),
			})
		}
	}
	vars := map[string]cty.Value{}
	if len(providers) > 0 {
		vars["aws_iam_openid_connect_provider"] = cty.ObjectVal(providers)
	}
	if len(pools) > 0 {
		vars["google_iam_workload_identity_pool"] = cty.ObjectVal(pools)
	}
	return &hcl.EvalContext{Variables: vars, Functions: map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc}}
}

func evalString(t *testing.T, expr hclsyntax.Expression, ctx *hcl.EvalContext) string {
	t.Helper()
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		t.Fatalf("evaluate %s: %s", expr.Range(), diags.Error())
	}
	if v.Type() != cty.String {
		t.Fatalf("%s is a %s, want a string", expr.Range(), v.Type().FriendlyName())
	}
	return v.AsString()
}

// The HCL says in its own syntax what the JSON document says: evaluating each
// role's jsonencode(...) and each grant's member gives the same values. The
// odd values case proves escaping, not validation, keeps them literal.
func TestTerraformEvaluatesToTheTrustDocument(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			checkTerraformAgainstTrust(t, buildCase(t, name))
		})
	}
	t.Run("odd values", func(t *testing.T) {
		trust := oddTrust()
		src := renderTerraform(t, trust)
		checkTerraformAgainstTrust(t, trust)
		if terraform, err := exec.LookPath("terraform"); err == nil {
			cmd := exec.Command(terraform, "fmt", "-check", "-")
			cmd.Stdin = bytes.NewReader(src)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("terraform fmt -check -: %v\n%s\n%s", err, out, src)
			}
		}
	})
}

func checkTerraformAgainstTrust(t *testing.T, trust *Trust) {
	t.Helper()
	body := parseHCL(t, renderTerraform(t, trust))
	ctx := terraformContext(t, body, trust)
	roles, members, credentials := 0, 0, 0
	for _, block := range body.Blocks {
		if block.Type != "resource" {
			continue
		}
		switch block.Labels[0] {
		case "aws_iam_role":
			roleName := evalString(t, block.Body.Attributes["name"].Expr, nil)
			var want *AWSRole
			for i, r := range trust.AWS.Roles {
				if role, _ := arn.ParseRole(r.RoleARN); role.Name == roleName {
					want = &trust.AWS.Roles[i]
				}
			}
			if want == nil {
				t.Fatalf("aws_iam_role %s names role %q, which the trust does not have", block.Labels[1], roleName)
			}
			var got PolicyDocument
			if err := json.Unmarshal([]byte(evalString(t, block.Body.Attributes["assume_role_policy"].Expr, ctx)), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.AssumeRolePolicy, got); diff != "" {
				t.Errorf("assume_role_policy of %s (-json +terraform):\n%s", roleName, diff)
			}
			roles++
		case "google_service_account_iam_member":
			got := GCPIAMBinding{
				Resource: evalString(t, block.Body.Attributes["service_account_id"].Expr, ctx),
				Role:     evalString(t, block.Body.Attributes["role"].Expr, ctx),
				Member:   evalString(t, block.Body.Attributes["member"].Expr, ctx),
			}
			if isServiceAccountGrant(trust, got) {
				continue // a grant, checked in grants_render_test.go
			}
			if !slices.Contains(trust.GCP.IAMBindings, got) {
				t.Errorf("google_service_account_iam_member %s is %+v, which is not among the trust's bindings %+v", block.Labels[1], got, trust.GCP.IAMBindings)
			}
			members++
		case "azurerm_federated_identity_credential":
			var want *AzureFederatedIdentityCredential
			name := evalString(t, block.Body.Attributes["name"].Expr, nil)
			for i, c := range trust.Azure.FederatedIdentityCredentials {
				if c.Name == name {
					want = &trust.Azure.FederatedIdentityCredentials[i]
				}
			}
			if want == nil {
				t.Fatalf("azurerm_federated_identity_credential %s names %q, which the trust does not have", block.Labels[1], name)
			}
			for attr, value := range map[string]string{"issuer": want.Issuer, "subject": want.Subject} {
				if got := evalString(t, block.Body.Attributes[attr].Expr, nil); got != value {
					t.Errorf("%s.%s = %q, want %q", block.Labels[1], attr, got, value)
				}
			}
			credentials++
		}
	}
	if trust.AWS != nil && roles != len(trust.AWS.Roles) {
		t.Errorf("%d aws_iam_role resources for %d roles", roles, len(trust.AWS.Roles))
	}
	if trust.GCP != nil && members != len(trust.GCP.IAMBindings) {
		t.Errorf("%d google_service_account_iam_member resources for %d bindings", members, len(trust.GCP.IAMBindings))
	}
	if trust.Azure != nil && credentials != len(trust.Azure.FederatedIdentityCredentials) {
		t.Errorf("%d azurerm_federated_identity_credential resources for %d credentials", credentials, len(trust.Azure.FederatedIdentityCredentials))
	}
}

func TestHCLStringsKeepOddValuesLiteral(t *testing.T) {
	pool := cty.ObjectVal(map[string]cty.Value{"p": cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("POOL")})})
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"pool": pool}}
	for _, value := range []string{
		`plain`,
		`with "quotes" and \backslash`,
		`${var.not_interpolated} and %{ if true }directive%{ endif }`,
		"tab\tnewline\nbell\a",
		"line\u2028and\u2029paragraph\u0085next",
		`$$ and %% alone stay`,
		`ends in $`,
		`ünïcødé`,
	} {
		t.Run(value, func(t *testing.T) {
			f := hclwrite.NewEmptyFile()
			f.Body().SetAttributeRaw("x", stringTokens(value))
			f.Body().SetAttributeRaw("y", interpolation("prefix/", reference("pool", "p", "name"), "/"+value))
			src := f.Bytes()
			file, diags := hclsyntax.ParseConfig(src, "x.tf", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("%s does not parse: %s", src, diags.Error())
			}
			attrs, _ := file.Body.JustAttributes()
			for name, want := range map[string]string{"x": value, "y": "prefix/POOL/" + value} {
				v, diags := attrs[name].Expr.Value(ctx)
				if diags.HasErrors() {
					t.Fatalf("%s does not evaluate: %s", src, diags.Error())
				}
				if got := v.AsString(); got != want {
					t.Errorf("%s: %s evaluates to %q, want %q", src, name, got, want)
				}
			}
		})
	}
}

func TestTerraformNamesAreValidIdentifiers(t *testing.T) {
	for _, name := range goldenCases(t) {
		body := parseHCL(t, renderTerraform(t, buildCase(t, name)))
		seen := map[string]bool{}
		for _, block := range body.Blocks {
			if len(block.Labels) == 0 {
				continue // terraform { required_providers { ... } }
			}
			label := block.Labels[len(block.Labels)-1]
			if !hclsyntax.ValidIdentifier(label) || strings.Contains(label, "-") {
				t.Errorf("%s: %s %q is not a plain identifier", name, block.Type, label)
			}
			key := block.Type + "." + strings.Join(block.Labels, ".")
			if seen[key] {
				t.Errorf("%s: %s is declared twice", name, key)
			}
			seen[key] = true
		}
	}
}

// Every .tf golden is what `terraform fmt` writes, and states every provider
// its resources need, at the version the table says, in required_providers.
// Goldens are found by file name, so a case added under testdata/ is checked.
func TestTerraformGoldensAreFormattedAndStateTheirProviders(t *testing.T) {
	terraform, lookErr := exec.LookPath("terraform")
	for _, golden := range terraformGoldens(t) {
		t.Run(filepath.Base(filepath.Dir(golden)), func(t *testing.T) {
			src, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			body := parseHCL(t, src)
			want := requiredProviders{}
			for _, block := range body.Blocks {
				if block.Type == "resource" || block.Type == "data" {
					if err := want.need(block.Labels[0]); err != nil {
						t.Error(err)
					}
				}
			}
			got := map[string]string{}
			for _, block := range body.Blocks {
				if block.Type != "terraform" {
					continue
				}
				for _, inner := range block.Body.Blocks {
					for name, attr := range inner.Body.Attributes {
						v, diags := attr.Expr.Value(nil)
						if diags.HasErrors() {
							t.Fatalf("required_providers.%s: %s", name, diags.Error())
						}
						constraint := ""
						if version, ok := v.AsValueMap()["version"]; ok {
							constraint = version.AsString()
						}
						if source := v.AsValueMap()["source"].AsString(); source != terraformProviders[name].source {
							t.Errorf("required_providers.%s.source = %q, want %q", name, source, terraformProviders[name].source)
						}
						got[name] = constraint
					}
				}
			}
			wantConstraints := map[string]string{}
			for name, req := range want {
				wantConstraints[name] = ""
				if req.minVersion != "" {
					wantConstraints[name] = ">= " + req.minVersion
				}
			}
			if diff := cmp.Diff(wantConstraints, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("required_providers (-resources need +golden states):\n%s", diff)
			}
			if lookErr != nil {
				t.Skipf("terraform is not on PATH (%v); terraform fmt -check not run", lookErr)
			}
			if out, err := exec.Command(terraform, "fmt", "-check", "-diff", golden).CombinedOutput(); err != nil {
				t.Errorf("terraform fmt -check %s: %v\n%s", golden, err, out)
			}
		})
	}
}

func terraformGoldens(t *testing.T) []string {
	t.Helper()
	goldens, err := filepath.Glob(filepath.Join("testdata", "*", goldenFiles["terraform"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(goldens) == 0 {
		t.Fatal("no Terraform goldens found")
	}
	return goldens
}

// terraformMirrorEnv names a directory that holds Terraform providers in the
// filesystem mirror layout (registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/);
// with no network, that is the only way terraform init finds a provider.
const terraformMirrorEnv = "TERRAFORM_PLUGIN_MIRROR"

// `terraform validate` runs on every .tf golden whose providers the mirror
// holds (hashicorp/aws here): it needs the provider's schema, and checks that
// its version is one required_providers admits and that every resource,
// argument and reference is one that version knows.
func TestTerraformGoldensValidate(t *testing.T) {
	terraform, err := exec.LookPath("terraform")
	if err != nil {
		t.Skipf("terraform is not on PATH: %v", err)
	}
	mirror := os.Getenv(terraformMirrorEnv)
	if mirror == "" {
		t.Skipf("%s is not set: no provider mirror for terraform init (.ci/run sets it where the machine has one)", terraformMirrorEnv)
	}
	validated := 0
	for _, golden := range terraformGoldens(t) {
		src, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		needs := requiredProviders{}
		for _, block := range parseHCL(t, src).Blocks {
			if block.Type == "resource" {
				_ = needs.need(block.Labels[0])
			}
		}
		var missing []string
		for name := range needs {
			if _, err := os.Stat(filepath.Join(mirror, "registry.terraform.io", terraformProviders[name].source)); err != nil {
				missing = append(missing, terraformProviders[name].source)
			}
		}
		if len(needs) == 0 {
			continue // no resource, no provider
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			t.Logf("%s: not validated, the mirror lacks %v", golden, missing)
			continue
		}
		t.Run(filepath.Base(filepath.Dir(golden)), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), src, 0o644); err != nil {
				t.Fatal(err)
			}
			config := filepath.Join(dir, "terraform.rc")
			rc := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path = %q\n  }\n}\n", mirror)
			if err := os.WriteFile(config, []byte(rc), 0o644); err != nil {
				t.Fatal(err)
			}
			env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+config, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_DATA_DIR="+filepath.Join(dir, ".terraform"))
			for _, args := range [][]string{{"init", "-backend=false", "-input=false", "-no-color"}, {"validate", "-no-color"}} {
				cmd := exec.Command(terraform, args...)
				cmd.Dir, cmd.Env = dir, env
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
		})
		validated++
	}
	if validated == 0 {
		t.Skipf("the mirror in %s holds the providers of no golden", terraformMirrorEnv)
	}
}

func TestRequiredProvidersTakeTheHighestMinimum(t *testing.T) {
	r := requiredProviders{}
	for _, resourceType := range []string{"aws_iam_role", "aws_eks_pod_identity_association", "aws_iam_openid_connect_provider", "google_service_account_iam_member"} {
		if err := r.need(resourceType); err != nil {
			t.Fatal(err)
		}
	}
	if got := r["aws"].minVersion; got != "5.81.0" {
		t.Errorf("aws needs %q, want the highest minimum 5.81.0", got)
	}
	if got := r["google"].minVersion; got != "" {
		t.Errorf("google needs %q, want no minimum", got)
	}
	if err := r.need("aws_iam_role_policy_attachment_typo"); err == nil || !strings.Contains(err.Error(), "terraformResourceTypes") {
		t.Errorf("an unknown resource type gave %v, want an error naming the table", err)
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{{"5.81.0", "5.29.0", 1}, {"4.9.0", "4.65.0", -1}, {"", "1.0.0", -1}, {"4.65.0", "4.65.0", 0}} {
		if got := compareVersions(tc.a, tc.b); (got > 0) != (tc.want > 0) || (got < 0) != (tc.want < 0) {
			t.Errorf("compareVersions(%q, %q) = %d, want the sign of %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// Every resource type a renderer writes has its row in the table, with a
// provider the table knows and a source for its minimum.
func TestTerraformResourceTypesAreComplete(t *testing.T) {
	for resourceType, row := range terraformResourceTypes {
		if _, ok := terraformProviders[row.provider]; !ok || !strings.HasPrefix(resourceType, row.provider+"_") {
			t.Errorf("%s: provider %q is not its prefix or not in terraformProviders", resourceType, row.provider)
		}
		if row.why == "" || row.source == "" {
			t.Errorf("%s: the row needs why and source", resourceType)
		}
	}
	var out bytes.Buffer
	if err := RenderTerraform(&out, oddTrust()); err != nil {
		t.Fatalf("RenderTerraform: %v", err)
	}
}
