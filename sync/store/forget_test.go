package store

import (
	"context"
	"testing"
	"time"
)

// TestForgetDeletesOneAutomationOnly forgets one automation and finds none
// of its rows left in any table, and the other automation's all there.
func TestForgetDeletesOneAutomationOnly(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := openTemp(t, WithClock(c.Now))
	for _, a := range []string{"Front desk", "Warehouse"} {
		update(t, s, func(tx *Tx) error {
			if err := tx.PutEvent(sampleEvent(a, "e1")); err != nil {
				return err
			}
			if err := tx.PutVisit(sampleVisit(a, "e1", "ann@fabrikam.com")); err != nil {
				return err
			}
			if err := tx.SetReply(a, "e1", "accept:ann"); err != nil {
				return err
			}
			if err := tx.SetCursor(a, Cursor{Link: "https://graph/delta", Complete: true}); err != nil {
				return err
			}
			if _, err := tx.AddActivity(Activity{Automation: a, EventID: "e1", Outcome: OutcomeCreated}); err != nil {
				return err
			}
			_, err := tx.Enqueue(putOp(a, "e1", "ref-e1"))
			return err
		})
		if err := s.SetLoopStatus(ctx, LoopStatus{Automation: a, State: LoopIdle}); err != nil {
			t.Fatal(err)
		}
		if err := s.Request(ctx, a, CmdPollNow); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Acquire(ctx, a, "run pid 1", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if vs, err := s.FutureVisits(ctx, "Front desk", c.Now()); err != nil || len(vs) != 1 {
		t.Fatalf("FutureVisits: %+v, %v", vs, err)
	}
	if vs, err := s.FutureVisits(ctx, "Front desk", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(vs) != 0 {
		t.Errorf("FutureVisits after the visit ended: %+v, %v", vs, err)
	}
	if err := s.Forget(ctx, "Front desk"); err != nil {
		t.Fatal(err)
	}
	for _, table := range forgotten {
		for a, want := range map[string]bool{"Front desk": false, "Warehouse": true} {
			var n int
			if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE automation = ?`, a).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if (n > 0) != want {
				t.Errorf("%s holds %d rows of %q after forgetting Front desk", table, n, a)
			}
		}
	}
}
