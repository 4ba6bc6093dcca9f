package main

import "github.com/spf13/cobra"

func newStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Last poll, counts, errors and secret expiry per automation",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return notBuilt("status") },
	}
}
