package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
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
		Short: "Verdict, last poll, counts, errors and secret expiry per automation (exit 0, 3 or 1)",
		Long: `Per automation: whether a loop runs it, the last poll, the last success and the
next poll, the counts of events created, updated, cancelled, skipped and failed,
the operations waiting in the outbox, the last error, and the days until the
client secret expires (warned from 30 days ahead). Each operation is counted
once: pending (waiting to run or for a retry, with when the next one runs) or
failed for good (waiting for an operator). The state is one of polling, idle,
paused, throttled, error (the last poll failed), failing (the operations the
loop last ran all failed for good) and stopped. Events are counted once each,
by what each became; operations are counted apart. Times are in the
automation's time zone, each with its abbreviation.

The verdict on each automation, and the exit status, tell a monitoring system
whether to alert:
  0  healthy: every enabled automation is polled on time (by a loop, or a
     scheduled run --once) and nothing needs doing
  3  needs attention: a client secret expires within 14 days, or an enabled
     automation is not polled (never run, paused, or no poll for two of
     its intervals and a minute)
  1  failing: the last poll failed, operations failed for good, or a client
     secret expired
(2 stays a usage or configuration error.) The worst automation decides; the
reasons go to standard error too.`,
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
	Verdict           string     `json:"verdict"`
	VerdictReasons    []string   `json:"verdictReasons"`
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
	var verdicts []invsync.Verdict
	for _, au := range cfg.Automations {
		var b store.Board
		if st != nil {
			if b, err = st.Board(ctx, au.Name); err != nil {
				return failedErr(err)
			}
		}
		v := invsync.Judge(au, b, now)
		verdicts = append(verdicts, v)
		out = append(out, statusOf(au, b, v, now))
	}
	worst := invsync.Worst(verdicts...)
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Verdict     string       `json:"verdict"`
			Automations []statusJSON `json:"automations"`
		}{worst.String(), out}); err != nil {
			return failedErr(err)
		}
	} else {
		for i, s := range out {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			printStatus(a.stdout, s, cfg.Automations[i].Location(), now)
		}
		if len(out) == 0 {
			fmt.Fprintln(a.stdout, "No automation is configured: run `invitesync setup`.")
		}
	}
	return verdictErr(worst, cfg.Automations, verdicts)
}

// verdictErr is nil when every automation is healthy, else the exit code
// of the worst verdict with its reasons, one automation after another.
func verdictErr(worst invsync.Health, autos []config.Automation, vs []invsync.Verdict) error {
	if worst == invsync.Healthy {
		return nil
	}
	var parts []string
	for i, v := range vs {
		if v.Health != invsync.Healthy {
			parts = append(parts, text.Clean(autos[i].Name, 100)+": "+strings.Join(v.Reasons, "; "))
		}
	}
	return &exitError{worst.ExitCode(), fmt.Errorf("%s: %s", worst, strings.Join(parts, " | "))}
}

// statusOf assembles what status shows for one automation.
func statusOf(au config.Automation, b store.Board, v invsync.Verdict, now time.Time) statusJSON {
	s, loc := b.Status, au.Location()
	x := invsync.SecretExpiry(au.SecretExpires, now)
	out := statusJSON{
		Name: au.Name, Enabled: au.Enabled, State: string(s.Loop.State), Running: s.Leased,
		LastPoll: timePtr(s.Loop.LastPoll, loc), LastSuccess: timePtr(s.Loop.LastSuccess, loc), NextPoll: timePtr(s.Loop.NextPoll, loc),
		ThrottledUntil: timePtr(s.Loop.ThrottledUntil, loc),
		Counts: countsJSON{Created: b.Events.Created, Updated: b.Events.Updated, Cancelled: b.Events.Cancelled,
			Skipped: b.Events.Skipped, Failed: b.Events.Failed},
		PendingOperations: s.Pending, NextAttempt: timePtr(s.NextAttempt, loc), FailedOperations: s.Failed,
		LastError: text.Clean(s.Loop.LastError, 500), SecretExpires: au.SecretExpires.String(),
		SecretWarning: x.Message, Verdict: v.Health.String(), VerdictReasons: v.Reasons,
	}
	if out.VerdictReasons == nil {
		out.VerdictReasons = []string{}
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

func printStatus(w io.Writer, s statusJSON, loc *time.Location, now time.Time) {
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
	verdict := s.Verdict
	if len(s.VerdictReasons) > 0 {
		verdict += ": " + s.VerdictReasons[0]
	}
	row("verdict", verdict)
	for _, r := range s.VerdictReasons[min(1, len(s.VerdictReasons)):] {
		row("", r)
	}
	row("state", state)
	if s.ThrottledUntil != nil {
		row("throttled until", when(s.ThrottledUntil, loc, now))
	}
	row("last poll", when(s.LastPoll, loc, now))
	row("last success", when(s.LastSuccess, loc, now))
	row("next poll", when(s.NextPoll, loc, now))
	c := s.Counts
	row("events", fmt.Sprintf("%d created, %d updated, %d cancelled, %d skipped, %d failed (each event once, by what it became)",
		c.Created, c.Updated, c.Cancelled, c.Skipped, c.Failed))
	pending := fmt.Sprintf("%d pending", s.PendingOperations)
	if s.NextAttempt != nil {
		pending += ", next try " + when(s.NextAttempt, loc, now)
	}
	row("operations", fmt.Sprintf("%s; %d failed for good", pending, s.FailedOperations))
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

// when shows a time in loc, with its zone's abbreviation and how long ago
// or ahead it is.
func when(t *time.Time, loc *time.Location, now time.Time) string {
	if t == nil {
		return "—"
	}
	d := now.Sub(*t).Round(time.Second)
	rel := d.String() + " ago"
	if d < 0 {
		rel = "in " + (-d).String()
	}
	return t.In(loc).Format("2006-01-02 15:04:05 MST") + " (" + rel + ")"
}

// timePtr is t in loc (JSON gives it with that zone's offset), or nil when
// it is not set.
func timePtr(t time.Time, loc *time.Location) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(loc)
	return &t
}
