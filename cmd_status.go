package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/internal/text"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

func newStatusCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Last poll, counts, errors and secret expiry per automation",
		Long: `Per automation: whether a loop runs it, the last poll, the last success and the
next poll, the counts of events created, updated, cancelled, skipped and failed,
the operations waiting in the outbox, the last error, and the days until the
client secret expires (warned from 30 days ahead). Each operation is counted
once: pending (waiting to run or for a retry, with when the next one runs) or
failed for good (waiting for an operator). The state is one of polling, idle,
paused, throttled, error (the last poll failed), failing (the operations the
loop last ran all failed for good) and stopped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.status(cmd.Context(), asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

// statusJSON is one automation in `status --json`. Every key is always
// present; times are RFC 3339, and times and runBy are null when unknown.
type statusJSON struct {
	Name              string     `json:"name"`
	Enabled           bool       `json:"enabled"`
	State             string     `json:"state"`
	Running           bool       `json:"running"`
	RunBy             *string    `json:"runBy"`
	LastPoll          *time.Time `json:"lastPoll"`
	LastSuccess       *time.Time `json:"lastSuccess"`
	NextPoll          *time.Time `json:"nextPoll"`
	ThrottledUntil    *time.Time `json:"throttledUntil"`
	Counts            countsJSON `json:"counts"`
	PendingOperations int        `json:"pendingOperations"`
	NextAttempt       *time.Time `json:"nextAttempt"`
	FailedOperations  int        `json:"failedOperations"`
	LastError         string     `json:"lastError"`
	SecretExpires     string     `json:"secretExpires"`
	SecretDaysLeft    *int       `json:"secretDaysLeft"`
	SecretWarning     string     `json:"secretWarning"`
}

type countsJSON struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Cancelled int `json:"cancelled"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
}

// status is `invitesync status`.
func (a *app) status(ctx context.Context, asJSON bool) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	var st *store.Store
	if _, err := os.Stat(a.statePath); err == nil {
		if st, err = store.Open(ctx, a.statePath); err != nil {
			return failedErr(err)
		}
		defer st.Close()
	} else if !errors.Is(err, os.ErrNotExist) {
		return failedErr(fmt.Errorf("state database %s: %w", a.statePath, err))
	}
	now := time.Now()
	var out []statusJSON
	for _, au := range cfg.Automations {
		var s store.Status
		if st != nil {
			if s, err = st.Status(ctx, au.Name); err != nil {
				return failedErr(err)
			}
		}
		out = append(out, statusOf(au, s, now))
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Automations []statusJSON `json:"automations"`
		}{out}); err != nil {
			return failedErr(err)
		}
		return nil
	}
	for i, s := range out {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		printStatus(a.stdout, s, now)
	}
	if len(out) == 0 {
		fmt.Fprintln(a.stdout, "No automation is configured: run `invitesync setup`.")
	}
	return nil
}

// statusOf assembles what status shows for one automation.
func statusOf(au config.Automation, s store.Status, now time.Time) statusJSON {
	x := invsync.SecretExpiry(au.SecretExpires, now)
	out := statusJSON{
		Name: au.Name, Enabled: au.Enabled, State: string(s.Loop.State), Running: s.Leased,
		LastPoll: timePtr(s.Loop.LastPoll), LastSuccess: timePtr(s.Loop.LastSuccess), NextPoll: timePtr(s.Loop.NextPoll),
		ThrottledUntil: timePtr(s.Loop.ThrottledUntil),
		Counts: countsJSON{Created: s.Counts.Created, Updated: s.Counts.Updated, Cancelled: s.Counts.Cancelled,
			Skipped: s.Counts.Skipped, Failed: s.Counts.Failed},
		PendingOperations: s.Pending, NextAttempt: timePtr(s.NextAttempt), FailedOperations: s.Failed,
		LastError: text.Clean(s.Loop.LastError, 500), SecretExpires: au.SecretExpires.String(),
		SecretWarning: x.Message,
	}
	if s.Leased {
		owner := s.Lease.Owner
		out.RunBy = &owner
	} else {
		out.NextPoll = nil // nobody will poll
	}
	if out.State == "" {
		out.State = "never run"
	}
	if x.Level != invsync.ExpiryUnknown {
		days := x.Days
		out.SecretDaysLeft = &days
	}
	if !x.Warn() && x.Level != invsync.ExpiryUnknown {
		out.SecretWarning = ""
	}
	return out
}

func printStatus(w io.Writer, s statusJSON, now time.Time) {
	state := s.State
	switch {
	case s.Running:
		state += " (run by " + text.Clean(*s.RunBy, 100) + ")"
	case s.State != "never run":
		state = "not running (last state: " + s.State + ")"
	}
	if !s.Enabled {
		state += ", disabled"
	}
	fmt.Fprintf(w, "%s\n", text.Clean(s.Name, 100))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	row("state", state)
	if s.ThrottledUntil != nil {
		row("throttled until", when(s.ThrottledUntil, now))
	}
	row("last poll", when(s.LastPoll, now))
	row("last success", when(s.LastSuccess, now))
	row("next poll", when(s.NextPoll, now))
	c := s.Counts
	row("events", fmt.Sprintf("%d created, %d updated, %d cancelled, %d skipped, %d failed", c.Created, c.Updated, c.Cancelled, c.Skipped, c.Failed))
	pending := fmt.Sprintf("%d pending", s.PendingOperations)
	if s.NextAttempt != nil {
		pending += ", next try " + when(s.NextAttempt, now)
	}
	row("outbox", fmt.Sprintf("%s; %d failed for good", pending, s.FailedOperations))
	if s.LastError != "" {
		row("last error", s.LastError)
	}
	secret := "expiry date unknown"
	if s.SecretDaysLeft != nil {
		secret = fmt.Sprintf("%d days left (%s)", *s.SecretDaysLeft, s.SecretExpires)
		if *s.SecretDaysLeft < 0 {
			secret = "EXPIRED on " + s.SecretExpires
		}
	}
	row("client secret", secret)
	tw.Flush()
	if s.SecretWarning != "" {
		mark := "!"
		if s.SecretDaysLeft != nil && *s.SecretDaysLeft < 0 {
			mark = "✗"
		}
		fmt.Fprintf(w, "  %s %s\n", mark, s.SecretWarning)
	}
}

// when shows a time with how long ago or ahead it is.
func when(t *time.Time, now time.Time) string {
	if t == nil {
		return "—"
	}
	d := now.Sub(*t).Round(time.Second)
	rel := d.String() + " ago"
	if d < 0 {
		rel = "in " + (-d).String()
	}
	return t.Local().Format(time.DateTime) + " (" + rel + ")"
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
