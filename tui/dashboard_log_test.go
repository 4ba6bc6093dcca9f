package tui

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// serviceLog is a log file written the way `invitesync run` writes one:
// slog's text handler, at debug level.
func serviceLog(t *testing.T) (string, *slog.Logger) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "invitesync.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return path, slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestDashboardLogPaneFollowsTheLog(t *testing.T) {
	path, log := serviceLog(t)
	log.Debug("poll failed again", "automation", "reception", "failures", 3)
	log.Info("operator command", "automation", "reception", "command", "poll-now")
	log.Warn("cannot renew the lease", "automation", "reception", "error", "database is locked")
	log.Error("poll failed", "automation", "reception", "error", "AADSTS7000215: invalid client secret\x1b[2J")
	d := newTestDashboard(t, weekSource(), func(o *DashboardOptions) { o.LogFile = path; o.Location = nil })
	d.autos[0].TimeZone = "Europe/Madrid"
	d.zones[0], _ = time.LoadLocation("Europe/Madrid")
	tm := startDashboard(t, d, 140, 30)
	waitFor(t, tm, "Audit with Northwind")

	tm.Send(keyRunes("l"))
	waitFor(t, tm, "Log "+path, "level INFO and above", "following the file",
		"INFO  operator command automation=reception command=poll-now",
		"WARN  cannot renew the lease automation=reception error=\"database is locked\"",
		"ERROR poll failed automation=reception error=\"AADSTS7000215: invalid client secret\"")

	// Lines written while the pane is open appear at the bottom.
	log.Info("recovered", "automation", "reception", "after_failures", 3)
	waitFor(t, tm, "INFO  recovered automation=reception after_failures=3")

	tm.Send(keyRunes("v")) // WARN and above
	waitFor(t, tm, "level WARN and above")
	view := finalView(t, tm)
	if strings.Contains(view, "operator command") || strings.Contains(view, "recovered") || !strings.Contains(view, "cannot renew the lease") {
		t.Errorf("the level does not filter the lines:\n%s", view)
	}
	if strings.Contains(view, "poll failed again") || strings.Contains(view, "\x1b[2J") {
		t.Errorf("a debug line, or a terminal escape from the log, reached the screen:\n%q", view)
	}
	if !strings.Contains(view, "CET ") && !strings.Contains(view, "CEST ") {
		t.Errorf("the log's times do not name their zone:\n%s", view)
	}
}

func TestDashboardLogPaneFiltersAndGoesBack(t *testing.T) {
	path, log := serviceLog(t)
	for range 3 {
		log.Info("operator command", "automation", "reception", "command", "pause")
	}
	log.Info("lease taken over", "automation", "lobby", "from", "pid 42")
	tm := startDashboard(t, newTestDashboard(t, weekSource(), func(o *DashboardOptions) { o.LogFile = path }), 120, 30)
	waitFor(t, tm, "Audit with Northwind")
	tm.Send(keyRunes("l"))
	waitFor(t, tm, "lease taken over")
	tm.Send(keyRunes("/"))
	tm.Type("LOBBY")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "filter: LOBBY")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // clears the filter
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // back to the table
	waitFor(t, tm, "row 1 of 3")
	tm.Send(keyRunes("l"))
	waitFor(t, tm, "command=pause")
	view := finalView(t, tm)
	if n := strings.Count(view, "command=pause"); n != 3 {
		t.Errorf("%d pause lines after the filter was cleared, want 3:\n%s", n, view)
	}
}

func TestDashboardLogPaneSurvivesACutLog(t *testing.T) {
	path, log := serviceLog(t)
	log.Info("before the cut", "n", 1)
	tm := startDashboard(t, newTestDashboard(t, weekSource(), func(o *DashboardOptions) { o.LogFile = path }), 120, 30)
	waitFor(t, tm, "Audit with Northwind")
	tm.Send(keyRunes("l"))
	waitFor(t, tm, "before the cut")
	if err := os.Truncate(path, 0); err != nil { // logrotate's copytruncate
		t.Fatal(err)
	}
	log.Info("after", "n", 2)
	waitFor(t, tm, "INFO  after n=2")
	view := finalView(t, tm)
	if strings.Contains(view, "before the cut") {
		t.Errorf("lines of the file before it was cut still show:\n%s", view)
	}
}

func TestDashboardLogPaneWithoutALog(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing.log")
	tm := startDashboard(t, newTestDashboard(t, weekSource(), func(o *DashboardOptions) { o.LogFile = missing }), 120, 30)
	waitFor(t, tm, "Audit with Northwind")
	tm.Send(keyRunes("l"))
	waitFor(t, tm, "cannot read the log", "no such file")
	finalView(t, tm)
}

func TestParseLogLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		want logLine
	}{
		{`time=2025-11-24T10:00:00.123+01:00 level=INFO msg="poll failed" automation=reception error="a \"quoted\" reason"`,
			logLine{at: time.Date(2025, 11, 24, 9, 0, 0, 123e6, time.UTC), level: "INFO", msg: "poll failed", attrs: `automation=reception error="a \"quoted\" reason"`}},
		{`time=2025-11-24T10:00:00Z level=WARN msg=short`, logLine{at: time.Date(2025, 11, 24, 10, 0, 0, 0, time.UTC), level: "WARN", msg: "short"}},
		{`panic: runtime error`, logLine{raw: "panic: runtime error"}},
		{`level=INFO msg="unterminated`, logLine{raw: `level=INFO msg="unterminated`}},
		{"msg=\"evil\\u001b[2J\" x=1", logLine{msg: "evil", attrs: "x=1"}},
	} {
		got := parseLogLine(c.in)
		if !got.at.Equal(c.want.at) || got.level != c.want.level || got.msg != c.want.msg || got.attrs != c.want.attrs || got.raw != c.want.raw {
			t.Errorf("parseLogLine(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}
