package sync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/sync/store"
)

// TestSlotsSpreadPolls: 200 loops started one after another at a 15 s
// interval poll spread over the whole interval, never in a bunch; a poll
// that ends late does not move the next one, and the jitter changes each
// loop's instant from one interval to the next within a twentieth of it.
func TestSlotsSpreadPolls(t *testing.T) {
	const n, interval = 200, 15 * time.Second
	epoch := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2)) // the jitter's draws, the same on every run
	var at []time.Duration
	for i := range n {
		next := nthSlot(epoch, i).next(epoch, interval, r.Float64())
		if next.Before(epoch.Add(interval/2)) || next.After(epoch.Add(3*interval/2+interval/20)) {
			t.Fatalf("loop %d polls at %v after the first poll, want within half an interval to one and a half", i, next.Sub(epoch))
		}
		at = append(at, next.Sub(epoch)%interval)
	}
	slices.Sort(at)
	// In every 1/20 of the interval some polls, and never a bunch: the
	// lockstep of loops started together would put all 200 in one.
	for b := range 20 {
		lo, hi := time.Duration(b)*interval/20, time.Duration(b+1)*interval/20
		in := 0
		for _, d := range at {
			if d >= lo && d < hi {
				in++
			}
		}
		if in < 3 || in > 18 {
			t.Errorf("%d of %d polls in [%v, %v) of the interval, want about 10", in, n, lo, hi)
		}
	}
	for i := range at[:n-9] {
		if at[i+9]-at[i] < interval/100 {
			t.Fatalf("10 polls within %v of each other: %v", at[i+9]-at[i], at[i:i+10])
		}
	}

	s := nthSlot(epoch, 7)
	onTime := s.next(epoch, interval, 0)
	if late := s.next(epoch.Add(interval/3), interval, 0); !late.Equal(onTime) {
		t.Errorf("a poll that ended a third of an interval late moved the next from %v to %v", onTime, late)
	}
	var offsets []time.Duration
	now := epoch
	for range 10 {
		next := s.next(now, interval, r.Float64())
		slot := onTime.Add(time.Duration(len(offsets)) * interval)
		if next.Before(slot) || next.Sub(slot) >= interval/20 {
			t.Fatalf("poll %d at %v, want within a twentieth of an interval after its slot %v", len(offsets), next, slot)
		}
		offsets = append(offsets, next.Sub(slot))
		now = next.Add(200 * time.Millisecond)
	}
	if slices.Min(offsets) == slices.Max(offsets) {
		t.Errorf("the jitter never changes: %v", offsets)
	}
}

// TestSupervisorSpreadsItsLoops starts 20 automations of one app in one
// supervisor: each polls at once, then each is scheduled in its own part of
// the interval, as the stored next polls show.
func TestSupervisorSpreadsItsLoops(t *testing.T) {
	const n = 20
	h := newHarness(t, func(a *config.Automation, _ *graph.Options) { a.Interval = time.Hour })
	ctx, cancel := context.WithCancel(h.ctx)
	sup := NewSupervisor(ctx, h.store, nil)
	engines := h.engines(n)
	if started := sup.Start(engines); started != n {
		t.Fatalf("started %d loops, want %d", started, n)
	}
	if again := sup.Start(engines[:1]); again != 0 {
		t.Errorf("a loop already running was started again")
	}
	var next []time.Time
	waitFor(t, "every first poll", func() bool {
		next = next[:0]
		for _, e := range engines {
			if s := e.Snapshot(); s.State == store.LoopIdle && !s.NextPoll.IsZero() {
				next = append(next, s.NextPoll)
			}
		}
		return len(next) == n
	})
	quarters := make([]int, 4)
	for _, at := range next {
		quarters[int(at.Sub(sup.epoch)%time.Hour/(15*time.Minute))]++
	}
	for q, in := range quarters {
		if in < 3 || in > 7 {
			t.Errorf("%d of %d loops poll next in quarter %d of the hour (%v), want about 5", in, n, q, quarters)
		}
	}
	for _, e := range engines {
		if !sup.RunsHere(e.Name()) {
			t.Errorf("%s does not run here", e.Name())
		}
	}
	cancel()
	if err := sup.Wait(); err != nil {
		t.Fatal(err)
	}
	if sup.RunsHere(engines[0].Name()) {
		t.Error("a stopped loop still runs here")
	}
}

// TestNudgeAndPollNowReachTheLoop: a loop with an hour to its next poll
// polls when nudged in this process and when another process asks through
// the state database; paused, it ignores nudges and polls only on an
// explicit poll now.
func TestNudgeAndPollNowReachTheLoop(t *testing.T) {
	h := newHarness(t, func(a *config.Automation, _ *graph.Options) { a.Interval = time.Hour })
	ctx, cancel := context.WithCancel(h.ctx)
	sup := NewSupervisor(ctx, h.store, nil)
	sup.Start([]*Engine{h.eng})
	waitFor(t, "the first poll", func() bool { return h.eng.Snapshot().State == store.LoopIdle && deltas(h) == 1 })

	h.add(invitation("Nudged", localDay(1).Add(9*time.Hour), simAnn))
	sup.Nudge(h.auto.Name)
	waitFor(t, "the nudged poll's visit", func() bool { return len(h.active()) == 1 })

	h.add(invitation("Asked", localDay(2).Add(9*time.Hour), simBob))
	if err := h.store.Request(h.ctx, h.auto.Name, store.CmdPollNow); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the poll asked for through the store", func() bool { return len(h.active()) == 2 })

	if err := h.store.Request(h.ctx, h.auto.Name, store.CmdPause); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the pause", func() bool { return h.eng.Snapshot().State == store.LoopPaused })
	before := deltas(h)
	h.add(invitation("While paused", localDay(3).Add(9*time.Hour), simGuest("Cleo Guest", "cleo@fabrikam.com")))
	sup.Nudge(h.auto.Name)
	if err := h.store.Request(h.ctx, h.auto.Name, store.CmdNudge); err != nil {
		t.Fatal(err)
	}
	// Commands are obeyed in order: once the poll now's visit is there, the
	// nudges before it have been seen, and ignored.
	if err := h.store.Request(h.ctx, h.auto.Name, store.CmdPollNow); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the explicit poll now, after which the loop is still paused", func() bool {
		return len(h.active()) == 3 && h.eng.Snapshot().State == store.LoopPaused
	})
	if n := deltas(h) - before; n != 1 {
		t.Errorf("%d polls while paused, want only the poll now's", n)
	}
	cancel()
	if err := sup.Wait(); err != nil {
		t.Fatal(err)
	}
}

// engines builds n engines of the harness's app, each with its own mailbox.
func (h *harness) engines(n int) []*Engine {
	first := h.auto
	defer func() { h.auto = first }()
	var out []*Engine
	for i := range n {
		m := fmt.Sprintf("desk%03d@contoso.com", i)
		h.graph.AddMailbox(m)
		h.auto.Name, h.auto.Mailbox = fmt.Sprintf("Desk %03d", i), m
		out = append(out, h.engine(h.graphOptions(), "test"))
	}
	return out
}

// deltas counts the delta requests the harness's mailbox was sent.
func deltas(h *harness) int {
	n := 0
	for _, r := range h.graph.GraphRequests() {
		if strings.Contains(r.Path, strings.ToLower(mailbox)) && strings.Contains(r.Path, "/delta") {
			n++
		}
	}
	return n
}

// TestRenewalsGoTogether: keepers that ask at about the same time have
// their leases renewed together, and one whose lease another process took
// hears that it was lost.
func TestRenewalsGoTogether(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	const ttl = 2400 * time.Millisecond
	for _, a := range []string{"a", "b", "c"} {
		if _, err := h.store.Acquire(h.ctx, a, "pid 1 on here", ttl); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.store.Release(h.ctx, "b", "pid 1 on here"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Acquire(h.ctx, "b", "pid 2 on there", time.Hour); err != nil {
		t.Fatal(err)
	}
	r := newRenewals(h.store)
	asked := time.Now()
	errs := make([]error, 3)
	var wg stdsync.WaitGroup
	for i, a := range []string{"a", "b", "c"} {
		wg.Go(func() { errs[i] = r.renew(h.ctx, a, "pid 1 on here", ttl) })
	}
	// All three are asked before the writer starts, so they form one batch.
	waitFor(t, "the three renewals asked", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.pending) == 3
	})
	var writer stdsync.WaitGroup
	writer.Go(func() { r.run(ctx) })
	wg.Wait()
	if errs[0] != nil || !errors.Is(errs[1], store.ErrLeaseLost) || errs[2] != nil {
		t.Fatalf("renewals = %v; want a and c renewed, b lost", errs)
	}
	for _, a := range []string{"a", "c"} {
		if l, ok, err := h.store.Lease(h.ctx, a); err != nil || !ok || l.Expires.Before(asked.Add(ttl)) {
			t.Errorf("lease %s = %+v, %v, %v; want renewed", a, l, ok, err)
		}
	}
	// One transaction stamps every lease it renews with the same time.
	la, _, _ := h.store.Lease(h.ctx, "a")
	lc, _, _ := h.store.Lease(h.ctx, "c")
	if !la.Expires.Equal(lc.Expires) {
		t.Errorf("a expires at %v, c at %v; want one renewal for both", la.Expires, lc.Expires)
	}
	cancel()
	writer.Wait()
}

// TestCommandsOfAStoppedLoopGoBack: commands handed to a loop that stopped
// before taking them return to the control queue, in order, for whichever
// loop runs the automation next.
func TestCommandsOfAStoppedLoopGoBack(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(h.ctx)
	sup := NewSupervisor(ctx, h.store, nil)
	cancel() // the supervisor has ended; putting back must still work
	sup.requeue(h.auto.Name, []store.Command{store.CmdPause, store.CmdRetryFailed})
	queued, err := h.store.TakeAll(h.ctx, []string{h.auto.Name})
	if err != nil {
		t.Fatal(err)
	}
	if got := queued[h.auto.Name]; !slices.Equal(got, []store.Command{store.CmdPause, store.CmdRetryFailed}) {
		t.Errorf("queued again = %v, want pause then retry-failed", got)
	}
	if err := sup.Wait(); err != nil {
		t.Fatal(err)
	}
}
