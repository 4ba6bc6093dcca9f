package sync

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"invitesync/graph"
	"invitesync/internal/text"
	"invitesync/sync/store"
)

// markIntents records, in one transaction and before any is sent, that the
// batch's replies are about to be sent (see store.Tx.MarkIntent).
func (e *Engine) markIntents(ctx context.Context, batch []store.Op) error {
	var ids []int64
	for _, op := range batch {
		if op.Kind == store.OpReply && op.Intent.IsZero() {
			ids = append(ids, op.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return e.store.MarkIntent(ctx, ids...)
}

// deliverReply answers the organizer: with the planned reply, or — when
// visit operations of the meeting queued before it failed for good — with
// a notice saying which visits could not be registered. When an earlier
// attempt recorded its intent (it may have reached Graph before a crash or
// a lost answer), Graph is asked first, and a reply the mailbox has already
// given is not sent again.
func (e *Engine) deliverReply(ctx context.Context, sop store.Op, planned Reply) (store.Result, error) {
	ops, err := e.store.EventOps(ctx, e.name, sop.EventID)
	if err != nil {
		return store.Result{}, err
	}
	r, isNotice := replyFor(sop, planned, ops)
	res := store.Result{Code: http.StatusAccepted, Status: string(r.Kind), Message: r.Comment, Notice: isNotice}
	if !sop.Intent.IsZero() {
		done, err := e.answered(ctx, sop, r.Kind, ops)
		if err != nil {
			return store.Result{}, err
		}
		if done {
			e.log.Info("the reply was sent before the last run ended; not sent again", "event", sop.EventID, "reply", string(r.Kind))
			res.Code = http.StatusOK
			return res, nil
		}
	}
	if err := e.cal.Respond(ctx, r.EventID, r.Kind, r.Comment); err != nil {
		return store.Result{}, err
	}
	return res, nil
}

// answered reports whether the mailbox has given kind for sop's meeting
// since its last reply before sop: its answer in Graph is kind and — when
// that last reply was of the same kind — was given after it was recorded.
func (e *Engine) answered(ctx context.Context, sop store.Op, kind ReplyKind, ops []store.Op) (bool, error) {
	a, err := e.cal.AnswerOf(ctx, sop.EventID)
	if err != nil || a.Response != graph.Responses[kind] {
		return false, err
	}
	var last *store.Op
	for i := range ops {
		if o := &ops[i]; o.ID < sop.ID && o.Kind == store.OpReply && o.State == store.OpDone {
			last = o
		}
	}
	if last == nil || last.Result.Status != string(kind) {
		return true, nil
	}
	return a.At.After(last.Updated), nil
}

// replyFor is the reply to send for sop among its meeting's operations:
// the planned one, or the notice of the visit operations queued before it
// that failed for good.
func replyFor(sop store.Op, planned Reply, ops []store.Op) (Reply, bool) {
	var failed []store.Op
	for _, o := range ops {
		if o.ID < sop.ID && o.Kind != store.OpReply && o.State == store.OpFailed {
			failed = append(failed, o)
		}
	}
	if len(failed) == 0 {
		return planned, false
	}
	return failureNotice(planned.EventID, failed), true
}

// maxNoticeReason bounds the reason a notice quotes.
const maxNoticeReason = 300

// failureNotice is the tentative answer that tells the organizer which
// visits of the meeting could not be registered (or cancelled) in Salto
// IDM, and why the first one failed.
func failureNotice(eventID string, failed []store.Op) Reply {
	var notPut, notCancelled []string
	for _, o := range failed {
		var op Op
		who := "a visitor"
		if json.Unmarshal(o.Payload, &op) == nil && op.Visit != nil {
			who = clean(op.Visit.VisitorEmail)
		}
		if o.Kind == store.OpDelete {
			notCancelled = appendOnce(notCancelled, who)
		} else {
			notPut = appendOnce(notPut, who)
		}
	}
	var b strings.Builder
	if len(notPut) > 0 {
		b.WriteString("Could not register in Salto IDM as visitors: " + strings.Join(notPut, ", ") + ". ")
	}
	if len(notCancelled) > 0 {
		b.WriteString("Could not cancel in Salto IDM the visits of: " + strings.Join(notCancelled, ", ") + ". ")
	}
	b.WriteString("Reason: " + strings.TrimRight(text.Clean(failed[0].LastError, maxNoticeReason), ".") + ". ")
	b.WriteString("An administrator has to fix this before the visits can be registered.")
	return Reply{EventID: eventID, Kind: ReplyTentative, Comment: b.String()}
}
