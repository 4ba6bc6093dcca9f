package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"invitesync/sync/store"
)

// quiet is how long the watch tests give a command or a loop to show
// itself: a service takes its commands every second.
const quiet = 3 * time.Second

// TestE2EDashboardWatchSteersNothingOfARunningService: `dashboard --watch`
// follows a running service, and its keys send it nothing: the service
// logs no command, polls no more, and keeps its state and its lease.
func TestE2EDashboardWatchSteersNothingOfARunningService(t *testing.T) {
	e := newE2E(t)
	e.meeting("Kick-off with Fabrikam", tomorrowAt(10), "bob@fabrikam.com")
	service, _, serviceLog := e.command(nil, "run")
	if err := service.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { service.Process.Kill(); service.Wait() })
	waitUntil(t, "the service's first visit", func() bool { return len(e.idm.ActiveVisits()) == 1 })
	waitUntil(t, "the service's first cycle to end", func() bool { return e.status(t).State == "idle" })

	term := newTerminal(t, e.env, e.bin, "dashboard", "--watch", "--refresh", "200ms")
	owner := "attached to pid " + strconv.Itoa(service.Process.Pid)
	term.waitFor("● watch only", owner, "Kick-off with Fabrikam", "✓ idle")
	requests := len(e.graph.GraphRequests())
	term.keys("p")
	term.keys("Space")
	term.keys("r")
	term.keys("S")
	term.waitFor("watch only: nothing was sent (started with --watch)")
	time.Sleep(quiet)

	if strings.Contains(serviceLog.String(), "operator command") {
		t.Errorf("a command reached the service from a watch-only dashboard:\n%s", serviceLog)
	}
	if n := len(e.graph.GraphRequests()); n != requests {
		t.Errorf("%d Graph requests while watching, want none (the service polls every minute)", n-requests)
	}
	if s := e.status(t); s.State != "idle" || !s.Running {
		t.Errorf("the service's state after watching = %+v, want idle and running", s)
	}
	term.waitFor("✓ idle", owner)
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("the dashboard exited %d", code)
	}
	e.assertLeaseHeldBy(t, "pid "+strconv.Itoa(service.Process.Pid))
}

// TestE2EDashboardWithNoServiceStartsNothing: with no service running,
// neither `dashboard --watch` nor a plain `dashboard` polls, writes a visit
// or takes a lease; both say nothing runs. The plain dashboard runs the
// loops only after S and a confirmation.
func TestE2EDashboardWithNoServiceStartsNothing(t *testing.T) {
	e := newE2E(t)
	e.meeting("Kick-off with Fabrikam", tomorrowAt(10), "bob@fabrikam.com")
	if code, out, errOut := e.run(nil, "run", "--once"); code != 0 {
		t.Fatalf("run --once: exit %d\n%s%s", code, out, errOut)
	}
	e.meeting("Audit by Northwind", tomorrowAt(14), "carol@northwind.com") // a loop would register carol
	requests := len(e.graph.GraphRequests())

	watch := newTerminal(t, e.env, e.bin, "dashboard", "--watch")
	watch.waitFor("● watch only", "! not running: start `invitesync run`", "Kick-off with Fabrikam")
	watch.keys("p")
	watch.waitFor("watch only: nothing was sent")
	time.Sleep(quiet)
	if s := watch.screen(); strings.Contains(s, "or S to run it here") || strings.Contains(s, "Audit by Northwind") {
		t.Errorf("the watch-only dashboard offers loops or shows a poll:\n%s", s)
	}
	watch.keys("q")
	if code := watch.exitCode(); code != 0 {
		t.Fatalf("dashboard --watch exited %d", code)
	}

	plain := newTerminal(t, e.env, e.bin, "dashboard")
	plain.waitFor("! not running: start `invitesync run`, or S to run it here", "Kick-off with Fabrikam")
	plain.keys("p")
	plain.waitFor("nothing was sent: not running")
	time.Sleep(quiet)
	if n := len(e.graph.GraphRequests()); n != requests {
		t.Fatalf("%d Graph requests with no service running, want none", n-requests)
	}
	if n := len(e.idm.ActiveVisits()); n != 1 {
		t.Fatalf("%d visits in IDM, want the one run --once made", n)
	}
	if s := e.status(t); s.Running {
		t.Fatalf("a loop runs the automation though nobody started one: %+v", s)
	}

	// Running the loops here is a deliberate, confirmed choice.
	plain.keys("S")
	plain.waitFor("Run the loops nobody runs in this dashboard?")
	plain.keys("y")
	plain.waitFor("Audit by Northwind", "running here")
	waitUntil(t, "carol's visit", func() bool { return len(e.idm.ActiveVisits()) == 2 })
	plain.keys("q")
	if code := plain.exitCode(); code != 0 {
		t.Fatalf("the dashboard exited %d", code)
	}
}

// status is `invitesync status --json` for the one automation.
func (e *e2e) status(t *testing.T) statusJSON {
	t.Helper()
	code, out, errOut := e.run(nil, "status", "--json")
	var doc struct {
		Automations []statusJSON `json:"automations"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Automations) != 1 {
		t.Fatalf("status --json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	return doc.Automations[0]
}

// assertLeaseHeldBy checks that the automation's lease names owner.
func (e *e2e) assertLeaseHeldBy(t *testing.T, owner string) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(e.dir, "state", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lease, held, err := st.Lease(context.Background(), "Reception")
	if err != nil || !held || !strings.Contains(lease.Owner, owner) {
		t.Errorf("lease = %+v, held %v, %v; want held by %s", lease, held, err, owner)
	}
}

// TestE2EDashboardOverview: with several automations, one disabled, the
// built binary opens on the overview of all of them; enter opens one, esc
// comes back, and / filters.
func TestE2EDashboardOverview(t *testing.T) {
	e := newE2E(t)
	e.meeting("Kick-off with Fabrikam", tomorrowAt(10), "bob@fabrikam.com")
	if code, out, errOut := e.run(nil, "run", "--once"); code != 0 {
		t.Fatalf("run --once: exit %d\n%s%s", code, out, errOut)
	}
	base := e.config.Automations[0]
	for i, name := range []string{"Lobby B", "Warehouse"} {
		a := base
		a.Name, a.Mailbox, a.Enabled = name, fmt.Sprintf("visitors%d@contoso.com", i+2), i == 0
		a.TimeZone = "America/New_York"
		e.config.Automations = append(e.config.Automations, a)
	}
	e.saveConfig()

	term := newTerminal(t, e.env, e.bin, "dashboard", "--watch")
	// The first frame may come before the state database is read ("reading…").
	screen := term.waitFor("3 automations, 2 enabled", "Reception", "Lobby B", "Warehouse", "automation 1 of 3", "not running")
	for name, want := range map[string]string{"Reception": "not running", "Lobby B": "not running", "Warehouse": "disabled"} {
		if line := lineOf(screen, name); !strings.Contains(line, want) {
			t.Errorf("the overview's line of %s lacks %q: %q", name, want, line)
		}
	}
	if !regexp.MustCompile(`Reception\s+not running\s+\d\d:\d\d:\d\d CES?T`).MatchString(screen) {
		t.Errorf("the last poll of Reception is not shown in its zone:\n%s", screen)
	}
	term.keys("Enter")
	term.waitFor("[Reception]", "Lobby B", "esc all automations", "Kick-off with Fabrikam")
	term.keys("Escape")
	term.waitFor("automation 1 of 3")
	term.keys("/")
	term.text("ware")
	term.waitFor("automation 1 of 1")
	term.keys("Enter", "Enter")
	term.waitFor("[Warehouse]", "○ disabled")
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("the dashboard exited %d", code)
	}
}

// lineOf is the first line of screen that contains s.
func lineOf(screen, s string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestE2ELogPaneFollowsTheServicesLog: `run --log-file` writes the
// service's log to a file, nothing to standard error, and the dashboard's
// log pane (l) shows that file's lines, and new ones as they come.
func TestE2ELogPaneFollowsTheServicesLog(t *testing.T) {
	e := newE2E(t)
	logPath := filepath.Join(e.dir, "service.log")
	e.meeting("Kick-off with Fabrikam", tomorrowAt(10), "bob@fabrikam.com")
	service, _, stderr := e.command(nil, "run", "--log-file", logPath)
	if err := service.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { service.Process.Kill(); service.Wait() })
	waitUntil(t, "the service's first visit", func() bool { return len(e.idm.ActiveVisits()) == 1 })

	term := newTerminal(t, e.env, e.bin, "dashboard", "--refresh", "200ms", "--log-file", logPath)
	term.waitFor("Kick-off with Fabrikam")
	term.keys("l")
	term.waitFor(logPath, "INFO", "event created")
	e.meeting("Supplier review", tomorrowAt(14), "carol@northwind.example")
	term.keys("Escape")
	term.waitFor("p poll now") // the log pane has closed: its footer has no poll now
	term.keys("p")             // the service polls now, and logs the new meeting
	term.waitFor("Supplier review")
	term.keys("l")
	term.waitFor(logPath, "Supplier review")
	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("the dashboard exited %d", code)
	}
	if strings.Contains(stderr.String(), "level=") {
		t.Errorf("with --log-file the service still logs on standard error:\n%s", stderr)
	}
}
