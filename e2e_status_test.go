package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/idm/idmtest"
	"invitesync/sync/store"
)

// statusVerdict runs `status --json` and `status`, and checks that both
// give verdict with exit code code and a reason containing reason.
func (e *e2e) statusVerdict(t *testing.T, verdict string, code int, reason string) statusJSON {
	t.Helper()
	got, out, errOut := e.run(nil, "status", "--json")
	var doc struct {
		Verdict     string       `json:"verdict"`
		Automations []statusJSON `json:"automations"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Automations) != 1 {
		t.Fatalf("status --json: exit %d, %v\n%s%s", got, err, out, errOut)
	}
	s := doc.Automations[0]
	if got != code || doc.Verdict != verdict || s.Verdict != verdict || !strings.Contains(strings.Join(s.VerdictReasons, "\n"), reason) {
		t.Fatalf("status --json: exit %d, verdict %q (%q %v); want exit %d, %s, with %q\n%s", got, doc.Verdict, s.Verdict, s.VerdictReasons, code, verdict, reason, errOut)
	}
	if reason != "" && !strings.Contains(errOut, verdict+": Reception: ") {
		t.Errorf("status --json says nothing on stderr for a cron mail:\n%s", errOut)
	}
	got, out, _ = e.run(nil, "status")
	if got != code || !strings.Contains(out, "verdict") || !strings.Contains(out, verdict) || !strings.Contains(out, reason) {
		t.Fatalf("status: exit %d, want %d with %s and %q:\n%s", got, code, verdict, reason, out)
	}
	return s
}

// TestE2EStatusExitCodes: `status` exits 0 while a service runs the
// automation and nothing needs doing, 3 when it needs attention (the client
// secret expires within 14 days, or nothing runs it), 1 when it fails
// (operations failed for good, or the secret expired).
func TestE2EStatusExitCodes(t *testing.T) {
	e := newE2E(t)
	e.statusVerdict(t, "attention", 3, "never run: start `invitesync run`")

	e.meeting("Kick-off with Fabrikam", tomorrowAt(10), "bob@fabrikam.com")
	service, _, _ := e.command(nil, "run")
	if err := service.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { service.Process.Kill(); service.Wait() })
	waitUntil(t, "the first cycle", func() bool { return len(e.idm.ActiveVisits()) == 1 && e.status(t).State == "idle" })
	s := e.statusVerdict(t, "healthy", 0, "")
	if len(s.VerdictReasons) != 0 {
		t.Errorf("a healthy automation has reasons: %v", s.VerdictReasons)
	}
	// Times are the automation's (Europe/Madrid), and say so.
	_, out, _ := e.run(nil, "status")
	if !regexp.MustCompile(`last poll\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T \(`).MatchString(out) {
		t.Errorf("status does not name the zone of its times:\n%s", out)
	}
	if s.LastPoll == nil || s.LastPoll.Format("-07:00") != s.LastPoll.In(madrid()).Format("-07:00") {
		t.Errorf("lastPoll %v is not in the automation's zone", s.LastPoll)
	}

	soon := time.Now().AddDate(0, 0, 10)
	e.config.Automations[0].SecretExpires = config.Date{Year: soon.Year(), Month: soon.Month(), Day: soon.Day()}
	e.saveConfig()
	e.statusVerdict(t, "attention", 3, "the client secret expires in 10 days")

	// IDM refuses the next visit for good.
	e.config.Automations[0].SecretExpires = config.Date{Year: 2099, Month: 1, Day: 1}
	e.saveConfig()
	e.idm.Forbid(idmtest.DefaultEnvironment.ID)
	e.meeting("Audit by Northwind", tomorrowAt(14), "carol@northwind.com")
	st, err := store.Open(context.Background(), filepath.Join(e.dir, "state", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Request(context.Background(), "Reception", store.CmdPollNow); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a failed operation", func() bool { return e.status(t).FailedOperations > 0 })
	s = e.statusVerdict(t, "failing", 1, "1 operation failed for good (latest: the IDM API key lacks the right")
	if s.Counts.Failed != 1 || s.Counts.Created != 1 {
		t.Errorf("events = %+v, want the kick-off created and the audit failed, each once", s.Counts)
	}

	past := time.Now().AddDate(0, 0, -1)
	e.config.Automations[0].SecretExpires = config.Date{Year: past.Year(), Month: past.Month(), Day: past.Day()}
	e.saveConfig()
	e.statusVerdict(t, "failing", 1, "the client secret expired on")
}

func madrid() *time.Location {
	loc, _ := time.LoadLocation("Europe/Madrid")
	return loc
}

// TestE2ECheckSaysWhenSomethingNeedsAttention: `check` exits 3 when every
// check passes but the client secret expires within 14 days (1 when a
// check fails, 0 when all is well: see TestE2ECheck).
func TestE2ECheckSaysWhenSomethingNeedsAttention(t *testing.T) {
	e := newE2E(t)
	soon := time.Now().AddDate(0, 0, 10)
	e.config.Automations[0].SecretExpires = config.Date{Year: soon.Year(), Month: soon.Month(), Day: soon.Day()}
	e.saveConfig()
	code, out, errOut := e.run(nil, "check", "--json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 3 || !rep.OK ||
		!strings.Contains(errOut, "attention: Reception: the client secret expires in 10 days") {
		t.Fatalf("check --json: exit %d, %v, ok %v; want 3 with the reason\n%s%s", code, err, rep.OK, out, errOut)
	}
	code, out, _ = e.run(nil, "check")
	if code != 3 || !strings.Contains(out, "All checks passed, but something needs attention.") {
		t.Errorf("check: exit %d\n%s", code, out)
	}
}
