package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/sync/store"
)

// seriesSource holds three occurrences of one weekly meeting, processed in
// one poll, and a meeting already over: rows that only their meeting's
// time tells apart.
func seriesSource() *fakeSource {
	src := newFakeSource()
	src.setStatus(store.Status{Automation: "reception", Loop: store.LoopStatus{State: store.LoopIdle}, Leased: true, Lease: store.Lease{Owner: "run 1@frontdesk"}})
	madrid, _ := time.LoadLocation("Europe/Madrid")
	row := func(processed time.Duration, subject string, meeting time.Time) store.Activity {
		r := activityRow("reception", testNow.Add(processed), subject, "Ann Host", "bob@northwind.com", store.OutcomeCreated, "1 visitor registered")
		r.MeetingStart = meeting
		r.EventID = "ev-" + meeting.Format("0102")
		return r
	}
	src.add(
		row(-10*time.Minute, "Supplier review with Northwind", time.Date(2025, 12, 8, 10, 0, 0, 0, madrid)),
		row(-9*time.Minute, "Supplier review with Northwind", time.Date(2025, 12, 1, 10, 0, 0, 0, madrid)),
		row(-8*time.Minute, "Supplier review with Northwind", time.Date(2026, 4, 6, 10, 0, 0, 0, madrid)), // summer time
		row(-7*time.Minute, "Kick-off with Fabrikam", time.Date(2025, 11, 21, 15, 30, 0, 0, madrid)),      // over
	)
	return src
}

func madridAutomation() config.Automation {
	a := testAutomation("reception")
	a.TimeZone = "Europe/Madrid"
	return a
}

func TestDashboardRowsShowTheMeetingTimeInTheAutomationsZone(t *testing.T) {
	src := seriesSource()
	src.details["reception/ev-1201"] = store.EventDetails{Event: store.Event{Automation: "reception", ID: "ev-1201",
		Subject: "Supplier review with Northwind", Outcome: store.OutcomeCreated,
		Start: time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC), End: time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC)}}
	d := newTestDashboard(t, src, func(o *DashboardOptions) {
		o.Automations = []config.Automation{madridAutomation()}
		o.Location = nil // the automation's zone
	})
	tm := startDashboard(t, d, 140, 30)
	waitFor(t, tm, "Kick-off with Fabrikam")
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Processed")
	view := finalView(t, tm)
	for _, want := range []string{
		"Mon 01 Dec 10:00–11:00 CET (Europe/Madrid)", // the meeting, in the automation's zone
		"Processed  Mon 24 Nov 10:51:00 CET (9m 00s ago)",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the details do not show %q:\n%s", want, view)
		}
	}
}

func TestDashboardRowsSortByMeetingOrByActivity(t *testing.T) {
	rows := []string{
		"Fri 21 Nov 15:30 CET    Kick-off with Fabrikam",
		"Mon 06 Apr 10:00 CEST   Supplier review with Northwind",
		"Mon 01 Dec 10:00 CET    Supplier review with Northwind",
		"Mon 08 Dec 10:00 CET    Supplier review with Northwind",
	}
	for _, c := range []struct {
		keys  string
		order string
		want  []int // indices into rows, top to bottom
	}{
		{"", "latest activity first", []int{0, 1, 2, 3}},
		{"o", "by meeting time: coming first", []int{2, 3, 1, 0}},
		{"oo", "latest activity first", []int{0, 1, 2, 3}},
	} {
		t.Run("keys "+c.keys, func(t *testing.T) {
			d := newTestDashboard(t, seriesSource(), func(o *DashboardOptions) {
				o.Automations = []config.Automation{madridAutomation()}
				o.Location = nil
			})
			tm := startDashboard(t, d, 140, 30)
			if c.keys == "" {
				waitFor(t, tm, "Kick-off with Fabrikam", "row 1 of 4 · "+c.order)
			} else {
				waitFor(t, tm, "Kick-off with Fabrikam")
				tm.Send(keyRunes("o"))
				waitFor(t, tm, "row 1 of 4 · by meeting time")
				if c.keys == "oo" {
					tm.Send(keyRunes("o"))
					waitFor(t, tm, "row 1 of 4 · "+c.order)
				}
			}
			view := finalView(t, tm)
			last := -1
			for _, i := range c.want {
				at := strings.Index(view, rows[i])
				if at < 0 || at < last {
					t.Fatalf("%q is missing or out of order (%s):\n%s", rows[i], c.order, view)
				}
				last = at
			}
		})
	}
}

func TestDashboardByMeetingTakesNewRowsInTheirPlace(t *testing.T) {
	src := seriesSource()
	d := newTestDashboard(t, src, func(o *DashboardOptions) {
		o.Automations = []config.Automation{madridAutomation()}
		o.Location = nil
	})
	tm := startDashboard(t, d, 140, 30)
	waitFor(t, tm, "Kick-off with Fabrikam")
	tm.Send(keyRunes("o"))
	waitFor(t, tm, "row 1 of 4 · by meeting time")

	madrid, _ := time.LoadLocation("Europe/Madrid")
	r := activityRow("reception", testNow, "Audit by Litware", "Ann Host", "dan@litware.com", store.OutcomeCreated, "1 visitor registered")
	r.MeetingStart = time.Date(2025, 12, 3, 9, 0, 0, 0, madrid)
	src.add(r)
	waitFor(t, tm, "Audit by Litware")
	view := finalView(t, tm)
	before := strings.Index(view, "Mon 01 Dec 10:00 CET")
	at := strings.Index(view, "Wed 03 Dec 09:00 CET    Audit by Litware")
	after := strings.Index(view, "Mon 08 Dec 10:00 CET")
	if before < 0 || at < before || after < at || !strings.Contains(view, "row 1 of 5 · by meeting time") {
		t.Errorf("the new meeting is not between the 1st and the 8th:\n%s", view)
	}
}
