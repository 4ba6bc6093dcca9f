package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"invitesync/sync/store"
)

// TestE2EKilledDuringRepliesRepliesOnce kills the service with SIGKILL at
// random moments while it replies to organizers — many times just after
// Graph took a reply and before the service recorded it — then lets a last
// run finish: every meeting gets exactly one reply.
func TestE2EKilledDuringRepliesRepliesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the binary over and over")
	}
	e := newE2E(t)
	const meetings = 120
	for i := range meetings {
		e.meeting(fmt.Sprintf("Visit %d", i), tomorrowAt(8).Add(time.Duration(i%10)*time.Hour).AddDate(0, 0, i/10),
			fmt.Sprintf("guest%d@fabrikam.com", i))
	}
	e.graph.SetLatency(20 * time.Millisecond) // replies trickle in, a few at a time
	state := filepath.Join(e.dir, "state", "state.db")

	kills, between := 0, 0
	for run := 0; kills < 24 && run < 60; run++ {
		before := len(e.graph.Replies())
		if before >= meetings {
			break
		}
		cmd, _, stderr := e.command(nil, "run")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		target := before + 1 + rand.IntN(3)
		deadline := time.Now().Add(60 * time.Second)
		for len(e.graph.Replies()) < target && time.Now().Before(deadline) {
			select {
			case <-exited:
				t.Fatalf("the service ended by itself:\n%s", stderr)
			default:
			}
			time.Sleep(50 * time.Microsecond)
		}
		time.Sleep(time.Duration(rand.IntN(1500)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		kills++
		between += killedBetween(t, state, e)
	}
	t.Logf("%d kills; after them, %d replies in all had reached Graph but were not recorded", kills, between)
	if kills < 20 {
		t.Fatalf("only %d kills during replies", kills)
	}
	e.graph.SetLatency(0)
	if code, out, errOut := e.run(nil, "run", "--once"); code != 0 {
		t.Fatalf("run --once after the kills: exit %d\n%s%s", code, out, errOut)
	}
	per := map[string]int{}
	for _, r := range e.graph.Replies() {
		per[r.EventID]++
	}
	if len(per) != meetings {
		t.Errorf("%d of %d meetings got a reply", len(per), meetings)
	}
	for id, n := range per {
		if n != 1 {
			t.Errorf("meeting %s got %d replies for one change", id, n)
		}
	}
	if between == 0 {
		t.Errorf("no kill fell between Graph taking a reply and its record; the test proved nothing")
	}
}

// killedBetween counts the replies a killed run left pending with their
// intent recorded although Graph had taken them.
func killedBetween(t *testing.T, state string, e *e2e) int {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ops, err := st.Due(ctx, "Reception", 1000)
	if err != nil {
		t.Fatal(err)
	}
	replied := map[string]bool{}
	for _, r := range e.graph.Replies() {
		replied[r.EventID] = true
	}
	n := 0
	for _, op := range ops {
		if op.Kind == store.OpReply && !op.Intent.IsZero() && replied[op.EventID] {
			n++
		}
	}
	return n
}
