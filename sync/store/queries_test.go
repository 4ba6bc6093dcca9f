package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestCursorEventsVisitsAndReplies(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	round1 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	round2 := round1.Add(24 * time.Hour)
	want := Cursor{Link: "https://graph.test/delta?$skiptoken=2", WindowStart: round1,
		WindowEnd: round1.Add(30 * 24 * time.Hour), RoundStarted: round1}
	update(t, s, func(tx *Tx) error {
		for _, id := range []string{"e1", "e2"} {
			e := sampleEvent("a", id)
			e.Round = round1
			if err := tx.PutEvent(e); err != nil {
				return err
			}
		}
		if err := tx.PutVisit(sampleVisit("a", "e1", "ann@fabrikam.com")); err != nil {
			return err
		}
		if err := tx.PutVisit(sampleVisit("a", "e1", "bob@fabrikam.com")); err != nil {
			return err
		}
		if err := tx.SetReply("a", "e1", "accepted:ann,bob"); err != nil {
			return err
		}
		return tx.SetCursor("a", want)
	})

	// Round 2 reports only e1, with a new change key; the worker registers a visit.
	update(t, s, func(tx *Tx) error {
		e := sampleEvent("a", "e1")
		e.ChangeKey, e.Subject, e.Round = "ck2", "Moved visit", round2
		if err := tx.PutEvent(e); err != nil {
			return err
		}
		return tx.SetVisitState("a", "ref-e1-ann@fabrikam.com", VisitActive, "vis-1")
	})
	// Planning again leaves the IDM id alone.
	update(t, s, func(tx *Tx) error { return tx.PutVisit(sampleVisit("a", "e1", "ann@fabrikam.com")) })

	if err := s.View(ctx, func(tx *Tx) error {
		c, ok, err := tx.Cursor("a")
		want.Updated = c.Updated
		if err != nil || !ok || c != want || c.Updated.IsZero() {
			return fmt.Errorf("cursor = %+v %v %v, want %+v", c, ok, err, want)
		}
		e, ok, err := tx.Event("a", "e1")
		if err != nil || !ok || e.ChangeKey != "ck2" || e.Subject != "Moved visit" || !e.Round.Equal(round2) ||
			!e.Start.Equal(sampleEvent("a", "e1").Start) || e.FirstSeen.IsZero() {
			return fmt.Errorf("event = %+v %v %v", e, ok, err)
		}
		if _, ok, _ := tx.Event("a", "nope"); ok {
			return errors.New("unknown event found")
		}
		gone, err := tx.EventsNotSeenInRound("a", round2)
		if err != nil || len(gone) != 1 || gone[0].ID != "e2" {
			return fmt.Errorf("not seen in round 2 = %+v, %v", gone, err)
		}
		vs, err := tx.Visits("a", "e1")
		if err != nil || len(vs) != 2 {
			return fmt.Errorf("visits = %+v, %v", vs, err)
		}
		v, ok, err := tx.Visit("a", "ref-e1-ann@fabrikam.com")
		if err != nil || !ok || v.IDMID != "vis-1" || v.Status != VisitPending || v.HostID != "emp-7" {
			return fmt.Errorf("visit = %+v %v %v", v, ok, err)
		}
		if fp, err := tx.Reply("a", "e1"); err != nil || fp != "accepted:ann,bob" {
			return fmt.Errorf("reply = %q %v", fp, err)
		}
		if fp, err := tx.Reply("a", "e2"); err != nil || fp != "" {
			return fmt.Errorf("reply of e2 = %q %v", fp, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.SetVisitState("a", "nope", VisitActive, "") }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetVisitState of an unknown visit: %v", err)
	}
	update(t, s, func(tx *Tx) error { return tx.ClearCursor("a") })
	if err := s.View(ctx, func(tx *Tx) error {
		if _, ok, _ := tx.Cursor("a"); ok {
			return errors.New("cursor survived ClearCursor")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestActivityNewestFirstPagedAndFiltered(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	update(t, s, func(tx *Tx) error {
		for i := range 30 {
			a := Activity{Automation: "a", EventID: fmt.Sprint("e", i), Subject: fmt.Sprint("Meeting ", i),
				Host: "Hanna Host", Visitors: "ann@contoso.example", Outcome: OutcomeCreated}
			if i%10 == 0 {
				a.Subject, a.Visitors, a.Outcome, a.Reason = "Supplier visit – Fabrikam", "Ann Guest", OutcomeSkipped, "no visitors"
			}
			if _, err := tx.AddActivity(a); err != nil {
				return err
			}
		}
		_, err := tx.AddActivity(Activity{Automation: "b", Subject: "Fabrikam elsewhere", Outcome: OutcomeCreated})
		return err
	})

	rows, err := s.Activity(ctx, ActivityQuery{Automation: "a", Limit: 5, Offset: 2})
	if err != nil || len(rows) != 5 || rows[0].EventID != "e27" || rows[4].EventID != "e23" || rows[0].At.IsZero() {
		t.Fatalf("page = %+v, %v", rows, err)
	}
	rows, err = s.Activity(ctx, ActivityQuery{Automation: "a", Filter: "FABRIKAM"})
	if err != nil || len(rows) != 3 || rows[0].EventID != "e20" || rows[2].EventID != "e0" {
		t.Fatalf("filter FABRIKAM = %+v, %v", rows, err)
	}
	if rows, _ := s.Activity(ctx, ActivityQuery{Automation: "a", Filter: "skipped"}); len(rows) != 3 {
		t.Fatalf("filter on the outcome: %d rows", len(rows))
	}
	// A filter never matches across two fields.
	if rows, _ := s.Activity(ctx, ActivityQuery{Automation: "a", Filter: "Host ann"}); len(rows) != 0 {
		t.Fatalf("filter spanning host and visitors matched %d rows", len(rows))
	}
	// LIKE wildcards are plain text.
	if rows, _ := s.Activity(ctx, ActivityQuery{Automation: "a", Filter: "%"}); len(rows) != 0 {
		t.Fatalf("filter %% matched %d rows", len(rows))
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := openTemp(t, WithClock(clk.Now))
	if st, err := s.Status(ctx, "a"); err != nil || st.Loop.State != "" || st.Leased {
		t.Fatalf("status of an unknown automation = %+v, %v", st, err)
	}
	ls := LoopStatus{Automation: "a", State: LoopThrottled, LastPoll: clk.Now(), LastSuccess: clk.Now().Add(-time.Hour),
		NextPoll: clk.Now().Add(5 * time.Minute), ThrottledUntil: clk.Now().Add(time.Minute), LastError: "429 Too Many Requests"}
	if err := s.SetLoopStatus(ctx, ls); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx *Tx) error {
		for _, o := range []Outcome{OutcomeCreated, OutcomeCreated, OutcomeUpdated, OutcomeCancelled, OutcomeSkipped, OutcomeFailed, OutcomeFailed, OutcomeFailed} {
			if _, err := tx.AddActivity(Activity{Automation: "a", Outcome: o}); err != nil {
				return err
			}
		}
		_, err := tx.AddActivity(Activity{Automation: "b", Outcome: OutcomeCreated})
		return err
	})
	ids := enqueue(t, s, putOp("a", "e1", "r1"), putOp("a", "e1", "r2"), putOp("a", "e1", "r3"))
	if err := s.MarkFailed(ctx, ids[0], "403"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(ctx, "a", "run pid 7", time.Minute); err != nil {
		t.Fatal(err)
	}

	st, err := s.Status(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	ls.Updated = clk.Now()
	if st.Loop != ls {
		t.Errorf("loop = %+v, want %+v", st.Loop, ls)
	}
	if want := (Counts{Created: 2, Updated: 1, Cancelled: 1, Skipped: 1, Failed: 3}); st.Counts != want {
		t.Errorf("counts = %+v, want %+v", st.Counts, want)
	}
	if st.Pending != 2 || st.Failed != 1 || !st.Leased || st.Lease.Owner != "run pid 7" {
		t.Errorf("status = %+v", st)
	}
}

func TestEventDetails(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	var put int64
	update(t, s, func(tx *Tx) error {
		if err := tx.PutEvent(sampleEvent("a", "e1")); err != nil {
			return err
		}
		if err := tx.PutEvent(sampleEvent("a", "e2")); err != nil {
			return err
		}
		if err := tx.PutVisit(sampleVisit("a", "e1", "ann@fabrikam.com")); err != nil {
			return err
		}
		var err error
		if put, err = tx.Enqueue(putOp("a", "e1", "ref-e1-ann@fabrikam.com")); err != nil {
			return err
		}
		reply := Op{Automation: "a", Ref: "reply:e1", EventID: "e1", Kind: OpReply, Payload: []byte(`{"action":"accept"}`)}
		if _, err := tx.Enqueue(reply); err != nil {
			return err
		}
		if _, err := tx.Enqueue(putOp("a", "e2", "ref-e2")); err != nil {
			return err
		}
		if err := tx.SetReply("a", "e1", "fp1"); err != nil {
			return err
		}
		_, err = tx.AddActivity(Activity{Automation: "a", EventID: "e1", Outcome: OutcomeCreated, Reason: "1 visitor"})
		return err
	})
	if err := s.MarkDone(ctx, put, Result{Code: 201, VisitID: "vis-9", Status: "expected"}); err != nil {
		t.Fatal(err)
	}

	d, err := s.EventDetails(ctx, "a", "e1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Event.OrganizerEmail != "hanna.host@contoso.com" || len(d.Visits) != 1 || d.Reply != "fp1" ||
		len(d.Activity) != 1 || d.Activity[0].Reason != "1 visitor" {
		t.Fatalf("details = %+v", d)
	}
	if len(d.Ops) != 2 || d.Ops[0].Result.VisitID != "vis-9" || d.Ops[0].State != OpDone ||
		d.Ops[1].Kind != OpReply || string(d.Ops[1].Payload) != `{"action":"accept"}` {
		t.Fatalf("ops = %+v", d.Ops)
	}
	if _, err := s.EventDetails(ctx, "a", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown event: %v", err)
	}
}

func TestPruneKeepsWhatIsStillNeeded(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := openTemp(t, WithClock(clk.Now))
	old := sampleEvent("a", "old") // ended 2026-12-02 11:00
	pending := sampleEvent("a", "pending")
	future := sampleEvent("a", "future")
	future.Start, future.End = future.Start.AddDate(0, 1, 0), future.End.AddDate(0, 1, 0)
	var done int64
	update(t, s, func(tx *Tx) error {
		for _, e := range []Event{old, pending, future} {
			if err := tx.PutEvent(e); err != nil {
				return err
			}
		}
		if err := tx.PutVisit(sampleVisit("a", "old", "ann@fabrikam.com")); err != nil {
			return err
		}
		var err error
		if done, err = tx.Enqueue(putOp("a", "old", "ref-old")); err != nil {
			return err
		}
		if _, err = tx.Enqueue(putOp("a", "pending", "ref-pending")); err != nil {
			return err
		}
		_, err = tx.AddActivity(Activity{Automation: "a", EventID: "old", Outcome: OutcomeCreated})
		return err
	})
	if err := s.MarkDone(ctx, done, Result{Code: 201}); err != nil {
		t.Fatal(err)
	}
	clk.Add(10 * 24 * time.Hour)
	update(t, s, func(tx *Tx) error {
		_, err := tx.AddActivity(Activity{Automation: "a", EventID: "future", Outcome: OutcomeCreated})
		return err
	})
	if err := s.Prune(ctx, clk.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EventDetails(ctx, "a", "old"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ended event kept: %v", err)
	}
	if d, err := s.EventDetails(ctx, "a", "pending"); err != nil || len(d.Ops) != 1 {
		t.Errorf("event with a pending op: %+v, %v", d, err)
	}
	if _, err := s.EventDetails(ctx, "a", "future"); err != nil {
		t.Errorf("future event: %v", err)
	}
	if rows, _ := s.Activity(ctx, ActivityQuery{Automation: "a"}); len(rows) != 1 || rows[0].EventID != "future" {
		t.Errorf("activity after prune: %+v", rows)
	}
	if st, _ := s.Status(ctx, "a"); st.Counts.Created != 2 || st.Pending != 1 {
		t.Errorf("status after prune: %+v", st)
	}
	if err := s.View(ctx, func(tx *Tx) error {
		if _, ok, _ := tx.Visit("a", "ref-old-ann@fabrikam.com"); ok {
			return errors.New("the pruned event's visit is still there")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

func TestActivityCarriesTheMeetingStart(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	e := sampleEvent("a", "e1")
	update(t, s, func(tx *Tx) error {
		if err := tx.PutEvent(e); err != nil {
			return err
		}
		for _, id := range []string{"e1", "unknown"} {
			if _, err := tx.AddActivity(Activity{Automation: "a", EventID: id, Subject: id, Outcome: OutcomeCreated}); err != nil {
				return err
			}
		}
		return nil
	})
	rows, err := s.Activity(ctx, ActivityQuery{Automation: "a"})
	if err != nil || len(rows) != 2 {
		t.Fatalf("activity = %+v, %v", rows, err)
	}
	if !rows[0].MeetingStart.IsZero() {
		t.Errorf("an event never seen has start %v, want none", rows[0].MeetingStart)
	}
	if !rows[1].MeetingStart.Equal(e.Start) {
		t.Errorf("start = %v, want the event's %v", rows[1].MeetingStart, e.Start)
	}
}

func TestActivityFilterIgnoresCaseBeyondASCII(t *testing.T) {
	s := openTemp(t)
	update(t, s, func(tx *Tx) error {
		_, err := tx.AddActivity(Activity{Automation: "a", Subject: "Audit by MÜLLER & Søn", Outcome: OutcomeCreated})
		return err
	})
	for _, f := range []string{"müller", "SØN", "Müller"} {
		if rows, err := s.Activity(context.Background(), ActivityQuery{Automation: "a", Filter: f}); err != nil || len(rows) != 1 {
			t.Errorf("filter %q: %d rows, %v; want the one", f, len(rows), err)
		}
	}
}

func TestSeriesEventsAndRereads(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	update(t, s, func(tx *Tx) error {
		for _, e := range []Event{
			{ID: "m1", Type: "seriesMaster"},
			{ID: "o1", Type: "occurrence", SeriesID: "m1", Occurrence: "m1/2026-12-02"},
			{ID: "x1", Type: "exception", SeriesID: "m1", Occurrence: "m1/2026-12-09", Reread: true},
			{ID: "o2", Type: "occurrence", SeriesID: "m2", Occurrence: "m2/2026-12-02"},
			{ID: "s1", Type: "singleInstance", Reread: true},
		} {
			full := sampleEvent("a", e.ID)
			full.Type, full.SeriesID, full.Occurrence, full.Reread = e.Type, e.SeriesID, e.Occurrence, e.Reread
			if err := tx.PutEvent(full); err != nil {
				return err
			}
		}
		other := sampleEvent("b", "o3")
		other.SeriesID, other.Reread = "m1", true
		return tx.PutEvent(other)
	})
	ids := func(evs []Event) (out []string) {
		for _, e := range evs {
			out = append(out, e.ID)
		}
		return out
	}
	if err := s.View(ctx, func(tx *Tx) error {
		series, err := tx.SeriesEvents("a", "m1")
		if err != nil || fmt.Sprint(ids(series)) != "[o1 x1]" {
			return fmt.Errorf("SeriesEvents(m1) = %v, %v; want o1 and x1", ids(series), err)
		}
		if x := series[1]; x.Type != "exception" || x.Occurrence != "m1/2026-12-09" || !x.Reread {
			return fmt.Errorf("x1 read back as %+v", x)
		}
		if none, err := tx.SeriesEvents("a", ""); err != nil || len(none) != 0 {
			return fmt.Errorf("SeriesEvents of no series = %v, %v", ids(none), err)
		}
		again, err := tx.EventsToReread("a")
		if err != nil || fmt.Sprint(ids(again)) != "[s1 x1]" {
			return fmt.Errorf("EventsToReread = %v, %v; want s1 and x1", ids(again), err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A read that succeeds clears the mark.
	update(t, s, func(tx *Tx) error {
		e, _, err := tx.Event("a", "s1")
		if err != nil {
			return err
		}
		e.Reread = false
		return tx.PutEvent(e)
	})
	if err := s.View(ctx, func(tx *Tx) error {
		again, err := tx.EventsToReread("a")
		if err != nil || fmt.Sprint(ids(again)) != "[x1]" {
			return fmt.Errorf("EventsToReread after a good read = %v, %v; want x1", ids(again), err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
