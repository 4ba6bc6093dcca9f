package main

import "github.com/spf13/cobra"

func newDemoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Everything against built-in simulators, with a realistic week of meetings",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return notBuilt("demo") },
	}
}
