package sync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"invitesync/graph"
	"invitesync/sync/store"
)

// Loop timing.
const (
	// LeaseTTL is how long a loop's lease lasts unless renewed; a killed
	// process blocks its automation for at most this long.
	LeaseTTL = 30 * time.Second
	// tick is how often a running loop reads its control queue, renews its
	// lease and looks for outbox work that became due.
	tick = time.Second
	// onceRetryWindow is how long RunOnce waits for a retry that is due soon.
	onceRetryWindow = 20 * time.Second
)

// Run polls the automation until ctx ends: at once, then every interval
// (with a little jitter), backing off after failures and waiting out Graph's
// throttling; between polls it delivers outbox work as it becomes due. It
// obeys the commands queued in the store (poll now, pause, resume, retry
// failed), by this process or another. It holds the automation's lease while it
// runs and fails at once with store.ErrLeaseHeld when another loop holds it.
// It returns nil when ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.acquire(ctx); err != nil {
		return err
	}
	defer e.release()
	e.logExpiry()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	next := e.now()
	renew := e.now().Add(LeaseTTL / 3)
	for {
		if !e.isPaused() && !e.now().Before(next) {
			next = e.cycle(ctx)
		}
		if ctx.Err() != nil {
			e.stopped()
			return nil
		}
		var cmds []store.Command
		select {
		case <-ctx.Done():
			e.stopped()
			return nil
		case <-ticker.C:
			queued, err := e.store.Take(ctx, e.name)
			if err != nil && ctx.Err() == nil {
				e.log.Warn("cannot read the control queue", "error", err)
			}
			cmds = queued
			if !e.now().Before(renew) {
				if _, err := e.store.Renew(ctx, e.name, e.owner, LeaseTTL); err != nil {
					if errors.Is(err, store.ErrLeaseLost) {
						e.stopped()
						return err
					}
					if ctx.Err() == nil {
						e.log.Warn("cannot renew the loop lease", "error", err)
					}
				} else {
					renew = e.now().Add(LeaseTTL / 3)
				}
			}
			if !e.isPaused() {
				e.drainDue(ctx)
			}
		}
		for _, cmd := range cmds {
			if e.obey(ctx, cmd) {
				next = e.now()
			}
		}
	}
}

// obey carries out an operator command; it reports whether to poll now.
func (e *Engine) obey(ctx context.Context, cmd store.Command) bool {
	e.log.Info("operator command", "command", string(cmd))
	switch cmd {
	case store.CmdPollNow:
		if e.isPaused() {
			e.cycle(ctx) // one poll; the loop stays paused
			e.setState(store.LoopPaused, nil)
			return false
		}
		return true
	case store.CmdPause:
		e.statusMu.Lock()
		e.paused = true
		e.statusMu.Unlock()
		e.setState(store.LoopPaused, func(s *store.LoopStatus) { s.NextPoll = time.Time{} })
	case store.CmdResume:
		e.statusMu.Lock()
		was := e.paused
		e.paused = false
		e.statusMu.Unlock()
		return was
	case store.CmdRetryFailed:
		n, err := e.store.RetryFailed(ctx, e.name)
		if err != nil {
			e.log.Error("cannot requeue the failed operations", "error", err)
			return false
		}
		e.log.Info("failed operations requeued", "count", n)
		if !e.isPaused() {
			e.drainDue(ctx)
		}
	}
	return false
}

func (e *Engine) isPaused() bool {
	e.statusMu.Lock()
	defer e.statusMu.Unlock()
	return e.paused
}

// drainDue delivers outbox work that became due between polls.
func (e *Engine) drainDue(ctx context.Context) {
	at, ok, err := e.store.NextDue(ctx, e.name)
	if err != nil || !ok || at.After(e.now()) {
		return
	}
	if _, err := e.Drain(ctx); err != nil && ctx.Err() == nil {
		e.log.Error("outbox delivery failed", "error", err)
	}
}

// cycle polls once and delivers the outbox, records the result and returns
// when to poll next.
func (e *Engine) cycle(ctx context.Context) time.Time {
	start := e.now()
	e.setState(store.LoopPolling, func(s *store.LoopStatus) { s.LastPoll = start })
	_, _, pollErr, drainErr := e.pollAndDeliver(ctx)
	if ctx.Err() != nil {
		return e.now()
	}
	return e.settle(errors.Join(pollErr, drainErr))
}

// settle records a cycle's result and returns when to poll next: the
// interval after a success; after a failure, Graph's Retry-After or an
// exponential backoff no longer than the interval. A failure is logged when
// it first happens or changes, not on every repeat.
func (e *Engine) settle(err error) time.Time {
	now := e.now()
	interval := e.auto.Interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	e.statusMu.Lock()
	failures, lastErr := e.failures, e.lastErr
	e.statusMu.Unlock()
	if err == nil {
		if lastErr != "" {
			e.log.Info("recovered", "after_failures", failures)
		}
		e.statusMu.Lock()
		e.failures, e.lastErr = 0, ""
		e.statusMu.Unlock()
		next := now.Add(time.Duration(float64(interval) * (0.95 + 0.1*rand.Float64())))
		e.setState(store.LoopIdle, func(s *store.LoopStatus) {
			s.LastSuccess, s.NextPoll, s.ThrottledUntil, s.LastError = now, next, time.Time{}, ""
		})
		e.logExpiry()
		return next
	}
	failures++
	msg := clean(err.Error())
	state := store.LoopError
	var next time.Time
	if until, ok := ThrottledUntil(err); ok && until.After(now) {
		state, next = store.LoopThrottled, until
	} else {
		wait, _ := Policy{Base: e.policy.Base, Max: interval}.Delay(Failure{Retryable: true}, failures, rand.Float64())
		next = now.Add(wait)
	}
	key := failureKey(err, msg)
	if key != lastErr {
		e.log.Error("poll failed", "error", msg, "failures", failures, "next_poll", next.Format(time.RFC3339))
	} else {
		e.log.Debug("poll failed again", "failures", failures)
	}
	e.statusMu.Lock()
	e.failures, e.lastErr = failures, key
	e.statusMu.Unlock()
	e.setState(state, func(s *store.LoopStatus) {
		s.NextPoll, s.LastError = next, msg
		s.ThrottledUntil = time.Time{}
		if state == store.LoopThrottled {
			s.ThrottledUntil = next
		}
	})
	return next
}

// failureKey tells repeats of a failure apart from new ones for the log: the
// message, except that throttling is the same throttling whichever time its
// Retry-After names.
func failureKey(err error, msg string) string {
	var te *graph.ThrottledError
	if errors.As(err, &te) {
		return fmt.Sprintf("throttled: %d %s", te.Status, te.Code)
	}
	return msg
}

// setState changes the loop's status, stores it and publishes it.
func (e *Engine) setState(state store.LoopState, edit func(*store.LoopStatus)) {
	e.statusMu.Lock()
	e.status.State = state
	if edit != nil {
		edit(&e.status)
	}
	s := e.status
	e.statusMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.store.SetLoopStatus(ctx, s); err != nil {
		e.log.Warn("cannot record the loop status", "error", err)
	}
	e.feed.publish(FeedEvent{Automation: e.name, At: e.now(), Kind: FeedState, Status: s})
}

// Snapshot returns the loop's status as this process last set it.
func (e *Engine) Snapshot() store.LoopStatus {
	e.statusMu.Lock()
	defer e.statusMu.Unlock()
	return e.status
}

// stopped records that the loop ended.
func (e *Engine) stopped() {
	e.setState(store.LoopStopped, func(s *store.LoopStatus) { s.NextPoll = time.Time{} })
}

// acquire takes the automation's lease. A lease left by a process of this
// machine that no longer exists (killed before it could release it) is
// taken over at once rather than after it expires.
func (e *Engine) acquire(ctx context.Context) error {
	_, err := e.store.Acquire(ctx, e.name, e.owner, LeaseTTL)
	var held *store.LeaseHeldError
	if !errors.As(err, &held) || !staleOwner(held.Lease.Owner) {
		return err
	}
	e.log.Warn("taking over the lease of a process that no longer runs", "owner", held.Lease.Owner)
	if err := e.store.Release(ctx, e.name, held.Lease.Owner); err != nil {
		return err
	}
	_, err = e.store.Acquire(ctx, e.name, e.owner, LeaseTTL)
	return err
}

// release gives the lease back, even when the run's context has ended.
func (e *Engine) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.store.Release(ctx, e.name, e.owner); err != nil {
		e.log.Warn("cannot release the loop lease", "error", err)
	}
}

// OnceResult is what RunOnce did.
type OnceResult struct {
	Events  int // events Graph reported
	Drain   DrainResult
	Pending int // operations still waiting (for a retry further off)
}

// OK reports whether everything was delivered and nothing failed.
func (r OnceResult) OK() bool { return r.Drain.Failed == 0 && r.Pending == 0 }

// RunOnce polls one full round and drains the outbox, waiting for retries
// that are due within a few seconds, under the automation's lease. The
// error is the poll's (or the store's); failed and pending operations are
// in the result.
func (e *Engine) RunOnce(ctx context.Context) (OnceResult, error) {
	var res OnceResult
	if err := e.acquire(ctx); err != nil {
		return res, err
	}
	defer e.release()
	e.logExpiry()
	start := e.now()
	e.setState(store.LoopPolling, func(s *store.LoopStatus) { s.LastPoll = start })
	n, d, pollErr, drainErr := e.pollAndDeliver(ctx)
	res.Events, res.Drain = n, d
	if drainErr != nil {
		return res, errors.Join(pollErr, drainErr)
	}
	for ctx.Err() == nil {
		d, err := e.Drain(ctx)
		res.Drain.add(d)
		if err != nil {
			return res, errors.Join(pollErr, err)
		}
		at, ok, err := e.store.NextDue(ctx, e.name)
		if err != nil {
			return res, errors.Join(pollErr, err)
		}
		wait := at.Sub(e.now())
		if !ok || wait > onceRetryWindow {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(max(wait, 0)):
		}
	}
	pending, _, err := e.store.OutboxCounts(ctx, e.name)
	if err != nil {
		return res, errors.Join(pollErr, err)
	}
	res.Pending = pending
	e.settle(pollErr)
	e.setState(store.LoopStopped, func(s *store.LoopStatus) { s.NextPoll = time.Time{} })
	return res, pollErr
}
