package main

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// TestE2EHostileGraphIsBounded: against a Graph whose delta nextLink loops
// (to itself, or round three links), whose answer is 200 MB, or which
// redirects to another host, run --once ends with exit 1 and a message that
// says what happened, after a few requests and within a bounded memory; it
// keeps no looping link, sends nothing to the other host, and the next run
// against a Graph that behaves delivers the visit.
func TestE2EHostileGraphIsBounded(t *testing.T) {
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHits.Add(1) }))
	defer other.Close()
	tests := []struct {
		name     string
		hostile  func(e *e2e)
		want     string
		requests int // Graph delta requests the failing run may make
	}{
		{name: "nextLink to itself", hostile: func(e *e2e) { e.graph.LoopNextLinks(1) },
			want: "sent back a nextLink this delta round had already followed", requests: 3},
		{name: "nextLinks in a cycle of three", hostile: func(e *e2e) { e.graph.LoopNextLinks(3) },
			want: "sent back a nextLink this delta round had already followed", requests: 5},
		{name: "a 200 MB answer", hostile: func(e *e2e) { e.graph.PadAnswers(200<<20, "calendarView/delta") },
			want: "more than the 32 MiB invitesync reads", requests: 2},
		{name: "a redirect to another host", hostile: func(e *e2e) { e.graph.RedirectGraph(other.URL) },
			want: "refused to send a request to " + strings.TrimPrefix(other.URL, "http://"), requests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t)
			if code, out, errOut := e.run(nil, "run", "--once"); code != exitOK {
				t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
			}
			e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
			before := len(e.graph.GraphRequests())
			tt.hostile(e)

			cmd, out, errOut := e.command(nil, "run", "--once")
			if err := cmd.Run(); cmd.ProcessState.ExitCode() != exitFailed {
				t.Fatalf("exit %d (%v), want %d\n%s%s", cmd.ProcessState.ExitCode(), err, exitFailed, out, errOut)
			}
			if !strings.Contains(out.String()+errOut.String(), tt.want) {
				t.Errorf("the output lacks %q:\n%s%s", tt.want, out, errOut)
			}
			deltas := 0
			for _, r := range e.graph.GraphRequests()[before:] {
				if strings.Contains(r.Path, "calendarView/delta") {
					deltas++
				}
			}
			if deltas > tt.requests {
				t.Errorf("%d delta requests, want at most %d", deltas, tt.requests)
			}
			if rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss; rss > 200<<10 { // KiB
				t.Errorf("peak memory %d MB", rss>>10)
			}
			if link := savedLink(t, e); strings.Contains(link, "hostile-loop-") {
				t.Errorf("the looping link was kept: %s", link)
			}

			e.graph.ClearHostile()
			if code, out, errOut := e.run(nil, "run", "--once"); code != exitOK || len(e.idm.ActiveVisits()) != 1 {
				t.Fatalf("the run after: exit %d, %d visits\n%s%s", code, len(e.idm.ActiveVisits()), out, errOut)
			}
		})
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
}

// savedLink is the delta link the state database keeps ("" for none).
func savedLink(t *testing.T, e *e2e) string {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(e.dir, "state", "state.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var link string
	if err := db.QueryRow(`SELECT link FROM cursors`).Scan(&link); err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return link
}
