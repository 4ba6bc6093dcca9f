package main

import "github.com/spf13/cobra"

func newCheckCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Live-test every automation; exit 0 only if all pass",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return notBuilt("check") },
	}
}
