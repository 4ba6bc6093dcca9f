package tui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/sync/store"
)

// failingSource is a Monday when IDM refuses everything: 23 events, each
// with an operation that failed for good, and each logged failed twice
// (an operator's retry failed again). 20 visits are refused for their
// date, across three occurrences of one meeting; 3 for the API key.
func failingSource() *fakeSource {
	src := newFakeSource()
	madrid, _ := time.LoadLocation("Europe/Madrid")
	var fs []store.Failure
	for i := range 23 {
		ev := fmt.Sprintf("ev-%02d", i)
		subject, start := "Supplier review with Northwind", time.Date(2025, 12, 1+7*(i%3), 10, 0, 0, 0, madrid)
		visitor := fmt.Sprintf("guest%02d@northwind.com", i)
		reason := "IDM refused the visit of " + visitor + ": 422 arrival in the past"
		if i >= 20 {
			subject, start = "Audit by Litware", time.Date(2025, 11, 26, 9, 30, 0, 0, madrid)
			reason = "IDM rejected the API key: update it (setup step 6), then retry the failed operations"
		}
		payload, _ := json.Marshal(map[string]any{"kind": "put", "ref": "r", "visit": map[string]any{"visitorEmail": visitor}})
		fs = append([]store.Failure{{Op: store.Op{ID: int64(i + 1), EventID: ev, Kind: store.OpPut, Payload: payload,
			State: store.OpFailed, LastError: reason, Updated: testNow.Add(time.Duration(i-30) * time.Second)},
			Subject: subject, MeetingStart: start}}, fs...)
		for range 2 {
			r := activityRow("reception", testNow.Add(-time.Hour), subject, "Ann Host", visitor, store.OutcomeFailed, reason)
			r.EventID = ev
			src.add(r)
		}
	}
	src.failed["reception"] = fs
	src.setStatus(store.Status{Automation: "reception", Failed: 23, Leased: true, Lease: store.Lease{Owner: "run 1@frontdesk"},
		Loop: store.LoopStatus{State: store.LoopIdle, LastPoll: testNow.Add(-time.Minute), LastSuccess: testNow.Add(-time.Minute)}})
	return src
}

func TestDashboardSaysFailingWhenOperationsFail(t *testing.T) {
	src := failingSource()
	a := testAutomation("reception")
	a.TimeZone = "Europe/Madrid"
	d := newTestDashboard(t, src, func(o *DashboardOptions) {
		o.Automations = []config.Automation{a}
		o.Location = nil
	})
	tm := startDashboard(t, d, 140, 40)
	waitFor(t, tm, "✗ 23 operations failed for good")
	view := finalView(t, tm)
	for _, want := range []string{
		"✗ failing ·", // not "idle"
		"✗ 23 operations failed for good, latest: IDM rejected the API key",
		"events: + created 0", "✗ failed 23", // events, each once, though logged 46 times
		"operations: 0 pending, ✗ 23 failed for good (r retries, e shows)",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the header does not show %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "idle") || strings.Contains(view, "failed 46") {
		t.Errorf("the header hides the failures:\n%s", view)
	}
}

func TestDashboardErrorsPaneGroupsIdenticalFailures(t *testing.T) {
	a := testAutomation("reception")
	a.TimeZone = "Europe/Madrid"
	d := newTestDashboard(t, failingSource(), func(o *DashboardOptions) {
		o.Automations = []config.Automation{a}
		o.Location = nil
	})
	tm := startDashboard(t, d, 160, 50)
	waitFor(t, tm, "23 failed for good")
	tm.Send(keyRunes("e"))
	waitFor(t, tm, "Operations that failed for good (23, for 2 reasons)")
	view := finalView(t, tm)
	for _, want := range []string{
		"✓ the last poll succeeded 10:59:00 CET (1m 00s ago)",
		"✗ 20 ×  put: IDM refused the visit of each visitor: 422 arrival in the past",
		"3 meetings: Supplier review with Northwind (Mon 08 Dec 10:00 CET), Supplier review with Northwind (Mon 01 Dec 10:00 CET),",
		"Northwind (Mon 15 Dec 10:00 CET)",
		"20 visitors: guest19@northwind.com, guest18@northwind.com",
		"and 8 more",
		"✗ 3 ×",
		"put: IDM rejected the API key: update it (setup step 6), then retry the failed operations",
		"meeting: Audit by Litware (Wed 26 Nov 09:30 CET)",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the errors pane does not show %q:\n%s", want, view)
		}
	}
	if n := strings.Count(view, "422 arrival in the past"); n != 1 {
		t.Errorf("the 20 identical failures are listed %d times, want once:\n%s", n, view)
	}
}

func TestDashboardRetryWithNothingToRetrySaysSo(t *testing.T) {
	src := weekSource() // no failed operation
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "Audit with Northwind", "0 failed for good")
	tm.Send(keyRunes("r"))
	waitFor(t, tm, "nothing to retry: no operation of reception failed for good")
	finalView(t, tm)
	if got := src.commands(); len(got) != 0 {
		t.Errorf("r sent %v with nothing to retry", got)
	}
}
