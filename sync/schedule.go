package sync

import (
	"math"
	stdsync "sync"
	"time"

	"invitesync/sync/store"
)

// Polls are spread across their interval: each loop has a slot, a phase
// within its interval, and polls at the instants epoch + (phase + k) ×
// interval, each moved later by a random jitter of up to jitterShare of the
// interval. So the loops of one process do not poll together, those of two
// processes do not poll in lockstep, and a late poll does not push the
// following ones later.
const jitterShare = 0.05

// goldenPhase spaces the phases of loops started one after another: the
// first n of them, for any n, split the interval into gaps of at most three
// lengths, none longer than about 2.6/n of it.
var goldenPhase = (math.Sqrt(5) - 1) / 2

// slot is when a loop polls: see jitterShare.
type slot struct {
	epoch time.Time
	phase float64 // in [0, 1)
}

// nthSlot is the slot of the n-th loop (from 0) a supervisor started at epoch starts.
func nthSlot(epoch time.Time, n int) slot {
	_, frac := math.Modf(float64(n) * goldenPhase)
	return slot{epoch: epoch, phase: frac}
}

// next returns when to poll after a poll that ended at now: the slot's
// first instant at least half an interval after now, moved later by r (in
// [0, 1)) times the jitter.
func (s slot) next(now time.Time, interval time.Duration, r float64) time.Time {
	base := s.epoch.Add(time.Duration(s.phase * float64(interval)))
	k := time.Duration(0)
	if d := now.Add(interval / 2).Sub(base); d > 0 {
		k = (d + interval - 1) / interval
	}
	return base.Add(k*interval + time.Duration(r*jitterShare*float64(interval)))
}

// inbox holds the commands handed to one loop until it takes them.
type inbox struct {
	mu    stdsync.Mutex
	cmds  []store.Command
	ready chan struct{} // signalled when cmds is not empty
}

func newInbox() *inbox { return &inbox{ready: make(chan struct{}, 1)} }

// put adds cmds and wakes the loop; it never blocks.
func (b *inbox) put(cmds ...store.Command) {
	b.mu.Lock()
	b.cmds = append(b.cmds, cmds...)
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

// take returns the commands waiting, oldest first, and empties the inbox.
func (b *inbox) take() []store.Command {
	b.mu.Lock()
	defer b.mu.Unlock()
	cmds := b.cmds
	b.cmds = nil
	return cmds
}
