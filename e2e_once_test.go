package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"invitesync/idm/idmtest"
)

// runTimed runs the binary to the end and returns its exit code, output,
// how long it took and the CPU time it used.
func (e *e2e) runTimed(env []string, args ...string) (code int, stdout, stderr string, took, cpu time.Duration) {
	e.t.Helper()
	start := time.Now()
	cmd, out, errOut := e.command(env, args...)
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(3 * time.Minute):
			cmd.Process.Kill()
		}
	}()
	cmd.Wait()
	close(done)
	ps := cmd.ProcessState
	return ps.ExitCode(), out.String(), errOut.String(), time.Since(start), ps.UserTime() + ps.SystemTime()
}

// TestE2ERunOnceAlwaysEnds drives `run --once` into each way IDM can refuse
// a visit: it exits 1 within its documented bound, says what failed or
// waits, uses little CPU (no loop spinning while it waits), and tells the
// organizer once when a visit failed for good.
func TestE2ERunOnceAlwaysEnds(t *testing.T) {
	const window = 3 * time.Second
	// The bound: the window, a cut-off pass of 30 s, and the poll.
	const bound = window + 30*time.Second + 10*time.Second
	put := func(f idmtest.Fault) idmtest.Fault {
		f.Method, f.Path = http.MethodPut, "/visits/"
		return f
	}
	html := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	cases := []struct {
		name    string
		env     string // the automation's IDM environment, when not the default
		fault   *idmtest.Fault
		want    string // in the automation's line
		waiting bool   // still waiting rather than failed for good
	}{
		{name: "unknown environment", env: "Nowhere", want: "the IDM environment was not found"},
		{name: "401", fault: &idmtest.Fault{Status: http.StatusUnauthorized}, want: "IDM rejected the API key"},
		{name: "422", fault: &idmtest.Fault{Status: http.StatusUnprocessableEntity}, want: "422"},
		{name: "HTML 200", fault: &idmtest.Fault{Status: http.StatusOK, Header: html, Body: "<html><body>Welcome</body></html>"},
			want: "not the IDM API's JSON"},
		{name: "404 HTML", fault: &idmtest.Fault{Status: http.StatusNotFound, Header: html, Body: "<html><h1>404 Not Found</h1></html>"},
			want: "404"},
		{name: "redirect to another host", fault: &idmtest.Fault{Status: http.StatusTemporaryRedirect,
			Header: http.Header{"Location": {"https://elsewhere.example/api/v1/visits/x"}}}, want: "another host"},
		{name: "503 with Retry-After 3600", fault: &idmtest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Hour},
			want: "2 still waiting (next try", waiting: true},
		{name: "truncated 200", fault: &idmtest.Fault{Truncate: true}, want: "2 still waiting (next try", waiting: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newE2E(t)
			if c.env != "" {
				e.config.Automations[0].Environment = c.env
				e.saveConfig()
			}
			e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
			if c.fault != nil {
				e.idm.Inject(-1, put(*c.fault))
			}
			code, out, errOut, took, cpu := e.runTimed(nil, "run", "--once", "--retry-window", window.String())
			t.Logf("exit %d in %v, CPU %v: %s", code, took.Round(time.Millisecond), cpu, strings.TrimSpace(out))
			if code != exitFailed || !strings.HasPrefix(out, "Reception: ") || !strings.Contains(out, c.want) {
				t.Fatalf("run --once: exit %d, stdout %q; want exit 1 and a line saying %q\n%s", code, out, c.want, errOut)
			}
			if took > bound {
				t.Errorf("run --once took %v, beyond its bound of %v", took, bound)
			}
			if cpu > time.Second {
				t.Errorf("run --once used %v of CPU, want under a second", cpu)
			}
			replies := e.graph.Replies()
			switch {
			case c.waiting && len(replies) != 0:
				t.Errorf("replied %+v while the visit still waits", replies)
			case !c.waiting && (len(replies) != 1 || replies[0].Action != "tentativelyAccept" ||
				!strings.Contains(replies[0].Comment, "Could not register in Salto IDM")):
				t.Errorf("replies = %+v, want one tentative saying the visit could not be registered", replies)
			}
			if !c.waiting {
				if !strings.Contains(out, "1 failed (first: ") || !strings.Contains(out, "1 organizer told their visits failed") {
					t.Errorf("the line does not say what failed and who was told: %q", out)
				}
				// Nothing is left to do: the next run ends at once and tells nobody again.
				code, out, _, _, _ := e.runTimed(nil, "run", "--once")
				if code != 0 || len(e.graph.Replies()) != 1 {
					t.Errorf("a second run --once: exit %d, %d replies: %s", code, len(e.graph.Replies()), out)
				}
			}
		})
	}
}

func TestE2ERunOnceRetriesWithinItsWindow(t *testing.T) {
	e := newE2E(t)
	e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
	e.idm.Inject(2, idmtest.Fault{Method: http.MethodPut, Path: "/visits/", Status: http.StatusServiceUnavailable})
	code, out, errOut, _, _ := e.runTimed(nil, "run", "--once")
	if code != 0 || out != "Reception: 2 delivered\n" || len(e.idm.ActiveVisits()) != 1 {
		t.Fatalf("run --once with IDM back within the window: exit %d, %q, %d visits\n%s", code, out, len(e.idm.ActiveVisits()), errOut)
	}
	if r := e.graph.Replies(); len(r) != 1 || r[0].Action != "accept" {
		t.Errorf("replies = %+v, want one accept", r)
	}
	code, out, _ = e.run(nil, "status")
	// Nothing needs doing: a scheduled run --once keeps it healthy.
	if code != 0 || !strings.Contains(out, "0 pending; 0 failed for good") {
		t.Errorf("status after the run (exit %d):\n%s", code, out)
	}
}

// TestE2ELeaseLastsALongCycle is the long first round against a slow IDM:
// 80 visits at 2 s a write take some 40 s, longer than the 30 s lease. A
// second run --once started 33 s in is refused, naming the first; every
// visit is written once, and the first run ends normally.
func TestE2ELeaseLastsALongCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("a 45 s real-time run")
	}
	e := newE2E(t)
	for i := range 40 {
		e.meeting(fmt.Sprintf("Visit %d", i), tomorrowAt(8).Add(time.Duration(i%10)*time.Hour).AddDate(0, 0, i/10),
			fmt.Sprintf("ann%d@fabrikam.com", i), fmt.Sprintf("bob%d@northwind.example", i))
	}
	e.idm.SetDelay(2 * time.Second)
	first, out, stderr := e.command(nil, "run", "--once")
	start := time.Now()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	select {
	case err := <-exited:
		t.Fatalf("the first run ended after %v: %v\n%s", time.Since(start), err, stderr)
	case <-time.After(33 * time.Second):
	}
	code, secondOut, secondErr := e.run(nil, "run", "--once")
	if code != exitFailed || !strings.Contains(secondOut, "Reception: not run: ") ||
		!strings.Contains(secondOut, fmt.Sprintf("already run by pid %d on ", first.Process.Pid)) {
		t.Fatalf("the second run, 33 s in: exit %d\n%s%s", code, secondOut, secondErr)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(2 * time.Minute):
		first.Process.Kill()
		t.Fatalf("the first run did not end\n%s", stderr)
	}
	took := time.Since(start)
	if err != nil || out.String() != "Reception: 120 delivered\n" {
		t.Fatalf("the first run: %v after %v, stdout %q\n%s", err, took, out, stderr)
	}
	if took < 35*time.Second {
		t.Fatalf("the first run took %v, not longer than the lease; the test proves nothing", took)
	}
	if n := e.idm.Count(http.MethodPut, "/visits/"); n != 80 {
		t.Errorf("%d visit PUTs, want each of the 80 once", n)
	}
}
