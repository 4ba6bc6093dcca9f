package sync

import "testing"

func TestHandoffGivesEachOperationOnceInOrder(t *testing.T) {
	h := handoff{budget: &handoffBudget{limit: 10}}
	op := func(ref string) Op { return Op{Kind: OpPut, Ref: ref} }
	h.put(queuedOp{1, op("r1")}, queuedOp{2, op("r2")}, queuedOp{4, op("r4")})
	if got := h.take(2); got == nil || got.Ref != "r2" {
		t.Fatalf("take(2) = %+v, want r2", got)
	}
	if got := h.take(1); got != nil {
		t.Errorf("take(1) after take(2) = %+v, want nil: passed over, so dropped", got)
	}
	if got := h.take(3); got != nil {
		t.Errorf("take(3) = %+v, want nil: never put", got)
	}
	if got := h.take(4); got == nil || got.Ref != "r4" {
		t.Errorf("take(4) = %+v, want r4", got)
	}
	if got := h.take(4); got != nil {
		t.Errorf("a second take(4) = %+v, want nil", got)
	}
	if len(h.queued) != 0 || h.budget.held.Load() != 0 {
		t.Errorf("%d operations still held, %d counted", len(h.queued), h.budget.held.Load())
	}
}

// TestHandoffsShareTheirBudget: what two handoffs hold together stays
// within their budget; room comes back as operations are taken and when a
// handoff is cleared.
func TestHandoffsShareTheirBudget(t *testing.T) {
	budget := &handoffBudget{limit: 3}
	a, b := handoff{budget: budget}, handoff{budget: budget}
	op := Op{Kind: OpPut, Ref: "r"}
	a.put(queuedOp{1, op}, queuedOp{2, op})
	b.put(queuedOp{3, op}, queuedOp{4, op})
	if len(a.queued) != 2 || len(b.queued) != 1 || budget.held.Load() != 3 {
		t.Fatalf("held %d and %d (%d counted), want 2 and the 1 that fits", len(a.queued), len(b.queued), budget.held.Load())
	}
	if b.take(3) == nil || b.take(4) != nil {
		t.Error("the operation that fitted should be held, and the one that did not dropped")
	}
	a.clear()
	if budget.held.Load() != 0 {
		t.Fatalf("%d counted after taking and clearing everything", budget.held.Load())
	}
	b.put(queuedOp{5, op}, queuedOp{6, op}, queuedOp{7, op})
	if len(b.queued) != 3 {
		t.Errorf("after the room came back, %d held, want 3", len(b.queued))
	}
}
