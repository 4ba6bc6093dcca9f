package tui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"invitesync/internal/text"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

// failureGroup is failed operations that failed for the same reason: the
// errors pane shows each reason once, with how often and for which
// meetings and visitors.
type failureGroup struct {
	kind     store.OpKind
	reason   string // the reason, with "each visitor" for the visitor's address when several share it
	n        int
	meetings []string // "Subject (Mon 01 Dec 10:00 CET)", each once, newest first
	visitors []string
	latest   time.Time
}

// visitorMark stands for the visitor's address in a reason while failures
// are grouped.
const visitorMark = "\x00visitor\x00"

// groupFailures groups fs (newest first) by kind and reason, the visitor's
// address aside, in the order of each group's newest failure.
func groupFailures(fs []store.Failure, loc *time.Location) []failureGroup {
	var groups []failureGroup
	index := map[string]int{}
	for _, f := range fs {
		var p invsync.Op
		_ = json.Unmarshal(f.Payload, &p) // a payload this build cannot read still groups by its reason
		visitor := ""
		if p.Visit != nil {
			visitor = text.Clean(p.Visit.VisitorEmail, 0)
		}
		reason := text.Clean(f.LastError, 0)
		if reason == "" {
			reason = "no reason recorded"
		}
		if visitor != "" {
			reason = strings.ReplaceAll(reason, visitor, visitorMark)
		}
		k := string(f.Kind) + "\n" + reason
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, failureGroup{kind: f.Kind, reason: reason, latest: f.Updated})
		}
		g := &groups[i]
		g.n++
		g.meetings = appendNew(g.meetings, meetingName(f, loc))
		if visitor != "" {
			g.visitors = appendNew(g.visitors, visitor)
		}
	}
	for i := range groups {
		g := &groups[i]
		who := "each visitor"
		if len(g.visitors) == 1 {
			who = g.visitors[0]
		}
		g.reason = strings.ReplaceAll(g.reason, visitorMark, who)
	}
	return groups
}

// meetingName is a failure's meeting as the errors pane names it.
func meetingName(f store.Failure, loc *time.Location) string {
	name := clean(f.Subject, "")
	if name == "" && f.MeetingStart.IsZero() {
		return "an event no longer in the state database"
	}
	if name == "" {
		name = "(no subject)"
	}
	if !f.MeetingStart.IsZero() {
		name += " (" + f.MeetingStart.In(loc).Format("Mon 02 Jan 15:04 MST") + ")"
	}
	return name
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// listed joins up to n of items, saying how many more there are.
func listed(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}

// errorsContent renders the poll loop's health and the operations that
// failed for good, grouped by reason.
func errorsContent(st styleSet, b store.Board, fs []store.Failure, now time.Time, loc *time.Location, width int) string {
	var w strings.Builder
	ls := b.Loop
	w.WriteString(st.Title.Render("Poll loop") + "\n")
	switch {
	case ls.LastError != "" && (ls.State == store.LoopError || ls.State == store.LoopThrottled):
		w.WriteString("  " + st.Status.Fail.Render(symbolFail+" the last poll failed:") + " " +
			wrapIndent(text.Clean(ls.LastError, 0)+" (last success "+ago(ls.LastSuccess, now, loc)+")", width, 24) + "\n")
	case !ls.LastSuccess.IsZero():
		w.WriteString("  " + st.Status.OK.Render(symbolOK+" the last poll succeeded") + " " + ago(ls.LastSuccess, now, loc) + "\n")
	default:
		w.WriteString("  " + st.Muted.Render(symbolPending+" no poll has succeeded yet") + "\n")
	}
	if ls.ThrottledUntil.After(now) {
		w.WriteString("  " + st.Status.Warn.Render(symbolWarn+" throttled until "+clock(ls.ThrottledUntil, now, loc)) + "\n")
	}

	groups := groupFailures(fs, loc)
	title := fmt.Sprintf("Operations that failed for good (%d)", max(b.Failed, len(fs)))
	if len(groups) > 1 {
		title = fmt.Sprintf("Operations that failed for good (%d, for %d reasons)", max(b.Failed, len(fs)), len(groups))
	}
	fmt.Fprintf(&w, "\n%s\n", st.Title.Render(title))
	if len(fs) == 0 {
		w.WriteString("  " + st.Status.OK.Render(symbolOK+" none") + "\n")
		return strings.TrimRight(w.String(), "\n")
	}
	w.WriteString(st.Muted.Render("  r retries them all; they run again in order") + "\n")
	if b.Failed > len(fs) {
		w.WriteString(st.Muted.Render(fmt.Sprintf("  the newest %d are shown", len(fs))) + "\n")
	}
	const indent = 10
	pad := strings.Repeat(" ", indent)
	for _, g := range groups {
		count := fmt.Sprintf("%s %d ×", symbolFail, g.n)
		w.WriteString("  " + st.Status.Fail.Render(fit(count, indent-2)) + wrapIndent(string(g.kind)+": "+g.reason, width, indent) + "\n")
		label := "meeting"
		if len(g.meetings) > 1 {
			label = fmt.Sprintf("%d meetings", len(g.meetings))
		}
		w.WriteString(pad + wrapIndent(st.Muted.Render(label+": ")+listed(g.meetings, 8), width, indent) + "\n")
		if len(g.visitors) > 1 {
			w.WriteString(pad + wrapIndent(st.Muted.Render(fmt.Sprintf("%d visitors: ", len(g.visitors)))+listed(g.visitors, 12), width, indent) + "\n")
		}
		w.WriteString(pad + st.Muted.Render("latest "+ago(g.latest, now, loc)) + "\n")
	}
	return strings.TrimRight(w.String(), "\n")
}
