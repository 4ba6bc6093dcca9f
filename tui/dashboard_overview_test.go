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

// zones are real time zones, each with its own rules.
var zones = []string{"Europe/Madrid", "America/New_York", "Asia/Kolkata", "Pacific/Tongatapu", "Australia/Sydney", "W. Europe Standard Time"}

// fleet is n automations across zones: every tenth disabled, every
// seventh failing, every eleventh run by nobody for an hour, every thirteenth paused,
// and every seventeenth's secret expiring in 5 days.
func fleet(n int) ([]config.Automation, *fakeSource) {
	src := newFakeSource()
	var autos []config.Automation
	for i := range n {
		a := testAutomation(fmt.Sprintf("lobby-%03d", i))
		a.TimeZone = zones[i%len(zones)]
		a.Enabled = i%10 != 9
		a.SecretExpires = config.Date{Year: 2026, Month: 6, Day: 30}
		if i%17 == 16 {
			a.SecretExpires = config.Date{Year: 2025, Month: 11, Day: 29}
		}
		autos = append(autos, a)
		b := store.Board{Status: store.Status{Automation: a.Name, Leased: a.Enabled && i%11 != 10, Lease: store.Lease{Owner: "run 1@host"},
			Loop: store.LoopStatus{State: store.LoopIdle, LastPoll: testNow.Add(-time.Duration(i) * time.Second), NextPoll: testNow.Add(time.Minute)}}}
		if i%7 == 6 {
			b.Failed, b.LatestFailure = 3, "IDM refused the visit of x@y.example: 422 arrival in the past"
		}
		if i%13 == 12 {
			b.Loop.State = store.LoopPaused
		}
		if i%11 == 10 { // no loop has polled it for an hour
			b.Loop.State, b.Loop.LastPoll = store.LoopStopped, testNow.Add(-time.Hour)
		}
		src.setBoard(b)
	}
	return autos, src
}

func TestDashboardOverviewOf200Automations(t *testing.T) {
	autos, src := fleet(200)
	d := newTestDashboard(t, src, func(o *DashboardOptions) { o.Automations = autos; o.Location = nil })
	tm := startDashboard(t, d, 160, 50)
	waitFor(t, tm, "200 automations, 180 enabled", "automation 1 of 200")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnd})
	waitFor(t, tm, "automation 200 of 200")
	view := finalView(t, tm)
	for _, want := range []string{
		"failing", "need attention", "healthy", "times in each automation's zone",
		"Verdict", "Automation", "State", "Last poll", "Next poll", "Events", "Operations", "Secret", "Last error",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the overview does not show %q:\n%s", want, view)
		}
	}
	for name, want := range map[string][]string{
		"lobby-199": {"✓ healthy", "disabled", "—"},
		"lobby-195": {"✗ failing", "failing", "0 ✗3", "IDM refused the visit of x@y.e"},
		"lobby-197": {"! attention", "not running", "—"},
		"lobby-194": {"! attention", "paused", "when resumed"},
		"lobby-186": {"! attention", "not running", "5 days"},
	} {
		line := lineWith(view, name)
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("the line of %s lacks %q: %q", name, w, line)
			}
		}
	}
	if strings.Contains(view, "lobby-000") {
		t.Errorf("the overview did not scroll to the end:\n%s", view)
	}
	if lines := strings.Count(view, "\n") + 1; lines > 50 {
		t.Errorf("%d lines on a 50-line terminal", lines)
	}
}

func TestDashboardOverviewFiltersAndOpensOne(t *testing.T) {
	autos, src := fleet(200)
	d := newTestDashboard(t, src, func(o *DashboardOptions) { o.Automations = autos; o.Location = nil })
	tm := startDashboard(t, d, 160, 50)
	waitFor(t, tm, "automation 1 of 200")

	tm.Send(keyRunes("/"))
	tm.Type("failing")
	waitFor(t, tm, "automation 1 of 26") // 6, 13, …, 195: every seventh, but 69 and 139 (disabled)
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter}) // lobby-013
	waitFor(t, tm, "[lobby-013]", "14 of 200 (esc: all)", "✗ 3 operations failed for good")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitFor(t, tm, "filter: failing", "automation 2 of 26")
	view := finalView(t, tm)
	if strings.Contains(view, "lobby-000") || !strings.Contains(view, "lobby-195") {
		t.Errorf("the filter keeps the wrong automations:\n%s", view)
	}
}

func TestDashboardOverviewShowsEachTimeInItsZone(t *testing.T) {
	autos, src := fleet(6)
	d := newTestDashboard(t, src, func(o *DashboardOptions) { o.Automations = autos; o.Location = nil })
	tm := startDashboard(t, d, 160, 30)
	waitFor(t, tm, "automation 1 of 6")
	view := finalView(t, tm)
	for name, want := range map[string]string{
		"lobby-000": "11:00:00 CET",  // Madrid
		"lobby-001": "04:59:59 EST",  // New York
		"lobby-002": "15:29:58 IST",  // Kolkata
		"lobby-003": "22:59:57 +13",  // Tonga
		"lobby-004": "20:59:56 AEDT", // Sydney, in summer
		"lobby-005": "10:59:55 CET",  // a Windows zone name
	} {
		if line := lineWith(view, name); !strings.Contains(line, want) {
			t.Errorf("the line of %s lacks %q: %q", name, want, line)
		}
	}
}

// lineWith is the first line of view that contains s.
func lineWith(view, s string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
