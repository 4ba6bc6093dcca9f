package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/internal/powershell"
)

// exchangeScopes maps --scope to the script's scoping choice.
var exchangeScopes = map[string]powershell.Scope{
	"none":          powershell.ScopeNone,
	"rbac":          powershell.ScopeRBAC,
	"policy":        powershell.ScopeAccessPolicy,
	"access-policy": powershell.ScopeAccessPolicy,
}

func newExchangeCmd(a *app) *cobra.Command {
	var name, scope, group, out string
	var fullAccess bool
	cmd := &cobra.Command{
		Use:   "exchange-script",
		Short: "Print the Exchange Online PowerShell commands of step 5 again",
		Long: `Print the Exchange Online PowerShell commands of set-up step 5 for an
automation, with its IDs and mailbox filled in and every value quoted for
PowerShell: they register the app's service principal in Exchange and, with
--scope, limit the app to the automation's mailbox — rbac (RBAC for
Applications, recommended) or policy (an application access policy, which
needs --group, the mail-enabled security group holding the mailbox).
--full-access adds the vendor guide's Add-MailboxPermission … FullAccess,
which Microsoft Graph does not need.

Without --automation, the configuration must hold exactly one automation.
-o FILE writes a .ps1 file (UTF-8 with a byte order mark and Windows line
endings, as Windows PowerShell 5.1 needs) instead of printing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, ok := exchangeScopes[strings.ToLower(scope)]
			if !ok {
				return usageErr(fmt.Errorf("--scope %q: want rbac, policy or none", scope))
			}
			if sc == powershell.ScopeAccessPolicy {
				if err := config.ValidateAddress(group); err != nil {
					return usageErr(fmt.Errorf("--group: %w (--scope policy needs the mail-enabled security group that holds the mailbox)", err))
				}
			} else if group != "" {
				return usageErr(errors.New("--group goes with --scope policy only"))
			}
			if out != "" && !strings.EqualFold(filepath.Ext(out), ".ps1") {
				return usageErr(fmt.Errorf("-o %q does not end in .ps1: PowerShell runs only .ps1 scripts", out))
			}
			return a.exchangeScript(name, sc, group, fullAccess, out)
		},
	}
	cmd.Flags().StringVar(&name, "automation", "", "the automation (required when there are several)")
	cmd.Flags().StringVar(&scope, "scope", "none", "limit the app to the mailbox: rbac, policy or none")
	cmd.Flags().StringVar(&group, "group", "", "with --scope policy: the mail-enabled security group holding the mailbox")
	cmd.Flags().BoolVar(&fullAccess, "full-access", false, "add Add-MailboxPermission … FullAccess (not needed by Microsoft Graph)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the commands to this .ps1 file instead of standard output")
	return cmd
}

// exchangeScript is `invitesync exchange-script`.
func (a *app) exchangeScript(name string, scope powershell.Scope, group string, fullAccess bool, out string) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	var auto config.Automation
	switch {
	case name != "":
		var ok bool
		if auto, ok = findAutomation(cfg, name); !ok {
			return usageErr(fmt.Errorf("--automation %q: no such automation in %s (there are: %s)", name, a.configPath, automationNames(cfg)))
		}
	case len(cfg.Automations) == 1:
		auto = cfg.Automations[0]
	default:
		return usageErr(fmt.Errorf("name the automation with --automation (there are: %s)", automationNames(cfg)))
	}
	if auto.EnterpriseObjectID == "" {
		return usageErr(fmt.Errorf("automation %q has no enterprise_object_id (step 4: Enterprise applications → the app → Object ID): add it with `invitesync setup --no-input --name %q --enterprise-object-id ID`",
			auto.Name, auto.Name))
	}
	script, err := powershell.SetupScript(powershell.Input{
		TenantID: auto.TenantID, ClientID: auto.ClientID, EnterpriseObjectID: auto.EnterpriseObjectID,
		AppName: auto.AppName, Mailbox: auto.Mailbox, ScopeName: "invitesync " + auto.Mailbox,
		Scope: scope, PolicyGroup: group, FullAccess: fullAccess,
	})
	if err != nil {
		return usageErr(fmt.Errorf("automation %q: %w", auto.Name, err))
	}
	if out == "" {
		_, err := fmt.Fprint(a.stdout, script)
		return err
	}
	if err := os.WriteFile(out, powershell.File(script), 0o600); err != nil {
		return failedErr(err)
	}
	fmt.Fprintf(a.stderr, "Wrote the Exchange Online commands for %q to %s.\n", auto.Name, out)
	return nil
}
