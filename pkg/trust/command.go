package trust

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/api/v1alpha1"
)

// Renderer writes a Trust in one output format.
type Renderer func(io.Writer, *Trust) error

// renderers are the output formats of the trust command, by --format name.
var renderers = map[string]Renderer{
	"json":      RenderJSON,
	"terraform": RenderTerraform,
	"shell":     RenderShell,
	"krm":       RenderKRM,
}

// ErrInvalidSpec is wrapped by the command's error when a CrossCloudAccess
// document does not decode, default and validate; each problem is printed
// with its file and field path first.
var ErrInvalidSpec = errors.New("invalid CrossCloudAccess")

// ErrNoSpec is returned when the input holds no CrossCloudAccess at all, which
// is almost always the wrong file.
var ErrNoSpec = errors.New("no " + v1alpha1.APIVersion + " " + v1alpha1.Kind + " in the input")

// Command is `cross-cloud-access trust`: it reads CrossCloudAccess specs from
// YAML streams and prints what each cloud must be told to trust.
func Command() *cobra.Command {
	format := "json"
	managedPolicies := AWSManagedPoliciesPerRole.Limit
	cmd := &cobra.Command{
		Use:   "trust [--format json|terraform|shell|krm] FILE...",
		Short: "Print the cloud-side trust (AWS, GCP, Azure) for CrossCloudAccess specs",
		Long: `Reads every CrossCloudAccess in the given YAML files ("-" is stdin) and prints
what to configure in each cloud so that exactly those ServiceAccounts, and
nothing else, get in: AWS IAM OIDC providers and role trust policies, GCP
workload identity pools, providers and IAM bindings, Azure federated identity
credentials; and what the specs' grants let them do (IAM policies, resource
bindings, role assignments). Several specs give one merged, sorted output.`,
		Args:         cobra.MinimumNArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			render, ok := renderers[format]
			if !ok {
				return fmt.Errorf("--format %q is not known; want one of %s", format, strings.Join(sortedKeys(renderers), ", "))
			}
			if err := checkManagedPoliciesQuota(managedPolicies); err != nil {
				return err
			}
			specs, err := ReadSpecs(cmd.InOrStdin(), cmd.ErrOrStderr(), args)
			if err != nil {
				return err
			}
			t, err := Build(specs, WithAWSManagedPoliciesQuota(managedPolicies))
			if err != nil {
				return err
			}
			// Render fully before writing so that an error leaves no
			// partial output behind.
			var out bytes.Buffer
			if err := render(&out, t); err != nil {
				return err
			}
			if _, err := cmd.OutOrStdout().Write(out.Bytes()); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", format, "output format: json, terraform, shell or krm")
	cmd.Flags().IntVar(&managedPolicies, "aws-managed-policies-quota", managedPolicies,
		"the account's managed policies per role quota (Service Quotas L-0DA4ABF3) when raised above the default")
	return cmd
}

// ReadSpecs decodes every CrossCloudAccess document of the named YAML files
// ("-" reads stdin) with v1alpha1.Decode. Other kinds are skipped. Warnings and
// errors go to messages, each with its file, document and field path; any
// error makes ReadSpecs fail with ErrInvalidSpec.
func ReadSpecs(stdin io.Reader, messages io.Writer, files []string) ([]*v1alpha1.CrossCloudAccess, error) {
	var specs []*v1alpha1.CrossCloudAccess
	invalid := 0
	for _, name := range files {
		nodes, err := readNodes(stdin, name)
		if err != nil {
			return nil, err
		}
		for i, node := range nodes {
			if node.GetKind() != v1alpha1.Kind {
				continue
			}
			where := fmt.Sprintf("%s: document %d", displayName(name), i+1)
			if n := node.GetName(); n != "" {
				where += " (" + v1alpha1.Kind + " " + n + ")"
			}
			spec, found := v1alpha1.Decode(node)
			sort.SliceStable(found, func(a, b int) bool { return found[a].Level() == framework.Error && found[b].Level() != framework.Error })
			for _, e := range found {
				fmt.Fprintf(messages, "%s: %s: %s: %s\n", where, e.Level(), e.Field, e.Message)
			}
			if spec == nil {
				invalid++
				continue
			}
			if !spec.Spec.ServiceAccount.NamespaceGiven() {
				// The function would take the workloads' namespace; trust
				// has no workloads and must pin one.
				fmt.Fprintf(messages, "%s: warning: spec.serviceAccount.namespace: is not set, so the trust pins namespace %s; set it to the namespace the pods run in if that is another one\n",
					where, spec.Spec.ServiceAccount.Namespace)
			}
			specs = append(specs, spec)
		}
	}
	for _, d := range v1alpha1.DuplicateClusterServiceAccounts(specs) {
		if d.Same {
			continue // Build merges a spec given twice into one
		}
		fmt.Fprintf(messages, "%s %s: error: spec.serviceAccount: %s\n", v1alpha1.Kind, specs[d.Index].Metadata.Name, d.Message)
		invalid++
	}
	if invalid > 0 {
		return nil, fmt.Errorf("%w: %d document(s) have errors (listed above)", ErrInvalidSpec, invalid)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w (%s)", ErrNoSpec, strings.Join(files, ", "))
	}
	return specs, nil
}

func displayName(file string) string {
	if file == "-" {
		return "<stdin>"
	}
	return file
}

func readNodes(stdin io.Reader, file string) ([]*yaml.RNode, error) {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("read specs: %w", err)
		}
		defer f.Close()
		r = f
	}
	reader := &kio.ByteReader{Reader: r, OmitReaderAnnotations: true}
	nodes, err := reader.Read()
	if err != nil {
		return nil, fmt.Errorf("read specs from %s: %w", displayName(file), err)
	}
	// A ResourceList's functionConfig is a spec too, as the function reads
	// it; the reader sets it apart from the items.
	if reader.FunctionConfig != nil && !reader.FunctionConfig.IsNilOrEmpty() {
		nodes = append([]*yaml.RNode{reader.FunctionConfig}, nodes...)
	}
	return nodes, nil
}
