package sync

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm"
	"invitesync/idm/idmtest"
	"invitesync/sync/store"
)

// weekly adds a weekly series to the watched mailbox and returns its
// master's id, its occurrences' ids and the indexes of those that start in
// the engine's 30-day window.
func (h *harness) weekly(first graphtest.Event, count int) (string, []string, []int) {
	h.t.Helper()
	master, occ, err := h.graph.AddWeeklySeries(mailbox, first, count)
	if err != nil {
		h.t.Fatalf("AddWeeklySeries: %v", err)
	}
	var inside []int
	for i := range occ {
		if at := first.Start.AddDate(0, 0, 7*i); !at.Before(localDay(0)) && at.Before(localDay(30)) {
			inside = append(inside, i)
		}
	}
	return master, occ, inside
}

// visitsByEvent returns IDM's active visits of visitor by the event id
// they came from.
func (h *harness) visitsByEvent(visitor string) map[string]idmtest.Record {
	out := map[string]idmtest.Record{}
	for _, r := range h.active()[visitor] {
		out[r.Source.EventID] = r
	}
	return out
}

// reads counts the Graph GET requests whose path contains part; a read
// that follows a nextLink ($skip) is part of the read before it.
func (h *harness) reads(part string) int {
	n := 0
	for _, r := range h.graph.GraphRequests() {
		if r.Method == http.MethodGet && strings.Contains(r.Path, part) && !strings.Contains(r.RawQuery, "skip") {
			n++
		}
	}
	return n
}

// TestEngineWeeklySeriesOneVisitPerOccurrence: a series that began three
// years ago, with occurrences that share one iCalUId and arrive stripped
// before their master, gets one visit per guest and occurrence in the
// window, with the series' host; replays change nothing.
func TestEngineWeeklySeriesOneVisitPerOccurrence(t *testing.T) {
	h := newHarness(t, pageSize(3))
	first := invitation("Weekly review", localDay(1-7*156).Add(15*time.Hour), simAnn, simBob)
	master, occ, inside := h.weekly(first, 200)
	if len(inside) != 5 {
		t.Fatalf("%d occurrences in the window, want 5", len(inside))
	}
	h.graph.ResetRequests()
	h.cycle()

	uids, refs := map[string]bool{}, map[string]bool{}
	for _, guest := range []string{simAnn.Address, simBob.Address} {
		got := h.visitsByEvent(guest)
		if len(got) != len(inside) {
			t.Fatalf("%s has %d visits, want one per occurrence in the window (%d)", guest, len(got), len(inside))
		}
		for _, i := range inside {
			v, ok := got[occ[i]]
			want := first.Start.AddDate(0, 0, 7*i)
			if !ok || !v.Arrival.Equal(want) || !v.Departure.Equal(want.Add(2*time.Hour)) {
				t.Errorf("%s, occurrence %d: %+v, want a visit at %s", guest, i, v, want)
				continue
			}
			if v.HostEmployeeID != h.host.ID || v.Subject != "Weekly review" {
				t.Errorf("occurrence %d: host %q subject %q, want the series' host %q", i, v.HostEmployeeID, v.Subject, h.host.ID)
			}
			uids[v.Source.ICalUID], refs[v.Ref] = true, true
		}
	}
	if len(uids) != 1 || len(refs) != 2*len(inside) {
		t.Errorf("%d iCalUIds and %d references for %d visits; want the occurrences' shared iCalUId and a reference each", len(uids), len(refs), 2*len(inside))
	}
	// Delta sends the master in the same round: the occurrences wait for
	// it, and the series is never read.
	if n := h.reads("/events/"); n != 0 {
		t.Errorf("%d reads of the series, want none: delta sends its master", n)
	}
	// The series is answered once, on its master.
	if r := h.graph.Replies(); len(r) != 1 || r[0].EventID != master || r[0].Action != "accept" {
		t.Errorf("replies = %+v, want one accept of the series", r)
	}
	created := 0
	for _, a := range h.activity() {
		if a.EventID == master {
			t.Errorf("the series master has an activity line: %+v", a)
		}
		if a.Outcome == store.OutcomeCreated {
			created++
		}
	}
	if created != len(inside) {
		t.Errorf("%d created lines, want one per occurrence (%d)", created, len(inside))
	}

	// The reply changed the master in the mailbox: the next round reads
	// the series again and changes nothing. After that, a poll is one
	// Graph request.
	writes := h.idm.Writes()
	h.cycle()
	if n := h.idm.Writes() - writes; n != 0 {
		t.Errorf("the round after the reply made %d IDM writes", n)
	}
	h.graph.ResetRequests()
	h.idm.ResetRequests()
	if _, err := h.eng.Poll(h.ctx); err != nil {
		t.Fatal(err)
	}
	if g, i := len(h.graph.GraphRequests()), len(h.idm.Requests()); g != 1 || i != 0 {
		t.Errorf("an idle poll made %d Graph and %d IDM requests, want 1 and 0", g, i)
	}

	// A fresh round (410) and a restarted engine replay the series: nothing
	// is written again, no visit is duplicated, no reply repeated.
	writes = h.idm.Writes()
	h.graph.ExpireDeltaTokens()
	h.cycle()
	h.eng = h.engine(graph.Options{AuthorityHost: h.graph.AuthorityHost(), GraphURL: h.graph.GraphURL(), HTTPClient: h.graph.Client(), PageSize: 3}, "restarted")
	if err := h.store.Update(h.ctx, func(tx *store.Tx) error { return tx.ClearCursor(h.auto.Name) }); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if n := h.idm.Writes() - writes; n != 0 || len(h.idm.Visits()) != 2*len(inside) || len(h.graph.Replies()) != 1 {
		t.Errorf("replays made %d IDM writes, %d visits, %d replies; want 0, %d, 1", n, len(h.idm.Visits()), len(h.graph.Replies()), 2*len(inside))
	}
}

// TestEngineSeriesWithItsOwnUIDsPerOccurrence: occurrences with iCalUIds of
// their own get the same visits, under the same references.
func TestEngineSeriesWithItsOwnUIDsPerOccurrence(t *testing.T) {
	refs := map[bool]map[string]bool{}
	for _, distinct := range []bool{false, true} {
		h := newHarness(t)
		h.graph.SetDistinctOccurrenceUIDs(distinct)
		_, _, inside := h.weekly(invitation("Weekly review", localDay(1).Add(15*time.Hour), simAnn), 10)
		h.cycle()
		refs[distinct] = map[string]bool{}
		for _, r := range h.active()[simAnn.Address] {
			refs[distinct][r.Ref] = true
		}
		if len(refs[distinct]) != len(inside) {
			t.Fatalf("distinct iCalUIds %v: %d visits, want %d", distinct, len(refs[distinct]), len(inside))
		}
	}
}

func TestEngineSeriesGuestAddedReachesEveryOccurrence(t *testing.T) {
	h := newHarness(t, pageSize(4))
	master, occ, inside := h.weekly(invitation("Weekly review", localDay(1).Add(15*time.Hour), simAnn), 10)
	h.cycle()
	if got := h.visitsByEvent(simAnn.Address); len(got) != len(inside) {
		t.Fatalf("Ann has %d visits, want %d", len(got), len(inside))
	}
	if err := h.graph.AddAttendee(mailbox, master, simBob); err != nil {
		t.Fatal(err)
	}
	h.graph.ResetRequests()
	h.cycle()
	bob := h.visitsByEvent(simBob.Address)
	for _, i := range inside {
		if _, ok := bob[occ[i]]; !ok {
			t.Errorf("occurrence %d has no visit for the guest added to the series", i)
		}
	}
	if len(bob) != len(inside) {
		t.Errorf("Bob has %d visits, want %d", len(bob), len(inside))
	}
	for _, r := range h.active()[simAnn.Address] {
		if r.Revision != 1 {
			t.Errorf("Ann's visit %s was rewritten (revision %d)", r.Ref, r.Revision)
		}
	}
	if n := h.reads("/instances"); n != 1 {
		t.Errorf("%d reads of the changed series, want 1", n)
	}
	r := h.graph.Replies()
	if len(r) != 2 || r[1].EventID != master || !strings.Contains(r[1].Comment, "Bob Visitor") {
		t.Errorf("replies = %+v, want a second accept of the series naming Bob", r)
	}
}

// TestEngineSeriesExceptions: an occurrence moved keeps its visits'
// references; one cancelled loses its visits alone; one deleted from the
// series (which Graph reports only as its master changed) loses its visits
// by the next round.
func TestEngineSeriesExceptions(t *testing.T) {
	h := newHarness(t, pageSize(3))
	_, occ, inside := h.weekly(invitation("Weekly review", localDay(1).Add(15*time.Hour), simAnn), 10)
	h.cycle()
	before := h.visitsByEvent(simAnn.Address)
	moved, cancelled, deleted := occ[inside[0]], occ[inside[1]], occ[inside[2]]

	h.update(moved, func(e *graphtest.Event) { e.Start, e.End = e.Start.Add(2*time.Hour), e.End.Add(2*time.Hour) })
	if err := h.graph.CancelEvent(mailbox, cancelled); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	after := h.visitsByEvent(simAnn.Address)
	if v := after[moved]; v.Ref != before[moved].Ref || !v.Arrival.Equal(before[moved].Arrival.Add(2*time.Hour)) || v.Revision != 2 {
		t.Errorf("moved occurrence: %+v, want its visit %s moved by two hours", v, before[moved].Ref)
	}
	if v, _ := h.idm.Visit(before[cancelled].Ref); v.Status != idm.StatusCancelled {
		t.Errorf("the cancelled occurrence's visit is %q, want cancelled", v.Status)
	}
	if len(after) != len(inside)-1 {
		t.Errorf("%d visits after one cancellation, want %d", len(after), len(inside)-1)
	}

	if err := h.graph.DeleteEvent(mailbox, deleted); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if v, _ := h.idm.Visit(before[deleted].Ref); v.Status != idm.StatusCancelled {
		t.Errorf("the deleted occurrence's visit is %q, want cancelled", v.Status)
	}
	if got := h.visitsByEvent(simAnn.Address); len(got) != len(inside)-2 {
		t.Errorf("%d visits left, want %d", len(got), len(inside)-2)
	}
	acts := h.activity()
	if last := acts[len(acts)-1]; last.EventID != deleted || last.Outcome != store.OutcomeCancelled || !strings.Contains(last.Reason, "deleted from its recurring series") {
		t.Errorf("last activity = %+v", last)
	}
}

func TestEngineSeriesDeletedCancelsEveryOccurrence(t *testing.T) {
	h := newHarness(t)
	master, _, inside := h.weekly(invitation("Weekly review", localDay(1).Add(15*time.Hour), simAnn, simBob), 10)
	h.cycle()
	if n := len(h.idm.ActiveVisits()); n != 2*len(inside) {
		t.Fatalf("%d visits, want %d", n, 2*len(inside))
	}
	if err := h.graph.DeleteEvent(mailbox, master); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if n := len(h.idm.ActiveVisits()); n != 0 {
		t.Fatalf("%d visits left after the series was deleted", n)
	}
}

// TestEngineSeriesThatCannotBeRead: a changed series whose instances Graph
// refuses to read (500) still reaches its occurrences from its master, but
// what vanished from it cannot be known: the master is recorded as failed,
// the rest of the round lands, and it is read again each round until Graph
// answers. A series whose master is gone (404) has its occurrences' visits
// cancelled and is not read again.
func TestEngineSeriesThatCannotBeRead(t *testing.T) {
	h := newHarness(t, pageSize(3))
	master, _, inside := h.weekly(invitation("Weekly review", localDay(1).Add(15*time.Hour), simAnn), 10)
	h.cycle()
	h.cycle() // the accept changed the master: its series is read once more
	if n := len(h.active()[simAnn.Address]); n != len(inside) {
		t.Fatalf("%d visits, want %d", n, len(inside))
	}

	h.graph.InjectFault(graphtest.Fault{Status: http.StatusInternalServerError, Code: "ErrorInternalServerError",
		Message: "Something went wrong.", PathContains: "/instances"})
	if err := h.graph.AddAttendee(mailbox, master, simBob); err != nil {
		t.Fatal(err)
	}
	single := h.add(invitation("Supplier visit", localDay(2).Add(9*time.Hour), simGuest("Carl", "carl@northwind.example")))
	if res := h.cycle(); !res.OK() {
		t.Fatalf("RunOnce = %+v, want the round done", res)
	}
	if got := h.visitsByEvent("carl@northwind.example"); len(got) != 1 || got[single].Ref == "" {
		t.Fatalf("the single event's visits = %v, want Carl's", got)
	}
	if n := len(h.active()[simBob.Address]); n != len(inside) {
		t.Fatalf("Bob has %d visits, want %d: the master says he was added", n, len(inside))
	}
	failedMaster := func() store.Event {
		t.Helper()
		d, err := h.store.EventDetails(h.ctx, h.auto.Name, master)
		if err != nil {
			t.Fatal(err)
		}
		return d.Event
	}
	if m := failedMaster(); m.Outcome != store.OutcomeFailed || !strings.Contains(m.Reason, "occurrences could not be read") ||
		!strings.Contains(m.Reason, "500") || !m.Reread {
		t.Fatalf("the series master: %+v; want it failed with the reason, to be read again", m)
	}
	st, err := h.store.Status(h.ctx, h.auto.Name)
	if err != nil || st.Counts.Failed != 1 {
		t.Fatalf("status counts %+v (%v), want the failure counted once", st.Counts, err)
	}

	// Tried again each round, logged once: the accept naming Bob brings the
	// master back in the next round; in the one after, it is read again.
	h.cycle()
	h.graph.ResetRequests()
	h.cycle()
	if n := h.reads("/events/" + master); n != 2 {
		t.Errorf("%d reads of the failed series in a quiet round, want 2: its master and its instances", n)
	}
	if st, _ := h.store.Status(h.ctx, h.auto.Name); st.Counts.Failed != 1 {
		t.Errorf("failures counted %d times, want once", st.Counts.Failed)
	}
	h.graph.ClearFaults()
	h.cycle()
	if m := failedMaster(); m.Outcome == store.OutcomeFailed || m.Reread {
		t.Fatalf("the series master after Graph answered: %+v", m)
	}
	h.graph.ResetRequests()
	h.cycle()
	if n := len(h.graph.GraphRequests()); n != 1 {
		t.Errorf("%d Graph requests once all was read, want 1", n)
	}

	// The series changes while its master is gone from Graph's view (404):
	// its visits are cancelled, and it is not asked about again.
	h.graph.InjectFault(graphtest.Fault{Status: http.StatusNotFound, Code: "ErrorItemNotFound",
		Message: "The specified object was not found in the store.", PathContains: "/events/" + master})
	if err := h.graph.AddAttendee(mailbox, master, simGuest("Dora", "dora@example.org")); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if n := len(h.active()[simAnn.Address]) + len(h.active()[simBob.Address]); n != 0 {
		t.Fatalf("%d visits left of a series that is gone", n)
	}
	h.graph.ResetRequests()
	h.cycle()
	if n := len(h.graph.GraphRequests()); n != 1 {
		t.Errorf("%d Graph requests after the series was gone, want 1", n)
	}
}

// TestEngineUnreadableEventDoesNotStallTheRound: an event Graph sends in a
// form that cannot be read is recorded as failed with its reason; the rest
// of the round lands; the next round reads it again on its own.
func TestEngineUnreadableEventDoesNotStallTheRound(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Supplier visit", localDay(1).Add(9*time.Hour), simBob))
	later := h.add(invitation("Audit", localDay(5).Add(9*time.Hour), simAnn))
	// The first page sends the audit garbled, then the round goes on
	// without it.
	rest := h.graph.GraphURL() + "/users/" + mailbox + "/calendarView/delta?startDateTime=" +
		localDay(0).UTC().Format(time.RFC3339) + "&endDateTime=" + localDay(4).UTC().Format(time.RFC3339)
	h.graph.InjectFault(graphtest.Fault{Times: 1, PathContains: "/calendarView/delta", Body: `{"@odata.nextLink": "` + rest + `",
		"value": [{"id": "` + later + `", "type": "singleInstance", "start": {"dateTime": "soon", "timeZone": "UTC"}, "end": {"dateTime": "later", "timeZone": "UTC"}}]}`})
	if res := h.cycle(); !res.OK() {
		t.Fatalf("RunOnce = %+v", res)
	}
	if got := h.active(); len(got[simBob.Address]) != 1 || len(got[simAnn.Address]) != 0 {
		t.Fatalf("visits = %v, want Bob's only", got)
	}
	d, err := h.store.EventDetails(h.ctx, h.auto.Name, later)
	if err != nil || d.Event.Outcome != store.OutcomeFailed || !strings.Contains(d.Event.Reason, `"soon" is not a date and time`) ||
		len(d.Activity) != 1 || d.Activity[0].Outcome != store.OutcomeFailed {
		t.Fatalf("the garbled event: %+v, %v; want it recorded as failed with the reason", d, err)
	}

	h.graph.ResetRequests()
	h.cycle()
	if got := h.active(); len(got[simAnn.Address]) != 1 {
		t.Fatalf("visits after the next round = %v, want Ann's too", got)
	}
	if n := h.reads("/events/" + later); n != 1 {
		t.Errorf("the event was read %d times, want once", n)
	}
	if d, _ := h.store.EventDetails(h.ctx, h.auto.Name, later); d.Event.Outcome != store.OutcomeCreated || d.Event.Reread {
		t.Errorf("after reading it again: %+v", d.Event)
	}
	h.graph.ResetRequests()
	h.cycle()
	if n := len(h.graph.GraphRequests()); n != 1 {
		t.Errorf("%d Graph requests once all was read, want 1", n)
	}
}

// TestEngineAllDayDatesWhateverTheOrganizersZone: all-day events made in
// UTC+13, UTC+14 and UTC−10, single or weekly, become visits on the dates
// Graph gives, one per day.
func TestEngineAllDayDatesWhateverTheOrganizersZone(t *testing.T) {
	h := newHarness(t)
	for i, zone := range []string{"Tonga Standard Time", "Line Islands Standard Time", "Hawaiian Standard Time"} {
		ev := invitation("Trade fair", localDay(3), simGuest("Guest", "guest"+string(rune('a'+i))+"@fabrikam.com"))
		ev.AllDay, ev.TimeZone, ev.End = true, zone, localDay(5) // the 3rd and the 4th
		h.add(ev)
	}
	series := invitation("Open day", localDay(2), simAnn)
	series.AllDay, series.TimeZone, series.End = true, "Tonga Standard Time", localDay(2)
	h.weekly(series, 3)
	h.cycle()
	days := func(addr string) []string {
		var out []string
		for _, r := range h.active()[addr] {
			a := r.Arrival.In(madrid)
			day := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, madrid)
			if !r.Arrival.Equal(day.Add(8*time.Hour)) || !r.Departure.Equal(day.Add(18*time.Hour)) {
				t.Errorf("%s: visit %s – %s, want 08:00–18:00 Madrid time", addr, r.Arrival, r.Departure)
			}
			out = append(out, day.Format(time.DateOnly))
		}
		slices.Sort(out)
		return out
	}
	want := strings.Join([]string{localDay(3).Format(time.DateOnly), localDay(4).Format(time.DateOnly)}, " ")
	for i := range 3 {
		addr := "guest" + string(rune('a'+i)) + "@fabrikam.com"
		if got := strings.Join(days(addr), " "); got != want {
			t.Errorf("%s's visits fall on %s, want %s", addr, got, want)
		}
	}
	wantSeries := strings.Join([]string{localDay(2).Format(time.DateOnly), localDay(9).Format(time.DateOnly), localDay(16).Format(time.DateOnly)}, " ")
	if got := strings.Join(days(simAnn.Address), " "); got != wantSeries {
		t.Errorf("the all-day series' visits fall on %s, want %s", got, wantSeries)
	}
}

// TestEngineRoundStoppedWhileOccurrencesWait: a round that stops (IDM down
// at a host lookup) after occurrences were recorded as waiting for their
// master resumes where it stopped and completes them, each once.
func TestEngineRoundStoppedWhileOccurrencesWait(t *testing.T) {
	h := newHarness(t, pageSize(2))
	h.eng.roundBatch = 1 // each page commits on its own
	_, occ, inside := h.weekly(invitation("Weekly review", localDay(1).Add(15*time.Hour), simAnn), 10)
	h.add(invitation("Supplier visit", localDay(9).Add(9*time.Hour), simBob)) // on the second page
	h.idm.Fail(-1, http.StatusInternalServerError, 0)
	if _, err := h.eng.Poll(h.ctx); err == nil {
		t.Fatal("Poll with IDM down succeeded")
	}
	d, err := h.store.EventDetails(h.ctx, h.auto.Name, occ[inside[0]])
	if err != nil || !d.Event.Reread || d.Event.Reason != waitingReason {
		t.Fatalf("the first occurrence after the round stopped: %+v, %v; want it recorded as waiting", d.Event, err)
	}
	h.idm.ClearFaults()
	h.graph.ResetRequests()
	h.cycle()
	got := h.visitsByEvent(simAnn.Address)
	for _, i := range inside {
		if _, ok := got[occ[i]]; !ok {
			t.Errorf("occurrence %d has no visit after the round resumed", i)
		}
	}
	if len(got) != len(inside) || len(h.idm.Visits()) != len(inside)+1 {
		t.Errorf("%d of Ann's visits and %d in all, want %d and %d", len(got), len(h.idm.Visits()), len(inside), len(inside)+1)
	}
	if n := h.reads("/events/"); n != 0 {
		t.Errorf("%d reads of the series, want none: the resumed round carried its master", n)
	}
	var left []store.Event
	if err := h.store.View(h.ctx, func(tx *store.Tx) error { left, err = tx.EventsToReread(h.auto.Name); return err }); err != nil || len(left) != 0 {
		t.Errorf("events still to read again: %+v, %v", left, err)
	}
}
