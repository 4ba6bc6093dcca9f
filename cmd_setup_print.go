package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"invitesync/config"
	invsync "invitesync/sync"
	"invitesync/tui"
)

// printSaved shows what `setup --no-input` saved (never a secret), which
// stored secrets it kept, and the next step.
func printSaved(w io.Writer, p *config.Plan, statePath string, tested bool) {
	au := p.Automation
	verb := "Updated"
	if p.Created {
		verb = "Added"
	}
	fmt.Fprintf(w, "%s automation %q in %s\n\n", verb, au.Name, p.Path)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	row("environment", orNone(au.Environment))
	row("enabled", yesNo(au.Enabled))
	row("poll interval", config.FormatDuration(au.Interval))
	row("protocol", au.Protocol)
	row("mailbox", au.Mailbox)
	row("time zone", au.TimeZone)
	row("tenant ID", au.TenantID)
	row("client ID", au.ClientID)
	row("app name", orNone(au.AppName))
	row("enterprise object ID", orNone(au.EnterpriseObjectID))
	row("client secret", secretState(p, config.ClientSecret(au.Name))+expiry(au.SecretExpires))
	internal := strings.Join(au.Internal(), ", ")
	if len(au.InternalDomains) == 0 {
		internal += " (the mailbox's domain)"
	}
	row("internal domains", internal)
	row("excluded", orNone(strings.Join(au.Exclude, ", ")))
	row("look-ahead", fmt.Sprintf("%d days", au.LookAheadDays))
	row("all-day visits", au.DayStart+"–"+au.DayEnd)
	row("replies", yesNo(au.Replies))
	row("IDM", p.Config.IDM.URL)
	row("IDM API key", secretState(p, config.IDMAPIKey()))
	tw.Flush()
	if len(p.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range p.Notes {
			fmt.Fprintf(w, "%s.\n", n)
		}
	}
	if tested {
		fmt.Fprintln(w, "\nThe live test passed before saving.")
	} else {
		fmt.Fprintln(w, "\nNothing was tested (no --check). Next: run `invitesync check` to test every link, from Entra ID to Salto IDM.")
	}
	fmt.Fprintf(w, "\n%s\n", tui.NextSteps(p.Path, statePath, au))
}

// secretState says what happened to one secret: stored, to be given at run
// time instead, or kept as it was stored.
func secretState(p *config.Plan, s config.Secret) string {
	for _, stored := range p.Stored {
		if stored.Key == s.Key {
			return "stored in the OS keyring"
		}
	}
	for _, given := range p.ToStore() {
		if given.Key == s.Key {
			env := s.OwnFileEnv
			if env == "" {
				env = s.FileEnv
			}
			return fmt.Sprintf("not stored (no keyring): set %s at run time", env)
		}
	}
	return "kept (the one already stored)"
}

// expiry is the client secret's expiry date, with the days left once it
// deserves a warning (see invsync.SecretExpiry).
func expiry(d config.Date) string {
	x := invsync.SecretExpiry(d, time.Now())
	switch {
	case x.Level == invsync.ExpiryUnknown:
		return ""
	case x.Warn():
		return fmt.Sprintf(" (expires %s, in %d days)", d, x.Days)
	}
	return fmt.Sprintf(" (expires %s)", d)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
