package sync

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm"
	"invitesync/idm/idmtest"
	"invitesync/sync/store"
)

func TestEngineNewMeetingTwoGuests(t *testing.T) {
	h := newHarness(t)
	start := localDay(1).Add(10 * time.Hour)
	id := h.add(invitation("Supplier visit", start, simAnn, simBob))
	res := h.cycle()
	if !res.OK() || res.Drain.Done != 3 {
		t.Fatalf("RunOnce = %+v, want 2 visits and a reply delivered", res)
	}
	visits := h.active()
	if len(visits) != 2 || len(visits[simAnn.Address]) != 1 || len(visits[simBob.Address]) != 1 {
		t.Fatalf("IDM visits = %v, want one each for Ann and Bob", visits)
	}
	for _, rs := range visits {
		v := rs[0]
		if v.HostEmployeeID != h.host.ID || v.EnvironmentID != idmtest.DefaultEnvironment.ID {
			t.Errorf("visit %s: host %q env %q, want %q %q", v.Ref, v.HostEmployeeID, v.EnvironmentID, h.host.ID, idmtest.DefaultEnvironment.ID)
		}
		if !v.Arrival.Equal(start) || !v.Departure.Equal(start.Add(2*time.Hour)) {
			t.Errorf("visit %s: %s – %s, want %s – %s", v.Ref, v.Arrival, v.Departure, start, start.Add(2*time.Hour))
		}
		if _, off := v.Arrival.Zone(); func() int { _, o := start.Zone(); return o }() != off {
			t.Errorf("arrival %s is not in Madrid's offset", v.Arrival.Format(time.RFC3339))
		}
		if v.Subject != "Supplier visit" || v.Source == nil || v.Source.Mailbox != mailbox || v.Source.EventID != id {
			t.Errorf("visit %s: subject %q source %+v", v.Ref, v.Subject, v.Source)
		}
	}
	if ann := visits[simAnn.Address][0]; ann.Visitor.FirstName != "Ann" || ann.Visitor.LastName != "Guest" {
		t.Errorf("Ann's names = %q %q", ann.Visitor.FirstName, ann.Visitor.LastName)
	}
	replies := h.graph.Replies()
	if len(replies) != 1 || replies[0].Action != "accept" || replies[0].EventID != id ||
		!strings.Contains(replies[0].Comment, "Ann Guest") || !strings.Contains(replies[0].Comment, "Bob Visitor") {
		t.Fatalf("replies = %+v, want one accept listing both visitors", replies)
	}
	acts := h.activity()
	if len(acts) != 1 || acts[0].Outcome != store.OutcomeCreated || acts[0].EventID != id {
		t.Fatalf("activity = %+v, want one created line", acts)
	}
	// Nothing changed: the next cycle writes nothing and replies nothing.
	writes := h.idm.Writes()
	h.cycle()
	if h.idm.Writes() != writes || len(h.graph.Replies()) != 1 || len(h.activity()) != 1 {
		t.Errorf("an unchanged calendar made %d IDM writes, %d replies, %d activity lines", h.idm.Writes()-writes, len(h.graph.Replies())-1, len(h.activity())-1)
	}
}

func TestEngineInternalOnlyMeetingIsSkipped(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Team sync", localDay(1).Add(9*time.Hour), simGuest("Colleague", "colleague@contoso.com")))
	h.cycle()
	if n := len(h.idm.Visits()); n != 0 {
		t.Fatalf("IDM has %d visits, want none", n)
	}
	if n := h.idm.Count(http.MethodGet, "/employees"); n != 0 {
		t.Errorf("%d employee lookups for a meeting without visitors, want 0", n)
	}
	acts := h.activity()
	if len(acts) != 1 || acts[0].Outcome != store.OutcomeSkipped || !strings.Contains(acts[0].Reason, "colleague@contoso.com is internal") {
		t.Fatalf("activity = %+v, want skipped because the only guest is internal", acts)
	}
	if len(h.graph.Replies()) != 0 {
		t.Errorf("replies = %+v, want none", h.graph.Replies())
	}
}

func TestEngineChanges(t *testing.T) {
	h := newHarness(t)
	start := localDay(2).Add(10 * time.Hour)
	id := h.add(invitation("Supplier visit", start, simAnn, simBob))
	h.cycle()
	refs := map[string]string{}
	for addr, rs := range h.active() {
		refs[addr] = rs[0].Ref
	}

	// A time change updates the same visits.
	later := start.Add(3 * time.Hour)
	h.update(id, func(e *graphtest.Event) { e.Start, e.End = later, later.Add(time.Hour) })
	h.cycle()
	visits := h.active()
	if len(h.idm.Visits()) != 2 {
		t.Fatalf("IDM holds %d visits after a time change, want the same 2", len(h.idm.Visits()))
	}
	for addr, rs := range visits {
		if rs[0].Ref != refs[addr] || !rs[0].Arrival.Equal(later) || !rs[0].Departure.Equal(later.Add(time.Hour)) {
			t.Errorf("%s: ref %s %s–%s, want ref %s moved to %s", addr, rs[0].Ref, rs[0].Arrival, rs[0].Departure, refs[addr], later)
		}
	}
	if got := h.activity(); got[len(got)-1].Outcome != store.OutcomeUpdated || got[len(got)-1].Reason != "time changed" {
		t.Errorf("last activity = %+v, want updated: time changed", got[len(got)-1])
	}

	// A guest removed: that visit is cancelled.
	if err := h.graph.RemoveAttendee(mailbox, id, simBob.Address); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if v, _ := h.idm.Visit(refs[simBob.Address]); v.Status != idm.StatusCancelled {
		t.Errorf("Bob's visit is %q after he was removed, want cancelled", v.Status)
	}
	if v, _ := h.idm.Visit(refs[simAnn.Address]); v.Status != idm.StatusExpected {
		t.Errorf("Ann's visit is %q, want expected", v.Status)
	}

	// A guest who declines: cancelled too.
	if err := h.graph.SetAttendeeResponse(mailbox, id, simAnn.Address, "declined"); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if v, _ := h.idm.Visit(refs[simAnn.Address]); v.Status != idm.StatusCancelled {
		t.Errorf("Ann's visit is %q after she declined, want cancelled", v.Status)
	}
	// The last accept lists who is registered now; the decline needs no new reply.
	replies := h.graph.Replies()
	if len(replies) != 2 || strings.Contains(replies[1].Comment, "Bob") {
		t.Errorf("replies = %+v, want the first accept and one without Bob", replies)
	}
}

func TestEngineCancelledAndDeletedMeetings(t *testing.T) {
	h := newHarness(t)
	cancelled := h.add(invitation("Cancelled", localDay(1).Add(9*time.Hour), simAnn, simBob))
	deleted := h.add(invitation("Deleted", localDay(2).Add(9*time.Hour), simGuest("Carl", "carl@northwind.example")))
	h.cycle()
	if n := len(h.idm.ActiveVisits()); n != 3 {
		t.Fatalf("%d active visits, want 3", n)
	}
	if err := h.graph.CancelEvent(mailbox, cancelled); err != nil {
		t.Fatal(err)
	}
	if err := h.graph.DeleteEvent(mailbox, deleted); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if n := len(h.idm.ActiveVisits()); n != 0 {
		t.Fatalf("%d active visits after cancel and delete, want 0: %+v", n, h.idm.ActiveVisits())
	}
	reasons := map[string]string{}
	for _, a := range h.activity() {
		if a.Outcome == store.OutcomeCancelled {
			reasons[a.EventID] = a.Reason
		}
	}
	if !strings.Contains(reasons[cancelled], "cancelled by its organizer") || !strings.Contains(reasons[deleted], "deleted from the calendar") {
		t.Errorf("cancellation reasons = %v", reasons)
	}
}

func TestEngineWeeklySeries(t *testing.T) {
	h := newHarness(t, pageSize(3))
	first := invitation("Weekly review", localDay(1).Add(15*time.Hour), simAnn)
	_, occurrences, err := h.graph.AddWeeklySeries(mailbox, first, 10)
	if err != nil {
		t.Fatal(err)
	}
	h.cycle()
	want := 0
	end := localDay(30)
	for i := range occurrences {
		if first.Start.AddDate(0, 0, 7*i).Before(end) {
			want++
		}
	}
	visits := h.active()[simAnn.Address]
	if len(visits) != want || want < 4 {
		t.Fatalf("%d visits for a weekly series, want %d (one per occurrence in the 30-day window)", len(visits), want)
	}
	seen := map[string]bool{}
	for _, v := range visits {
		seen[v.Arrival.Format(time.DateOnly)] = true
	}
	if len(seen) != want {
		t.Errorf("visits fall on %d distinct days, want %d", len(seen), want)
	}
}

func TestEngineAllDayMeeting(t *testing.T) {
	h := newHarness(t)
	ev := invitation("Trade fair", localDay(3), simAnn)
	ev.AllDay, ev.End = true, localDay(3)
	h.add(ev)
	h.cycle()
	visits := h.active()[simAnn.Address]
	if len(visits) != 1 {
		t.Fatalf("%d visits for a one-day all-day meeting, want 1", len(visits))
	}
	if want := localDay(3).Add(8 * time.Hour); !visits[0].Arrival.Equal(want) || !visits[0].Departure.Equal(localDay(3).Add(18*time.Hour)) {
		t.Errorf("all-day visit %s – %s, want 08:00–18:00 Madrid time", visits[0].Arrival.Format(time.RFC3339), visits[0].Departure.Format(time.RFC3339))
	}
}

func TestEngineHostNotEmployee(t *testing.T) {
	h := newHarness(t)
	ev := invitation("Outsider meeting", localDay(1).Add(11*time.Hour), simAnn)
	ev.Organizer = graphtest.Person{Name: "Olga Outsider", Address: "olga@contoso.com"}
	id := h.add(ev)
	h.cycle()
	if n := len(h.idm.Visits()); n != 0 {
		t.Fatalf("IDM has %d visits, want none when the host is not an employee", n)
	}
	replies := h.graph.Replies()
	if len(replies) != 1 || replies[0].Action != "tentativelyAccept" || replies[0].EventID != id ||
		!strings.Contains(replies[0].Comment, "olga@contoso.com is not an employee") {
		t.Fatalf("replies = %+v, want one tentative reply saying why", replies)
	}
	acts := h.activity()
	if len(acts) != 1 || acts[0].Outcome != store.OutcomeSkipped || !strings.Contains(acts[0].Reason, "not an employee") {
		t.Fatalf("activity = %+v", acts)
	}
	// Our own reply changes the mailbox's copy; the next round sees it and
	// neither replies again nor logs again.
	h.cycle()
	if len(h.graph.Replies()) != 1 || len(h.activity()) != 1 {
		t.Errorf("after a second cycle: %d replies, %d activity lines; want 1 and 1", len(h.graph.Replies()), len(h.activity()))
	}
}

func TestEngineIDMDownWaitsInOutbox(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("First", localDay(1).Add(9*time.Hour), simAnn))
	h.cycle()

	h.idm.Fail(-1, http.StatusServiceUnavailable, 0)
	h.add(invitation("Second", localDay(2).Add(9*time.Hour), simBob))
	if _, err := h.eng.Poll(h.ctx); err != nil {
		t.Fatalf("Poll while IDM is down: %v", err)
	}
	d, err := h.eng.Drain(h.ctx)
	if err != nil || d.Done != 0 || d.Retrying == 0 || d.Failed != 0 {
		t.Fatalf("Drain while IDM is down = %+v, %v; want retries scheduled, nothing failed", d, err)
	}
	st, err := h.store.Status(h.ctx, h.auto.Name)
	if err != nil || st.Pending != 2 { // Bob's visit and the reply behind it
		t.Fatalf("outbox pending = %d (%v), want 2", st.Pending, err)
	}
	if len(h.active()[simBob.Address]) != 0 {
		t.Fatal("Bob's visit reached IDM while it was down")
	}

	h.idm.ClearFaults()
	res := h.cycle()
	if !res.OK() {
		t.Fatalf("after IDM recovered: %+v", res)
	}
	bob := h.active()[simBob.Address]
	if len(bob) != 1 || bob[0].Revision != 1 {
		t.Fatalf("Bob's visits = %+v, want exactly one, written once", bob)
	}
	if n := h.idm.Count(http.MethodPut, "/visits/"+bob[0].Ref); n < 2 {
		t.Errorf("%d PUTs for Bob's visit, want the refused ones and the delivery", n)
	}
}

func TestEngineResyncWithoutDuplicatesOrFalseCancellations(t *testing.T) {
	h := newHarness(t, pageSize(2))
	for i, g := range []graphtest.Attendee{simAnn, simBob, simGuest("Carl", "carl@northwind.example")} {
		h.add(invitation("Meeting", localDay(i+1).Add(9*time.Hour), g))
	}
	gone := h.add(invitation("Will vanish", localDay(5).Add(9*time.Hour), simGuest("Dora", "dora@example.org")))
	h.cycle()
	if n := len(h.idm.ActiveVisits()); n != 4 {
		t.Fatalf("%d visits, want 4", n)
	}
	writes := h.idm.Writes()

	// The delta token expires; meanwhile one meeting disappears for good.
	h.graph.ExpireDeltaTokens()
	if err := h.graph.DeleteEvent(mailbox, gone); err != nil {
		t.Fatal(err)
	}
	h.cycle()
	if !strings.Contains(h.logBuf.String(), "fresh round") {
		t.Errorf("no fresh round logged:\n%s", h.logBuf)
	}
	active := h.active()
	if len(active) != 3 || len(active["dora@example.org"]) != 0 {
		t.Fatalf("active visits after the fresh round = %v, want Ann, Bob and Carl", active)
	}
	for _, r := range h.idm.ActiveVisits() {
		if r.Revision != 1 {
			t.Errorf("visit %s was rewritten (revision %d) by the fresh round", r.Ref, r.Revision)
		}
	}
	if got := h.idm.Writes() - writes; got != 1 {
		t.Errorf("the fresh round made %d IDM writes, want 1 (Dora's cancellation)", got)
	}
}

func TestEngineThrottledPollWaitsForRetryAfter(t *testing.T) {
	h := newHarness(t, func(_ *config.Automation, o *graph.Options) { o.MaxRetries, o.MaxRetryWait = 1, time.Second })
	h.add(invitation("Meeting", localDay(1).Add(9*time.Hour), simAnn))
	h.graph.Throttle(5, 30*time.Second)
	before := time.Now()
	next := h.eng.cycle(h.ctx)
	snap := h.eng.Snapshot()
	if snap.State != store.LoopThrottled || next.Before(before.Add(25*time.Second)) || !snap.ThrottledUntil.Equal(next) {
		t.Fatalf("after a 429 with Retry-After 30 s: state %s, next poll %s, throttled until %s", snap.State, next.Sub(before), snap.ThrottledUntil.Sub(before))
	}
	st, err := h.store.Status(h.ctx, h.auto.Name)
	if err != nil || st.Loop.State != store.LoopThrottled || st.Loop.ThrottledUntil.IsZero() {
		t.Fatalf("stored status = %+v, %v", st.Loop, err)
	}
	if len(h.idm.Visits()) != 0 {
		t.Fatal("a throttled poll produced visits")
	}
	h.graph.ClearFaults()
	if h.eng.cycle(h.ctx); h.eng.Snapshot().State != store.LoopIdle || len(h.active()) != 1 {
		t.Fatalf("after the throttling ended: state %s, %d visitors", h.eng.Snapshot().State, len(h.active()))
	}
}

func TestEngineIdlePollCost(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Meeting", localDay(1).Add(9*time.Hour), simAnn, simBob))
	h.cycle()
	h.graph.ResetRequests()
	h.idm.ResetRequests()
	if _, err := h.eng.Poll(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.Drain(h.ctx); err != nil {
		t.Fatal(err)
	}
	if g, i := len(h.graph.GraphRequests()), len(h.idm.Requests()); g != 1 || i != 0 {
		t.Fatalf("an idle poll made %d Graph and %d IDM requests, want 1 and 0", g, i)
	}
}

func TestEnginePermanentFailureIsRecordedAndRetryable(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Meeting", localDay(1).Add(9*time.Hour), simAnn))
	if _, err := h.eng.Poll(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.idm.Fail(1, http.StatusUnprocessableEntity, 0)
	d, err := h.eng.Drain(h.ctx)
	if err != nil || d.Failed != 1 || d.Notified != 1 || d.Done != 0 || !strings.Contains(d.FirstFailure, "IDM refused the visit") {
		t.Fatalf("Drain = %+v, %v; want one permanent failure and the reply settled with it", d, err)
	}
	// The organizer is told once that the visit could not be registered,
	// instead of an accept, or of a reply that waits forever.
	r := h.graph.Replies()
	if len(r) != 1 || r[0].Action != "tentativelyAccept" || !strings.Contains(r[0].Comment, "Could not register in Salto IDM as visitors: ann.guest@fabrikam.com") ||
		!strings.Contains(r[0].Comment, "422") {
		t.Fatalf("replies = %+v, want one tentative naming Ann and the reason", r)
	}
	if d, err := h.eng.Drain(h.ctx); err != nil || d != (DrainResult{}) || len(h.graph.Replies()) != 1 {
		t.Fatalf("a second Drain = %+v, %v, %d replies; want nothing more", d, err, len(h.graph.Replies()))
	}
	st, _ := h.store.Status(h.ctx, h.auto.Name)
	if st.Failed != 1 || st.Pending != 0 || st.Counts.Failed != 1 {
		t.Fatalf("status = %+v, want the failure counted once and nothing pending", st)
	}
	failed, _ := h.store.FailedOps(h.ctx, h.auto.Name, 10)
	if len(failed) != 1 || !strings.Contains(failed[0].LastError, "IDM refused the visit of ann.guest@fabrikam.com") {
		t.Fatalf("failed ops = %+v", failed)
	}
	if n, err := h.store.RetryFailed(h.ctx, h.auto.Name); err != nil || n != 1 {
		t.Fatalf("RetryFailed = %d, %v", n, err)
	}
	if res := h.cycle(); !res.OK() || len(h.active()) != 1 {
		t.Fatalf("after an operator retry: %+v, %d visitors", res, len(h.active()))
	}
	if r := h.graph.Replies(); len(r) != 2 || r[1].Action != "accept" {
		t.Fatalf("replies after the retry = %+v, want the accept after the notice", r)
	}
}

func TestEngineLeaseAndControlQueue(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Meeting", localDay(1).Add(9*time.Hour), simAnn))
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.eng.Run(ctx) }()
	waitFor(t, "the first poll", func() bool { return len(h.active()) == 1 })

	// A second loop on the same automation is refused.
	other := h.engine(graph.Options{AuthorityHost: h.graph.AuthorityHost(), GraphURL: h.graph.GraphURL(), HTTPClient: h.graph.Client()}, "other")
	if _, err := other.RunOnce(h.ctx); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("second loop: %v, want ErrLeaseHeld", err)
	}

	// Commands queued in the database reach the running loop.
	h.add(invitation("Another", localDay(2).Add(9*time.Hour), simBob))
	if err := h.store.Request(h.ctx, h.auto.Name, store.CmdPollNow); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "poll now", func() bool { return len(h.active()) == 2 })
	if err := h.store.Request(h.ctx, h.auto.Name, store.CmdPause); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pause", func() bool {
		st, _ := h.store.Status(h.ctx, h.auto.Name)
		return st.Loop.State == store.LoopPaused
	})
	if err := h.store.Request(h.ctx, h.auto.Name, store.CmdResume); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "resume", func() bool {
		st, _ := h.store.Status(h.ctx, h.auto.Name)
		return st.Loop.State == store.LoopIdle
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	st, _ := h.store.Status(h.ctx, h.auto.Name)
	if st.Leased || st.Loop.State != store.LoopStopped {
		t.Fatalf("after Run returned: leased %v, state %s", st.Leased, st.Loop.State)
	}
}

func TestFeedNeverBlocks(t *testing.T) {
	f := NewFeed(2)
	for i := range 10 {
		f.publish(FeedEvent{Automation: "a", Activity: store.Activity{ID: int64(i)}})
	}
	if f.Dropped() != 8 {
		t.Fatalf("dropped %d, want 8", f.Dropped())
	}
	got := []int64{(<-f.Events()).Activity.ID, (<-f.Events()).Activity.ID}
	if got[0] != 8 || got[1] != 9 {
		t.Fatalf("kept %v, want the newest two [8 9]", got)
	}
	var nilFeed *Feed
	nilFeed.publish(FeedEvent{}) // must not panic
}

// waitFor polls cond for up to 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestEngineWindowRollsDaily(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Soon", localDay(2).Add(9*time.Hour), simAnn))
	h.add(invitation("Far", localDay(30).Add(9*time.Hour), simBob)) // just beyond today's window
	h.cycle()
	if got := h.active(); len(got) != 1 || len(got[simAnn.Address]) != 1 {
		t.Fatalf("visits on day one = %v, want Ann's only", got)
	}
	writes := h.idm.Writes()
	old := store.Activity{Automation: h.eng.Name(), At: time.Now().Add(-store.HistoryKept), Subject: "Long ago", Outcome: store.OutcomeSkipped}
	if err := h.store.Update(h.ctx, func(tx *store.Tx) error { _, err := tx.AddActivity(old); return err }); err != nil {
		t.Fatal(err)
	}
	h.eng.now = func() time.Time { return time.Now().Add(24 * time.Hour) }
	h.cycle()
	if !strings.Contains(h.logBuf.String(), "window moved to a new day") {
		t.Errorf("no fresh round for the new day:\n%s", h.logBuf)
	}
	if rows, err := h.store.Activity(h.ctx, store.ActivityQuery{Automation: h.eng.Name(), Filter: "Long ago"}); err != nil || len(rows) != 0 {
		t.Errorf("history older than %v was kept across the daily roll: %d rows, %v", store.HistoryKept, len(rows), err)
	}
	if rows, _ := h.store.Activity(h.ctx, store.ActivityQuery{Automation: h.eng.Name()}); len(rows) == 0 {
		t.Error("the daily roll deleted recent history too")
	}
	if got := h.active(); len(got) != 2 || len(got[simBob.Address]) != 1 {
		t.Fatalf("visits on day two = %v, want Bob's too", got)
	}
	if n := h.idm.Writes() - writes; n != 1 {
		t.Errorf("the new day's round made %d IDM writes, want 1 (Bob's visit)", n)
	}
}

func TestEngineDistributionListInvitation(t *testing.T) {
	h := newHarness(t)
	ev := invitation("Via a list", localDay(1).Add(9*time.Hour), simAnn)
	ev.Attendees = []graphtest.Attendee{simGuest("Visitors list", "visitors-list@contoso.com"), simAnn} // the mailbox is not listed
	h.add(ev)
	h.cycle()
	if got := h.active(); len(got) != 1 || len(got[simAnn.Address]) != 1 {
		t.Fatalf("visits = %v, want Ann's although the mailbox was invited through a list", got)
	}
}

func TestEngineCheckedInVisitIsKept(t *testing.T) {
	h := newHarness(t)
	id := h.add(invitation("Meeting", localDay(1).Add(9*time.Hour), simAnn))
	h.cycle()
	ref := h.active()[simAnn.Address][0].Ref
	if err := h.idm.MarkCheckedIn(ref); err != nil {
		t.Fatal(err)
	}
	if err := h.graph.CancelEvent(mailbox, id); err != nil {
		t.Fatal(err)
	}
	res, err := h.eng.RunOnce(h.ctx)
	if err != nil || !res.OK() || res.Drain.Kept != 1 || res.Drain.Failed != 0 {
		t.Fatalf("RunOnce = %+v, %v; want the cancellation kept back, and nothing failed", res, err)
	}
	if v, _ := h.idm.Visit(ref); v.Status != idm.StatusCheckedIn {
		t.Errorf("visit status %q, want still checked in", v.Status)
	}
	acts := h.activity()
	last := acts[len(acts)-1]
	if last.Outcome != store.OutcomeSkipped || !strings.Contains(last.Reason, "ann.guest@fabrikam.com has already checked in") {
		t.Fatalf("last activity = %+v", last)
	}
	if n, _ := h.store.RetryFailed(h.ctx, h.eng.Name()); n != 0 {
		t.Errorf("%d operations left for an operator to retry; a checked-in visit is nothing to retry", n)
	}
}

// A checked-in visitor's refused change holds up neither the other guests'
// visits nor the reply that lists them.
func TestEngineCheckedInVisitDoesNotHoldUpTheReply(t *testing.T) {
	h := newHarness(t)
	id := h.add(invitation("Meeting", localDay(1).Add(9*time.Hour), simAnn))
	h.cycle()
	ref := h.active()[simAnn.Address][0].Ref
	if err := h.idm.MarkCheckedIn(ref); err != nil {
		t.Fatal(err)
	}
	replies := len(h.graph.Replies())
	h.update(id, func(ev *graphtest.Event) {
		ev.Location = "Building B"
		ev.Attendees = append(ev.Attendees, simBob)
	})
	res, err := h.eng.RunOnce(h.ctx)
	if err != nil || !res.OK() || res.Drain.Kept != 1 {
		t.Fatalf("RunOnce = %+v, %v; want Ann's change kept back and the rest delivered", res, err)
	}
	if got := h.active(); len(got[simBob.Address]) != 1 {
		t.Errorf("visits = %v, want Bob's", got)
	}
	if got := h.graph.Replies(); len(got) != replies+1 || !strings.Contains(got[len(got)-1].Comment, simBob.Address) {
		t.Errorf("replies = %+v, want one more naming Bob", got)
	}
}

func TestEngineRepeatedFailuresBackOffAndLogOnce(t *testing.T) {
	h := newHarness(t)
	boom := errors.New("idm: GET /employees: connection refused")
	var waits []time.Duration
	for range 6 {
		before := time.Now()
		waits = append(waits, h.eng.settle(boom, DrainResult{}).Sub(before))
	}
	h.eng.settle(errors.New("something else"), DrainResult{})
	h.eng.settle(nil, DrainResult{})
	log := h.logBuf.String()
	if n := strings.Count(log, `msg="poll failed"`); n != 2 {
		t.Errorf("%d 'poll failed' records for 6 identical failures and a different one, want 2:\n%s", n, log)
	}
	if !strings.Contains(log, "recovered") {
		t.Errorf("no recovery logged:\n%s", log)
	}
	for i, w := range waits {
		if w <= 0 || w > h.auto.Interval+time.Second {
			t.Errorf("wait %d = %v, want within (0, interval]", i, w)
		}
	}
	if waits[5] <= waits[0] {
		t.Errorf("waits %v do not grow", waits)
	}
	if st := h.eng.Snapshot(); st.State != store.LoopIdle || st.LastError != "" {
		t.Errorf("after recovery: %+v", st)
	}
}
