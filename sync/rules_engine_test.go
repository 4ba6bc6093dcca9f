package sync

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm"
	"invitesync/sync/store"
)

// These tests prove the rules of "which attendees become visits" through the
// real engine: Graph simulator, SDK, SQLite and IDM simulator.

func TestEngineVisitorFiltering(t *testing.T) {
	h := newHarness(t, func(a *config.Automation, _ *graph.Options) {
		a.Exclude = []string{"driver@fabrikam.com"}
		a.InternalDomains = []string{"contoso.com", "contoso.example"}
	})
	ev := invitation("Filtered", localDay(1).Add(9*time.Hour), simAnn, simBob,
		graphtest.Attendee{Person: graphtest.Person{Name: "Room 1", Address: "room1@contoso-rooms.example"}, Type: "resource"},
		simGuest("Colleague", "colleague@contoso.example"),
		simGuest("Driver", "Driver@Fabrikam.com"),
		simGuest("ANN AGAIN", "Ann.Guest@Fabrikam.com"),
		simGuest("Hanna Host", hostEmail),
	)
	h.add(ev)
	h.cycle()
	got := h.active()
	if len(got) != 2 || len(got[simAnn.Address]) != 1 || len(got[simBob.Address]) != 1 {
		t.Fatalf("visits = %v, want exactly one for Ann and one for Bob", got)
	}
	if n := len(h.idm.Visits()); n != 2 {
		t.Errorf("IDM received %d visits, want 2", n)
	}
	if r := h.graph.Replies(); len(r) != 1 || strings.Contains(r[0].Comment, "room1") || strings.Contains(r[0].Comment, "driver") {
		t.Errorf("replies = %+v, want one accept naming only the visitors", r)
	}
}

func TestEngineEndedMeetingIsIgnored(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	ev := invitation("Earlier today", now.Add(-3*time.Hour), simAnn)
	ev.End = now.Add(-time.Hour)
	if localDay(0).After(ev.Start) { // keep it inside today's window
		ev.Start, ev.End = localDay(0), localDay(0).Add(time.Minute)
	}
	h.add(ev)
	h.cycle()
	if n := len(h.idm.Visits()); n != 0 {
		t.Fatalf("IDM has %d visits for a meeting that has ended, want none", n)
	}
	if len(h.graph.Replies()) != 0 {
		t.Errorf("replied %+v to a meeting that has ended", h.graph.Replies())
	}
	acts := h.activity()
	if len(acts) != 1 || acts[0].Outcome != store.OutcomeSkipped || !strings.Contains(acts[0].Reason, "already ended") {
		t.Fatalf("activity = %+v, want skipped because it has ended", acts)
	}
}

func TestEngineWindowsTimeZoneName(t *testing.T) {
	h := newHarness(t, func(a *config.Automation, _ *graph.Options) { a.TimeZone = "W. Europe Standard Time" })
	berlin := mustZone("Europe/Berlin")
	n := time.Now().In(berlin)
	start := time.Date(n.Year(), n.Month(), n.Day()+2, 14, 30, 0, 0, berlin)
	ev := invitation("Zoned", start, simAnn)
	ev.TimeZone = "America/New_York" // the organizer's own zone does not matter
	h.add(ev)
	h.cycle()
	v := h.active()[simAnn.Address]
	if len(v) != 1 {
		t.Fatalf("visits = %v", h.active())
	}
	_, want := start.Zone()
	if _, off := v[0].Arrival.Zone(); !v[0].Arrival.Equal(start) || off != want || v[0].Arrival.Hour() != 14 {
		t.Errorf("arrival %s, want %s (14:30 in the automation's Windows-named zone)", v[0].Arrival.Format(time.RFC3339), start.Format(time.RFC3339))
	}
}

func TestEngineNewAttendeeAndDetailChanges(t *testing.T) {
	h := newHarness(t)
	id := h.add(invitation("Supplier visit", localDay(2).Add(10*time.Hour), simAnn))
	h.cycle()
	ann := h.active()[simAnn.Address][0]

	// A new attendee gets a visit; Ann's is left alone.
	if err := h.graph.AddAttendee(mailbox, id, simBob); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	got := h.active()
	if len(got[simBob.Address]) != 1 {
		t.Fatalf("visits = %v, want Bob's after he was added", got)
	}
	if v, _ := h.idm.Visit(ann.Ref); v.Revision != 1 {
		t.Errorf("Ann's visit was rewritten (revision %d) when Bob was added", v.Revision)
	}

	// Location and subject changes update the same visits.
	h.update(id, func(e *graphtest.Event) { e.Location = "Building B" })
	h.cycle()
	if last := h.activity(); last[len(last)-1].Outcome != store.OutcomeUpdated || !strings.Contains(last[len(last)-1].Reason, "location") {
		t.Errorf("last activity = %+v, want updated: location changed", last[len(last)-1])
	}
	h.update(id, func(e *graphtest.Event) { e.Subject = "Supplier visit (moved)" })
	h.cycle()
	if last := h.activity(); last[len(last)-1].Outcome != store.OutcomeUpdated || !strings.Contains(last[len(last)-1].Reason, "subject") {
		t.Errorf("last activity = %+v, want updated: subject changed", last[len(last)-1])
	}
	if n := len(h.idm.Visits()); n != 2 {
		t.Fatalf("IDM holds %d visits, want the same 2", n)
	}
	for _, v := range h.idm.Visits() {
		if v.Status != idm.StatusExpected || v.Subject != "Supplier visit (moved)" {
			t.Errorf("visit %s: %s %q, want expected with the new subject", v.Ref, v.Status, v.Subject)
		}
		if v.Location != "Building B" {
			t.Errorf("visit %s: location %q, want Building B", v.Ref, v.Location)
		}
	}
}

func TestEngineRemovedUnknownIsIgnored(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Known", localDay(1).Add(9*time.Hour), simAnn))
	far := h.add(invitation("Far away", localDay(60).Add(9*time.Hour), simBob)) // outside the window
	h.cycle()
	acts := len(h.activity())

	// Graph reports changes outside the window, and deletions of items we
	// never saw, as @removed: neither is ours to act on.
	h.update(far, func(e *graphtest.Event) { e.Subject = "Still far away" })
	never := h.add(invitation("Never seen", localDay(70).Add(9*time.Hour), simBob))
	if err := h.graph.DeleteEvent(mailbox, never); err != nil {
		t.Fatal(err)
	}
	h.idm.ResetRequests()
	writes := h.idm.Writes()
	n, err := h.eng.Poll(h.ctx)
	if err != nil || n < 2 {
		t.Fatalf("Poll = %d events, %v; want the @removed entries reported", n, err)
	}
	if _, err := h.eng.Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.activity()) != acts || h.idm.Writes() != writes || len(h.idm.Requests()) != 0 {
		t.Errorf("@removed for unknown ids made %d activity lines, %d IDM writes, %d IDM requests; want none",
			len(h.activity())-acts, h.idm.Writes()-writes, len(h.idm.Requests()))
	}
	var rows int
	if err := h.store.View(h.ctx, func(tx *store.Tx) error {
		for _, id := range []string{far, never} {
			if _, ok, err := tx.Event(h.auto.Name, id); err != nil || ok {
				rows++
			}
		}
		return nil
	}); err != nil || rows != 0 {
		t.Errorf("the store remembers %d never-seen removals (%v), want none", rows, err)
	}
	if len(h.active()) != 1 {
		t.Errorf("active visits = %v, want Ann's untouched", h.active())
	}
}

func TestEngineRepliesOnlyWhenRequestedAndNotOrganizer(t *testing.T) {
	h := newHarness(t)
	quiet := invitation("No response requested", localDay(1).Add(9*time.Hour), simAnn)
	quiet.NoResponseRequested = true
	h.add(quiet)
	own := invitation("Organized by the mailbox", localDay(2).Add(9*time.Hour), simBob)
	own.IsOrganizer = true
	h.add(own)
	outsider := invitation("Outsider, no response requested", localDay(3).Add(9*time.Hour), simGuest("Carl", "carl@northwind.example"))
	outsider.Organizer = graphtest.Person{Address: "olga@contoso.com"}
	outsider.NoResponseRequested = true
	h.add(outsider)
	h.cycle()
	h.cycle()
	if r := h.graph.Replies(); len(r) != 0 {
		t.Fatalf("replies = %+v, want none: no response was requested, or the mailbox organized it", r)
	}
	if got := h.active(); len(got) != 1 || len(got[simAnn.Address]) != 1 {
		t.Errorf("visits = %v, want Ann's only (the mailbox's own meeting has no host)", got)
	}
}

func TestEngineRepliesOncePerChangeOfOutcome(t *testing.T) {
	h := newHarness(t)
	start := localDay(2).Add(10 * time.Hour)
	id := h.add(invitation("Supplier visit", start, simAnn))
	h.cycle()
	h.cycle()
	if r := h.graph.Replies(); len(r) != 1 || r[0].Action != "accept" {
		t.Fatalf("replies after two cycles = %+v, want one accept", r)
	}
	// Same visitors, new time: the registration stands, nothing to say.
	h.update(id, func(e *graphtest.Event) { e.Start, e.End = start.Add(time.Hour), start.Add(2*time.Hour) })
	h.cycle()
	if r := h.graph.Replies(); len(r) != 1 {
		t.Fatalf("replies after a time change = %+v, want still one", r)
	}
	// A new visitor: a new accept naming both, once.
	if err := h.graph.AddAttendee(mailbox, id, simBob); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	h.cycle()
	r := h.graph.Replies()
	if len(r) != 2 || !strings.Contains(r[1].Comment, "Ann Guest") || !strings.Contains(r[1].Comment, "Bob Visitor") {
		t.Fatalf("replies after Bob was added = %+v, want a second accept naming both", r)
	}
	// The host leaves IDM and the visitors change: a tentative reply saying why, once.
	h.idm.RemoveEmployee(hostEmail)
	eng := h.engine(graph.Options{AuthorityHost: h.graph.AuthorityHost(), GraphURL: h.graph.GraphURL(), HTTPClient: h.graph.Client()}, "fresh-cache")
	h.eng = eng
	h.update(id, func(e *graphtest.Event) { e.Subject = "Supplier visit, renamed" })
	h.cycle()
	h.cycle()
	r = h.graph.Replies()
	if len(r) != 3 || r[2].Action != "tentativelyAccept" || !strings.Contains(r[2].Comment, "not an employee") {
		t.Fatalf("replies after the host left IDM = %+v, want a third, tentative, reply", r)
	}
}

// escapeText carries a terminal escape sequence, an OSC title change, a bell
// and a bidi override: none may reach a log, the store, IDM or Graph.
const escapeText = "\x1b[2J\x1b]0;pwned\x07Evil\u202e\x1b[31m"

func hasControl(s string) bool {
	return strings.ContainsAny(s, "\x1b\x07\u202e") || strings.Contains(s, `\u001b`) || strings.Contains(s, `\x1b`) ||
		strings.Contains(s, `\u0007`) || strings.Contains(s, `\u202e`)
}

func TestEngineCalendarTextNeverReachesOutputsRaw(t *testing.T) {
	h := newHarness(t)
	ev := invitation("Visit "+escapeText, localDay(1).Add(9*time.Hour),
		simGuest("Ann "+escapeText, simAnn.Address), simBob)
	ev.Location = "Room " + escapeText
	ev.Organizer.Name = "Hanna " + escapeText
	id := h.add(ev)
	outsider := invitation("Outsider "+escapeText, localDay(2).Add(9*time.Hour), simGuest("Carl "+escapeText, "carl@northwind.example"))
	outsider.Organizer = graphtest.Person{Name: escapeText, Address: "olga@contoso.com"}
	h.add(outsider)
	h.cycle()
	if err := h.graph.CancelEvent(mailbox, id); err != nil {
		t.Fatal(err)
	}
	h.cycle()

	if n := len(h.idm.Visits()); n != 2 {
		t.Fatalf("IDM holds %d visits, want 2", n)
	}
	b, _ := json.Marshal(h.idm.Visits())
	if hasControl(string(b)) {
		t.Errorf("IDM received calendar text unsanitized: %s", b)
	}
	for _, r := range h.graph.Replies() {
		if hasControl(r.Comment) {
			t.Errorf("reply comment unsanitized: %q", r.Comment)
		}
	}
	if hasControl(h.logBuf.String()) {
		t.Errorf("log unsanitized:\n%q", h.logBuf.String())
	}
	acts := h.activity()
	if len(acts) < 3 {
		t.Fatalf("activity = %+v, want the decisions", acts)
	}
	for _, a := range acts {
		if hasControl(a.Subject + a.Host + a.Visitors + a.Reason) {
			t.Errorf("activity line unsanitized: %+v", a)
		}
	}
	if !strings.Contains(acts[0].Subject, "Evil") {
		t.Errorf("subject %q lost its printable text", acts[0].Subject)
	}
	var stored []store.Event
	if err := h.store.View(h.ctx, func(tx *store.Tx) error {
		for _, a := range acts {
			if e, ok, err := tx.Event(h.auto.Name, a.EventID); err != nil {
				return err
			} else if ok {
				stored = append(stored, e)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, e := range stored {
		if hasControl(e.Subject + e.Location + e.OrganizerName + e.OrganizerEmail + e.Reason) {
			t.Errorf("stored event unsanitized: %+v", e)
		}
	}
	// A failure whose error quotes calendar text: the loop's last error.
	h.graph.InjectFault(graphtest.Fault{Status: http.StatusBadRequest, Code: "ErrorInvalidRequest", Message: "bad " + escapeText})
	h.eng.cycle(h.ctx)
	st, err := h.store.Status(h.ctx, h.auto.Name)
	if err != nil || st.Loop.LastError == "" || hasControl(st.Loop.LastError) || hasControl(h.logBuf.String()) {
		t.Errorf("last error %q (%v), or the log, unsanitized", st.Loop.LastError, err)
	}
}
