package demo

import (
	"bytes"
	"context"
	stdsync "sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"invitesync/sync/store"
	"invitesync/tui"
)

// TestPauseHoldsUnderTheStream runs the demo as `invitesync demo` does —
// the real loop on a real state database, the dashboard, and the stream of
// calendar changes nudging the loop — and pauses it from the dashboard:
// nothing polls Graph while it is paused, however many changes arrive,
// except one poll for the operator's p, after which it is still paused.
func TestPauseHoldsUnderTheStream(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	now := time.Now()
	d, err := Start(t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	e, st := engine(t, d, now)
	cfg, _, _ := d.Config(now)
	ctx, cancel := context.WithCancel(t.Context())
	var wg stdsync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { _ = e.Run(ctx) })

	changes := 0
	var mu stdsync.Mutex
	nudge := NudgeLoops(ctx, st, []string{Automation}, func(err error) { t.Error(err) })
	wg.Go(func() {
		d.NewStream(7, nil).Run(ctx, 50*time.Millisecond, func(c Change) {
			mu.Lock()
			changes++
			mu.Unlock()
			nudge(c)
		}, func(err error) { t.Error(err) })
	})
	dash, err := tui.NewDashboard(tui.DashboardOptions{Context: ctx, Source: st, Automations: cfg.Automations,
		RunsHere: func(string) bool { return true }, Refresh: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, dash, teatest.WithInitialTermSize(140, 40))
	t.Cleanup(func() { _ = tm.Quit() })
	requests := func() int { return len(d.Graph.GraphRequests()) }
	state := func() store.LoopState {
		s, err := st.Status(ctx, Automation)
		if err != nil {
			t.Fatal(err)
		}
		return s.Loop.State
	}

	// Unpaused, the stream's changes are polled at once.
	waitFor(t, tm, "Supplier review")
	before := requests()
	waitUntil(t, "a poll after a change", func() bool { return requests() > before })

	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{' '}})
	waitFor(t, tm, "pause requested", "‖ paused")
	held := func(what string) {
		t.Helper()
		mu.Lock()
		c0 := changes
		mu.Unlock()
		n := requests()
		time.Sleep(1500 * time.Millisecond)
		mu.Lock()
		c1 := changes
		mu.Unlock()
		if c1-c0 < 10 {
			t.Fatalf("only %d calendar changes in 1.5 s; the stream is stuck", c1-c0)
		}
		if got := requests(); got != n || state() != store.LoopPaused {
			t.Fatalf("%s: %d Graph requests during %d calendar changes, state %s; want none, paused", what, got-n, c1-c0, state())
		}
	}
	held("paused")

	// p polls once, and the loop stays paused.
	n := requests()
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'p'}})
	waitFor(t, tm, "one poll requested for "+Automation+"; it stays paused (space resumes)")
	waitUntil(t, "the poll p asked for", func() bool { return requests() > n })
	waitUntil(t, "the loop paused again", func() bool { return state() == store.LoopPaused })
	held("paused after p")

	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{' '}})
	waitFor(t, tm, "resume requested")
	n = requests()
	waitUntil(t, "polls after resuming", func() bool { return requests() > n && state() != store.LoopPaused })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func waitFor(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range want {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
