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

// raisableQuotas are the quotas whose limit a flag of the command sets:
// those the clouds raise on request, and those whose figure sources disagree
// on.
var raisableQuotas = []Quota{AWSRoleTrustPolicyLength, AWSOIDCProvidersPerAccount, AWSManagedPoliciesPerRole, GCPProvidersPerPool}

// ErrInvalidFlag is wrapped by the command's error when a flag's value is
// not one it can use.
var ErrInvalidFlag = errors.New("invalid flag")

// Command is `cross-cloud-access trust`: it reads CrossCloudAccess specs from
// YAML streams and prints what each cloud must be told to trust.
func Command() *cobra.Command {
	format, namespace := "json", ""
	quotaFlags := make([]int, len(raisableQuotas))
	cmd := &cobra.Command{
		Use:   "trust [--format json|terraform|shell|krm] [--namespace NS] [--aws-trust-policy-quota N] FILE...",
		Short: "Print the cloud-side trust (AWS, GCP, Azure) for CrossCloudAccess specs",
		Long: `Reads every CrossCloudAccess in the given YAML files ("-" is stdin) and prints
what to configure in each cloud so that exactly those ServiceAccounts, and
nothing else, get in: AWS IAM OIDC providers and role trust policies, GCP
workload identity pools, providers and IAM bindings, Azure federated identity
credentials; and what the specs' grants let them do (IAM policies, resource
bindings, role assignments). Several specs give one merged, sorted output.

Each spec's subject is the ServiceAccount it names. Given the built output
too (kustomize build DIR | cross-cloud-access trust spec.yaml -), the subject
is the one the function wired there, read from the pod templates' stamps:
after an overlay's namespace or name prefix, what the pods present. A spec
that names no namespace, with no built output, needs --namespace.

Output a cloud would refuse for its size or count (a role trust policy over
IAM's quota, more OIDC providers than an account holds, more federated
credentials than an Azure identity holds, ...) is an error naming the quota,
what was needed and the ways out; nothing is printed. The quota flags give
the limits your accounts were raised to.`,
		Args:         cobra.MinimumNArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			render, ok := renderers[format]
			if !ok {
				return fmt.Errorf("--format %q is not known; want one of %s", format, strings.Join(sortedKeys(renderers), ", "))
			}
			limits, err := quotaLimits(cmd, quotaFlags)
			if err != nil {
				return err
			}
			in, err := readInput(cmd.InOrStdin(), cmd.ErrOrStderr(), args)
			if err != nil {
				return err
			}
			specs, err := pinSubjects(in, namespace, cmd.ErrOrStderr())
			if err == nil {
				err = refuseDuplicates(cmd.ErrOrStderr(), specs)
			}
			if err != nil {
				return err
			}
			t, err := BuildWithin(specs, limits)
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
	cmd.Flags().StringVar(&namespace, "namespace", "", "the namespace of a spec that names none, and of built objects without one (a Helm release's)")
	for i, q := range raisableQuotas {
		usage := fmt.Sprintf("your limit for the %s quota %s, in %s", q.Cloud, q.Name, q.Unit)
		if q.Max > 0 {
			usage += fmt.Sprintf("; raised up to %d", q.Max)
		}
		cmd.Flags().IntVar(&quotaFlags[i], strings.TrimPrefix(q.Flag, "--"), q.Limit, usage)
	}
	return cmd
}

// quotaLimits are the limits the quota flags that were given set, each
// checked against what the cloud can grant.
func quotaLimits(cmd *cobra.Command, values []int) (Limits, error) {
	limits := Limits{}
	for i, q := range raisableQuotas {
		if !cmd.Flags().Changed(strings.TrimPrefix(q.Flag, "--")) {
			continue
		}
		switch v := values[i]; {
		case v < 1:
			return nil, fmt.Errorf("%w: %s %d: want the number of %s your account's %s quota allows", ErrInvalidFlag, q.Flag, v, q.Unit, q.Name)
		case q.Max > 0 && v > q.Max:
			return nil, fmt.Errorf("%w: %s %d: %s grants at most %d for its %s quota, so output sized for more would be refused", ErrInvalidFlag, q.Flag, v, q.Cloud, q.Max, q.Name)
		default:
			limits[q.Name] = v
		}
	}
	return limits, nil
}

// ReadSpecs decodes every CrossCloudAccess document of the named YAML files
// ("-" reads stdin) with v1alpha1.Decode. Other kinds are skipped. Warnings and
// errors go to messages, each with its file, document and field path; any
// error makes ReadSpecs fail with ErrInvalidSpec. A spec without a namespace
// is taken to be in "default", with a warning: the trust command does not
// guess (pinSubjects).
func ReadSpecs(stdin io.Reader, messages io.Writer, files []string) ([]*v1alpha1.CrossCloudAccess, error) {
	in, err := readInput(stdin, messages, files)
	if err != nil {
		return nil, err
	}
	for i, spec := range in.specs {
		if !spec.Spec.ServiceAccount.NamespaceGiven() {
			fmt.Fprintf(messages, "%s: warning: spec.serviceAccount.namespace: is not set, so namespace %s is assumed; set it to the namespace the pods run in if that is another one\n",
				in.where[i], spec.Spec.ServiceAccount.Namespace)
		}
	}
	if err := refuseDuplicates(messages, in.specs); err != nil {
		return nil, err
	}
	return in.specs, nil
}

// readInput decodes every CrossCloudAccess document of the named YAML files
// and keeps the other objects (a build's output) beside them.
func readInput(stdin io.Reader, messages io.Writer, files []string) (input, error) {
	var in input
	invalid := 0
	for _, name := range files {
		nodes, err := readNodes(stdin, name)
		if err != nil {
			return input{}, err
		}
		for i, node := range nodes {
			if node.GetKind() != v1alpha1.Kind {
				in.items = append(in.items, node)
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
			in.specs = append(in.specs, spec)
			in.where = append(in.where, where)
		}
	}
	if invalid > 0 {
		return input{}, fmt.Errorf("%w: %d document(s) have errors (listed above)", ErrInvalidSpec, invalid)
	}
	if len(in.specs) == 0 {
		return input{}, fmt.Errorf("%w (%s)", ErrNoSpec, strings.Join(files, ", "))
	}
	return in, nil
}

// refuseDuplicates refuses two specs for one ServiceAccount of one issuer,
// each named on messages; the same spec given twice is Build's to merge.
func refuseDuplicates(messages io.Writer, specs []*v1alpha1.CrossCloudAccess) error {
	invalid := 0
	for _, d := range v1alpha1.DuplicateClusterServiceAccounts(specs) {
		if d.Same {
			continue // Build merges a spec given twice into one
		}
		fmt.Fprintf(messages, "%s %s: error: spec.serviceAccount: %s\n", v1alpha1.Kind, specs[d.Index].Metadata.Name, d.Message)
		invalid++
	}
	if invalid > 0 {
		return fmt.Errorf("%w: %d document(s) have errors (listed above)", ErrInvalidSpec, invalid)
	}
	return nil
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
