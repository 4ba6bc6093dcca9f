package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// enqueue adds ops in one transaction and returns their ids.
func enqueue(t *testing.T, s *Store, ops ...Op) []int64 {
	t.Helper()
	var ids []int64
	update(t, s, func(tx *Tx) error {
		for _, op := range ops {
			id, err := tx.Enqueue(op)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids
}

// dueIDs lists the ids Due returns.
func dueIDs(t *testing.T, s *Store) []int64 {
	t.Helper()
	ops, err := s.Due(context.Background(), "a", 100)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	return ids
}

// opByID reads one operation.
func opByID(t *testing.T, s *Store, id int64) Op {
	t.Helper()
	var op Op
	if err := s.View(context.Background(), func(tx *Tx) (err error) { op, err = tx.Op(id); return err }); err != nil {
		t.Fatal(err)
	}
	return op
}

func TestOutboxRunsEachRefInOrder(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := openTemp(t, WithClock(clk.Now))
	del := putOp("a", "e1", "ref-A")
	del.Kind = OpDelete
	ids := enqueue(t, s,
		putOp("a", "e1", "ref-A"), // 1
		putOp("a", "e1", "ref-B"), // 2
		putOp("a", "e1", "ref-A"), // 3
		del,                       // 4: ref-A
		putOp("b", "e2", "ref-A"), // another automation: never due for "a"
	)
	a1, b2, a3, a4 := ids[0], ids[1], ids[2], ids[3]

	if got := dueIDs(t, s); !slices.Equal(got, []int64{a1, b2}) {
		t.Fatalf("due = %v, want the head of each ref %v", got, []int64{a1, b2})
	}
	if err := s.MarkDone(ctx, a1, Result{Code: 201, VisitID: "vis-1", Status: "expected"}); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, s); !slices.Equal(got, []int64{b2, a3}) {
		t.Fatalf("after the first is done: due = %v, want %v", got, []int64{b2, a3})
	}

	// A retry later blocks its ref until then; other refs go on.
	if err := s.MarkRetry(ctx, a3, clk.Now().Add(time.Minute), "503 unavailable"); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, s); !slices.Equal(got, []int64{b2}) {
		t.Fatalf("while ref-A waits: due = %v, want %v", got, []int64{b2})
	}
	if next, ok, err := s.NextDue(ctx, "a"); err != nil || !ok || !next.Equal(clk.Now()) {
		t.Fatalf("NextDue = %v %v %v, want now (ref-B)", next, ok, err)
	}
	if err := s.MarkDone(ctx, b2, Result{Code: 200}); err != nil {
		t.Fatal(err)
	}
	if next, ok, err := s.NextDue(ctx, "a"); err != nil || !ok || !next.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("NextDue = %v %v %v, want in a minute", next, ok, err)
	}
	clk.Add(time.Minute)
	if got := dueIDs(t, s); !slices.Equal(got, []int64{a3}) {
		t.Fatalf("after the wait: due = %v, want %v", got, []int64{a3})
	}
	if op := opByID(t, s, a3); op.Attempts != 1 || op.LastError != "503 unavailable" || op.State != OpPending {
		t.Fatalf("retried op: %+v", op)
	}

	// A permanent failure with a newer op for the ref is superseded; the newer one runs.
	if err := s.MarkFailed(ctx, a3, "422 validation_failed"); err != nil {
		t.Fatal(err)
	}
	if op := opByID(t, s, a3); op.State != OpSuperseded || op.LastError != "422 validation_failed" || op.Attempts != 2 {
		t.Fatalf("failed op with a newer one: %+v", op)
	}
	if got := dueIDs(t, s); !slices.Equal(got, []int64{a4}) {
		t.Fatalf("due = %v, want the delete %v", got, []int64{a4})
	}
	if err := s.MarkDone(ctx, a4, Result{Code: 204}); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, s); len(got) != 0 {
		t.Fatalf("nothing left, but due = %v", got)
	}
	if _, ok, err := s.NextDue(ctx, "a"); ok || err != nil {
		t.Fatalf("NextDue with nothing pending: %v %v", ok, err)
	}
	if op := opByID(t, s, a1); op.State != OpDone || op.Result != (Result{Code: 201, VisitID: "vis-1", Status: "expected"}) {
		t.Fatalf("done op: %+v", op)
	}
}

func TestFailedOpsAndOperatorRetry(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	ids := enqueue(t, s, putOp("a", "e1", "ref-A"), putOp("a", "e1", "ref-B"))
	for _, id := range ids {
		if err := s.MarkFailed(ctx, id, "403 forbidden"); err != nil {
			t.Fatal(err)
		}
	}
	if p, f, err := s.OutboxCounts(ctx, "a"); p != 0 || f != 2 || err != nil {
		t.Fatalf("counts = %d pending, %d failed, %v", p, f, err)
	}
	failed, err := s.FailedOps(ctx, "a", 10)
	if err != nil || len(failed) != 2 || failed[0].ID != ids[1] || failed[0].LastError != "403 forbidden" {
		t.Fatalf("FailedOps = %+v, %v", failed, err)
	}
	if got := dueIDs(t, s); len(got) != 0 {
		t.Fatalf("failed ops are due: %v", got)
	}

	// A newer op for ref-B makes its failure obsolete.
	newer := enqueue(t, s, putOp("a", "e1", "ref-B"))[0]
	if op := opByID(t, s, ids[1]); op.State != OpSuperseded {
		t.Fatalf("older failed op: %s, want superseded", op.State)
	}

	n, err := s.RetryFailed(ctx, "a")
	if err != nil || n != 1 {
		t.Fatalf("RetryFailed = %d, %v; want 1", n, err)
	}
	if op := opByID(t, s, ids[0]); op.State != OpPending || op.Attempts != 0 || op.LastError != "403 forbidden" {
		t.Fatalf("requeued op: %+v", op)
	}
	if got := dueIDs(t, s); !slices.Equal(got, []int64{ids[0], newer}) {
		t.Fatalf("due after retry = %v", got)
	}
	if p, f, _ := s.OutboxCounts(ctx, "a"); p != 2 || f != 0 {
		t.Fatalf("counts after retry = %d pending, %d failed", p, f)
	}
}

func TestMarkingAnOpThatIsNotPending(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	id := enqueue(t, s, putOp("a", "e1", "ref-A"))[0]
	if err := s.MarkDone(ctx, id, Result{Code: 200}); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"done twice":  s.MarkDone(ctx, id, Result{}),
		"retry done":  s.MarkRetry(ctx, id, time.Now(), "x"),
		"fail done":   s.MarkFailed(ctx, id, "x"),
		"unknown op":  s.MarkDone(ctx, 999, Result{}),
		"unknown op2": s.MarkFailed(ctx, 999, "x"),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if op := opByID(t, s, id); op.State != OpDone || op.Result.Code != 200 {
		t.Fatalf("op changed: %+v", op)
	}
}

// TestSettleVisitOnlyTheBodyItWrote: the answer to a write settles the
// visit while it still has the body written; a visit changed since, or
// cancelled, or gone, is left alone.
func TestSettleVisitOnlyTheBodyItWrote(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "state.db"))
	ev := sampleEvent("a", "e1")
	current, changed, cancelled := sampleVisit("a", "e1", "ann@x.example"), sampleVisit("a", "e1", "bob@x.example"), sampleVisit("a", "e1", "eve@x.example")
	changed.BodyHash = "h2"
	cancelled.Status = VisitCancelled
	update(t, s, func(tx *Tx) error {
		if err := tx.PutEvent(ev); err != nil {
			return err
		}
		for _, v := range []Visit{current, changed, cancelled} {
			if err := tx.PutVisit(v); err != nil {
				return err
			}
		}
		for _, v := range []Visit{current, changed, cancelled, sampleVisit("a", "e1", "gone@x.example")} {
			if err := tx.SettleVisit("a", v.Ref, "h1", VisitActive, "idm-"+v.VisitorEmail); err != nil {
				return err
			}
		}
		return nil
	})
	want := map[string]VisitStatus{current.Ref: VisitActive, changed.Ref: VisitPending, cancelled.Ref: VisitCancelled}
	if err := s.View(ctx, func(tx *Tx) error {
		for ref, status := range want {
			v, ok, err := tx.Visit("a", ref)
			if err != nil || !ok || v.Status != status || (status == VisitActive) != (v.IDMID != "") {
				t.Errorf("visit %s = %+v, %v, %v; want %s", ref, v, ok, err, status)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestOutboxReadsUseTheirStatesIndexes: the pending and the failed
// operations are read from their own partial indexes, not from a scan of
// every operation an automation ever queued.
func TestOutboxReadsUseTheirStatesIndexes(t *testing.T) {
	s := openTemp(t)
	for _, c := range []struct {
		name, query, index string
		args               []any
	}{
		{"Due", dueSQL, "outbox_pending", []any{"a", 0, "[]", 10}},
		{"OutboxCounts", outboxCountsSQL, "outbox_pending", []any{"a"}},
		{"OutboxCounts", outboxCountsSQL, "outbox_failed", []any{"a"}},
		{"FailedOps", failedOpsSQL, "outbox_failed", []any{"a", 10}},
		{"RetryFailed", supersedeAllSQL, "outbox_failed", []any{0, "a"}},
	} {
		plan := planOf(t, s, c.query, c.args...)
		if !strings.Contains(plan, "USING INDEX "+c.index) && !strings.Contains(plan, "USING COVERING INDEX "+c.index) {
			t.Errorf("%s does not read %s:\n%s", c.name, c.index, plan)
		}
		for _, step := range strings.Split(plan, "\n") {
			if step == "SCAN o" || step == "SCAN outbox" {
				t.Errorf("%s scans the outbox:\n%s", c.name, plan)
			}
		}
	}
}
