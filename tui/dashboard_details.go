package tui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	"github.com/charmbracelet/x/ansi"

	"invitesync/internal/text"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

// textPane is a scrollable page of text that replaces the table: the details
// of one event, or the errors of the automation.
type textPane struct {
	vp      viewport.Model
	title   string
	loading bool
	err     error
}

func newTextPane(title string) textPane {
	vp := viewport.New(0, 0)
	// Space belongs to pause/resume, and single letters to the dashboard.
	vp.KeyMap.PageDown = key.NewBinding(key.WithKeys("pgdown"))
	vp.KeyMap.PageUp = key.NewBinding(key.WithKeys("pgup"))
	vp.KeyMap.HalfPageDown = key.NewBinding(key.WithKeys("ctrl+d"))
	vp.KeyMap.HalfPageUp = key.NewBinding(key.WithKeys("ctrl+u"))
	vp.KeyMap.Left = key.NewBinding(key.WithDisabled())
	vp.KeyMap.Right = key.NewBinding(key.WithDisabled())
	return textPane{vp: vp, title: title, loading: true}
}

// setSize sizes the pane; the content must be set again for a new width.
func (p *textPane) setSize(w, h int) {
	p.vp.Width, p.vp.Height = w, max(h, 1)
}

// setContent shows s, keeping the scroll position where it can.
func (p *textPane) setContent(s string) {
	y := p.vp.YOffset
	p.loading, p.err = false, nil
	p.vp.SetContent(s)
	p.vp.SetYOffset(y)
}

func (p textPane) view(c *common) string {
	st := c.styles
	head := st.Title.Render(p.title)
	switch {
	case p.err != nil:
		return head + "\n" + st.Status.Fail.Render(symbolFail+" "+text.Clean(p.err.Error(), 0))
	case p.loading:
		return head + "\n" + st.Muted.Render(symbolPending+" reading…")
	}
	return head + "\n" + p.vp.View()
}

// detailsContent renders one event, when the row it was opened from was
// processed, its visits, its operations with IDM's answers, and its
// history, wrapped to width.
func detailsContent(st styleSet, d store.EventDetails, processed, now time.Time, loc *time.Location, width int) string {
	e := d.Event
	var b strings.Builder
	line := func(label, value string) {
		if value == "" {
			return
		}
		b.WriteString(st.Muted.Render(fmt.Sprintf("%-10s", label)) + " " + wrapIndent(value, width, 11) + "\n")
	}
	b.WriteString(st.Strong.Render(wrapIndent(clean(e.Subject, "(no subject)"), width, 0)) + "\n")
	line("When", when(e, loc))
	line("Organizer", person(e.OrganizerName, e.OrganizerEmail))
	line("Location", text.Clean(e.Location, 0))
	line("Outcome", outcomeStyle(st, e.Outcome).Render(outcomeLabel(e.Outcome))+" "+text.Clean(e.Reason, 0))
	if !processed.IsZero() {
		line("Processed", processed.In(loc).Format("Mon 02 Jan 15:04:05 MST")+" ("+duration(now.Sub(processed))+" ago)")
	}
	line("Event id", text.Clean(e.ID, 0))

	visitor := map[string]string{}
	fmt.Fprintf(&b, "\n%s\n", st.Title.Render(fmt.Sprintf("Visits (%d)", len(d.Visits))))
	if len(d.Visits) == 0 {
		b.WriteString(st.Muted.Render("  none: no attendee of this event is a visitor") + "\n")
	}
	for _, v := range d.Visits {
		visitor[v.Ref] = v.VisitorEmail
		idm := "not yet in IDM"
		if v.IDMID != "" {
			idm = "IDM visit " + text.Clean(v.IDMID, 0)
		}
		row := fmt.Sprintf("%s  %s  %s", person(v.VisitorName, v.VisitorEmail), span(v.Arrival, v.Departure, loc), idm)
		b.WriteString("  " + visitStatus(st, v.Status) + " " + wrapIndent(row, width, 14) + "\n")
	}

	fmt.Fprintf(&b, "\n%s\n", st.Title.Render(fmt.Sprintf("Operations and IDM's answers (%d)", len(d.Ops))))
	if len(d.Ops) == 0 {
		b.WriteString(st.Muted.Render("  none") + "\n")
	}
	for _, op := range d.Ops {
		b.WriteString("  " + opState(st, op.State) + " " + wrapIndent(opLine(op, visitor, now, loc), width, 14) + "\n")
	}

	if len(d.Activity) > 0 {
		fmt.Fprintf(&b, "\n%s\n", st.Title.Render("History"))
		for _, a := range d.Activity {
			b.WriteString("  " + st.Muted.Render(fit(clock(a.At, now, loc), clockWidth)) + " " +
				outcomeStyle(st, a.Outcome).Render(fit(outcomeLabel(a.Outcome), outcomeWidth)) + " " +
				wrapIndent(text.Clean(a.Reason, 0), width, 2+clockWidth+1+outcomeWidth+1) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// opLine describes an operation: what it does, for whom, and how it went.
func opLine(op store.Op, visitor map[string]string, now time.Time, loc *time.Location) string {
	var p invsync.Op
	_ = json.Unmarshal(op.Payload, &p) // a payload this build cannot read still shows its kind
	what := string(op.Kind)
	switch {
	case op.Kind == store.OpReply && p.Reply != nil:
		what = "reply " + string(p.Reply.Kind) + " to the organizer"
	case op.Kind == store.OpReply:
		what = "reply to the organizer"
	case p.Visit != nil:
		what += " " + p.Visit.VisitorEmail
	case visitor[op.Ref] != "":
		what += " " + visitor[op.Ref]
	}
	parts := []string{text.Clean(what, 0)}
	if op.Attempts > 1 {
		parts = append(parts, plural(op.Attempts, "attempt"))
	}
	r := op.Result
	if r.Code != 0 || r.Status != "" || r.Message != "" || r.VisitID != "" {
		ans := "IDM answered"
		if op.Kind == store.OpReply {
			ans = "Graph answered"
		}
		if r.Code != 0 {
			ans += fmt.Sprintf(" %d", r.Code)
		}
		for _, s := range []string{r.Status, r.VisitID, r.Message} {
			if s != "" {
				ans += " " + text.Clean(s, 0)
			}
		}
		parts = append(parts, ans)
	}
	if op.State == store.OpPending && !op.NextAttempt.IsZero() && op.NextAttempt.After(now) {
		parts = append(parts, "next attempt "+clock(op.NextAttempt, now, loc))
	}
	if op.LastError != "" && op.State != store.OpDone {
		parts = append(parts, "error: "+text.Clean(op.LastError, 0))
	}
	return strings.Join(parts, " · ")
}

func opState(st styleSet, s store.OpState) string {
	switch s {
	case store.OpDone:
		return st.Status.OK.Render(fit(symbolOK+" done", 11))
	case store.OpFailed:
		return st.Status.Fail.Render(fit(symbolFail+" failed", 11))
	case store.OpSuperseded:
		return st.Muted.Render(fit("- replaced", 11))
	}
	return st.Status.Pending.Render(fit(symbolPending+" pending", 11))
}

func visitStatus(st styleSet, s store.VisitStatus) string {
	switch s {
	case store.VisitActive:
		return st.Status.OK.Render(fit(symbolOK+" active", 11))
	case store.VisitCancelled:
		return st.Status.Warn.Render(fit("- cancelled", 11))
	case store.VisitFailed:
		return st.Status.Fail.Render(fit(symbolFail+" failed", 11))
	}
	return st.Status.Pending.Render(fit(symbolPending+" pending", 11))
}

// when is the event's time in loc: its span, or its days when all-day.
func when(e store.Event, loc *time.Location) string {
	if e.Start.IsZero() {
		return ""
	}
	if e.IsAllDay {
		last := e.End.Add(-time.Nanosecond)
		if e.End.IsZero() || last.Format(time.DateOnly) == e.Start.Format(time.DateOnly) {
			return e.Start.Format("Mon 02 Jan 2006") + ", all day"
		}
		return e.Start.Format("Mon 02 Jan") + " – " + last.Format("Mon 02 Jan 2006") + ", all day"
	}
	return span(e.Start, e.End, loc) + " (" + loc.String() + ")"
}

// span is a start and end time in loc with the zone's abbreviation, the
// end's day left out when it is the same.
func span(from, to time.Time, loc *time.Location) string {
	if from.IsZero() {
		return ""
	}
	from, to = from.In(loc), to.In(loc)
	s := from.Format("Mon 02 Jan 15:04")
	switch {
	case to.IsZero():
		return s + from.Format(" MST")
	case from.Format(time.DateOnly) == to.Format(time.DateOnly):
		return s + "–" + to.Format("15:04 MST")
	}
	return s + from.Format(" MST") + " – " + to.Format("Mon 02 Jan 15:04 MST")
}

// person is "Name <address>", or whichever of the two there is.
func person(name, email string) string {
	name, email = text.Clean(name, 0), text.Clean(email, 0)
	switch {
	case name == "" || strings.EqualFold(name, email):
		return email
	case email == "":
		return name
	}
	return name + " <" + email + ">"
}

// clean sanitizes s, or returns def when nothing is left.
func clean(s, def string) string {
	if s = text.Clean(s, 0); s == "" {
		return def
	}
	return s
}

// wrapIndent wraps s to width, indenting the continuation lines by indent.
func wrapIndent(s string, width, indent int) string {
	w := max(width-indent, 10)
	lines := strings.Split(ansi.Wrap(s, w, " "), "\n")
	return strings.Join(lines, "\n"+strings.Repeat(" ", indent))
}
