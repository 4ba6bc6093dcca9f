package sync

import (
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/idm"
	"invitesync/sync/store"
)

// occurrence is an occurrence of the series "M" as planned: whole, with
// the series' iCalUId, where the series put it on day.
func occurrence(id string, day time.Time, attendees ...graph.Attendee) graph.Event {
	ev := meeting(id, day, attendees...)
	ev.ICalUID, ev.Type, ev.SeriesMasterID = "uid-series", graph.TypeOccurrence, "M"
	return ev
}

func TestPlanKeepsSingleEventReferences(t *testing.T) {
	r := testRules(t)
	ev := meeting("e1", day(2026, 3, 24), ann)
	p := plan(r, ev, nil, employee)
	// The reference every release so far has given this visit.
	if want := idm.Ref(mailbox, "uid-e1", ann.Email); len(p.Visits) != 1 || p.Visits[0].Ref != want || p.Key != "uid-e1" {
		t.Fatalf("single event: key %q ref %v, want key uid-e1 and ref %s", p.Key, p.Visits, want)
	}
	ev.ICalUID = ""
	if p := plan(r, ev, nil, employee); p.Key != "e1" {
		t.Errorf("without an iCalUId the key is %q, want the id", p.Key)
	}
}

func TestPlanOccurrenceReferences(t *testing.T) {
	r := testRules(t)
	first := occurrence("o1", day(2026, 3, 24), ann)
	second := occurrence("o2", day(2026, 3, 31), ann)
	p1, p2 := plan(r, first, nil, employee), plan(r, second, nil, employee)
	if p1.Key == p2.Key || p1.Visits[0].Ref == p2.Visits[0].Ref {
		t.Fatalf("two occurrences sharing an iCalUId share key %q / ref %s", p1.Key, p1.Visits[0].Ref)
	}
	if p1.Key != "series:M/2026-03-24" {
		t.Errorf("key = %q, want the series and the date", p1.Key)
	}

	// Moved to another day as an exception that says where it was: same
	// key, same reference, the visit updated.
	moved := first
	moved.Type, moved.OriginalStart = graph.TypeException, first.Start
	moved.Start, moved.End = first.Start.AddDate(0, 0, 2), first.End.AddDate(0, 0, 2)
	pm := plan(r, moved, nil, employee)
	if pm.Key != p1.Key {
		t.Errorf("moved occurrence key %q, want %q", pm.Key, p1.Key)
	}
	// Graph left originalStart out: the key first planned stands.
	moved.OriginalStart = time.Time{}
	known := remember(first, p1)
	known.Occurrence = p1.Key
	pk := plan(r, moved, known, employee)
	if pk.Key != p1.Key || len(pk.Visits) != 1 || pk.Visits[0].Ref != p1.Visits[0].Ref || pk.Outcome != store.OutcomeUpdated {
		t.Errorf("moved occurrence without originalStart: key %q outcome %s visits %v; want %q updated in place", pk.Key, pk.Outcome, pk.Visits, p1.Key)
	}
	// A removal knows only the id: the stored key still names the visits.
	gone := plan(r, graph.Event{ID: "o1", Removed: true}, known, employee)
	if gone.Key != p1.Key || len(gone.Ops) != 1 || gone.Ops[0].Ref != p1.Visits[0].Ref {
		t.Errorf("removed occurrence: key %q ops %+v", gone.Key, gone.Ops)
	}

	// An all-day occurrence is keyed on its own date, not the UTC one.
	allDay := occurrence("o3", time.Date(2026, 3, 26, 0, 0, 0, 0, madrid), ann)
	allDay.IsAllDay, allDay.End = true, allDay.Start.AddDate(0, 0, 1)
	allDay.Start = time.Date(2026, 3, 26, 0, 0, 0, 0, madrid)
	if p := plan(r, allDay, nil, employee); p.Key != "series:M/2026-03-26" {
		t.Errorf("all-day occurrence key = %q, want its own date", p.Key)
	}
}

func TestPlanOccurrenceAnswersForItsSeriesOnce(t *testing.T) {
	r := testRules(t)
	o1 := occurrence("o1", day(2026, 3, 24), ann)
	p := r.Plan(PlanInput{Event: o1, Host: employee, Window: r.Window(planNow), Now: planNow})
	if len(p.Ops) != 2 || p.Ops[1].Kind != OpReply || p.Ops[1].Ref != "M" || p.Ops[1].Reply.EventID != "M" {
		t.Fatalf("ops = %+v, want the visit and an accept of the series M", p.Ops)
	}
	// The next occurrence sees the series already answered.
	o2 := occurrence("o2", day(2026, 3, 31), ann)
	p2 := r.Plan(PlanInput{Event: o2, Host: employee, Window: r.Window(planNow), Now: planNow, SeriesReply: p.Reply})
	if got := opsOf(p2); len(got) != 1 || got[0] != "put:ann.guest@fabrikam.com" {
		t.Errorf("second occurrence ops = %v, want its visit and no second reply", got)
	}
	// An exception answers for itself.
	ex := o2
	ex.Type = graph.TypeException
	p3 := r.Plan(PlanInput{Event: ex, Host: employee, Window: r.Window(planNow), Now: planNow, SeriesReply: p.Reply})
	if n := len(p3.Ops); n != 2 || p3.Ops[1].Ref != "o2" {
		t.Errorf("exception ops = %+v, want its visit and its own accept", p3.Ops)
	}
}

func TestPlanReadAgainAfterAFailedRead(t *testing.T) {
	r := testRules(t)
	ev := meeting("e1", day(2026, 3, 24), ann)
	known := remember(ev, plan(r, ev, nil, employee))
	known.Outcome, known.Reason = store.OutcomeFailed, readFailure+"start: missing"
	p := plan(r, ev, known, employee)
	if p.Outcome != store.OutcomeUpdated || len(p.Ops) != 0 {
		t.Errorf("read again unchanged: %s (%s) ops %v; want updated, no operation", p.Outcome, p.Reason, opsOf(p))
	}
	// A failure of IDM's stays what it was until something changes.
	known.Reason = "IDM refused the visit of ann.guest@fabrikam.com: 422"
	if p := plan(r, ev, known, employee); p.Outcome != OutcomeUnchanged {
		t.Errorf("an IDM failure replanned unchanged: %s (%s)", p.Outcome, p.Reason)
	}
}
