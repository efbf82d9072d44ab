package export

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/resourcelist"
)

// Command is `cross-cloud-access export`.
func Command() *cobra.Command {
	var config, out string
	var check bool
	var writer Writer
	var options Options
	cmd := &cobra.Command{
		Use:   "export --config SPEC --out DIR [--namespace NS] [RESOURCES...]",
		Short: "Write a static kustomize Component instead of running as a function",
		Long: `Runs the function once and writes what it did as a kustomize Component
(kind: Component): the ServiceAccount and ConfigMaps it emits, and one JSON
patch per workload or ServiceAccount it changed. Commit DIR and list it under
"components:" to get the same objects from a plain "kustomize build", where
exec functions cannot run (Flux, Argo CD's built-in kustomize, kubectl
kustomize). RESOURCES are YAML files; "-" or none reads stdin.

--namespace is the namespace the resources without one are applied in: the
namespace: of the kustomization that lists the Component (Flux's layout: an
overlay over a namespace-less base). They count as being in it, and so does a
spec that names no namespace. Without it, resources without a namespace that
the Component would wire for a spec that names none are an error: the stamps
would say "default" wherever they land.

DIR is written anew beside itself and renamed into place: a failed export
leaves the old Component as it was. Files in DIR that export did not write are
kept, with every mode; one where export would write (a hand-written
kustomization.yaml) stops it, unless --force. Symbolic links are never
followed: one where export would write stops it (--force replaces a linked
file, never a linked folder). A named pipe, socket or device in DIR stops it.

With --check nothing is written: it exits 1 and names the files when DIR
differs from what the spec and resources produce now, so CI catches a
Component nobody regenerated.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if config == "" || out == "" {
				return errors.New("--config and --out are required")
			}
			spec, err := os.ReadFile(config)
			if err != nil {
				return fmt.Errorf("reading the spec: %w", err)
			}
			paths := args
			if len(paths) == 0 {
				paths = []string{"-"}
			}
			resources, err := resourcelist.ReadFiles(cmd.InOrStdin(), paths, nil)
			if err != nil {
				return err
			}
			files, results, err := options.ComponentOf(spec, resources)
			for _, r := range results {
				fmt.Fprintln(cmd.ErrOrStderr(), r.String())
			}
			if errors.Is(err, function.ErrInvalid) {
				return errors.New("no Component written: the spec or the resources are not valid")
			}
			if err != nil {
				return err
			}
			if check {
				stale, err := Diff(out, files)
				if err != nil {
					return err
				}
				if len(stale) > 0 {
					return fmt.Errorf("%w: %s differs from what the spec produces now (%s); run export without --check and commit the result",
						ErrStale, out, strings.Join(stale, ", "))
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%s is up to date\n", out)
				return nil
			}
			if err := writer.Write(out, files); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d files to %s\n", len(files), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the CrossCloudAccess spec file")
	cmd.Flags().StringVar(&out, "out", "", "the folder of the Component")
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; exit 1 when the folder differs from what would be written")
	cmd.Flags().StringVar(&options.Namespace, "namespace", "", "the namespace the resources without one are applied in (the namespace: of the kustomization that lists the Component)")
	cmd.Flags().BoolVar(&writer.Force, "force", false, "overwrite files in the folder that export did not write (such as a hand-written kustomization.yaml)")
	return cmd
}
