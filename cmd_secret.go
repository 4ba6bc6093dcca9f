package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/provision"
	"invitesync/internal/text"
	"invitesync/setup"
)

func newSecretCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret",
		Short: "Renew an automation's client secret (secret rotate)",
		Args:  cobra.NoArgs,
	}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Replace an automation's client secret with a new one, after one administrator sign-in",
		Long: `Replace an automation's client secret before it expires.

An administrator signs in once with a device code (open the page shown on any
device and enter the code); the sign-in asks only for the Microsoft Graph
permission Application.ReadWrite.All and needs a role that may change the app
registration (Global, Application or Cloud Application Administrator). Then:

  1. a new client secret is added to the automation's app registration, valid
     --secret-months (default 12, at most 24);
  2. the live test of ` + "`invitesync check`" + ` runs with it, waiting up to
     --consent-wait while Entra ID takes the new secret in;
  3. it is stored in the OS keyring and the expiry date in the configuration;
  4. only then the old secret is removed from the app registration.

The new secret is never shown. If it fails its test, it is removed again and
the old one stays, as does the configuration. The old secret is found by the
three characters Entra ID keeps of each one; when it cannot be told apart
(or another automation of this configuration shares it), it is left in place
and named, to remove in the portal once nothing uses it.

A secret given to the service through INVITESYNC_CLIENT_SECRET… would
override the keyring: rotate refuses until that variable is unset.`,
		Example: `  invitesync secret rotate --automation "Front desk"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.rotate(cmd.Context(), cmd)
		},
	}
	f := rotate.Flags()
	f.String("automation", "", "the automation whose secret to replace (needed when there are several)")
	addAdminFlags(f)
	cmd.AddCommand(rotate)
	return cmd
}

// rotate is `invitesync secret rotate`.
func (a *app) rotate(ctx context.Context, cmd *cobra.Command) error {
	f := cmd.Flags()
	var problems flagProblems
	adm := readAdminFlags(f, &problems)
	if err := problems.err(); err != nil {
		return err
	}
	c, err := a.loadConfig()
	if err != nil {
		return err
	}
	name, _ := f.GetString("automation")
	au, err := pickAutomation(c, name, a.configPath)
	if err != nil {
		return err
	}
	secrets := a.secretStore()
	if err := canKeepSecret(secrets, au.Name); err != nil {
		return usageErr(fmt.Errorf("nothing was changed: %w", err))
	}
	old, oldErr := secrets.Get(config.ClientSecretKey(au.Name))
	if oldErr != nil && !errors.Is(oldErr, config.ErrSecretNotFound) {
		return failedErr(fmt.Errorf("nothing was changed: %w", oldErr))
	}
	gopts, err := graph.OptionsFromEnv()
	if err != nil {
		return usageErr(err)
	}

	admin, err := signInAdmin(ctx, a.stdout, gopts, adm.clientID, au.TenantID, provision.ScopesManage)
	if err != nil {
		return err
	}
	if !strings.EqualFold(admin.TenantID, au.TenantID) {
		return failedErr(fmt.Errorf("nothing was changed: %s signed in to tenant %s, but automation %q is in tenant %s",
			admin.User, admin.TenantID, au.Name, au.TenantID))
	}
	app, err := admin.FindByClientID(ctx, au.ClientID)
	switch {
	case err != nil:
		return failedErr(fmt.Errorf("nothing was changed: %w", err))
	case app == nil:
		return failedErr(fmt.Errorf("nothing was changed: tenant %s has no app registration with the client ID %s of automation %q",
			au.TenantID, au.ClientID, au.Name))
	}
	secret, err := admin.AddSecret(ctx, app.ObjectID, "invitesync: "+au.Name, secretEnd(time.Now(), adm.months))
	if err != nil {
		return failedErr(fmt.Errorf("nothing was changed: %w", err))
	}
	fmt.Fprintf(a.stdout, "  ✓ New client secret added to %q (ID %s, expires %s); it is never shown\n\n", app.DisplayName, secret.KeyID, dateOf(secret.End))
	keepOld := func(why string) error {
		msg := "the old client secret is kept and nothing was saved: " + why
		if err := admin.RemoveSecret(context.WithoutCancel(ctx), app.ObjectID, secret.KeyID); err != nil {
			msg += fmt.Sprintf("\nThe new secret could not be removed again (%v): remove it in the portal (Certificates & secrets, ID %s)", err, secret.KeyID)
		} else {
			msg += "\nThe new secret was removed from the app registration again."
		}
		return failedErr(errors.New(msg))
	}

	next := *au
	next.SecretExpires = dateOf(secret.End)
	_, results, err := setup.Save(ctx, setup.Request{ConfigPath: a.configPath, Secrets: secrets, Now: time.Now(),
		Change: config.Change{Automation: next, IDM: c.IDM, Editing: au.Name, ClientSecret: secret.Value},
		Test:   a.waitLiveTest(gopts, adm.consentWait, false)})
	var failed *setup.TestFailedError
	switch {
	case errors.As(err, &failed):
		return keepOld(firstFailure(results, adm.consentWait))
	case err != nil:
		return keepOld(err.Error())
	}
	fmt.Fprintf(a.stdout, "\nThe new secret is stored in the OS keyring; %s records its expiry, %s.\n", a.configPath, next.SecretExpires)
	a.removeOld(ctx, admin, app, c, au, old, secret.KeyID)
	return nil
}

// removeOld removes the secret the automation used before, when it can be
// told apart from every other secret of the app and no other automation of
// this configuration shares it; otherwise it says which secrets remain.
func (a *app) removeOld(ctx context.Context, admin *provision.Admin, app *provision.App, c *config.Config, au *config.Automation, old, newKeyID string) {
	cred, found := app.SecretOf(old, newKeyID)
	var sharedBy string
	if found {
		for _, other := range c.Automations {
			if other.Name == au.Name || !strings.EqualFold(other.ClientID, au.ClientID) {
				continue
			}
			if v, err := a.secretStore().Get(config.ClientSecretKey(other.Name)); err == nil && len(v) >= 3 && v[:3] == cred.Hint {
				sharedBy = other.Name
			}
		}
	}
	switch {
	case found && sharedBy == "":
		if err := admin.RemoveSecret(ctx, app.ObjectID, cred.KeyID); err != nil {
			fmt.Fprintf(a.stdout, "The old secret (ID %s) could not be removed: %v\nRemove it in the portal: App registrations → %s → Certificates & secrets.\n",
				cred.KeyID, err, text.Clean(app.DisplayName, 200))
			return
		}
		fmt.Fprintf(a.stdout, "  ✓ Old client secret removed from the app registration (ID %s, expiring %s)\n", cred.KeyID, orNone(dayOf(cred.End)))
		return
	case found:
		fmt.Fprintf(a.stdout, "The old secret (ID %s) is kept: automation %q of this configuration uses it too. Rotate that one as well, then remove it in the portal.\n",
			cred.KeyID, sharedBy)
		return
	}
	var others []string
	for _, s := range app.Secrets {
		if s.KeyID != newKeyID {
			others = append(others, fmt.Sprintf("  ID %s (starts %s…, expires %s, %q)", s.KeyID, s.Hint, orNone(dayOf(s.End)), text.Clean(s.DisplayName, 100)))
		}
	}
	if len(others) == 0 {
		return
	}
	fmt.Fprintf(a.stdout, "The old secret could not be told apart, so these remain on the app registration; remove in the portal (App registrations → %s → Certificates & secrets) those nothing uses any more:\n%s\n",
		text.Clean(app.DisplayName, 200), strings.Join(others, "\n"))
}

// pickAutomation returns the automation called name, or the only one.
func pickAutomation(c *config.Config, name, path string) (*config.Automation, error) {
	if name != "" {
		au, ok := c.Automation(name)
		if !ok {
			return nil, usageErr(fmt.Errorf("--automation: no automation named %s in %s", text.Quote(name), path))
		}
		return au, nil
	}
	switch len(c.Automations) {
	case 0:
		return nil, usageErr(fmt.Errorf("no automation in %s: run `invitesync setup` first", path))
	case 1:
		return &c.Automations[0], nil
	}
	names := make([]string, len(c.Automations))
	for i, au := range c.Automations {
		names[i] = text.Quote(au.Name)
	}
	return nil, usageErr(fmt.Errorf("--automation: which one? %s has %s", path, strings.Join(names, ", ")))
}

// dayOf is the date part of an RFC 3339 time; "" when it is not one.
func dayOf(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339Nano, rfc3339)
	if err != nil {
		return ""
	}
	return dateOf(t).String()
}
