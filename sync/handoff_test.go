package sync

import "testing"

func TestHandoffGivesEachOperationOnceInOrder(t *testing.T) {
	var h handoff
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
	if len(h.queued) != 0 {
		t.Errorf("%d operations still held", len(h.queued))
	}
}

func TestHandoffDropsWhatDoesNotFit(t *testing.T) {
	var h handoff
	ops := make([]queuedOp, handoffSize+2)
	for i := range ops {
		ops[i] = queuedOp{int64(i + 1), Op{Kind: OpPut, Ref: "r"}}
	}
	h.put(ops[:2]...)
	h.put(ops[2:]...)
	if len(h.queued) != handoffSize {
		t.Fatalf("holds %d, want %d", len(h.queued), handoffSize)
	}
	if h.take(handoffSize) == nil || h.take(handoffSize+1) != nil {
		t.Errorf("the last that fits should be held, and the first that does not fit dropped")
	}
}
