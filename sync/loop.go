package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"invitesync/graph"
	"invitesync/sync/store"
)

// Loop timing.
const (
	// LeaseTTL is how long a loop's lease lasts unless renewed; a killed
	// process blocks its automation for at most this long. A running loop
	// renews it every sixth of that, during a cycle too.
	LeaseTTL = 30 * time.Second
	// tick is how often a running loop looks for outbox work that became
	// due.
	tick = time.Second
	// OnceRetryWindow is how long after its first delivery pass RunOnce
	// keeps retrying operations that fall due.
	OnceRetryWindow = 20 * time.Second
	// dueReread is how long a loop trusts what it read of its outbox's next
	// due operation; a poll, a delivery or a command reads it again sooner.
	dueReread = 30 * time.Second
	// onceCutoff is how long a retry pass may still run once the window has
	// closed: one request's timeout.
	onceCutoff = 30 * time.Second
)

// What the loop's recurring troubles are called in the log (see repeats).
const (
	whatControl  = "cannot read the control queue"
	whatDelivery = "outbox delivery failed"
	whatStatus   = "cannot record the loop status"
	whatRenew    = "cannot renew the loop lease"
	whatDue      = "cannot read when outbox work is due"
)

// Run polls the automation until ctx ends: at once, then at its slot of
// every interval (see jitterShare), backing off after failures and waiting
// out Graph's throttling; between polls it delivers outbox work as it
// becomes due. It obeys the commands queued in the store (poll now, pause,
// resume, retry failed), by this process or another. It holds the
// automation's lease while it runs, renewing it during cycles too; it fails
// at once with store.ErrLeaseHeld when another loop holds it, or
// store.ErrMailboxWatched when another automation's loop watches the
// mailbox. It returns nil when ctx ends, and an error naming the new holder
// when the lease was lost. A Supervisor runs many such loops.
func (e *Engine) Run(ctx context.Context) error {
	s := NewSupervisor(ctx, e.store, e.log)
	s.quiet = true
	s.Start([]*Engine{e})
	return s.Wait()
}

// loop is Run as a supervisor runs it: commands arrive in in, and
// scheduled polls fall in at.
func (e *Engine) loop(ctx context.Context, in *inbox, at slot) error {
	if err := e.acquire(ctx); err != nil {
		return err
	}
	defer e.release()
	e.slot = at
	work, keeper := e.keepLease(ctx)
	e.logExpiry()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	due := time.NewTimer(time.Hour)
	defer due.Stop()
	next := e.now()
	for {
		if !e.isPaused() && !e.now().Before(next) {
			next = e.cycle(work)
		}
		if work.Err() != nil {
			return e.end(ctx, keeper)
		}
		if e.isPaused() {
			due.Stop()
		} else {
			due.Reset(next.Sub(e.now()))
		}
		select {
		case <-work.Done():
			return e.end(ctx, keeper)
		case <-due.C:
		case <-ticker.C:
			if !e.isPaused() {
				e.drainDue(work)
			}
		case <-in.ready:
			for _, cmd := range in.take() {
				if e.obey(work, cmd) {
					next = e.now()
				}
			}
		}
	}
}

// end stops the lease keeper and records that the loop stopped: because ctx
// ended (nil), or because the lease was lost (the error, which names who
// holds it now).
func (e *Engine) end(ctx context.Context, keeper *leaseKeeper) error {
	err := keeper.stop()
	if ctx.Err() != nil {
		err = nil
	}
	e.setState(store.LoopStopped, func(s *store.LoopStatus) {
		s.NextPoll = time.Time{}
		if err != nil {
			s.LastError = clean(err.Error())
		}
	})
	if err != nil {
		e.log.Error("loop stopped: it no longer holds its lease", "error", err)
	}
	return err
}

// obey carries out an operator command; it reports whether to poll now.
func (e *Engine) obey(ctx context.Context, cmd store.Command) bool {
	if cmd == store.CmdNudge {
		// A pause is a pause: only an operator's poll now polls a paused loop.
		return !e.isPaused()
	}
	e.log.Info("operator command", "command", string(cmd))
	e.dueRead = time.Time{}
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

// drainDue delivers outbox work that became due between polls. After a
// delivery pass that failed as a whole (the state database cannot be
// written, say), the next waits as a failed poll does, so that IDM is not
// sent the same operation every second.
func (e *Engine) drainDue(ctx context.Context) {
	if e.now().Before(e.drainHold) {
		return
	}
	if e.now().Sub(e.dueRead) >= dueReread {
		at, ok, err := e.store.NextDue(ctx, e.name)
		if err != nil {
			if ctx.Err() == nil {
				e.repeats.fail(e.log, slog.LevelWarn, whatDue, err)
			}
			return
		}
		e.repeats.ok(e.log, whatDue)
		e.dueAt, e.dueRead = at, e.now()
		if !ok {
			e.dueAt = time.Time{}
		}
	}
	if e.dueAt.IsZero() || e.dueAt.After(e.now()) {
		return
	}
	e.dueRead = time.Time{} // the drain changes what is due
	res, err := e.Drain(ctx)
	switch {
	case err == nil:
		e.drainFailures, e.drainHold = 0, time.Time{}
		e.repeats.ok(e.log, whatDelivery)
	case ctx.Err() == nil:
		e.drainFailures++
		interval := max(e.auto.Interval, time.Minute)
		wait, _ := Policy{Base: e.policy.Base, Max: interval}.Delay(Failure{Retryable: true}, e.drainFailures, rand.Float64())
		e.drainHold = e.now().Add(wait)
		e.repeats.fail(e.log, slog.LevelError, whatDelivery, err)
	}
	e.judge(res)
}

// judge moves an idle loop to failing when the operations it just
// delivered between polls all failed for good, and a failing one back to
// idle once one is delivered; a loop in error or throttled stays so.
func (e *Engine) judge(res DrainResult) {
	cur := e.Snapshot()
	if cur.State != store.LoopIdle && cur.State != store.LoopFailing {
		return
	}
	if state, msg := e.health(res); state != cur.State {
		e.setState(state, func(s *store.LoopStatus) { s.LastError = msg })
	}
}

// health is the state a successful poll leaves after deliveries res, with
// its error line: failing when operations ran and all failed for good, or
// when the loop was failing and nothing has been delivered since; idle
// otherwise.
func (e *Engine) health(res DrainResult) (store.LoopState, string) {
	delivered := res.Done + res.Kept
	switch cur := e.Snapshot(); {
	case res.Failed > 0 && delivered == 0:
		return store.LoopFailing, res.FirstFailure
	case delivered == 0 && cur.State == store.LoopFailing:
		return store.LoopFailing, cur.LastError
	}
	return store.LoopIdle, ""
}

// cycle polls once and delivers the outbox, records the result and returns
// when to poll next.
func (e *Engine) cycle(ctx context.Context) time.Time {
	start := e.now()
	e.setState(store.LoopPolling, func(s *store.LoopStatus) { s.LastPoll = start })
	_, res, pollErr, drainErr := e.pollAndDeliver(ctx)
	e.dueRead = time.Time{}
	if ctx.Err() != nil {
		return e.now()
	}
	return e.settle(errors.Join(pollErr, drainErr), res)
}

// settle records a cycle's result and returns when to poll next: the
// interval after a success; after a failure, Graph's Retry-After or an
// exponential backoff no longer than the interval. A failure is logged when
// it first happens or changes, not on every repeat. A cycle whose
// operations all failed for good leaves the loop failing (see judge).
func (e *Engine) settle(err error, res DrainResult) time.Time {
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
		next := e.slot.next(now, interval, rand.Float64())
		state, msg := e.health(res)
		e.setState(state, func(s *store.LoopStatus) {
			s.LastSuccess, s.NextPoll, s.ThrottledUntil, s.LastError = now, next, time.Time{}, msg
		})
		e.logExpiry()
		return next
	}
	failures++
	msg := clean(err.Error())
	state := store.LoopError
	var next time.Time
	if until, ok := throttledUntil(err); ok && until.After(now) {
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
		e.repeats.fail(e.log, slog.LevelWarn, whatStatus, err)
	} else {
		e.repeats.ok(e.log, whatStatus)
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

// OnceResult is what RunOnce did.
type OnceResult struct {
	Events int // events Graph reported
	Drain  DrainResult
	// Waiting is what is still pending when the run ends: retries due after
	// the window, replies waiting for them.
	Waiting store.Waiting
}

// OK reports whether everything was delivered and nothing failed.
func (r OnceResult) OK() bool { return r.Drain.Failed == 0 && r.Waiting.Pending == 0 }

// RunOnce is RunOnceWithin with OnceRetryWindow.
func (e *Engine) RunOnce(ctx context.Context) (OnceResult, error) {
	return e.RunOnceWithin(ctx, OnceRetryWindow)
}

// RunOnceWithin polls one full round and drains the outbox under the
// automation's lease, then ends within a bounded time: an operation that
// fails for good is final for the run; a retryable one is retried while it
// falls due within window of the first delivery pass, and a retry pass
// still running onceCutoff after the window is cut short (what it did not
// finish stays pending). The error is the poll's, the store's or the
// lease's; failed and pending operations are in the result.
func (e *Engine) RunOnceWithin(ctx context.Context, window time.Duration) (OnceResult, error) {
	var res OnceResult
	if err := e.acquire(ctx); err != nil {
		return res, err
	}
	defer e.release()
	work, keeper := e.keepLease(ctx)
	defer keeper.stop()
	e.logExpiry()
	start := e.now()
	e.setState(store.LoopPolling, func(s *store.LoopStatus) { s.LastPoll = start })
	n, d, pollErr, drainErr := e.pollAndDeliver(work)
	res.Events, res.Drain = n, d
	if err := e.retryWithin(work, window, &res.Drain); err != nil {
		drainErr = errors.Join(drainErr, err)
	}
	if ctx.Err() == nil && work.Err() != nil {
		// The lease was lost: another process runs the automation now.
		err := keeper.stop()
		e.setState(store.LoopStopped, func(s *store.LoopStatus) { s.NextPoll, s.LastError = time.Time{}, clean(err.Error()) })
		return res, err
	}
	if drainErr != nil {
		return res, errors.Join(pollErr, drainErr)
	}
	w, err := e.store.Waiting(ctx, e.name)
	if err != nil {
		return res, errors.Join(pollErr, err)
	}
	res.Waiting = w
	e.settle(pollErr, res.Drain)
	if e.Snapshot().State == store.LoopIdle {
		e.setState(store.LoopStopped, func(s *store.LoopStatus) { s.NextPoll = time.Time{} })
	} else {
		// Failing, in error or throttled: kept for status, with no next poll.
		e.setState(e.Snapshot().State, func(s *store.LoopStatus) { s.NextPoll = time.Time{} })
	}
	return res, pollErr
}

// retryWithin drains the outbox again each time a retry falls due, until
// nothing is due before window has passed; see RunOnceWithin.
func (e *Engine) retryWithin(ctx context.Context, window time.Duration, res *DrainResult) error {
	closes := e.now().Add(window)
	rctx, cancel := context.WithDeadline(ctx, closes.Add(onceCutoff))
	defer cancel()
	for {
		at, ok, err := e.store.NextDue(rctx, e.name)
		if err != nil || !ok || at.After(closes) {
			return cutShort(ctx, err)
		}
		if wait := at.Sub(e.now()); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-rctx.Done():
				t.Stop()
				return cutShort(ctx, rctx.Err())
			case <-t.C:
			}
		}
		d, err := e.Drain(rctx)
		res.add(d)
		if err != nil {
			return cutShort(ctx, err)
		}
	}
}

// cutShort drops err when only the retry window's deadline caused it, not
// the end of ctx.
func cutShort(ctx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}
