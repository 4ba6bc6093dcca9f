package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"invitesync/config"
	"invitesync/internal/text"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

func newPreviewCmd(a *app) *cobra.Command {
	var name string
	var days int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "preview",
		Short: "Show what the next poll would do, changing nothing",
		Long: `Read the calendar and plan as the next poll would, then show the visits it
would create, update or cancel in Salto IDM and the replies it would send to
organizers — with the operations an earlier poll queued and IDM has not taken
yet, marked "queued" — and every meeting it would skip or fail, with the
reason. That is what ` + "`invitesync run --once`" + ` would then do.

Nothing is written: no visit reaches Salto IDM (only employees are looked up),
no organizer is answered, and the state database and its delta link stay as
they were (the poll runs on a private copy, deleted afterwards).

Without --automation, every enabled automation; with it, that one, enabled or
not — so an automation can be previewed before it is enabled. --days N shows
only what concerns meetings that start in the next N days.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("days") && (days < 1 || days > config.MaxLookAheadDays) {
				return usageErr(fmt.Errorf("--days %d: want a number of days from 1 to %d", days, config.MaxLookAheadDays))
			}
			return a.preview(cmd.Context(), name, days, asJSON)
		},
	}
	cmd.Flags().StringVar(&name, "automation", "", "preview only this automation (enabled or not)")
	cmd.Flags().IntVar(&days, "days", 0, "show only meetings starting in the next N days (default: the look-ahead window)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return cmd
}

// preview is `invitesync preview`.
func (a *app) preview(ctx context.Context, name string, days int, asJSON bool) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	chosen := *cfg
	chosen.Automations = nil
	for _, auto := range cfg.Automations {
		switch {
		case name != "" && !strings.EqualFold(auto.Name, name):
		case name == "" && !auto.Enabled:
		default:
			auto.Enabled = true // for this preview only
			chosen.Automations = append(chosen.Automations, auto)
		}
	}
	if len(chosen.Automations) == 0 {
		if name != "" {
			return usageErr(fmt.Errorf("--automation %q: no such automation in %s (there are: %s)", name, a.configPath, automationNames(cfg)))
		}
		return usageErr(fmt.Errorf("no enabled automation in %s: preview a disabled one with --automation NAME", a.configPath))
	}
	level := slog.LevelWarn
	if logLevel() == slog.LevelDebug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level})).With("preview", true)
	st, err := store.OpenCopy(ctx, a.statePath)
	if err != nil {
		return failedErr(err)
	}
	defer st.Close()
	engines, err := a.engines(&chosen, st, log, nil)
	if err != nil {
		return err
	}
	var previews []invsync.Preview
	var errs []error
	for _, e := range engines {
		p, err := e.Preview(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("automation %q: %w", e.Name(), err))
			continue
		}
		if days > 0 {
			p = p.Within(time.Now().AddDate(0, 0, days))
		}
		previews = append(previews, p)
	}
	if asJSON {
		out := struct {
			OK          bool              `json:"ok"`
			Automations []invsync.Preview `json:"automations"`
			Errors      []string          `json:"errors"`
		}{OK: len(errs) == 0, Automations: previews, Errors: []string{}}
		for _, err := range errs {
			out.Errors = append(out.Errors, err.Error())
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return failedErr(err)
		}
	} else {
		for _, p := range previews {
			printPreview(a.stdout, p, days)
		}
		if len(previews) > 0 {
			fmt.Fprintln(a.stdout, "Nothing was written to Salto IDM, no organizer was answered, and the state database is as it was.")
		}
	}
	if len(errs) > 0 {
		return failedErr(errors.Join(errs...))
	}
	return nil
}

// automationNames lists the configuration's automations for a message.
func automationNames(cfg *config.Config) string {
	names := make([]string, len(cfg.Automations))
	for i, a := range cfg.Automations {
		names[i] = fmt.Sprintf("%q", a.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// printPreview writes one automation's preview for a person.
func printPreview(w io.Writer, p invsync.Preview, days int) {
	const when = "Mon 02 Jan 15:04 MST"
	span := fmt.Sprintf("meetings from %s to %s", p.From.Format("Mon 02 Jan 2006"), p.Until.Add(-time.Nanosecond).Format("Mon 02 Jan 2006"))
	if days > 0 {
		span += fmt.Sprintf(", showing the next %d days", days)
	}
	fmt.Fprintf(w, "%s (%s): %d events read, %s, %s\n", text.Clean(p.Automation, 100), p.Mailbox, p.Events, span, p.TimeZone)
	queued := func(q bool) string {
		if q {
			return " (queued earlier)"
		}
		return ""
	}
	fmt.Fprintf(w, "  Visits it would create, update or cancel in Salto IDM: %d\n", len(p.Visits))
	for _, v := range p.Visits {
		who := v.Visitor
		if v.VisitorName != "" {
			who = v.VisitorName + " <" + v.Visitor + ">"
		}
		fmt.Fprintf(w, "    %-6s  %s–%s  %s  %q, host %s%s\n", v.Action, v.Arrival.Format("Mon 02 Jan 15:04"),
			v.Departure.Format("15:04 MST"), who, v.Subject, v.Host, queued(v.Queued))
	}
	fmt.Fprintf(w, "  Replies it would send to organizers: %d\n", len(p.Replies))
	for _, r := range p.Replies {
		fmt.Fprintf(w, "    %-9s  to %s on %q: %s%s\n", r.Reply, r.Host, r.Subject, r.Comment, queued(r.Queued))
	}
	for _, outcome := range []store.Outcome{store.OutcomeSkipped, store.OutcomeFailed} {
		var lines []string
		for _, d := range p.Decisions {
			if d.Outcome != outcome {
				continue
			}
			start := "time unknown"
			if !d.Start.IsZero() {
				start = d.Start.Format(when)
			}
			lines = append(lines, fmt.Sprintf("    %q (%s, host %s): %s", d.Subject, start, d.Host, d.Reason))
		}
		title := "Meetings it would skip"
		if outcome == store.OutcomeFailed {
			title = "Meetings that would fail"
		}
		fmt.Fprintf(w, "  %s: %d\n", title, len(lines))
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
	if p.Beyond > 0 {
		fmt.Fprintf(w, "  Not shown: %d more beyond the next %d days.\n", p.Beyond, days)
	}
}
