package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"invitesync/config"
	"invitesync/internal/text"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

// headerView is the top of the dashboard: the automations (the current one
// highlighted), then the current one's loop state, polls, counts, outbox and
// warnings, each line wrapped to width.
func (d Dashboard) headerView(width int) string {
	st := d.c.styles
	now := d.now()
	a := d.autos[d.cur]
	s, known := d.status[a.Name]

	var lines []string
	lines = append(lines, d.tabsView(width))

	lines = append(lines, wrapParts(width, " · ",
		d.stateView(s, known, now),
		st.Muted.Render("last poll ")+ago(s.Loop.LastPoll, now, d.zone()),
		st.Muted.Render("next poll ")+d.nextView(s, now),
		d.runnerView(s, known),
	)...)

	e := s.Events
	lines = append(lines, wrapParts(width, "  ",
		st.Muted.Render("events: ")+st.Status.OK.Render(fmt.Sprintf("+ created %d", e.Created)),
		st.Status.OK.Render(fmt.Sprintf("~ updated %d", e.Updated)),
		st.Status.Warn.Render(fmt.Sprintf("- cancelled %d", e.Cancelled)),
		st.Muted.Render(fmt.Sprintf("%s skipped %d", symbolPending, e.Skipped)),
		failedCount(st, e.Failed),
		st.Muted.Render("· operations: ")+operationsView(st, s),
	)...)

	var warn []string
	if w := secretNotice(st, a.SecretExpires, now); w != "" {
		warn = append(warn, w)
	}
	switch {
	case s.Failed > 0:
		line := fmt.Sprintf("%s %s failed for good", symbolFail, plural(s.Failed, "operation"))
		if s.LatestFailure != "" {
			line += ", latest: "
		}
		warn = append(warn, st.Status.Fail.Render(line)+st.Text.Render(text.Clean(s.LatestFailure, 0)))
	case s.Loop.State == store.LoopFailing && s.Loop.LastError != "":
		warn = append(warn, st.Status.Fail.Render(symbolFail+" last failure: ")+st.Text.Render(text.Clean(s.Loop.LastError, 0)))
	}
	if s.Loop.State == store.LoopError && s.Loop.LastError != "" {
		warn = append(warn, st.Status.Fail.Render(symbolFail+" last error: ")+st.Text.Render(text.Clean(s.Loop.LastError, 0)))
	}
	if d.statusErr != nil {
		warn = append(warn, st.Status.Fail.Render(symbolFail+" cannot read the state database: ")+st.Text.Render(text.Clean(d.statusErr.Error(), 0)))
	}
	for _, w := range warn {
		// Wrapped, not cut: the end of a warning says what to do. Only a
		// terminal too short for it and a few rows gets one line each.
		if d.compactHeader {
			lines = append(lines, ansi.Truncate(w, width, text.Ellipsis))
			continue
		}
		lines = append(lines, strings.Split(ansi.Wrap(w, width, " "), "\n")...)
	}
	return strings.Join(lines, "\n")
}

// maxTabs is how many automations the header names side by side.
const maxTabs = 6

// tabsView names the automations; with one, it is the title.
func (d Dashboard) tabsView(width int) string {
	st := d.c.styles
	title := st.Title.Render("invitesync")
	if d.watch {
		title += " " + st.Status.Warn.Render(symbolDone+" watch only")
	}
	zone := st.Muted.Render("times in " + d.zone().String())
	if len(d.autos) == 1 {
		return strings.Join(wrapParts(width, "  ", title+"  "+st.Strong.Render(text.Clean(d.autos[0].Name, 0)), zone), "\n")
	}
	if len(d.autos) > maxTabs {
		// Too many to name them all: the current one, and where it stands.
		where := st.Muted.Render(fmt.Sprintf("%d of %d (esc: all)", d.cur+1, len(d.autos)))
		return strings.Join(wrapParts(width, "  ", title, st.Tab.Active.Render("["+text.Clean(d.automation(), 0)+"]"), where, zone), "\n")
	}
	parts := []string{title}
	for i, a := range d.autos {
		name := text.Clean(a.Name, 0)
		if i == d.cur {
			parts = append(parts, st.Tab.Active.Render("["+name+"]"))
		} else {
			parts = append(parts, st.Tab.Inactive.Render(name))
		}
	}
	parts = append(parts, zone)
	return strings.Join(wrapParts(width, " ", parts...), "\n")
}

// stateView is the loop state as a symbol and a word.
func (d Dashboard) stateView(s store.Board, known bool, now time.Time) string {
	st := d.c.styles
	if !known {
		return st.Muted.Render(symbolPending + " reading…")
	}
	if !d.autos[d.cur].Enabled {
		return st.Muted.Render(symbolTodo + " disabled")
	}
	if !d.running(s.Automation) {
		// What the store last heard is stale: nobody polls.
		return st.Status.Warn.Render(symbolWarn + " " + d.notRunningText(s.Automation))
	}
	if s.Failed > 0 && (s.Loop.State == store.LoopIdle || s.Loop.State == store.LoopFailing) {
		// Polls succeed, but what they planned does not reach IDM.
		return st.Status.Fail.Render(symbolFail + " failing")
	}
	switch s.Loop.State {
	case store.LoopPolling:
		return st.Title.Render("↻ polling")
	case store.LoopIdle:
		return st.Status.OK.Render(symbolOK + " idle")
	case store.LoopPaused:
		return st.Status.Warn.Render("‖ paused")
	case store.LoopThrottled:
		return st.Status.Warn.Render(symbolWarn + " throttled until " + clock(s.Loop.ThrottledUntil, now, d.zone()))
	case store.LoopError:
		return st.Status.Fail.Render(symbolFail + " error")
	case store.LoopFailing:
		return st.Status.Fail.Render(symbolFail + " failing")
	case store.LoopStopped:
		return st.Muted.Render(symbolTodo + " stopped")
	}
	return st.Muted.Render(symbolTodo + " not started")
}

// nextView is the countdown to the next poll.
func (d Dashboard) nextView(s store.Board, now time.Time) string {
	switch {
	case !s.Leased:
		return "—"
	case s.Loop.State == store.LoopPaused:
		return "when resumed"
	case s.Loop.State == store.LoopPolling:
		return "now"
	case s.Loop.NextPoll.IsZero():
		return "—"
	case !s.Loop.NextPoll.After(now):
		return "due"
	}
	return "in " + duration(s.Loop.NextPoll.Sub(now))
}

// runnerView says which process runs the loop: this one, another one (the
// dashboard is attached to it), or none.
func (d Dashboard) runnerView(s store.Board, known bool) string {
	st := d.c.styles
	switch {
	case !known:
		return ""
	case !s.Leased && d.here(s.Automation):
		return st.Muted.Render("starting here")
	case !s.Leased:
		return ""
	case d.here(s.Automation):
		return st.Muted.Render("running here")
	}
	return st.Muted.Render("attached to ") + st.Text.Render(text.Clean(s.Lease.Owner, 0))
}

func failedCount(st styleSet, n int) string {
	if n == 0 {
		return st.Muted.Render(fmt.Sprintf("%s failed 0", symbolFail))
	}
	return st.Status.Fail.Render(fmt.Sprintf("%s failed %d", symbolFail, n))
}

// operationsView counts the operations waiting to run and those that
// failed for good, each counted once, as `invitesync status` does.
func operationsView(st styleSet, s store.Board) string {
	pending := fmt.Sprintf("%d pending", s.Pending)
	if s.Failed == 0 {
		return st.Text.Render(pending + ", 0 failed for good")
	}
	return st.Text.Render(pending+", ") + st.Status.Fail.Render(fmt.Sprintf("%s %d failed for good (r retries, e shows)", symbolFail, s.Failed))
}

// secretNotice warns from 30 days before the client secret expires, in
// colour and in words (the same words as `invitesync status` and the logs);
// it is empty when there is nothing to say.
func secretNotice(st styleSet, expires config.Date, now time.Time) string {
	x := invsync.SecretExpiry(expires, now)
	switch {
	case !x.Warn():
		return ""
	case x.Level == invsync.ExpiryExpired:
		return st.Status.Fail.Render(symbolFail + " " + x.Message)
	case x.Level >= invsync.Expiry7:
		return st.Status.Fail.Render(symbolWarn + " " + x.Message)
	}
	return st.Status.Warn.Render(symbolWarn + " " + x.Message)
}

// wrapParts joins the non-empty parts with sep into lines no wider than width.
func wrapParts(width int, sep string, parts ...string) []string {
	var lines []string
	var cur string
	for _, p := range parts {
		if p == "" {
			continue
		}
		switch {
		case cur == "":
			cur = p
		case lipgloss.Width(cur)+lipgloss.Width(sep)+lipgloss.Width(p) <= width:
			cur += sep + p
		default:
			lines = append(lines, cur)
			cur = p
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, text.Ellipsis)
	}
	return lines
}

// ago is a time of day with how long ago it was.
func ago(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never"
	}
	return clock(t, now, loc) + " (" + duration(now.Sub(t)) + " ago)"
}

// clock is t's time of day in loc with the zone's abbreviation, and the
// day when it is not today: every time on screen names its zone.
func clock(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	t, now = t.In(loc), now.In(loc)
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05 MST")
	}
	return t.Format("Mon 02 Jan 15:04 MST")
}

// duration is d rounded to what a person reads at a glance: "42s", "4m 05s",
// "3h 20m", "2d 4h".
func duration(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
