package tui

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	invsync "invitesync/sync"
	"invitesync/sync/store"
)

// TestDashboardOnTheStateDatabase runs the dashboard on a real SQLite state
// database written the way a running loop in another process writes it:
// what that loop records appears, the details come from the database, and
// the keys reach the loop through the control queue.
func TestDashboardOnTheStateDatabase(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const auto = "reception"
	if _, err := st.Acquire(ctx, auto, "run pid 4242 on frontdesk", time.Minute); err != nil {
		t.Fatal(err)
	}
	record := func(ev store.Event, visits []store.Visit, ops []invsync.Op, a store.Activity) {
		t.Helper()
		err := st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.PutEvent(ev); err != nil {
				return err
			}
			for _, v := range visits {
				if err := tx.PutVisit(v); err != nil {
					return err
				}
			}
			for _, op := range ops {
				payload, _ := json.Marshal(op)
				if _, err := tx.Enqueue(store.Op{Automation: auto, Ref: op.Ref, EventID: ev.ID, Kind: store.OpKind(op.Kind), Payload: payload}); err != nil {
					return err
				}
			}
			_, err := tx.AddActivity(a)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	record(
		store.Event{Automation: auto, ID: "ev-1", Subject: "Kick-off with Fabrikam", OrganizerEmail: "ann@contoso.com",
			Start: start, End: start.Add(time.Hour), Outcome: store.OutcomeCreated, Reason: "1 visitor registered"},
		[]store.Visit{{Automation: auto, Ref: "ref-bob", EventID: "ev-1", VisitorEmail: "bob@fabrikam.com", Status: store.VisitPending,
			Arrival: start, Departure: start.Add(time.Hour)}},
		[]invsync.Op{{Kind: invsync.OpPut, Ref: "ref-bob", Visit: &invsync.PlannedVisit{Ref: "ref-bob", VisitorEmail: "bob@fabrikam.com"}}},
		store.Activity{Automation: auto, EventID: "ev-1", Subject: "Kick-off with Fabrikam", Host: "ann@contoso.com",
			Visitors: "bob@fabrikam.com", Outcome: store.OutcomeCreated, Reason: "1 visitor registered"},
	)
	if err := st.SetLoopStatus(ctx, store.LoopStatus{Automation: auto, State: store.LoopIdle, LastPoll: time.Now(), NextPoll: time.Now().Add(5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}

	d := newTestDashboard(t, st, func(o *DashboardOptions) {
		o.Now, o.Location = time.Now, time.Local
		o.Refresh = 20 * time.Millisecond
	})
	tm := startDashboard(t, d, 120, 30)
	waitFor(t, tm, "Kick-off with Fabrikam", "attached to run pid 4242 on frontdesk", "✓ idle", "operations: 1 pending")

	// The loop goes on in "another process": a new event appears by itself.
	record(
		store.Event{Automation: auto, ID: "ev-2", Subject: "Audit by Northwind", OrganizerEmail: "zed@contoso.com",
			Start: start, End: start.Add(2 * time.Hour), Outcome: store.OutcomeSkipped, Reason: "host zed@contoso.com is not an employee"},
		nil, nil,
		store.Activity{Automation: auto, EventID: "ev-2", Subject: "Audit by Northwind", Host: "zed@contoso.com",
			Outcome: store.OutcomeSkipped, Reason: "host zed@contoso.com is not an employee"},
	)
	waitFor(t, tm, "Audit by Northwind", "row 1 of 2")

	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Visits (1)", "bob@fabrikam.com", "put bob@fabrikam.com")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})

	// IDM refuses bob's visit for good: the header says so, with the reason.
	due, err := st.Due(ctx, auto, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %v, %v", due, err)
	}
	if err := st.MarkFailed(ctx, due[0].ID, "IDM refused the visit of bob@fabrikam.com: 422 arrival in the past"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tm, "✗ failing", "✗ 1 operation failed for good, latest: IDM refused the visit of bob@fabrikam.com")

	for _, k := range []string{"p", " ", "r"} {
		tm.Send(keyRunes(k))
	}
	waitFor(t, tm, "retry of failed operations requested")
	var got []store.Command
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		cmds, err := st.Take(ctx, auto)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cmds...)
		time.Sleep(10 * time.Millisecond)
	}
	if want := []store.Command{store.CmdPollNow, store.CmdPause, store.CmdRetryFailed}; !slices.Equal(got, want) {
		t.Errorf("the loop received %v, want %v", got, want)
	}
	finalView(t, tm)
}
