package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/sync/store"
)

// unwrapped joins a screen's lines, so that text wrapped over several
// lines reads as one.
func unwrapped(view string) string {
	return strings.Join(strings.Fields(view), " ")
}

// remedy is how the expiry warning ends: what to do.
const remedy = "create a new client secret in the app registration, setup step 3, and update it here)"

func expiringSoon() config.Automation {
	a := madridAutomation()
	a.SecretExpires = config.Date{Year: 2025, Month: 12, Day: 1} // 7 days after testNow
	return a
}

func TestDashboardExpiryWarningShowsItsRemedy(t *testing.T) {
	for _, w := range []int{44, 80, 120, 200} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			d := newTestDashboard(t, weekSource(), func(o *DashboardOptions) {
				o.Automations = []config.Automation{expiringSoon()}
				o.Location = nil
			})
			tm := startDashboard(t, d, w, 40)
			waitFor(t, tm, "Audit")
			view := finalView(t, tm)
			if !strings.Contains(unwrapped(view), "the client secret expires in 7 days (2025-12-01): run `invitesync secret rotate` (or "+remedy) {
				t.Errorf("at %d columns the expiry warning is cut before its remedy:\n%s", w, view)
			}
		})
	}
}

func TestDashboardExpiryWarningWrapsAtEveryWidth(t *testing.T) {
	src := weekSource()
	d := newTestDashboard(t, src, func(o *DashboardOptions) { o.Automations = []config.Automation{expiringSoon()} })
	d = update(t, d, mustMsg(readStatus(t.Context(), src, "reception")))
	d = update(t, d, mustMsg(readActivity(t.Context(), src, rowsQuery{automation: "reception"})))
	for w := 30; w <= 200; w++ {
		v := update(t, d, tea.WindowSizeMsg{Width: w, Height: 50}).View()
		if !strings.Contains(unwrapped(v), remedy) {
			t.Fatalf("at %d columns the remedy is cut:\n%s", w, v)
		}
	}
	// A terminal too short for the whole warning and a few rows keeps the rows.
	v := update(t, d, tea.WindowSizeMsg{Width: 44, Height: 16}).View()
	if !strings.Contains(v, "Audit") {
		t.Errorf("a short terminal shows no row:\n%s", v)
	}
}

func TestDashboardTimesNameTheirZone(t *testing.T) {
	src := seriesSource()
	st := src.status["reception"]
	st.Loop.LastPoll, st.Loop.NextPoll = testNow.Add(-30*time.Second), testNow.Add(-time.Hour) // due
	st.Loop.State, st.Loop.ThrottledUntil = store.LoopThrottled, testNow.Add(26*time.Hour)
	src.setBoard(st)
	d := newTestDashboard(t, src, func(o *DashboardOptions) {
		o.Automations = []config.Automation{madridAutomation()}
		o.Location = nil
	})
	tm := startDashboard(t, d, 140, 30)
	waitFor(t, tm, "Supplier review")
	view := finalView(t, tm)
	for _, want := range []string{
		"times in Europe/Madrid",
		"last poll 10:59:30 CET (30s ago)",
		"throttled until Tue 25 Nov 13:00 CET",
		"Mon 06 Apr 10:00 CEST", // summer time in the same table
		"Mon 01 Dec 10:00 CET",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the screen does not show %q:\n%s", want, view)
		}
	}
}
