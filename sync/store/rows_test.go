package store

import (
	"errors"
	"fmt"
	"testing"
)

// manyRows is more rows than one statement writes, and not a power of two,
// so that writes of it run in chunks of several sizes.
const manyRows = 3*maxRowsPerStatement + 7

func TestChunkSizes(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 63: 32, 64: 64, 65: 64, 1000: 64} {
		if got := chunkSize(n); got != want {
			t.Errorf("chunkSize(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestManyRowsAreWrittenInOrder: events, visits, operations and activity
// lines written many at a time are each stored, in order: of two events
// with one id or two visits with one ref the later wins, operations and
// lines get ids in the order given, and the outcomes are counted once per
// line.
func TestManyRowsAreWrittenInOrder(t *testing.T) {
	s := openTemp(t)
	var events []Event
	var eventIDs []string
	var visits []Visit
	var ops []Op
	var acts []Activity
	for i := range manyRows {
		id := fmt.Sprintf("event-%03d", i)
		events = append(events, sampleEvent("a", id))
		eventIDs = append(eventIDs, id)
		v := sampleVisit("a", id, "ann@fabrikam.com")
		visits = append(visits, v)
		ops = append(ops, putOp("a", id, v.Ref))
		outcome := OutcomeCreated
		if i%3 == 0 {
			outcome = OutcomeSkipped
		}
		acts = append(acts, Activity{Automation: "a", EventID: id, Outcome: outcome})
	}
	laterEvent := events[9]
	laterEvent.Subject = "Moved"
	events = append(events, laterEvent)
	later := visits[5]
	later.VisitorName, later.BodyHash = "Ann Later", "h2"
	visits = append(visits, later)

	var lastOp int64
	var ids []int64
	update(t, s, func(tx *Tx) error {
		if err := tx.PutEvents(events...); err != nil {
			return err
		}
		if err := tx.PutVisits(visits...); err != nil {
			return err
		}
		var err error
		if lastOp, err = tx.Enqueue(ops...); err != nil {
			return err
		}
		ids, err = tx.AddActivities(acts...)
		return err
	})

	update(t, s, func(tx *Tx) error {
		got, err := tx.Events("a", append(eventIDs, "unknown")...)
		if err != nil || len(got) != manyRows {
			t.Fatalf("Events = %d events, %v; want %d", len(got), err, manyRows)
		}
		for _, e := range got {
			want := "Supplier visit " + e.ID
			if e.ID == laterEvent.ID {
				want = laterEvent.Subject
			}
			if e.Subject != want || e.FirstSeen.IsZero() {
				t.Errorf("event %s: subject %q, first seen %v; want %q", e.ID, e.Subject, e.FirstSeen, want)
			}
		}
		for i, want := range visits[:manyRows] {
			if i == 5 {
				want = later
			}
			got, ok, err := tx.Visit("a", want.Ref)
			if err != nil || !ok || got.VisitorName != want.VisitorName || got.BodyHash != want.BodyHash {
				t.Errorf("visit %d = %+v, %v, %v; want name %q hash %q", i, got, ok, err, want.VisitorName, want.BodyHash)
			}
		}
		for i, want := range ops {
			got, err := tx.Op(lastOp - int64(manyRows-1-i))
			if err != nil || got.Ref != want.Ref || got.State != OpPending {
				t.Errorf("operation %d = %+v, %v; want the pending operation of %s", i, got, err, want.Ref)
			}
		}
		c, err := tx.counts("a")
		if err != nil {
			return err
		}
		if skipped := (manyRows + 2) / 3; c.Skipped != skipped || c.Created != manyRows-skipped {
			t.Errorf("counts = %+v, want %d created and %d skipped", c, manyRows-skipped, skipped)
		}
		return nil
	})
	acts, err := s.Activity(t.Context(), ActivityQuery{Automation: "a", Limit: 2 * manyRows})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]string{}
	for _, a := range acts {
		byID[a.ID] = a.EventID
	}
	if len(ids) != manyRows {
		t.Fatalf("%d activity ids, want %d", len(ids), manyRows)
	}
	for i, id := range ids {
		if want := fmt.Sprintf("event-%03d", i); byID[id] != want {
			t.Errorf("activity id %d is the line of %q, want %q", id, byID[id], want)
		}
	}
}

// TestManyAnswersAreRecorded: answers recorded many at a time mark each
// operation done with its own result and settle each visit; an answer for an
// operation that is not pending fails naming it, and nothing is recorded.
func TestManyAnswersAreRecorded(t *testing.T) {
	s := openTemp(t)
	var answers []Answer
	var settled []Settled
	update(t, s, func(tx *Tx) error {
		for i := range manyRows {
			id := fmt.Sprintf("event-%03d", i)
			if err := tx.PutEvent(sampleEvent("a", id)); err != nil {
				return err
			}
			v := sampleVisit("a", id, "ann@fabrikam.com")
			if err := tx.PutVisit(v); err != nil {
				return err
			}
			opID, err := tx.Enqueue(putOp("a", id, v.Ref))
			if err != nil {
				return err
			}
			answers = append(answers, Answer{ID: opID, Result: Result{Code: 201, VisitID: "vis-" + id, Status: "expected"}})
			hash := v.BodyHash
			if i == 7 {
				hash = "an older body" // changed since: this answer must not settle it
			}
			settled = append(settled, Settled{Ref: v.Ref, BodyHash: hash, Status: VisitActive, IDMID: "vis-" + id})
		}
		return nil
	})
	update(t, s, func(tx *Tx) error {
		if err := tx.MarkAllDone(answers...); err != nil {
			return err
		}
		return tx.SettleVisits("a", settled...)
	})
	update(t, s, func(tx *Tx) error {
		for i, a := range answers {
			op, err := tx.Op(a.ID)
			if err != nil || op.State != OpDone || op.Result.VisitID != a.Result.VisitID || op.Attempts != 1 {
				t.Errorf("operation %d = %+v, %v; want done with %s", i, op, err, a.Result.VisitID)
			}
			v, _, err := tx.Visit("a", settled[i].Ref)
			wantStatus, wantID := VisitActive, settled[i].IDMID
			if i == 7 {
				wantStatus, wantID = VisitPending, ""
			}
			if err != nil || v.Status != wantStatus || v.IDMID != wantID {
				t.Errorf("visit %d = %s %q, %v; want %s %q", i, v.Status, v.IDMID, err, wantStatus, wantID)
			}
		}
		return nil
	})

	// Once done, an operation is no longer pending: recording it again, with
	// others, fails naming it.
	err := s.Update(t.Context(), func(tx *Tx) error {
		return tx.MarkAllDone(answers[0], answers[1])
	})
	if !errors.Is(err, ErrNotFound) || err.Error() != fmt.Sprintf("%s: %v", pendingOp(answers[0].ID), ErrNotFound) {
		t.Errorf("recording done operations again: %v, want ErrNotFound naming operation %d", err, answers[0].ID)
	}
}
