package tui

import (
	"strings"
	stdsync "sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/sync/store"
)

func TestDashboardWatchOnlySendsNothing(t *testing.T) {
	src := weekSource() // a service runs the loop
	d := newTestDashboard(t, src, func(o *DashboardOptions) {
		o.Watch = true
		o.StartLoops = func() error { t.Error("a watch-only dashboard started loops"); return nil }
	})
	tm := startDashboard(t, d, 120, 30)
	waitFor(t, tm, "● watch only", "attached to run 4242@frontdesk", "Audit with Northwind")

	for _, k := range []string{"p", " ", "r", "S", "w"} {
		tm.Send(keyRunes(k))
	}
	waitFor(t, tm, "watch only: nothing was sent (started with --watch)")
	// Even a command that reaches the Source is refused there.
	if err := d.src.Request(t.Context(), "reception", store.CmdPollNow); err != errWatchOnly {
		t.Errorf("the watch-only source answered %v to a command", err)
	}
	view := finalView(t, tm)
	if got := src.commands(); len(got) != 0 {
		t.Errorf("a watch-only dashboard sent %v", got)
	}
	for _, hidden := range []string{"p poll now", "space pause", "r retry", "Run the loops"} {
		if strings.Contains(view, hidden) {
			t.Errorf("a watch-only dashboard offers %q:\n%s", hidden, view)
		}
	}
	if !strings.Contains(view, "● watch only") {
		t.Errorf("w switched off a watch asked for on the command line:\n%s", view)
	}
}

func TestDashboardWatchKeySwitchesSteeringOff(t *testing.T) {
	src := weekSource()
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "Audit with Northwind", "w watch only")
	tm.Send(keyRunes("w"))
	waitFor(t, tm, "● watch only", "w steer the loops")
	tm.Send(keyRunes("p"))
	waitFor(t, tm, "watch only: nothing was sent (w steers the loops again)")
	if got := src.commands(); len(got) != 0 {
		t.Fatalf("sent %v while watching", got)
	}
	tm.Send(keyRunes("w"))
	waitFor(t, tm, "the keys steer the loops again")
	tm.Send(keyRunes("p"))
	waitFor(t, tm, "poll requested for reception")
	finalView(t, tm)
	if got := src.commands(); len(got) != 1 || got[0] != "reception:poll-now" {
		t.Errorf("commands = %v, want one poll-now after watching stopped", got)
	}
}

func TestDashboardWithNoLoopRunningSaysSoAndSendsNothing(t *testing.T) {
	src := weekSource()
	src.setStatus(store.Status{Automation: "reception", Loop: store.LoopStatus{State: store.LoopIdle,
		LastPoll: testNow.Add(-time.Hour), NextPoll: testNow.Add(-55 * time.Minute)}}) // the service stopped
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "! not running: start `invitesync run`", "next poll —")
	tm.Send(keyRunes("p"))
	waitFor(t, tm, "nothing was sent: not running: start `invitesync run`")
	tm.Send(keyRunes(" "))
	view := finalView(t, tm)
	if got := src.commands(); len(got) != 0 {
		t.Errorf("commands queued for a loop nobody runs: %v", got)
	}
	if strings.Contains(view, "✓ idle") || strings.Contains(view, "S run the loops here") {
		t.Errorf("the header shows a stale state, or offers loops it cannot start:\n%s", view)
	}
}

// loopStarter counts the calls of a StartLoops option.
type loopStarter struct {
	mu stdsync.Mutex
	n  int
}

func (l *loopStarter) start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return nil
}

func (l *loopStarter) calls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func TestDashboardRunsLoopsOnlyWhenConfirmed(t *testing.T) {
	src := weekSource()
	src.setStatus(store.Status{Automation: "reception"})
	var starter loopStarter
	d := newTestDashboard(t, src, func(o *DashboardOptions) { o.StartLoops = starter.start })
	tm := startDashboard(t, d, 120, 30)
	waitFor(t, tm, "not running: start `invitesync run`, or S to run it here", "S run the loops here")

	tm.Send(keyRunes("S"))
	waitFor(t, tm, "Run the loops nobody runs in this dashboard?", "y yes, run them here", "n/esc no")
	tm.Send(keyRunes("p")) // not an answer: ignored
	tm.Send(keyRunes("n"))
	waitFor(t, tm, "nothing started")
	if n := starter.calls(); n != 0 {
		t.Fatalf("StartLoops ran %d times after n", n)
	}
	tm.Send(keyRunes("S"))
	waitFor(t, tm, "Run the loops nobody runs")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitFor(t, tm, "nothing started")
	tm.Send(keyRunes("S"))
	waitFor(t, tm, "Run the loops nobody runs")
	tm.Send(keyRunes("y"))
	waitFor(t, tm, "the loops nobody ran now run here, until you quit")
	view := finalView(t, tm)
	if n := starter.calls(); n != 1 {
		t.Errorf("StartLoops ran %d times, want once after y", n)
	}
	if got := src.commands(); len(got) != 0 {
		t.Errorf("commands sent: %v", got)
	}
	if strings.Contains(view, "S run the loops here") {
		t.Errorf("the key is still offered once the loops run:\n%s", view)
	}
}
