package argocd

import (
	"bytes"

	"github.com/spf13/cobra"
)

// Command is `cross-cloud-access argocd-generate`, the generate command of
// the Argo CD config management plugin.
func Command() *cobra.Command {
	var g Generator
	cmd := &cobra.Command{
		Use:   "argocd-generate [DIR]",
		Short: "Render an Argo CD app with kustomize's built-ins and the function, running nothing the repository names",
		Long: `The generate command of the Argo CD config management plugin
(examples/argocd-cmp). Renders the kustomization in DIR (default: the current
folder, which the plugin's server fills with a fresh copy of the repository):

  1. every *.yaml or *.yml file of DIR holding only CrossCloudAccess objects is
     a spec; its entry under resources:, transformers: or generators: is taken
     out of the kustomization for the build (and put back after it);
  2. "kustomize build DIR" runs with no flags: kustomize's built-in
     transformers only. A kustomization that declares an exec or container
     function or a plugin, here or in any base, is refused;
  3. the function applies the specs to the objects kustomize built.

The manifests go to stdout; nothing does when anything fails or the app
renders no manifests.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			var diagnostics bytes.Buffer
			out, err := g.Generate(dir, &diagnostics)
			if _, werr := cmd.ErrOrStderr().Write(diagnostics.Bytes()); werr != nil && err == nil {
				err = werr
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&g.Kustomize, "kustomize", "", `the kustomize binary (default "kustomize" on PATH)`)
	return cmd
}
