package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	stdsync "sync"
	"sync/atomic"
	"time"

	"invitesync/idm"
	"invitesync/internal/readjson"
	"invitesync/internal/text"
	"invitesync/sync/store"
)

// DrainResult counts what one pass over the outbox did.
type DrainResult struct {
	Done     int // operations delivered
	Kept     int // changes IDM refused because the visitor has checked in
	Retrying int // retryable failures, scheduled again
	Failed   int // permanent failures, waiting for an operator
	// Notified counts replies that told organizers visits failed (see
	// failureNotice), in place of the planned ones; Done leaves them out.
	Notified int
	// FirstFailure is the reason of the first permanent failure.
	FirstFailure string
}

// add counts o's operations into r.
func (r *DrainResult) add(o DrainResult) {
	r.Done += o.Done
	r.Kept += o.Kept
	r.Retrying += o.Retrying
	r.Failed += o.Failed
	r.Notified += o.Notified
	if r.FirstFailure == "" {
		r.FirstFailure = o.FirstFailure
	}
}

// drainBatch is how many due operations a drain reads at a time; their
// answers are then recorded in one transaction.
const drainBatch = 1024

// DeliveryConcurrency is how many operations are in flight at once. Due
// hands out one operation per ref, so a batch never holds two operations
// of one visit.
const DeliveryConcurrency = 4

// PooledClient returns a copy of c (nil: http.DefaultClient) whose
// transport keeps enough idle connections for DeliveryConcurrency requests
// to one host, so the outbox reuses its TLS connections instead of opening
// new ones.
func PooledClient(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	own := *c
	base, ok := own.Transport.(*http.Transport)
	if own.Transport == nil {
		base, ok = http.DefaultTransport.(*http.Transport)
	}
	if ok {
		t := base.Clone()
		t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, 2*DeliveryConcurrency)
		own.Transport = t
	}
	return &own
}

// attempt is one operation's delivery, before it is recorded.
type attempt struct {
	sop    store.Op
	op     Op
	result store.Result
	err    error // nil: delivered
	retry  bool  // err is retryable: run again at next
	// kept: IDM keeps the visit as it is because the visitor has checked in
	// (409). Final for this change, and nothing an operator can retry.
	kept   bool
	next   time.Time
	reason string // why it failed, for the record
}

// Drain runs the automation's due outbox operations, oldest first and in
// order per visit, until none is due: a few at a time, each batch's answers
// recorded in one transaction while the next batch is delivered. A reply is
// due only once the visits of its meeting are settled (see store.Due); the
// intent of each reply is recorded before it is sent (see replyFor). When
// ctx ends it stops, recording what was delivered; the rest stays pending
// and runs again later (every visit operation is idempotent, so one
// delivered but not recorded is merely repeated).
func (e *Engine) Drain(ctx context.Context) (DrainResult, error) {
	var res DrainResult
	var recording chan error // the previous batch's record, when one runs
	var inFlight []int64
	wait := func() error {
		if recording == nil {
			return nil
		}
		err := <-recording
		recording, inFlight = nil, nil
		return err
	}
	// stop ends the drain with err once the record running has finished
	// adding to res.
	stop := func(err error) (DrainResult, error) {
		err = errors.Join(err, wait())
		return res, err
	}
	for {
		// Until its answers commit, the previous batch is still pending:
		// Due leaves it out. Due hands out the oldest operation of each
		// ref, so no later one of its refs comes.
		batch, err := e.store.Due(ctx, e.name, drainBatch, inFlight...)
		if err != nil {
			return stop(err)
		}
		if len(batch) == 0 {
			if recording == nil {
				return res, nil
			}
			if err := wait(); err != nil {
				return res, err
			}
			continue
		}
		if err := e.markIntents(ctx, batch); err != nil {
			return stop(err)
		}
		attempts := e.deliverBatch(ctx, batch)
		if err := wait(); err != nil {
			return res, err
		}
		inFlight = make([]int64, len(batch))
		for i, op := range batch {
			inFlight[i] = op.ID
		}
		recording = make(chan error, 1)
		go func(done chan<- error) { done <- e.record(attempts, &res) }(recording)
		if err := ctx.Err(); err != nil {
			return stop(err)
		}
	}
}

// deliverBatch attempts batch's operations in order, DeliveryConcurrency
// at a time, on as many workers: a goroutine's stack grows once per
// worker, not once per operation.
func (e *Engine) deliverBatch(ctx context.Context, batch []store.Op) []attempt {
	planned := make([]*Op, len(batch))
	for i, sop := range batch {
		planned[i] = e.handoff.take(sop.ID) // in order: see handoff.take
	}
	attempts := make([]attempt, len(batch))
	var next atomic.Int64
	var wg stdsync.WaitGroup
	for range min(DeliveryConcurrency, len(batch)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(batch); i = int(next.Add(1) - 1) {
				attempts[i] = e.attempt(ctx, batch[i], planned[i])
			}
		})
	}
	wg.Wait()
	return attempts
}

// attempt delivers one operation and judges the answer; it writes nothing.
// planned is the operation as the poll queued it (see handoff); nil: it is
// decoded from sop.
func (e *Engine) attempt(ctx context.Context, sop store.Op, planned *Op) attempt {
	a := attempt{sop: sop}
	if planned != nil {
		a.op = *planned
	} else if err := readjson.Unmarshal(sop.Payload, &a.op); err != nil || !a.op.valid() {
		a.err = fmt.Errorf("the stored operation is unreadable (%v)", err)
		a.reason = a.err.Error() + "; it cannot be delivered"
		return a
	}
	if err := ctx.Err(); err != nil {
		a.err, a.retry, a.next = err, true, sop.NextAttempt
		return a
	}
	if a.op.Kind == OpReply {
		a.result, a.err = e.deliverReply(ctx, sop, *a.op.Reply)
	} else {
		a.result, a.err = e.deliver(ctx, a.op)
	}
	if a.err == nil {
		return a
	}
	if ctx.Err() != nil {
		// Stopped: left pending as it was, to run again.
		a.retry, a.next = true, sop.NextAttempt
		return a
	}
	msg := clean(a.err.Error())
	if errors.Is(a.err, idm.ErrVisitInProgress) {
		a.kept, a.reason = true, failureReason(a.op, a.err, msg)
		return a
	}
	if wait, ok := e.policy.Delay(classify(a.err, e.now()), sop.Attempts+1, jitter()); ok {
		a.retry, a.next, a.reason = true, e.now().Add(wait), msg
		return a
	}
	a.reason = failureReason(a.op, a.err, msg)
	if a.op.Kind == OpPut && errors.Is(a.err, idm.ErrNotFound) {
		e.hosts.Forget(a.op.Visit.HostEmail) // host_not_found: the cached answer is stale
	}
	return a
}

// record writes a batch's answers in one transaction, then logs them.
func (e *Engine) record(attempts []attempt, res *DrainResult) error {
	var failures []store.Activity
	// The answers are recorded even when the run is stopping.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		failures = failures[:0]
		var done []store.Answer
		var settled []store.Settled
		for _, a := range attempts {
			switch {
			case a.err == nil:
				done = append(done, store.Answer{ID: a.sop.ID, Result: a.result})
				if a.op.Kind == OpPut {
					settled = append(settled, settledVisit(a.op, store.VisitActive, a.result.VisitID))
				}
			case a.kept:
				act, err := e.keepInTx(tx, a.sop, a.op, a.reason)
				if err != nil {
					return err
				}
				failures = append(failures, act)
			case a.retry && a.reason == "":
				// stopped before or during delivery: untouched
			case a.retry:
				if err := tx.MarkRetry(a.sop.ID, a.next, a.reason); err != nil {
					return err
				}
			default:
				act, err := e.failInTx(tx, a.sop, a.op, a.reason)
				if err != nil {
					return err
				}
				failures = append(failures, act)
			}
		}
		if err := tx.MarkAllDone(done...); err != nil {
			return err
		}
		return tx.SettleVisits(e.name, settled...)
	})
	if err != nil {
		return err
	}
	for _, a := range attempts {
		switch {
		case a.err == nil && a.result.Notice:
			res.Notified++
		case a.err == nil:
			res.Done++
		case a.kept:
			res.Kept++
		case a.retry && a.reason == "":
		case a.retry:
			res.Retrying++
			e.log.Warn("operation will be retried", "op", string(a.op.Kind), "ref", a.sop.Ref,
				"in", a.next.Sub(e.now()).Round(time.Second).String(), "error", a.reason)
		default:
			res.Failed++
			if res.FirstFailure == "" {
				res.FirstFailure = a.reason
			}
		}
	}
	for _, act := range failures {
		act.At = e.now()
		if act.Outcome == store.OutcomeSkipped {
			e.log.Warn("visit kept as it is", "event", act.EventID, "visitors", act.Visitors, "reason", act.Reason)
		} else {
			e.log.Error("operation failed", "event", act.EventID, "visitors", act.Visitors, "reason", act.Reason)
		}
		e.feed.publish(FeedEvent{Automation: e.name, At: act.At, Kind: FeedDecision, Activity: act})
	}
	return nil
}

// deliver sends one visit operation to IDM.
func (e *Engine) deliver(ctx context.Context, op Op) (store.Result, error) {
	switch op.Kind {
	case OpPut:
		env, err := e.environment(ctx)
		if err != nil {
			return store.Result{}, err
		}
		sv, created, err := e.dir.PutVisit(ctx, op.Ref, e.idmVisit(env, *op.Visit))
		if err != nil {
			return store.Result{}, err
		}
		code := http.StatusOK
		if created {
			code = http.StatusCreated
		}
		return store.Result{Code: code, VisitID: sv.ID, Status: sv.Status}, nil
	default:
		if err := e.dir.DeleteVisit(ctx, op.Ref); err != nil {
			return store.Result{}, err
		}
		return store.Result{Code: http.StatusNoContent, Status: idm.StatusCancelled}, nil
	}
}

// idmVisit is the PUT body for a planned visit.
func (e *Engine) idmVisit(env idmEnvironment, v PlannedVisit) idm.Visit {
	return idm.Visit{
		EnvironmentID:  env.id,
		HostEmployeeID: v.HostEmployeeID,
		Visitor:        idm.NewVisitor(v.VisitorName, v.VisitorEmail),
		Arrival:        v.Arrival.In(env.loc),
		Departure:      v.Departure.In(env.loc),
		Location:       v.Location,
		Subject:        v.Subject,
		Source:         &idm.Source{Kind: idm.SourceCalendar, Mailbox: e.rules.Mailbox, EventID: v.EventID, ICalUID: v.ICalUID},
	}
}

// settleVisit records a delivered put (active) or a failed one, unless a
// newer plan has changed the visit since the operation was queued.
func (e *Engine) settleVisit(tx *store.Tx, op Op, status store.VisitStatus, idmID string) error {
	if op.Kind != OpPut {
		return nil
	}
	return tx.SettleVisits(e.name, settledVisit(op, status, idmID))
}

// settledVisit is the answer to the put op for its visit.
func settledVisit(op Op, status store.VisitStatus, idmID string) store.Settled {
	hash := op.Visit.Hash
	if hash == "" {
		hash = op.Visit.BodyHash()
	}
	return store.Settled{Ref: op.Ref, BodyHash: hash, Status: status, IDMID: idmID}
}

// failInTx records a permanent failure in tx: on the operation, the visit,
// the event and in the activity log, which it returns.
func (e *Engine) failInTx(tx *store.Tx, sop store.Op, op Op, reason string) (store.Activity, error) {
	act := store.Activity{Automation: e.name, EventID: sop.EventID, Outcome: store.OutcomeFailed, Reason: reason}
	if err := tx.MarkFailed(sop.ID, reason); err != nil {
		return act, err
	}
	if op.valid() {
		if err := e.settleVisit(tx, op, store.VisitFailed, ""); err != nil {
			return act, err
		}
	}
	ev, ok, err := tx.Event(e.name, sop.EventID)
	if err != nil {
		return act, err
	}
	if ok {
		ev.Outcome, ev.Reason = store.OutcomeFailed, reason
		if err := tx.PutEvent(ev); err != nil {
			return act, err
		}
		act.Subject, act.Host = ev.Subject, ev.OrganizerEmail
	}
	if op.Visit != nil {
		act.Visitors = op.Visit.VisitorEmail
	}
	act.ID, err = tx.AddActivity(act)
	return act, err
}

// keepInTx records in tx a change IDM refused because the visitor has
// checked in: the operation is settled (IDM's 409 is its answer) and the
// activity log says why the visit stays as it is. Visits and replies that
// follow are not held up by it.
func (e *Engine) keepInTx(tx *store.Tx, sop store.Op, op Op, reason string) (store.Activity, error) {
	act := store.Activity{Automation: e.name, EventID: sop.EventID, Outcome: store.OutcomeSkipped, Reason: reason}
	if err := tx.MarkDone(sop.ID, store.Result{Code: http.StatusConflict, Status: idm.StatusCheckedIn, Message: reason}); err != nil {
		return act, err
	}
	if ev, ok, err := tx.Event(e.name, sop.EventID); err != nil {
		return act, err
	} else if ok {
		act.Subject, act.Host = ev.Subject, ev.OrganizerEmail
	}
	if op.Visit != nil {
		act.Visitors = op.Visit.VisitorEmail
	}
	var err error
	act.ID, err = tx.AddActivity(act)
	return act, err
}

// failureReason says in one line why an operation failed for good.
func failureReason(op Op, err error, msg string) string {
	visitor := "the visitor"
	if op.Visit != nil {
		visitor = text.Clean(op.Visit.VisitorEmail, 80)
	}
	switch {
	case errors.Is(err, idm.ErrVisitInProgress):
		return visitor + " has already checked in, so IDM keeps the visit as it is"
	case errors.Is(err, idm.ErrUnauthorized):
		return "IDM rejected the API key: update it (setup step 6), then retry the failed operations"
	case errors.Is(err, idm.ErrForbidden):
		return "the IDM API key lacks the right for this environment (setup step 6): " + msg
	case errors.Is(err, idm.ErrEnvironmentNotFound):
		return "the IDM environment was not found (setup step 6): " + msg
	}
	switch op.Kind {
	case OpPut:
		return "IDM refused the visit of " + visitor + ": " + msg
	case OpDelete:
		return "IDM refused to cancel the visit of " + visitor + ": " + msg
	}
	return "the reply to the organizer failed: " + msg
}

// valid reports whether a decoded operation can be delivered.
func (op Op) valid() bool {
	switch op.Kind {
	case OpPut, OpDelete:
		return op.Ref != "" && op.Visit != nil
	case OpReply:
		return op.Reply != nil && op.Reply.EventID != ""
	}
	return false
}
