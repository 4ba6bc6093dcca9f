package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	stdsync "sync"
	"testing"
	"time"
)

func TestLeaseIsExclusiveAcrossHandles(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	path := filepath.Join(t.TempDir(), "state.db")
	run := openAt(t, path, WithClock(clk.Now))
	dash := openAt(t, path, WithClock(clk.Now))

	l, err := run.Acquire(ctx, "a", "run pid 1", time.Minute)
	if err != nil || l.Owner != "run pid 1" || !l.Expires.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("first Acquire = %+v, %v", l, err)
	}
	_, err = dash.Acquire(ctx, "a", "dashboard pid 2", time.Minute)
	var held *LeaseHeldError
	if !errors.Is(err, ErrLeaseHeld) || !errors.As(err, &held) || held.Lease.Owner != "run pid 1" {
		t.Fatalf("second Acquire = %v, want held by run pid 1", err)
	}
	if _, err := dash.Acquire(ctx, "b", "dashboard pid 2", time.Minute); err != nil {
		t.Fatalf("another automation's lease: %v", err)
	}
	if got, ok, err := dash.Lease(ctx, "a"); err != nil || !ok || got.Owner != "run pid 1" {
		t.Fatalf("Lease seen by the other handle = %+v %v %v", got, ok, err)
	}

	clk.Add(40 * time.Second)
	if l, err := run.Renew(ctx, "a", "run pid 1", time.Minute); err != nil || !l.Expires.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("Renew = %+v, %v", l, err)
	}
	if _, err := dash.Renew(ctx, "a", "dashboard pid 2", time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("Renew of someone else's lease = %v, want ErrLeaseLost", err)
	}

	// The holder stops renewing (killed): after the TTL another may take it.
	clk.Add(61 * time.Second)
	if _, ok, _ := dash.Lease(ctx, "a"); ok {
		t.Fatal("an expired lease is reported live")
	}
	if _, err := dash.Acquire(ctx, "a", "run pid 3", time.Minute); err != nil {
		t.Fatalf("Acquire after expiry: %v", err)
	}
	if _, err := run.Renew(ctx, "a", "run pid 1", time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("Renew after losing the lease = %v, want ErrLeaseLost", err)
	}
	if err := run.Release(ctx, "a", "run pid 1"); err != nil { // not the holder: nothing happens
		t.Fatal(err)
	}
	if got, ok, _ := run.Lease(ctx, "a"); !ok || got.Owner != "run pid 3" {
		t.Fatalf("a non-holder's Release removed the lease: %+v %v", got, ok)
	}
	if err := dash.Release(ctx, "a", "run pid 3"); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Acquire(ctx, "a", "run pid 1", time.Minute); err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	if _, err := run.Acquire(ctx, "a", "x", 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("zero TTL: %v", err)
	}
}

// TestRenewAllRenewsEachLeaseOrSaysItWasLost: one transaction renews the
// owner's leases, and answers ErrLeaseLost for one another process took.
func TestRenewAllRenewsEachLeaseOrSaysItWasLost(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	path := filepath.Join(t.TempDir(), "state.db")
	run := openAt(t, path, WithClock(clk.Now))
	other := openAt(t, path, WithClock(clk.Now))
	for _, a := range []string{"a", "b", "c"} {
		if _, err := run.AcquireWatching(ctx, a, a+"@contoso.com", "run pid 1", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(2 * time.Minute) // all expired; another process takes b
	if _, err := other.Acquire(ctx, "b", "run pid 2", time.Minute); err != nil {
		t.Fatal(err)
	}
	errs, err := run.RenewAll(ctx, []string{"a", "b", "c"}, "run pid 1", time.Minute)
	if err != nil || len(errs) != 3 || errs[0] != nil || !errors.Is(errs[1], ErrLeaseLost) || errs[2] != nil {
		t.Fatalf("RenewAll = %v, %v; want a and c renewed, b lost", errs, err)
	}
	for _, a := range []string{"a", "c"} {
		l, ok, err := other.Lease(ctx, a)
		if err != nil || !ok || l.Owner != "run pid 1" || l.Mailbox != a+"@contoso.com" || !l.Expires.Equal(clk.Now().Add(time.Minute)) {
			t.Errorf("lease %s after RenewAll = %+v, %v, %v; want renewed with its mailbox", a, l, ok, err)
		}
	}
}

func TestLeaseRaceHasOneWinner(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	stores := []*Store{openAt(t, path), openAt(t, path), openAt(t, path)}
	var (
		wg      stdsync.WaitGroup
		mu      stdsync.Mutex
		winners []string
	)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprint("owner ", i)
			_, err := stores[i%len(stores)].Acquire(ctx, "a", owner, time.Minute)
			switch {
			case err == nil:
				mu.Lock()
				winners = append(winners, owner)
				mu.Unlock()
			case !errors.Is(err, ErrLeaseHeld):
				t.Errorf("%s: %v", owner, err)
			}
		}()
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
}

func TestControlQueue(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	dash := openAt(t, path)
	run := openAt(t, path)

	if cmds, err := run.Take(ctx, "a"); err != nil || len(cmds) != 0 {
		t.Fatalf("empty queue: %v %v", cmds, err)
	}
	for _, c := range []Command{CmdPause, CmdPollNow, CmdRetryFailed, CmdResume} {
		if err := dash.Request(ctx, "a", c); err != nil {
			t.Fatal(err)
		}
	}
	if err := dash.Request(ctx, "b", CmdPollNow); err != nil {
		t.Fatal(err)
	}
	var ie *InvalidError
	if err := dash.Request(ctx, "a", "reboot"); !errors.As(err, &ie) || ie.Field != "command" {
		t.Fatalf("unknown command: %v", err)
	}

	cmds, err := run.Take(ctx, "a")
	if want := []Command{CmdPause, CmdPollNow, CmdRetryFailed, CmdResume}; err != nil || !slices.Equal(cmds, want) {
		t.Fatalf("Take = %v, %v; want %v", cmds, err, want)
	}
	if cmds, err := run.Take(ctx, "a"); err != nil || len(cmds) != 0 {
		t.Fatalf("Take consumed nothing: %v %v", cmds, err)
	}
	if cmds, err := dash.Take(ctx, "b"); err != nil || !slices.Equal(cmds, []Command{CmdPollNow}) {
		t.Fatalf("other automation's queue: %v %v", cmds, err)
	}

	// TakeAll takes the queues of the automations named, and only theirs.
	for _, q := range []struct {
		automation string
		cmd        Command
	}{{"a", CmdPause}, {"c", CmdNudge}, {"b", CmdPollNow}, {"a", CmdResume}} {
		if err := dash.Request(ctx, q.automation, q.cmd); err != nil {
			t.Fatal(err)
		}
	}
	all, err := run.TakeAll(ctx, []string{"a", "b", "z"})
	if err != nil || len(all) != 2 || !slices.Equal(all["a"], []Command{CmdPause, CmdResume}) || !slices.Equal(all["b"], []Command{CmdPollNow}) {
		t.Fatalf("TakeAll = %v, %v; want a's two commands and b's one", all, err)
	}
	if cmds, err := run.Take(ctx, "c"); err != nil || !slices.Equal(cmds, []Command{CmdNudge}) {
		t.Fatalf("TakeAll took another automation's command: c has %v, %v", cmds, err)
	}
}

func TestChangeMarker(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path)
	other := openAt(t, path)
	marker := func() int64 {
		t.Helper()
		m, err := s.ChangeMarker(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m0 := marker()
	if _, err := s.Activity(ctx, ActivityQuery{Automation: "a"}); err != nil {
		t.Fatal(err)
	}
	if m := marker(); m != m0 {
		t.Fatalf("a read moved the marker: %d → %d", m0, m)
	}
	update(t, other, func(tx *Tx) error {
		_, err := tx.AddActivity(Activity{Automation: "a", Outcome: OutcomeCreated})
		return err
	})
	m1 := marker()
	if m1 == m0 {
		t.Fatal("a commit by another handle did not move the marker")
	}
	update(t, s, func(tx *Tx) error { return tx.SetLoopStatus(LoopStatus{Automation: "a", State: LoopIdle}) })
	if m := marker(); m == m1 {
		t.Fatal("a commit by the same handle did not move the marker")
	}
}
