package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"invitesync/config"
	"invitesync/sync/store"
)

func init() {
	// Fixed output: no colour codes in what the tests read.
	lipgloss.SetColorProfile(termenv.Ascii)
}

var testNow = time.Date(2025, 11, 24, 10, 0, 0, 0, time.UTC)

func testAutomation(name string) config.Automation {
	a := config.NewAutomation(name)
	a.Mailbox = name + "@contoso.com"
	return a
}

// weekSource is a source with a few processed events, like a Monday morning.
func weekSource() *fakeSource {
	src := newFakeSource()
	src.setStatus(store.Status{
		Automation: "reception",
		Loop:       store.LoopStatus{State: store.LoopIdle, LastPoll: testNow.Add(-30 * time.Second), NextPoll: testNow.Add(4*time.Minute + 30*time.Second)},
		Leased:     true, Lease: store.Lease{Owner: "run 4242@frontdesk"},
	})
	src.add(
		activityRow("reception", testNow.Add(-50*time.Minute), "Kick-off with Fabrikam", "Ann Host", "bob@fabrikam.com, eve@fabrikam.com", store.OutcomeCreated, "2 visitors registered"),
		activityRow("reception", testNow.Add(-40*time.Minute), "Team stand-up", "Ann Host", "", store.OutcomeSkipped, "no visitors: every attendee is internal"),
		activityRow("reception", testNow.Add(-30*time.Minute), "Audit with Northwind", "Zed Unknown", "carol@northwind.com", store.OutcomeSkipped, "host zed@contoso.com is not an employee in IDM"),
	)
	return src
}

func newTestDashboard(t *testing.T, src Source, opts ...func(*DashboardOptions)) Dashboard {
	t.Helper()
	o := DashboardOptions{
		Source:      src,
		Automations: []config.Automation{testAutomation("reception")},
		Refresh:     20 * time.Millisecond,
		Now:         func() time.Time { return testNow },
		Location:    time.UTC,
	}
	for _, f := range opts {
		f(&o)
	}
	d, err := NewDashboard(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func startDashboard(t *testing.T, d Dashboard, w, h int) *teatest.TestModel {
	t.Helper()
	tm := teatest.NewTestModel(t, d, teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { _ = tm.Quit() })
	return tm
}

// waitFor waits until the screen output contains every one of want.
func waitFor(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	var seen []byte
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		seen = b
		for _, w := range want {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	_ = seen
}

func keyRunes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// finalView quits with q and returns the last screen.
func finalView(t *testing.T, tm *teatest.TestModel) string {
	t.Helper()
	tm.Send(keyRunes("q"))
	m := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	return m.View()
}

func TestDashboardShowsProcessedEventsAndTheHeader(t *testing.T) {
	src := weekSource()
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "Audit with Northwind", "Kick-off with Fabrikam")

	view := finalView(t, tm)
	for _, want := range []string{
		"invitesync  reception",
		"✓ idle", "last poll 09:59:30 UTC (30s ago)", "next poll in 4m 30s", "attached to run 4242@frontdesk",
		"+ created 1", "skipped", "· operations: 0 pending, 0 failed for good",
		"Meeting", "Subject", "Host", "Outcome", "Reason",
		"Wed 26 Nov 09:00 UTC", "Kick-off with Fabrikam", "Ann Host", "+ created", "2 visitors registered",
		"· skipped", "host zed@contoso.com …",
		"row 1 of 3 · latest activity first",
		"p poll now", "q quit",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the dashboard does not show %q:\n%s", want, view)
		}
	}
	// Newest first.
	if strings.Index(view, "Audit with Northwind") > strings.Index(view, "Kick-off with Fabrikam") {
		t.Errorf("rows are not newest first:\n%s", view)
	}
}

func TestDashboardShowsTheMeetingStartWhenWide(t *testing.T) {
	tm := startDashboard(t, newTestDashboard(t, weekSource()), 140, 30)
	waitFor(t, tm, "Kick-off with Fabrikam")
	view := finalView(t, tm)
	for _, want := range []string{"Meeting", "Visitors", "Wed 26 Nov 09:00 UTC    Kick-off with Fabrikam", "bob@fabrikam.com, …"} {
		if !strings.Contains(view, want) {
			t.Errorf("the dashboard does not show %q:\n%s", want, view)
		}
	}
}

func TestDashboardShowsEventsAsTheyArrive(t *testing.T) {
	src := weekSource()
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "Audit with Northwind")

	src.add(activityRow("reception", testNow, "Contract signing Litware", "Ann Host", "dan@litware.com", store.OutcomeCreated, "1 visitor registered"))
	waitFor(t, tm, "Contract signing Litware")

	view := finalView(t, tm)
	if !strings.Contains(view, "row 1 of 4") || !strings.Contains(view, "+ created 2") {
		t.Errorf("the new event is not counted:\n%s", view)
	}
}

func TestDashboardInProcessFeedNudgesAtOnce(t *testing.T) {
	src := weekSource()
	changes := make(chan struct{}, 1)
	d := newTestDashboard(t, src, func(o *DashboardOptions) {
		o.Refresh = time.Hour // only the feed can make it read again
		o.Changes = changes
		o.RunsHere = func(a string) bool { return a == "reception" }
	})
	src.setStatus(store.Status{Automation: "reception", Loop: store.LoopStatus{State: store.LoopPolling}, Leased: true, Lease: store.Lease{Owner: "dashboard 77@frontdesk"}})
	tm := startDashboard(t, d, 120, 30)
	waitFor(t, tm, "Audit with Northwind", "running here", "↻ polling")

	src.add(activityRow("reception", testNow, "Supplier visit Pharma", "Ann Host", "x@pharma.example", store.OutcomeCreated, "1 visitor registered"))
	changes <- struct{}{}
	waitFor(t, tm, "Supplier visit Pharma")
}

func TestDashboardFilters(t *testing.T) {
	src := weekSource()
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "Audit with Northwind")

	tm.Send(keyRunes("/"))
	tm.Type("FABRIKAM")
	waitFor(t, tm, "row 1 of 1")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "filter: FABRIKAM")

	view := finalView(t, tm)
	if !strings.Contains(view, "Kick-off with Fabrikam") || strings.Contains(view, "Audit with Northwind") || strings.Contains(view, "Team stand-up") {
		t.Errorf("the filter does not keep only the matching rows:\n%s", view)
	}
}

func TestDashboardFilterClearsWithEsc(t *testing.T) {
	src := weekSource()
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "Audit with Northwind")
	tm.Send(keyRunes("/"))
	tm.Type("nothing like this")
	waitFor(t, tm, "No processed event matches the filter.")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitFor(t, tm, "row 1 of 3")
	view := finalView(t, tm)
	if strings.Contains(view, "filter:") || !strings.Contains(view, "Team stand-up") {
		t.Errorf("esc does not clear the filter:\n%s", view)
	}
}

func TestDashboardDetails(t *testing.T) {
	src := weekSource()
	put, _ := json.Marshal(map[string]any{"kind": "put", "ref": "r1", "visit": map[string]any{"visitorEmail": "bob@fabrikam.com"}})
	reply, _ := json.Marshal(map[string]any{"kind": "reply", "ref": "ev", "reply": map[string]any{"kind": "accept"}})
	src.details["reception/ev-kick-off-with-fabrikam"] = store.EventDetails{
		Event: store.Event{Automation: "reception", ID: "ev-kick-off-with-fabrikam", Subject: "Kick-off with Fabrikam",
			OrganizerName: "Ann Host", OrganizerEmail: "ann@contoso.com", Location: "Room 4.12",
			Start: testNow.Add(26 * time.Hour), End: testNow.Add(27 * time.Hour), Outcome: store.OutcomeCreated, Reason: "2 visitors registered"},
		Visits: []store.Visit{
			{Ref: "r1", VisitorEmail: "bob@fabrikam.com", VisitorName: "Bob Guest", Arrival: testNow.Add(26 * time.Hour), Departure: testNow.Add(27 * time.Hour), IDMID: "V-1001", Status: store.VisitActive},
			{Ref: "r2", VisitorEmail: "eve@fabrikam.com", Arrival: testNow.Add(26 * time.Hour), Departure: testNow.Add(27 * time.Hour), Status: store.VisitPending},
		},
		Ops: []store.Op{
			{ID: 1, Ref: "r1", Kind: store.OpPut, Payload: put, State: store.OpDone, Attempts: 1, Result: store.Result{Code: 201, VisitID: "V-1001", Status: "pending"}},
			{ID: 2, Ref: "r2", Kind: store.OpPut, State: store.OpPending, Attempts: 2, NextAttempt: testNow.Add(20 * time.Second), LastError: "IDM unavailable (503)"},
			{ID: 3, Ref: "ev", Kind: store.OpReply, Payload: reply, State: store.OpPending},
		},
	}
	tm := startDashboard(t, newTestDashboard(t, src), 120, 40)
	waitFor(t, tm, "Kick-off with Fabrikam")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnd}) // the oldest row: the kick-off
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Operations and IDM's answers (3)")

	view := finalView(t, tm)
	for _, want := range []string{
		"Kick-off with Fabrikam", "Tue 25 Nov 12:00–13:00 UTC (UTC)", "Ann Host <ann@contoso.com>", "Room 4.12",
		"Visits (2)", "✓ active", "Bob Guest <bob@fabrikam.com>", "IDM visit V-1001", "· pending", "eve@fabrikam.com", "not yet in IDM",
		"✓ done", "put bob@fabrikam.com", "IDM answered 201 pending V-1001",
		"put eve@fabrikam.com · 2 attempts · next attempt 10:00:20 UTC · error: IDM unavailable (503)",
		"reply accept to the organizer",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the details do not show %q:\n%s", want, view)
		}
	}
}

func TestDashboardDetailsBackWithEsc(t *testing.T) {
	src := weekSource()
	tm := startDashboard(t, newTestDashboard(t, src), 100, 30)
	waitFor(t, tm, "Audit with Northwind")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "not found") // the fake knows no details of this row
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	waitFor(t, tm, "row 1 of 3")
}

func TestDashboardKeysSteerTheLoop(t *testing.T) {
	src := weekSource()
	src.failed["reception"] = []store.Failure{{Op: store.Op{ID: 9, Ref: "r9", Kind: store.OpPut, State: store.OpFailed, Attempts: 5, LastError: "IDM refused the visit: 422 arrival in the past"}}}
	st := src.status["reception"]
	st.Failed = 1
	src.setBoard(st)
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "1 failed")

	tm.Send(keyRunes("p"))
	waitFor(t, tm, "poll requested for reception")
	tm.Send(keyRunes(" "))
	waitFor(t, tm, "pause requested")
	tm.Send(keyRunes("r"))
	waitFor(t, tm, "retry of failed operations requested")

	st.Loop.State = store.LoopPaused
	src.setBoard(st)
	waitFor(t, tm, "‖ paused", "space resume")
	tm.Send(keyRunes(" "))
	waitFor(t, tm, "resume requested")

	tm.Send(keyRunes("e"))
	waitFor(t, tm, "Operations that failed for good (1)", "422 arrival in the past")

	want := []string{"reception:poll-now", "reception:pause", "reception:retry-failed", "reception:resume"}
	if got := src.commands(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("commands sent = %v, want %v", got, want)
	}
	finalView(t, tm)
}

func TestDashboardHelpAndNextAutomation(t *testing.T) {
	src := weekSource()
	src.add(activityRow("lobby-b", testNow, "Delivery from Adatum", "Bo Host", "driver@adatum.com", store.OutcomeCreated, "1 visitor registered"))
	src.setStatus(store.Status{Automation: "lobby-b", Loop: store.LoopStatus{State: store.LoopIdle}, Leased: true, Lease: store.Lease{Owner: "run 4242@frontdesk"}})
	d := newTestDashboard(t, src, func(o *DashboardOptions) {
		o.Automations = []config.Automation{testAutomation("reception"), testAutomation("lobby-b")}
	})
	tm := startDashboard(t, d, 120, 30)
	waitFor(t, tm, "2 automations", "reception", "lobby-b") // the overview first
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "[reception]", "Audit with Northwind")

	tm.Send(keyRunes("?"))
	waitFor(t, tm, "previous automation", "sort by meeting time")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	waitFor(t, tm, "[lobby-b]", "Delivery from Adatum")
	tm.Send(keyRunes("p"))
	waitFor(t, tm, "poll requested for lobby-b")

	view := finalView(t, tm)
	if strings.Contains(view, "Audit with Northwind") {
		t.Errorf("the second automation shows the first one's events:\n%s", view)
	}
}

func TestDashboardNarrowTerminal(t *testing.T) {
	src := weekSource()
	a := testAutomation("reception")
	a.SecretExpires = config.Date{Year: 2025, Month: 12, Day: 6}
	d := newTestDashboard(t, src, func(o *DashboardOptions) { o.Automations = []config.Automation{a} })
	tm := startDashboard(t, d, 44, 16)
	waitFor(t, tm, "Audit")

	view := finalView(t, tm)
	lines := strings.Split(view, "\n")
	if len(lines) > 16 {
		t.Errorf("%d lines on a 16-line terminal:\n%s", len(lines), view)
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 44 {
			t.Errorf("line %q is %d wide on a 44-column terminal", l, w)
		}
	}
	for _, want := range []string{"Subject", "Outcome", "+ created", "✓ idle", "! the client secret expires in 12 d"} {
		if !strings.Contains(view, want) {
			t.Errorf("the narrow dashboard lost %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "Visitors") {
		t.Errorf("the narrow dashboard still shows the visitors column:\n%s", view)
	}
}

func TestDashboardSanitizesCalendarText(t *testing.T) {
	src := newFakeSource()
	src.add(activityRow("reception", testNow, "Evil\x1b[2J\x1b]0;pwned\x07 meeting\u202e", "Mal\rlory", "x@evil.example", store.OutcomeCreated, "1 visitor\nregistered"))
	tm := startDashboard(t, newTestDashboard(t, src), 120, 20)
	waitFor(t, tm, "Evil meeting")
	view := finalView(t, tm)
	if strings.ContainsAny(view, "\x1b\x07\r\u202e") {
		t.Errorf("calendar text reached the screen unsanitized: %q", view)
	}
	if !strings.Contains(view, "Mal lory") || !strings.Contains(view, "1 visitor registered") {
		t.Errorf("sanitized text is missing:\n%s", view)
	}
}

func TestDashboardScrollsAndReadsOlderPages(t *testing.T) {
	src := newFakeSource()
	for i := range 450 {
		src.add(activityRow("reception", testNow.Add(time.Duration(i-450)*time.Minute), fmt.Sprintf("Meeting %03d", i), "Ann Host", "guest@fabrikam.com", store.OutcomeCreated, "1 visitor registered"))
	}
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "Meeting 449", "row 1 of 200+")
	// Nearing the oldest row read, the dashboard reads the next page.
	tm.Send(tea.KeyMsg{Type: tea.KeyEnd})
	waitFor(t, tm, "row 200 of 400+")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnd})
	waitFor(t, tm, "row 400 of 450 ·") // the last page: no "+"
	tm.Send(tea.KeyMsg{Type: tea.KeyEnd})
	waitFor(t, tm, "row 450 of 450")
	view := finalView(t, tm)
	if !strings.Contains(view, "Meeting 000") || strings.Contains(view, "Meeting 449") {
		t.Errorf("the end of the log is not shown:\n%s", view)
	}
}

func TestDashboardHeaderStates(t *testing.T) {
	cases := []struct {
		name   string
		status store.Status
		want   []string
	}{
		{"throttled", store.Status{Leased: true, Loop: store.LoopStatus{State: store.LoopThrottled, ThrottledUntil: testNow.Add(90 * time.Second)}},
			[]string{"! throttled until 10:01:30"}},
		{"error", store.Status{Leased: true, Loop: store.LoopStatus{State: store.LoopError, LastError: "AADSTS7000215: invalid client secret"}},
			[]string{"✗ error", "✗ last error: AADSTS7000215: invalid client secret"}},
		{"failing", store.Status{Leased: true, Failed: 1, Loop: store.LoopStatus{State: store.LoopFailing, LastError: "IDM refused the visit of ann@fabrikam.com: 422"}},
			[]string{"✗ failing", "✗ 1 operation failed for good"}},
		{"paused", store.Status{Leased: true, Loop: store.LoopStatus{State: store.LoopPaused}},
			[]string{"‖ paused", "next poll when resumed", "space resume"}},
		{"nobody runs it", store.Status{Loop: store.LoopStatus{State: store.LoopIdle, NextPoll: testNow.Add(time.Minute)}},
			[]string{"! not running: start `invitesync run`", "next poll —"}},
		{"failed operations", store.Status{Leased: true, Failed: 2, Pending: 3, Loop: store.LoopStatus{State: store.LoopIdle}},
			[]string{"✗ failing", "operations: 3 pending, ✗ 2 failed for good (r retries, e shows)", "r retry failed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := newFakeSource()
			c.status.Automation = "reception"
			src.setStatus(c.status)
			d := newTestDashboard(t, src)
			d = update(t, d, tea.WindowSizeMsg{Width: 120, Height: 30})
			d = update(t, d, statusMsg{automation: "reception", status: store.Board{Status: c.status}})
			view := d.View()
			for _, w := range c.want {
				if !strings.Contains(view, w) {
					t.Errorf("header does not show %q:\n%s", w, view)
				}
			}
		})
	}
}

func TestSecretNotice(t *testing.T) {
	st := newStyles(defaultPalette())
	for _, c := range []struct {
		expires config.Date
		want    string
	}{
		{config.Date{}, ""},
		{config.Date{Year: 2026, Month: 1, Day: 1}, ""}, // 38 days
		{config.Date{Year: 2025, Month: 12, Day: 24}, "! the client secret expires in 30 days (2025-12-24)"},
		{config.Date{Year: 2025, Month: 12, Day: 1}, "! the client secret expires in 7 days (2025-12-01): run `invitesync secret rotate`"},
		{config.Date{Year: 2025, Month: 11, Day: 25}, "! the client secret expires in 1 day (2025-11-25)"},
		{config.Date{Year: 2025, Month: 11, Day: 24}, "! the client secret expires today"},
		{config.Date{Year: 2025, Month: 11, Day: 20}, "✗ the client secret expired on 2025-11-20"},
	} {
		got := secretNotice(st, c.expires, testNow)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("secretNotice(%s) = %q, want %q", c.expires, got, c.want)
		}
	}
}

func TestNoColorLeavesNoColour(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	src := weekSource()
	d := newTestDashboard(t, src)
	d = update(t, d, tea.WindowSizeMsg{Width: 120, Height: 30})
	d = update(t, d, mustMsg(readStatus(t.Context(), src, "reception")))
	d = update(t, d, mustMsg(readActivity(t.Context(), src, rowsQuery{automation: "reception"})))
	view := d.View()
	if strings.Contains(view, "[38;") || strings.Contains(view, "[48;") {
		t.Errorf("NO_COLOR is set but the view has colours: %q", view)
	}
	if !strings.Contains(view, "+ created") || !strings.Contains(view, "› ") {
		t.Errorf("without colour the words and the selection mark must remain:\n%s", view)
	}

	t.Setenv("NO_COLOR", "")
	d = newTestDashboard(t, src)
	d = update(t, d, tea.WindowSizeMsg{Width: 120, Height: 30})
	d = update(t, d, mustMsg(readActivity(t.Context(), src, rowsQuery{automation: "reception"})))
	if view := d.View(); !strings.Contains(view, "[38;") {
		t.Errorf("with colours allowed the view has none: %q", view)
	}
}

func update(t *testing.T, d Dashboard, msg tea.Msg) Dashboard {
	t.Helper()
	m, _ := d.Update(msg)
	return m.(Dashboard)
}

func mustMsg(cmd tea.Cmd) tea.Msg { return cmd() }

func TestDashboardFitsEveryTerminalSize(t *testing.T) {
	src := weekSource()
	a := testAutomation("reception")
	a.SecretExpires = config.Date{Year: 2025, Month: 12, Day: 1}
	base := newTestDashboard(t, src, func(o *DashboardOptions) {
		o.Automations = []config.Automation{a, testAutomation("lobby-b")}
	})
	base = update(t, base, mustMsg(readStatus(t.Context(), src, "reception")))
	base = update(t, base, mustMsg(readActivity(t.Context(), src, rowsQuery{automation: "reception"})))
	for _, p := range []pane{-1, paneTable, paneDetails, paneErrors, paneLog} { // -1: the overview
		for w := 1; w <= 130; w += 7 {
			for h := 1; h <= 40; h += 3 {
				d := base
				d.overviewing = p < 0
				d.pane = max(p, paneTable)
				d = update(t, d, tea.WindowSizeMsg{Width: w, Height: h})
				view := d.View()
				lines := strings.Split(view, "\n")
				if len(lines) > h {
					t.Errorf("pane %d at %dx%d: %d lines", p, w, h, len(lines))
				}
				for _, l := range lines {
					if lw := ansi.StringWidth(l); lw > w {
						t.Errorf("pane %d at %dx%d: line %q is %d wide", p, w, h, l, lw)
						break
					}
				}
			}
		}
	}
}

func TestDashboardKeysTypedInABurst(t *testing.T) {
	src := weekSource()
	tm := startDashboard(t, newTestDashboard(t, src), 120, 30)
	waitFor(t, tm, "Audit with Northwind")
	// A fast typist's "/north" reaches the program as one message.
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/north")})
	waitFor(t, tm, "/north", "row 1 of 1")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	view := finalView(t, tm)
	if !strings.Contains(view, "Audit with Northwind") || strings.Contains(view, "Team stand-up") {
		t.Errorf("the burst did not filter:\n%s", view)
	}
}
