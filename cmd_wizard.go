package main

import "github.com/spf13/cobra"

// runWizard starts the interactive set-up wizard.
func (a *app) runWizard(*cobra.Command) error { return notBuilt("the set-up wizard") }
