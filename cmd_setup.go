package main

import "github.com/spf13/cobra"

func newSetupCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Set up or edit an automation (the wizard; --no-input for flags only)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runWizard(cmd) },
	}
	return cmd
}
