package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph"
	"invitesync/graph/provision"
	"invitesync/internal/powershell"
	"invitesync/internal/text"
	"invitesync/livecheck"
	"invitesync/setup"
	"invitesync/tui"
)

// `setup --create-app`: steps 1–4 done through Microsoft Graph after one
// administrator sign-in, then step 6 saved as `setup --no-input --check`
// saves it; `setup --delete-app` removes what it created.

// standIn fills the IDs the sign-in will produce while the automation is
// checked before it (PlanChange wants real-looking values).
const standIn = "5a17e000-0000-4000-8000-000000000000"

// defaultAppName follows the vendor's naming advice, one registration per
// environment: Salto-IDM-Calendar-Integration-Production.
func defaultAppName(environment string) string {
	return "Salto-IDM-Calendar-Integration-" + strings.Trim(nameUnsafe.ReplaceAllString(environment, "-"), "-")
}

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// runCreateApp is `setup --create-app`: check the automation as it will be
// saved (IDM included), sign the administrator in, create or reuse the app
// registration, its enterprise application and consent, add a client
// secret, live-test (waiting for Entra ID), then store the secret in the OS
// keyring and save. A failure after something was created says what, and
// how to remove it.
func (a *app) runCreateApp(ctx context.Context, f *pflag.FlagSet) error {
	name, _ := f.GetString("name")
	if err := config.ValidateName(name); err != nil {
		return usageErr(fmt.Errorf("--name: %w", err))
	}
	var problems flagProblems
	for _, made := range []string{"client-id", "client-secret-file", "client-secret-stdin", "enterprise-object-id", "secret-expires"} {
		if f.Changed(made) {
			problems.add(made, errors.New("--create-app makes it: leave it out"))
		}
	}
	adm := readAdminFlags(f, &problems)
	c, err := config.Read(a.configPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		c = nil
	case err != nil:
		return usageErr(fmt.Errorf("cannot edit the configuration: %w\nFix the file or move it away, then run setup again", err))
	}
	ch := config.Change{Automation: config.NewAutomation(name)}
	if c != nil {
		ch.IDM = c.IDM
		if cur, ok := c.Automation(name); ok {
			ch.Automation, ch.Editing = *cur, name
		}
	}
	applySetupFlags(f, &ch, &problems)
	idmFile, _ := f.GetString("idm-api-key-file")
	ch.IDMAPIKey, _, err = a.secretFrom(config.IDMAPIKey(), "idm-api-key-file", idmFile, false)
	problems.add("idm-api-key-file", err)
	au := &ch.Automation
	if au.AppName == "" && au.Environment != "" {
		au.AppName = defaultAppName(au.Environment)
	}
	if au.AppName == "" {
		problems.add("app-name", errors.New("required: the app registration's name, or --environment to name it after (Salto-IDM-Calendar-Integration-<environment>)"))
	}

	// A trial of the save, with stand-ins for what the sign-in makes:
	// nothing is created in the tenant for an automation that could not be saved.
	now := time.Now()
	end := secretEnd(now, adm.months)
	trial := ch
	trial.Automation.ClientID, trial.Automation.EnterpriseObjectID = standIn, standIn
	if trial.Automation.TenantID == "" {
		trial.Automation.TenantID = standIn
	}
	trial.Automation.SecretExpires = dateOf(end)
	trial.ClientSecret = "stand-in~for-the-new-client-secret"
	secrets := a.secretStore()
	trialPlan, err := config.PlanChange(a.configPath, c, secrets, trial, now)
	if err := planProblems(err, trial, name, "client-secret-file", "idm-api-key-file", &problems); err != nil {
		return err
	}
	if err := problems.err(); err != nil {
		return err
	}
	if err := canKeepSecret(secrets, name); err != nil {
		return usageErr(fmt.Errorf("nothing was created: %w", err))
	}
	gopts, err := graph.OptionsFromEnv()
	if err != nil {
		return usageErr(err)
	}
	if err := checkIDMFirst(ctx, trialPlan, gopts); err != nil {
		return err
	}

	admin, err := signInAdmin(ctx, a.stdout, gopts, adm.clientID, au.TenantID, provision.ScopesCreate)
	if err != nil {
		return err
	}
	if au.TenantID != "" && !strings.EqualFold(admin.TenantID, au.TenantID) {
		return failedErr(fmt.Errorf("nothing was changed: %s signed in to tenant %s, but automation %q is in tenant %s",
			admin.User, admin.TenantID, name, au.TenantID))
	}
	fmt.Fprintf(a.stdout, "Steps 1–4 in tenant %s:\n", admin.TenantID)
	res, err := admin.Provision(ctx, au.AppName, func(s string) { fmt.Fprintf(a.stdout, "  ✓ %s\n", s) })
	if err != nil {
		return halfway(res.Created, au.AppName, err)
	}
	au.TenantID, au.ClientID, au.EnterpriseObjectID = admin.TenantID, res.App.AppID, res.App.ServicePrincipalID

	secret, added, err := a.secretFor(ctx, admin, &res.App, &ch, secrets, end)
	if err != nil {
		return halfway(res.Created, au.AppName, err)
	}
	if added != "" {
		res.Created = append(res.Created, added)
	}
	undo := func(why error) error {
		if added != "" {
			if err := admin.RemoveSecret(context.WithoutCancel(ctx), res.App.ObjectID, secret.KeyID); err != nil {
				why = fmt.Errorf("%w\nThe new client secret could not be removed again (%v): remove it in the portal (Certificates & secrets, ID %s)", why, err, secret.KeyID)
			} else {
				res.Created = res.Created[:len(res.Created)-1]
			}
		}
		return halfway(res.Created, au.AppName, why)
	}
	plan, results, err := setup.Save(ctx, setup.Request{ConfigPath: a.configPath, Secrets: secrets, Change: ch, Now: time.Now(),
		Test: a.waitLiveTest(gopts, adm.consentWait, true)})
	var failed *setup.TestFailedError
	switch {
	case errors.As(err, &failed):
		return undo(errors.New(firstFailure(results, adm.consentWait)))
	case err != nil:
		return undo(err)
	}
	fmt.Fprintln(a.stdout)
	printSaved(a.stdout, plan, a.stepsState(), true)
	printStep5(a.stdout, plan.Automation)
	return nil
}

// secretFor settles the automation's client secret: the stored one when the
// app reused is the automation's own and still holds it, else a new one
// (added names it, for the list of what was created). ch is updated.
func (a *app) secretFor(ctx context.Context, admin *provision.Admin, app *provision.App, ch *config.Change,
	secrets *config.Secrets, end time.Time) (s provision.Secret, added string, err error) {
	if ch.Editing != "" {
		stored, err := secrets.Get(config.ClientSecretKey(ch.Editing))
		if c, ok := app.SecretOf(stored, ""); err == nil && ok {
			if t, err := time.Parse(time.RFC3339Nano, c.End); err == nil && ch.Automation.SecretExpires.IsZero() {
				ch.Automation.SecretExpires = dateOf(t)
			}
			fmt.Fprintf(a.stdout, "  ✓ Client secret: the one stored for this automation is still the app's, and is kept (expires %s)\n", ch.Automation.SecretExpires)
			return provision.Secret{Value: stored}, "", nil
		}
	}
	s, err = admin.AddSecret(ctx, app.ObjectID, "invitesync: "+ch.Automation.Name, end)
	if err != nil {
		return s, "", err
	}
	ch.ClientSecret, ch.Automation.SecretExpires = s.Value, dateOf(s.End)
	added = fmt.Sprintf("Client secret added (ID %s, expires %s); it is never shown, and goes only into the OS keyring", s.KeyID, dateOf(s.End))
	fmt.Fprintf(a.stdout, "  ✓ %s\n", added)
	return s, added, nil
}

// checkIDMFirst runs the IDM half of the live test on the automation as it
// will be saved, before anything is created in the tenant.
func checkIDMFirst(ctx context.Context, p *config.Plan, gopts graph.Options) error {
	results := livecheck.Run(ctx, livecheck.Input{Automation: p.Automation, IDMURL: p.Config.IDM.URL,
		IDMKey: p.IDMAPIKey, Graph: gopts}, nil)
	for _, r := range results {
		if (r.ID == livecheck.IDMHealth || r.ID == livecheck.IDMEnvironment) && !r.OK {
			msg := fmt.Sprintf("nothing was created: Salto IDM comes first, and %s", r.Message)
			if r.Fix != "" {
				msg += "\nFix: " + r.Fix
			}
			return failedErr(errors.New(msg))
		}
	}
	return nil
}

// halfway is the error of a create that stopped (see provision.Stopped).
func halfway(created []string, appName string, why error) error {
	return failedErr(provision.Stopped(created, appName, why))
}

// printStep5 shows what comes after the save: Exchange Online's part.
func printStep5(w io.Writer, au config.Automation) {
	script, err := powershell.SetupScript(powershell.Input{TenantID: au.TenantID, ClientID: au.ClientID,
		EnterpriseObjectID: au.EnterpriseObjectID, AppName: au.AppName, Mailbox: au.Mailbox, Scope: powershell.ScopeNone})
	if err != nil {
		return
	}
	fmt.Fprintf(w, "\nNext, step 5 in Exchange Online PowerShell. With the consent granted here the app can reach every\n"+
		"mailbox's calendar; to limit it to %s, add an application access policy (`invitesync setup`,\n"+
		"step 5, writes it; RBAC for Applications would need this consent removed first).\n\n%s",
		text.Clean(au.Mailbox, 200), script)
}

// runDeleteApp is `setup --delete-app`: remove an app registration (by
// --app-name or --client-id) and its enterprise application, after one
// administrator sign-in. An app an automation of this configuration uses
// is refused.
func (a *app) runDeleteApp(ctx context.Context, f *pflag.FlagSet) error {
	var problems flagProblems
	appName, _ := f.GetString("app-name")
	clientID, _ := f.GetString("client-id")
	tenant, _ := f.GetString("tenant-id")
	if (appName == "") == (clientID == "") {
		problems.add("app-name", errors.New("--delete-app needs the app registration's name (--app-name) or its Application (client) ID (--client-id), one of them"))
	}
	if clientID != "" {
		problems.add("client-id", config.ValidateGUID(clientID))
	}
	if tenant != "" {
		problems.add("tenant-id", config.ValidateGUID(tenant))
	}
	for _, fl := range []string{"create-app", "client-secret-file", "client-secret-stdin", "idm-api-key-file", "check"} {
		if f.Changed(fl) {
			problems.add(fl, errors.New("not with --delete-app"))
		}
	}
	adminClient, _ := f.GetString("admin-client-id")
	problems.add("admin-client-id", config.ValidateGUID(adminClient))
	if err := problems.err(); err != nil {
		return err
	}
	c, err := config.Read(a.configPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return usageErr(fmt.Errorf("cannot read the configuration, which says which apps are in use: %w", err))
	}
	gopts, err := graph.OptionsFromEnv()
	if err != nil {
		return usageErr(err)
	}
	admin, err := signInAdmin(ctx, a.stdout, gopts, adminClient, tenant, provision.ScopesManage)
	if err != nil {
		return err
	}
	var app *provision.App
	if clientID != "" {
		app, err = admin.FindByClientID(ctx, clientID)
	} else {
		app, err = admin.FindByName(ctx, appName)
	}
	switch {
	case err != nil:
		return failedErr(fmt.Errorf("nothing was deleted: %w", err))
	case app == nil:
		return failedErr(fmt.Errorf("nothing was deleted: tenant %s has no app registration %s", admin.TenantID, orNone(appName+clientID)))
	}
	if c != nil {
		for _, au := range c.Automations {
			if strings.EqualFold(au.ClientID, app.AppID) {
				return failedErr(fmt.Errorf("nothing was deleted: automation %q of %s uses the app registration %q (client ID %s) and would stop working; remove the automation first, or delete the app in the portal if that is what you want",
					au.Name, a.configPath, app.DisplayName, app.AppID))
			}
		}
	}
	done, err := admin.Delete(ctx, app)
	for _, d := range done {
		fmt.Fprintf(a.stdout, "  ✓ %s\n", d)
	}
	if err != nil {
		return failedErr(err)
	}
	return nil
}

// wizardCreateApp is the wizard's "Create it for me" (tui.ProvisionApp),
// refused at once when no OS keyring could keep the new secret.
func wizardCreateApp(gopts graph.Options, secrets *config.Secrets) tui.CreateAppFunc {
	create := tui.ProvisionApp(provision.Options{Graph: gopts}, 12)
	return func(ctx context.Context, in tui.CreateAppInput, ev tui.CreateAppEvents) (tui.CreatedApp, error) {
		if _, err := secrets.Get(config.IDMAPIKeyKey); errors.Is(err, config.ErrKeyringUnavailable) {
			return tui.CreatedApp{}, fmt.Errorf("nothing was created: the new client secret is never shown, so it must go into the OS keyring, and %v", err)
		}
		return create(ctx, in, ev)
	}
}

// waitLiveReporting is waitLive for the wizard: each try's results go to
// report, and what it waits for to waiting.
func waitLiveReporting(ctx context.Context, in livecheck.Input, bound time.Duration, waiting func(string), report func(diag.Result)) []diag.Result {
	return provision.WaitLive(ctx, bound, func(ctx context.Context) []diag.Result {
		return livecheck.Run(ctx, in, report)
	}, func(t provision.Tick) {
		if waiting != nil {
			waiting(fmt.Sprintf("Waiting for Entra ID: %s. Trying again in %s; gives up in %s.", t.Why, t.Next.Round(time.Second), t.Left.Round(time.Second)))
		}
	})
}

// waitLiveTest is the live test of a save (setup.Request's Test) after an
// app or its secret was just made: tried again while Entra ID applies it,
// for at most bound (see waitLive); gap puts a blank line before it.
func (a *app) waitLiveTest(gopts graph.Options, bound time.Duration, gap bool) func(context.Context, *config.Plan) []diag.Result {
	return func(ctx context.Context, p *config.Plan) []diag.Result {
		if gap {
			fmt.Fprintln(a.stdout)
		}
		results, _ := waitLive(ctx, a.stdout, livecheck.Input{Automation: p.Automation, IDMURL: p.Config.IDM.URL,
			ClientSecret: p.ClientSecret, IDMKey: p.IDMAPIKey, Graph: gopts}, bound)
		return results
	}
}
