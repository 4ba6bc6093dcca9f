package main

import "github.com/spf13/cobra"

func newDashboardCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "dashboard",
		Short: "Keyboard dashboard of the poll loop; attaches to a running service",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runDashboard(cmd) },
	}
}

// runDashboard opens the dashboard.
func (a *app) runDashboard(*cobra.Command) error { return notBuilt("the dashboard") }
