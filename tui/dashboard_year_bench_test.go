package tui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/sync/store"
	"invitesync/sync/store/storetest"
)

// BenchmarkDashboardFirstFrameYear opens a state database holding a year
// of 500 invitations a day (pruned as the engine prunes) and measures, per
// op, the time from opening it and constructing the dashboard to the first
// View that shows both the automation's status and activity rows: the
// reads Init starts, run as bubbletea runs them, and the messages they
// bring fed to Update.
func BenchmarkDashboardFirstFrameYear(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "state.db")
	f, err := storetest.Fill(ctx, path, storetest.History{})
	if err != nil {
		b.Fatal(err)
	}
	auto := testAutomation("Reception")
	b.ResetTimer()
	for b.Loop() {
		st, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		view := firstFrame(b, st, auto)
		b.StopTimer()
		if !strings.Contains(view, "Supplier review") && !strings.Contains(view, "Team sync") {
			b.Fatalf("the first frame with rows shows none of the meetings:\n%s", view)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "first-frame-ms")
	b.ReportMetric(float64(f.Bytes)/1e6, "MB")
}

// firstFrame runs a dashboard on src the way bubbletea does — each command
// on a goroutine of its own, each message to Update — until it holds the
// automation's status and rows, and returns that View.
func firstFrame(b *testing.B, src Source, auto config.Automation) string {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := NewDashboard(DashboardOptions{Context: ctx, Source: src, Automations: []config.Automation{auto},
		Refresh: time.Hour, Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make(chan tea.Msg)
	var run func(tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd == nil {
			return
		}
		go func() {
			msg := cmd()
			if batch, ok := msg.(tea.BatchMsg); ok {
				for _, c := range batch {
					run(c)
				}
				return
			}
			select {
			case msgs <- msg:
			case <-ctx.Done():
			}
		}()
	}
	var m tea.Model = d
	m, cmd := m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	run(m.Init())
	run(cmd)
	timeout := time.After(time.Minute)
	for {
		d := m.(Dashboard)
		if _, ok := d.status[auto.Name]; ok && len(d.table.rows) > 0 {
			return d.View()
		}
		select {
		case msg := <-msgs:
			m, cmd = m.Update(msg)
			run(cmd)
		case <-timeout:
			b.Fatalf("no rows after a minute:\n%s", m.View())
		}
	}
}
