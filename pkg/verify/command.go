// Package verify is `cross-cloud-access verify`: the function's check-only
// mode as a command for CI, over the output of any build (kustomize, Helm,
// kpt, the exported Component).
package verify

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/resourcelist"
)

// ErrMismatch is returned when a pod template no longer matches the spec.
var ErrMismatch = errors.New("the resources do not match the spec")

// Command is `cross-cloud-access verify SPEC [RESOURCES...]`.
func Command() *cobra.Command {
	var namespace string
	cmd := &cobra.Command{
		Use:   "verify SPEC [RESOURCES... | -]",
		Short: "Check built resources against a spec: fail when an overlay changed what the function wired",
		Long: `Reads the CrossCloudAccess SPEC and the built RESOURCES ("-" or none reads
stdin, e.g. kustomize build overlays/dev | cross-cloud-access verify spec.yaml)
and checks every pod template the spec selects or stamped, changing nothing:

- it runs as the subject it was stamped for (an overlay's namespace, prefix
  or suffix did not rename it after the function ran);
- its stamp holds the credentials the spec gives now;
- every selected container has every entry the spec injects, with the
  spec's values (a JSON 6902 add of a whole env list, or an added sidecar,
  breaks this).

Each mismatch is printed with the object and field; the exit status is 1 when
there is one. --namespace is the namespace of objects that name none (a Helm
release's), as for the function run standalone.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := resourcelist.ReadFiles(cmd.InOrStdin(), args[:1], nil)
			if err != nil {
				return err
			}
			if len(spec) != 1 {
				return fmt.Errorf("%s holds %d documents; want one CrossCloudAccess", args[0], len(spec))
			}
			paths := args[1:]
			if len(paths) == 0 {
				paths = []string{"-"}
			}
			items, err := resourcelist.ReadFiles(cmd.InOrStdin(), paths, nil)
			if err != nil {
				return err
			}
			if namespace != "" {
				for _, item := range items {
					if item.GetNamespace() == "" {
						if err := item.SetNamespace(namespace); err != nil {
							return fmt.Errorf("setting the namespace of %s %s: %w", item.GetKind(), item.GetName(), err)
						}
					}
				}
			}
			checked, results := function.Verify(spec[0], items)
			for _, r := range results {
				fmt.Fprintln(cmd.ErrOrStderr(), r.String())
			}
			if results.ExitCode() != 0 {
				return fmt.Errorf("%w: %d pod templates checked", ErrMismatch, checked)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%d pod templates match %s\n", checked, args[0])
			return err
		},
	}
	cmd.Flags().StringVar(&namespace, "namespace", "", "the namespace of objects without one (a Helm release's)")
	return cmd
}
