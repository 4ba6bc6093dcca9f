package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"invitesync/idm"
	"invitesync/sync/store"
)

// DrainResult counts what one pass over the outbox did.
type DrainResult struct {
	Done     int // operations delivered
	Retrying int // retryable failures, scheduled again
	Failed   int // permanent failures, waiting for an operator
}

// Drain runs the automation's due outbox operations, oldest first and in
// order per visit, until none is due. A reply waits until the visits of its
// event are delivered (see eventBusy). It stops early, leaving work pending, when ctx ends.
func (e *Engine) Drain(ctx context.Context) (DrainResult, error) {
	var res DrainResult
	for {
		ops, err := e.store.Due(ctx, e.name, 100)
		if err != nil {
			return res, err
		}
		progressed := false
		for _, op := range ops {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			if op.Kind == store.OpReply {
				busy, err := e.eventBusy(ctx, op)
				if err != nil {
					return res, err
				}
				if busy {
					continue
				}
			}
			if err := e.run(ctx, op, &res); err != nil {
				return res, err
			}
			progressed = true
		}
		if !progressed {
			return res, nil
		}
	}
}

// eventBusy reports whether older visit operations of op's event are still
// pending, or failed and waiting for an operator: an accept says the visits
// are registered, so it waits until they are.
func (e *Engine) eventBusy(ctx context.Context, op store.Op) (bool, error) {
	d, err := e.store.EventDetails(ctx, e.name, op.EventID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, o := range d.Ops {
		if o.ID < op.ID && o.Kind != store.OpReply && (o.State == store.OpPending || o.State == store.OpFailed) {
			return true, nil
		}
	}
	return false, nil
}

// run delivers one operation and records the answer.
func (e *Engine) run(ctx context.Context, sop store.Op, res *DrainResult) error {
	var op Op
	if err := json.Unmarshal(sop.Payload, &op); err != nil || !op.valid() {
		res.Failed++
		return e.fail(ctx, sop, op, fmt.Sprintf("the stored operation is unreadable (%v); it cannot be delivered", err))
	}
	result, err := e.deliver(ctx, op)
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // stopped: the operation stays pending and runs again
	}
	if err == nil {
		res.Done++
		return e.store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.MarkDone(sop.ID, result); err != nil {
				return err
			}
			return e.settleVisit(tx, op, store.VisitActive, result.VisitID)
		})
	}
	f := Classify(err, e.now())
	msg := clean(err.Error())
	if wait, ok := e.policy.Delay(f, sop.Attempts+1, jitter()); ok {
		res.Retrying++
		e.noteRetry(op, msg, wait)
		return e.store.MarkRetry(ctx, sop.ID, e.now().Add(wait), msg)
	}
	res.Failed++
	if op.Kind == OpPut && errors.Is(err, idm.ErrNotFound) {
		if c, ok := e.hosts.(*idm.EmployeeCache); ok {
			c.Forget(op.Visit.HostEmail) // host_not_found: the cached answer is stale
		}
	}
	return e.fail(ctx, sop, op, failureReason(op, err, msg))
}

// deliver sends one operation to IDM or Graph.
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
	case OpDelete:
		if err := e.dir.DeleteVisit(ctx, op.Ref); err != nil {
			return store.Result{}, err
		}
		return store.Result{Code: http.StatusNoContent, Status: idm.StatusCancelled}, nil
	default:
		r := op.Reply
		if err := e.cal.Respond(ctx, r.EventID, r.Kind, r.Comment); err != nil {
			return store.Result{}, err
		}
		return store.Result{Code: http.StatusAccepted, Status: string(r.Kind), Message: r.Comment}, nil
	}
}

// idmVisit is the PUT body for a planned visit.
func (e *Engine) idmVisit(env string, v Visit) idm.Visit {
	return idm.Visit{
		EnvironmentID:  env,
		HostEmployeeID: v.HostEmployeeID,
		Visitor:        idm.NewVisitor(v.VisitorName, v.VisitorEmail),
		Arrival:        v.Arrival.In(e.rules.Location),
		Departure:      v.Departure.In(e.rules.Location),
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
	v, ok, err := tx.Visit(e.name, op.Ref)
	if err != nil || !ok || v.Status == store.VisitCancelled || v.BodyHash != op.Visit.Hash {
		return err
	}
	return tx.SetVisitState(e.name, op.Ref, status, idmID)
}

// fail records a permanent failure: on the operation, the visit, the event
// and in the activity log.
func (e *Engine) fail(ctx context.Context, sop store.Op, op Op, reason string) error {
	var logged store.Activity
	err := e.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.MarkFailed(sop.ID, reason); err != nil {
			return err
		}
		if op.valid() {
			if err := e.settleVisit(tx, op, store.VisitFailed, ""); err != nil {
				return err
			}
		}
		ev, ok, err := tx.Event(e.name, sop.EventID)
		if err != nil {
			return err
		}
		logged = store.Activity{Automation: e.name, EventID: sop.EventID, Outcome: store.OutcomeFailed, Reason: reason}
		if ok {
			ev.Outcome, ev.Reason = store.OutcomeFailed, reason
			if err := tx.PutEvent(ev); err != nil {
				return err
			}
			logged.Subject, logged.Host = ev.Subject, ev.OrganizerEmail
		}
		if op.Visit != nil {
			logged.Visitors = op.Visit.VisitorEmail
		}
		logged.ID, err = tx.AddActivity(logged)
		return err
	})
	if err != nil {
		return err
	}
	e.statusMu.Lock()
	e.failedOps++
	e.statusMu.Unlock()
	logged.At = e.now()
	e.log.Error("operation failed", "op", string(op.Kind), "ref", sop.Ref, "event", sop.EventID, "reason", reason)
	e.feed.publish(FeedEvent{Automation: e.name, At: logged.At, Kind: FeedDecision, Activity: logged})
	return nil
}

// noteRetry logs a retryable failure.
func (e *Engine) noteRetry(op Op, msg string, wait time.Duration) {
	e.log.Warn("operation will be retried", "op", string(op.Kind), "ref", op.Ref, "in", wait.Round(time.Second).String(), "error", msg)
}

// failureReason says in one line why an operation failed for good.
func failureReason(op Op, err error, msg string) string {
	visitor := "the visitor"
	if op.Visit != nil {
		visitor = op.Visit.VisitorEmail
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
