// Command cross-cloud-access is the KRM function: a ResourceList on stdin, a
// ResourceList on stdout. See docs/kustomize.md, docs/kpt.md and docs/argocd.md.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	kyamlerrors "sigs.k8s.io/kustomize/kyaml/errors"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/fn/framework/command"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/function"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/resourcelist"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Gives the workloads of one Kubernetes ServiceAccount keyless access to AWS,
GCP and Azure, with the cluster as the OIDC identity provider. Run it as a
kustomize transformer, a kpt function or in an ArgoCD plugin; it reads a
ResourceList on stdin, or in standalone mode a spec file and resource files
(or, with none, the resources on stdin: a Helm post-renderer):

  cross-cloud-access spec.yaml resources.yaml
  helm template my-app ./chart --post-renderer cross-cloud-access \
    --post-renderer-args spec.yaml --post-renderer-args=--namespace=my-namespace

A minimal spec:

  apiVersion: crosscloud.dev/v1alpha1
  kind: CrossCloudAccess
  metadata:
    name: oidc-exp
  spec:
    cluster:
      provider: gke
      issuer: https://container.googleapis.com/v1/projects/my-project/locations/europe-west2-a/clusters/oidc-exp-cluster
    serviceAccount:
      name: oidc-exp-service-account
    aws:
      roleArn: arn:aws:iam::111122223333:role/oidc_exp_federated_role
`

func main() {
	cmd := rootCommand(standalone{
		stdin:           os.Stdin,
		stdinIsTerminal: isTerminal(os.Stdin),
		stdout:          os.Stdout,
		stderr:          os.Stderr,
	})
	ran, err := cmd.ExecuteC()
	if err == nil {
		return
	}
	if ran != cmd {
		// The root silences errors for every subcommand; say it here.
		fmt.Fprintf(os.Stderr, "%s: %v\n", ran.CommandPath(), err)
	}
	os.Exit(1)
}

// rootCommand is the function: a ResourceList on stdin without arguments
// (kustomize, kpt, Argo CD), standalone with a spec argument (Helm), and the
// subcommands. It prints its own errors.
func rootCommand(s standalone) *cobra.Command {
	cmd := command.Build(function.Processor{}, command.StandaloneDisabled, false)
	cmd.Use = "cross-cloud-access [SPEC [RESOURCES... | -]]"
	cmd.Short = "Keyless cross-cloud access for Kubernetes workloads (KRM function)"
	cmd.Long = usage
	cmd.Version = version
	cmd.SetIn(s.stdin)
	cmd.SetOut(s.stdout)
	cmd.SetErr(s.stderr)
	cmd.Flags().StringVar(&s.namespace, "namespace", "", "standalone mode: objects without a namespace count as being in this one (Helm's release namespace)")
	cmd.Flags().BoolVar(&s.errorsInOutput, "errors-in-output", false,
		"standalone mode, for Helm 4's post-renderer plugin: on an error, exit 0 and write the error as a YAML list instead of objects, which Helm 4 shows in its own error (it discards a failing plugin's stderr)")
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			for _, f := range []struct {
				flag string
				set  bool
			}{{"--namespace", s.namespace != ""}, {"--errors-in-output", s.errorsInOutput}} {
				if flag := f.flag; f.set {
					err := fmt.Errorf("%s needs a SPEC argument: it is for standalone mode (a ResourceList carries its own namespaces and results)", flag)
					fmt.Fprintln(s.stderr, err)
					return err
				}
			}
			return resourceList(c)
		}
		var said bytes.Buffer
		if s.errorsInOutput {
			s.stderr = io.MultiWriter(s.stderr, &said)
		}
		err := s.run(args)
		if err != nil {
			fmt.Fprintln(s.stderr, err)
		}
		if errors.Is(err, errNoInput) {
			fmt.Fprint(s.stderr, "\n"+c.UsageString())
		}
		if err != nil && s.errorsInOutput {
			return writeErrorList(s.stdout, said.String())
		}
		return err
	}
	for _, sub := range subcommands() {
		cmd.AddCommand(sub)
	}
	return cmd
}

// writeErrorList writes what --errors-in-output puts on stdout instead of
// objects: a YAML list holding the message. Helm 4 runs a post-renderer
// plugin with its stderr in a buffer it never shows, and answers a non-zero
// exit with only "plugin exited with error"; output it cannot read as objects
// it does show, in "wrong node kind: expected MappingNode but got
// SequenceNode: node contents:" followed by the list. Helm stops there, so
// nothing is installed, as after any other error.
func writeErrorList(w io.Writer, message string) error {
	item := yaml.NewStringRNode("cross-cloud-access failed; nothing was written:\n" + strings.TrimRight(message, "\n"))
	item.YNode().Style = yaml.LiteralStyle
	list := yaml.NewListRNode()
	list.YNode().Content = append(list.YNode().Content, item.YNode())
	text, err := list.String()
	if err != nil {
		return fmt.Errorf("writing the error as YAML: %w", err)
	}
	_, err = io.WriteString(w, text)
	return err
}

// resourceList is the function on a ResourceList: what command.Build's
// command runs, with pkg/resourcelist's reader and writer, which write the
// same bytes at a fraction of the cost. command.Build still defines the
// flags (--stack) and prints errors the same way.
func resourceList(c *cobra.Command) error {
	p := warningsOnStderr{processor: function.Processor{}, stderr: c.ErrOrStderr()}
	err := resourcelist.Execute(p, c.InOrStdin(), c.OutOrStdout())
	if err == nil {
		return nil
	}
	fmt.Fprintf(c.ErrOrStderr(), "%v", err)
	if stack, _ := c.Flags().GetBool("stack"); stack {
		if s := kyamlerrors.GetStack(err); s != "" {
			fmt.Fprintln(c.ErrOrStderr(), s)
		}
	}
	fmt.Fprintln(c.ErrOrStderr())
	return err
}

// warningsOnStderr is the processor with its warnings on stderr too, one
// line each, with the object and the field: kustomize shows an exec
// function's stderr and drops its results, and Argo CD's plugin sidecar
// logs it. kpt prints the results itself, and a function's stderr beside
// them: under kpt the results stay the only channel. A failed run prints
// every result already, in its error.
type warningsOnStderr struct {
	processor framework.ResourceListProcessor
	stderr    io.Writer
}

func (w warningsOnStderr) Process(rl *framework.ResourceList) error {
	kpt := fromKpt(rl.Items)
	err := w.processor.Process(rl)
	if err != nil || kpt {
		return err
	}
	for _, r := range rl.Results {
		if r.Severity == framework.Warning {
			fmt.Fprintln(w.stderr, r.String())
		}
	}
	return nil
}

// fromKpt reports whether kpt wrote the ResourceList: it gives every item
// the package it came from, and passes the package's Kptfile.
func fromKpt(items []*yaml.RNode) bool {
	for _, item := range items {
		if item.GetKind() == "Kptfile" && strings.HasPrefix(item.GetApiVersion(), "kpt.dev/") {
			return true
		}
		if _, ok := item.GetAnnotations()["internal.config.kubernetes.io/package-path"]; ok {
			return true
		}
	}
	return false
}
