package sync

import stdsync "sync"

// handoffSize bounds the operations a handoff holds: about 0.7 KiB each.
const handoffSize = 16384

// handoff passes the operations a poll queued to the delivery that runs
// them, as planned, so that delivery need not decode what the poll has
// just encoded. It is a cache: an operation it does not hold (dropped when
// full, queued by an earlier process, or taken out of order) is decoded
// from the store, whose copy is the same.
type handoff struct {
	mu     stdsync.Mutex
	queued []queuedOp // ascending ids
}

// queuedOp is an operation with its outbox id.
type queuedOp struct {
	id int64
	op Op
}

// put adds operations just committed with ascending ids, all greater than
// those it holds; what does not fit is dropped.
func (h *handoff) put(ops ...queuedOp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := handoffSize - len(h.queued); len(ops) > n {
		ops = ops[:max(n, 0)]
	}
	h.queued = append(h.queued, ops...)
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
	clear(h.queued[:i]) // the backing array no longer holds them
	h.queued = h.queued[i:]
	return op
}
