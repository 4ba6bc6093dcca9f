package sync

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/sync/store"
)

// pendingReply polls, records the meeting's visit operations as delivered
// (IDM is not what these tests are about), and returns the reply left.
func (h *harness) pendingReply(id string) store.Op {
	h.t.Helper()
	if _, err := h.eng.Poll(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	ops, err := h.store.EventOps(h.ctx, h.auto.Name, id)
	if err != nil {
		h.t.Fatal(err)
	}
	var reply store.Op
	for _, op := range ops {
		switch {
		case op.State != store.OpPending:
		case op.Kind == store.OpReply:
			reply = op
		default:
			if err := h.store.MarkDone(h.ctx, op.ID, store.Result{Code: http.StatusCreated}); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	if reply.ID == 0 {
		h.t.Fatalf("no pending reply among %+v", ops)
	}
	return reply
}

// TestReplyAfterACrashIsSentOnce plays a run killed after it recorded a
// reply's intent: before or after Graph received the reply. The next run
// sends it only if Graph does not show the mailbox's answer, also when the
// meeting's last reply was of the same kind.
func TestReplyAfterACrashIsSentOnce(t *testing.T) {
	h := newHarness(t)
	id := h.add(invitation("Supplier visit", localDay(1).Add(9*time.Hour), simAnn))

	// Killed after the intent, before Graph heard of it: sent now.
	reply := h.pendingReply(id)
	if err := h.store.MarkIntent(h.ctx, reply.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := h.eng.Drain(h.ctx); err != nil || d.Done != 1 || len(h.graph.Replies()) != 1 {
		t.Fatalf("Drain = %+v, %v, %d replies; want the reply sent", d, err, len(h.graph.Replies()))
	}

	// A second guest: another accept. Killed after Graph took it, before
	// the record: the mailbox's answer is newer than the last reply, so
	// it is not sent again.
	time.Sleep(10 * time.Millisecond) // Graph's clock moves on between the two replies
	h.update(id, func(e *graphtest.Event) { e.Attendees = append(e.Attendees, simBob) })
	reply = h.pendingReply(id)
	if err := h.store.MarkIntent(h.ctx, reply.ID); err != nil {
		t.Fatal(err)
	}
	var r Reply
	mustReply(t, reply, &r)
	if err := h.eng.cal.Respond(h.ctx, r.EventID, r.Kind, r.Comment); err != nil {
		t.Fatal(err)
	}
	// (The organizer changes the meeting again before the next run; the
	// simulator dates the mailbox's answer from that change.)
	time.Sleep(10 * time.Millisecond)
	h.update(id, func(e *graphtest.Event) { e.Attendees = e.Attendees[:2] })
	d, err := h.eng.Drain(h.ctx)
	if err != nil || d.Done != 1 || len(h.graph.Replies()) != 2 {
		t.Fatalf("Drain = %+v, %v, %d replies; want the reply settled without a third", d, err, len(h.graph.Replies()))
	}
	if op := h.opByID(reply.ID); op.State != store.OpDone || op.Result.Code != http.StatusOK {
		t.Fatalf("reply = %+v, want done as already answered", op)
	}
	if !strings.Contains(h.logBuf.String(), "not sent again") {
		t.Errorf("the log does not say the reply was not sent again:\n%s", h.logBuf)
	}

	// Bob is gone: a third accept, killed before Graph heard of it. The
	// mailbox's answer is still "accepted", but from before the last reply
	// was recorded, so it is sent.
	reply = h.pendingReply(id)
	if err := h.store.MarkIntent(h.ctx, reply.ID); err != nil {
		t.Fatal(err)
	}
	if a, err := h.eng.cal.AnswerOf(h.ctx, id); err != nil || a.Response != graph.Responses[graph.Accept] || a.At.IsZero() {
		t.Fatalf("AnswerOf = %+v, %v; want accepted, with its time", a, err)
	}
	if d, err := h.eng.Drain(h.ctx); err != nil || d.Done != 1 || len(h.graph.Replies()) != 3 {
		t.Fatalf("Drain = %+v, %v, %d replies; want the third reply sent", d, err, len(h.graph.Replies()))
	}
}

func mustReply(t *testing.T, op store.Op, r *Reply) {
	t.Helper()
	var o Op
	if err := json.Unmarshal(op.Payload, &o); err != nil || o.Reply == nil {
		t.Fatalf("reply payload %s: %v", op.Payload, err)
	}
	*r = *o.Reply
}

// opByID reads one operation.
func (h *harness) opByID(id int64) store.Op {
	h.t.Helper()
	var op store.Op
	if err := h.store.View(h.ctx, func(tx *store.Tx) (err error) { op, err = tx.Op(id); return err }); err != nil {
		h.t.Fatal(err)
	}
	return op
}
