package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/crosscloud-dev/cross-cloud-access/pkg/argocd"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/discovery"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/doctor"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/export"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/trust"
	"github.com/crosscloud-dev/cross-cloud-access/pkg/verify"
)

// subcommands are the modes beside the function itself.
func subcommands() []*cobra.Command {
	return []*cobra.Command{{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), version)
			return err
		},
	}, export.Command(), trust.Command(),
		discovery.Command(),
		doctor.Command(),
		argocd.Command(),
		verify.Command(),
	}
}
