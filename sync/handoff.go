package sync

import (
	stdsync "sync"
	"sync/atomic"
)

// handoff passes the operations a poll queued to the delivery that runs
// them, as planned, so that delivery need not decode what the poll has
// just encoded. It is a cache: an operation it does not hold (dropped for
// want of room, queued by an earlier process, or taken out of order) is
// decoded from the store, whose copy is the same.
type handoff struct {
	mu     stdsync.Mutex
	queued []queuedOp // ascending ids
	budget *handoffBudget
}

// handoffBudget bounds the operations several handoffs hold together.
type handoffBudget struct {
	limit int64
	held  atomic.Int64
}

// processHandoffs is the budget of the handoffs of one process: their
// operations take about 1 KiB each, so however many first rounds run at
// once they hold at most some 4 MiB.
var processHandoffs = &handoffBudget{limit: 4096}

// queuedOp is an operation with its outbox id.
type queuedOp struct {
	id int64
	op Op
}

func (h *handoff) budgeted() *handoffBudget {
	if h.budget == nil {
		h.budget = processHandoffs
	}
	return h.budget
}

// put adds operations just committed with ascending ids, all greater than
// those it holds; what the budget has no room for is dropped.
func (h *handoff) put(ops ...queuedOp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.budgeted()
	n := min(int64(len(ops)), b.limit-b.held.Load())
	if n <= 0 {
		return
	}
	b.held.Add(n)
	h.queued = append(h.queued, ops[:n]...)
}

// take returns the operation with id, or nil when it is not held.
// Operations are taken oldest first, so the older ones it passes over,
// which a later take will not ask for in turn, are dropped with it.
func (h *handoff) take(id int64) *Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := 0
	for i < len(h.queued) && h.queued[i].id < id {
		i++
	}
	var op *Op
	if i < len(h.queued) && h.queued[i].id == id {
		held := h.queued[i].op
		op = &held
		i++
	}
	h.drop(i)
	return op
}

// clear drops every operation held, giving their room back to the budget.
func (h *handoff) clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(len(h.queued))
}

// drop drops the n oldest operations held; h.mu is held.
func (h *handoff) drop(n int) {
	if n == 0 {
		return
	}
	clear(h.queued[:n]) // the backing array no longer holds them
	h.queued = h.queued[n:]
	h.budgeted().held.Add(-int64(n))
}
