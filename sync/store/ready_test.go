package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// replyOp returns a reply operation to the organizer of eventID.
func replyOp(automation, eventID string) Op {
	return Op{Automation: automation, Ref: eventID, EventID: eventID, Kind: OpReply,
		Payload: json.RawMessage(`{"reply":{"eventId":"` + eventID + `","kind":"accept"}}`)}
}

func TestReplyWaitsForPendingVisitsNotForFailedOnes(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := openTemp(t, WithClock(clk.Now))
	ids := enqueue(t, s, putOp("a", "e1", "ref-A"), putOp("a", "e1", "ref-B"), replyOp("a", "e1"), putOp("a", "e2", "ref-C"))
	a, b, reply, c := ids[0], ids[1], ids[2], ids[3]
	if got := dueIDs(t, s); !slices.Equal(got, []int64{a, b, c}) {
		t.Fatalf("due = %v, want the visits %v and not the reply", got, []int64{a, b, c})
	}
	// One visit retries in a minute: the reply is not due before it, so a
	// loop that waits for NextDue does not spin on it.
	if err := s.MarkDone(ctx, a, Result{Code: 201}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDone(ctx, c, Result{Code: 201}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRetry(ctx, b, clk.Now().Add(time.Minute), "503 unavailable"); err != nil {
		t.Fatal(err)
	}
	if got := dueIDs(t, s); len(got) != 0 {
		t.Fatalf("due = %v while a visit of the meeting waits for its retry, want none", got)
	}
	at, ok, err := s.NextDue(ctx, "a")
	if err != nil || !ok || !at.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("NextDue = %v, %v, %v; want the retry in a minute", at, ok, err)
	}
	if st, err := s.Status(ctx, "a"); err != nil || st.Pending != 2 || !st.NextAttempt.Equal(at) {
		t.Fatalf("Status = %d pending, next attempt %v, %v; want 2, %v", st.Pending, st.NextAttempt, err, at)
	}
	w, err := s.Waiting(ctx, "a")
	if err != nil || w.Pending != 2 || !w.Next.Equal(at) || w.LastError != "503 unavailable" {
		t.Fatalf("Waiting = %+v, %v; want 2 pending, next at %v for 503 unavailable", w, err, at)
	}
	// The visit fails for good: the reply is due at once, to be settled.
	clk.Add(time.Minute)
	update(t, s, func(tx *Tx) error { return tx.MarkFailed(b, "422 validation_failed") })
	if got := dueIDs(t, s); !slices.Equal(got, []int64{reply}) {
		t.Fatalf("due = %v after the visit failed, want the reply %d", got, reply)
	}
	pending, failed, err := s.OutboxCounts(ctx, "a")
	if err != nil || pending != 1 || failed != 1 {
		t.Fatalf("OutboxCounts = %d pending, %d failed, %v; want each operation counted once", pending, failed, err)
	}
}

func TestIntentNoticeAndOperatorRetry(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := openTemp(t, WithClock(clk.Now))
	ids := enqueue(t, s, putOp("a", "e1", "ref-A"), replyOp("a", "e1"))
	put, reply := ids[0], ids[1]
	if err := s.MarkIntent(ctx, put); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MarkIntent of a visit = %v, want ErrNotFound", err)
	}
	update(t, s, func(tx *Tx) error { return tx.MarkFailed(put, "422 validation_failed") })
	first := clk.Now()
	if err := s.MarkIntent(ctx, reply); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	if err := s.MarkIntent(ctx, reply); err != nil {
		t.Fatal(err)
	}
	if op := opByID(t, s, reply); !op.Intent.Equal(first) {
		t.Fatalf("intent = %v, want the first one %v", op.Intent, first)
	}
	if err := s.MarkDone(ctx, reply, Result{Code: 202, Status: "tentative", Message: "could not register", Notice: true}); err != nil {
		t.Fatal(err)
	}
	if op := opByID(t, s, reply); op.State != OpDone || !op.Result.Notice {
		t.Fatalf("reply = %+v, want done with the notice recorded", op)
	}

	// The operator retries: the visit runs again, and the planned reply
	// follows it, as new.
	if n, err := s.RetryFailed(ctx, "a"); err != nil || n != 1 {
		t.Fatalf("RetryFailed = %d, %v; want the one failed visit", n, err)
	}
	op := opByID(t, s, reply)
	if op.State != OpPending || !op.Intent.IsZero() || op.Result != (Result{}) {
		t.Fatalf("reply after RetryFailed = %+v, want pending again with no intent or result", op)
	}
	if got := dueIDs(t, s); !slices.Equal(got, []int64{put}) {
		t.Fatalf("due = %v, want the visit first", got)
	}

	// A notice followed by a newer reply to the meeting stays as it was.
	update(t, s, func(tx *Tx) error { return tx.MarkFailed(put, "422 again") })
	if err := s.MarkDone(ctx, reply, Result{Code: 202, Status: "tentative", Notice: true}); err != nil {
		t.Fatal(err)
	}
	newer := enqueue(t, s, replyOp("a", "e1"))[0]
	if err := s.MarkDone(ctx, newer, Result{Code: 202, Status: "accept"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RetryFailed(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if op := opByID(t, s, reply); op.State != OpDone {
		t.Fatalf("an old notice was requeued: %+v", op)
	}
}

func TestMailboxIsWatchedByOneAutomation(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	path := t.TempDir() + "/state.db"
	first, second := openAt(t, path, WithClock(clk.Now)), openAt(t, path, WithClock(clk.Now))
	if _, err := first.AcquireWatching(ctx, "Reception", "Visitors@Contoso.com", "pid 1 on a", time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err := second.AcquireWatching(ctx, "Front desk", " visitors@contoso.com", "pid 2 on b", time.Minute)
	var watched *MailboxWatchedError
	if !errors.As(err, &watched) || !errors.Is(err, ErrMailboxWatched) || errors.Is(err, ErrLeaseHeld) ||
		watched.Lease.Automation != "Reception" || watched.Lease.Owner != "pid 1 on a" {
		t.Fatalf("a second automation on the mailbox: %v, want ErrMailboxWatched naming Reception and pid 1", err)
	}
	for _, want := range []string{`automation "Reception"`, "pid 1 on a", "visitors@contoso.com"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if _, ok, _ := second.Lease(ctx, "Front desk"); ok {
		t.Fatal("the refused automation got a lease")
	}
	// Another mailbox is free; renewing keeps the mailbox.
	if _, err := second.AcquireWatching(ctx, "Front desk", "desk@contoso.com", "pid 2 on b", time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Add(50 * time.Second)
	if l, err := first.Renew(ctx, "Reception", "pid 1 on a", time.Minute); err != nil || l.Mailbox != "visitors@contoso.com" {
		t.Fatalf("Renew = %+v, %v; want the lease on its mailbox", l, err)
	}
	// Once the first lease has expired, the mailbox is free, and the first
	// loop's renewal says who took it.
	clk.Add(2 * time.Minute)
	if err := second.Release(ctx, "Front desk", "pid 2 on b"); err != nil {
		t.Fatal(err)
	}
	if _, err := second.AcquireWatching(ctx, "Front desk", "visitors@contoso.com", "pid 2 on b", time.Minute); err != nil {
		t.Fatalf("the mailbox of an expired lease: %v", err)
	}
	_, err = first.Renew(ctx, "Reception", "pid 1 on a", time.Minute)
	if !errors.Is(err, ErrLeaseLost) || !strings.Contains(err.Error(), `automation "Front desk", run by pid 2 on b`) {
		t.Fatalf("Renew after the mailbox was taken = %v, want ErrLeaseLost naming Front desk", err)
	}
}
