package main

import "github.com/spf13/cobra"

func newRunCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the poll loop headless (as a service)",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return notBuilt("run") },
	}
}
