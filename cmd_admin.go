package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph"
	"invitesync/graph/provision"
	"invitesync/livecheck"
)

// What `setup --create-app` and `secret rotate` share: the administrator's
// device-code sign-in, the client secret's lifetime, the checks that the new
// secret can be kept, and the live test that waits for Entra ID.

// addAdminFlags adds the flags of the administrator's sign-in and the new secret.
func addAdminFlags(f *pflag.FlagSet) {
	f.Int("secret-months", 12, fmt.Sprintf("the new client secret's lifetime in months, 1–%d", provision.MaxSecretMonths))
	f.String("admin-client-id", provision.DefaultAdminClientID,
		"the public client the administrator signs in through (default: Microsoft Graph Command Line Tools)")
	f.Duration("consent-wait", provision.DefaultConsentWait,
		"how long the live test waits for Entra ID to apply a new app, secret or consent")
}

// adminFlags are the values of addAdminFlags' flags.
type adminFlags struct {
	months      int
	clientID    string
	consentWait time.Duration
}

// readAdminFlags reads and checks addAdminFlags' flags.
func readAdminFlags(f *pflag.FlagSet, problems *flagProblems) adminFlags {
	var o adminFlags
	o.months, _ = f.GetInt("secret-months")
	if o.months < 1 || o.months > provision.MaxSecretMonths {
		problems.add("secret-months", fmt.Errorf("%d is out of range: expected 1 to %d months (the portal's longest is %d)",
			o.months, provision.MaxSecretMonths, provision.MaxSecretMonths))
	}
	o.clientID, _ = f.GetString("admin-client-id")
	if err := config.ValidateGUID(o.clientID); err != nil {
		problems.add("admin-client-id", fmt.Errorf("%w: a public client's Application (client) ID", err))
	}
	o.consentWait, _ = f.GetDuration("consent-wait")
	if o.consentWait < 0 || o.consentWait > time.Hour {
		problems.add("consent-wait", errors.New("expected a duration from 0s to 1h, such as 10m"))
	}
	return o
}

// secretEnd is when a secret of months made at now expires, and the date
// the configuration records for it.
func secretEnd(now time.Time, months int) time.Time { return now.UTC().AddDate(0, months, 0) }

// dateOf is t's UTC calendar day.
func dateOf(t time.Time) config.Date {
	t = t.UTC()
	return config.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// canKeepSecret refuses a new client secret that could not be kept: it is
// shown to no one, so it must go into the OS keyring, and no environment
// variable may stand in for it at run time.
func canKeepSecret(secrets *config.Secrets, name string) error {
	s := config.ClientSecret(name)
	if _, from, err := s.FromEnvironment(); from != "" || err != nil {
		return fmt.Errorf("%s gives %s, and would be used instead of the new secret, which is never shown: unset it first (the new secret goes into the OS keyring)",
			firstSet(s), s.Label)
	}
	if _, err := secrets.Get(s.Key); errors.Is(err, config.ErrKeyringUnavailable) {
		return fmt.Errorf("the new client secret is never shown, so it must go into the OS keyring, and %v", err)
	}
	return nil
}

// firstSet names the first variable of s that is set.
func firstSet(s config.Secret) string {
	for _, v := range []string{s.OwnFileEnv, s.OwnEnv, s.FileEnv, s.Env} {
		if v != "" && os.Getenv(v) != "" {
			return v
		}
	}
	return s.Env
}

// signInAdmin runs the administrator's device-code sign-in for perms,
// showing the code on w.
func signInAdmin(ctx context.Context, w io.Writer, gopts graph.Options, clientID, tenant string, perms []string) (*provision.Admin, error) {
	fmt.Fprintf(w, "An administrator signs in once, with the Microsoft Graph permissions %s.\n", strings.Join(perms, " and "))
	admin, err := provision.SignIn(ctx, provision.Options{Graph: gopts, AdminClientID: clientID, TenantID: tenant,
		Prompt: func(dc provision.DeviceCode) {
			until := ""
			if !dc.Expires.IsZero() {
				until = fmt.Sprintf(" The code works until %s, for %d minutes.", dc.Expires.Local().Format("15:04"),
					int(time.Until(dc.Expires).Round(time.Minute)/time.Minute))
			}
			fmt.Fprintf(w, "\nOn any device, open %s and enter the code %s.%s\nWaiting for the sign-in (Ctrl-C cancels; nothing is changed before it)…\n",
				dc.URL, dc.UserCode, until)
		}}, perms)
	switch {
	case errors.Is(err, provision.ErrExpired):
		return nil, failedErr(errors.New("nothing was changed: the code expired before anyone signed in with it; run the command again for a new one"))
	case err != nil:
		return nil, failedErr(fmt.Errorf("nothing was changed: %w", err))
	}
	fmt.Fprintf(w, "Signed in as %s to tenant %s.\n\n", orNone(admin.User), admin.TenantID)
	return admin, nil
}

// waitLive runs the live test of `invitesync check` on in, again and again
// while Entra ID has not yet applied a new app, secret or consent (see
// provision.Pending), for at most bound, saying on w what it waits for and
// how long it still will. It prints the last results and reports whether
// they passed.
func waitLive(ctx context.Context, w io.Writer, in livecheck.Input, bound time.Duration) ([]diag.Result, bool) {
	fmt.Fprintf(w, "Testing %s before saving it\n", in.Automation.Name)
	results := provision.WaitLive(ctx, bound, func(ctx context.Context) []diag.Result {
		return livecheck.Run(ctx, in, nil)
	}, func(t provision.Tick) {
		fmt.Fprintf(w, "  … %s: trying again in %s (gives up in %s)\n", t.Why, t.Next.Round(time.Second), t.Left.Round(time.Second))
	})
	for _, r := range results {
		printCheck(w, r)
	}
	return results, diag.Passed(results)
}

// firstFailure describes the first failed check, with its fix; when the
// check still failed only because Entra ID had not applied the change in
// time, it says that instead of the check's generic fix.
func firstFailure(results []diag.Result, waited time.Duration) string {
	if why, pending := provision.Pending(results); pending {
		return fmt.Sprintf("the live test still failed after waiting %s (--consent-wait): %s. Entra ID can take longer; run the command again later, or with a longer --consent-wait",
			waited, why)
	}
	for _, r := range results {
		if !r.OK {
			msg := fmt.Sprintf("the live test failed at step %d: %s", r.Step, r.Message)
			if r.Fix != "" {
				msg += "\nFix: " + r.Fix
			}
			return msg
		}
	}
	return "the live test ran no check"
}
