package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	stdsync "sync"
	"syscall"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph/graphtest"
	"invitesync/idm"
	"invitesync/idm/idmtest"
)

const (
	e2eMailbox = "visitors@contoso.com"
	e2eHost    = "hanna.host@contoso.com"
)

var (
	buildOnce stdsync.Once
	builtBin  string
	buildErr  error
)

// binary builds invitesync once per test run and returns its path.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "invitesync-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "invitesync")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return builtBin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// e2e is the built binary pointed at the Graph and IDM simulators, with its
// own configuration and state, and secrets given through the environment.
type e2e struct {
	t      testing.TB
	bin    string
	dir    string
	graph  *graphtest.Server
	idm    *idmtest.Server
	env    []string
	config *config.Config
}

func newE2E(t testing.TB) *e2e {
	t.Helper()
	e := &e2e{t: t, bin: binary(t), dir: t.TempDir()}
	e.graph = graphtest.NewServer(graphtest.WithMailboxes(e2eMailbox))
	t.Cleanup(e.graph.Close)
	e.idm = idmtest.NewTLSServer()
	t.Cleanup(e.idm.Close)
	e.idm.AddEmployee(idm.Employee{Email: e2eHost, DisplayName: "Hanna Host"})

	ca := filepath.Join(e.dir, "ca.pem")
	if err := os.WriteFile(ca, append(e.graph.CACertPEM(), e.idm.CACertPEM()...), 0o644); err != nil {
		t.Fatal(err)
	}
	e.config = &config.Config{
		IDM: config.IDM{URL: e.idm.URL()},
		Automations: []config.Automation{{
			Name: "Reception", Environment: idmtest.DefaultEnvironment.Name, Enabled: true,
			Interval: time.Minute, Protocol: config.ProtocolOutlook, Mailbox: e2eMailbox,
			TimeZone: "Europe/Madrid", TenantID: e.graph.TenantID, ClientID: e.graph.ClientID,
			SecretExpires: config.Date{Year: 2099, Month: 1, Day: 1}, Replies: true,
			LookAheadDays: 30, DayStart: "08:00", DayEnd: "18:00",
		}},
	}
	e.saveConfig()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INVITESYNC_") && !strings.HasPrefix(kv, "SSL_CERT_") {
			e.env = append(e.env, kv)
		}
	}
	e.env = append(e.env,
		"INVITESYNC_CONFIG="+e.configPath(),
		"INVITESYNC_STATE="+filepath.Join(e.dir, "state", "state.db"),
		"SSL_CERT_FILE="+ca,
		"INVITESYNC_AUTHORITY_HOST="+e.graph.AuthorityHost(),
		"INVITESYNC_GRAPH_URL="+e.graph.GraphURL(),
		"INVITESYNC_CLIENT_SECRET="+e.graph.Secret,
		"INVITESYNC_IDM_API_KEY="+e.idm.APIKey(),
	)
	return e
}

func (e *e2e) configPath() string { return filepath.Join(e.dir, "config", "config.toml") }

func (e *e2e) saveConfig() {
	e.t.Helper()
	if err := config.Overwrite(e.configPath(), e.config); err != nil {
		e.t.Fatalf("saving the configuration: %v", err)
	}
}

// command prepares the binary with args and extra environment.
func (e *e2e) command(env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(e.bin, args...)
	cmd.Env = append(append([]string(nil), e.env...), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	return cmd, &out, &errOut
}

// run runs the binary to the end and returns its exit code and output.
func (e *e2e) run(env []string, args ...string) (int, string, string) {
	e.t.Helper()
	cmd, out, errOut := e.command(env, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		e.t.Fatalf("invitesync %v did not finish:\n%s", args, errOut)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// meeting adds an invitation from the host to the mailbox and guests.
func (e *e2e) meeting(subject string, start time.Time, guests ...string) string {
	e.t.Helper()
	attendees := []graphtest.Attendee{{Person: graphtest.Person{Name: "Visitors", Address: e2eMailbox}, Type: "optional"}}
	for _, g := range guests {
		attendees = append(attendees, graphtest.Attendee{Person: graphtest.Person{Address: g}})
	}
	id, err := e.graph.AddEvent(e2eMailbox, graphtest.Event{
		Subject: subject, Location: "Reception", TimeZone: "Europe/Madrid",
		Organizer: graphtest.Person{Name: "Hanna Host", Address: e2eHost},
		Attendees: attendees, Start: start, End: start.Add(time.Hour),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func tomorrowAt(hour int) time.Time {
	madrid, _ := time.LoadLocation("Europe/Madrid")
	n := time.Now().In(madrid)
	return time.Date(n.Year(), n.Month(), n.Day()+1, hour, 0, 0, 0, madrid)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestE2ERunKilledMidCycleThenOnce(t *testing.T) {
	e := newE2E(t)
	want := map[string]bool{} // "event/visitor"
	events := map[string]bool{}
	for i := range 10 {
		a, b := "guest"+string(rune('a'+i))+"@fabrikam.com", "other"+string(rune('a'+i))+"@northwind.example"
		id := e.meeting("Visit", tomorrowAt(8).Add(time.Duration(i)*time.Hour).AddDate(0, 0, i%3), a, b)
		want[id+"/"+a], want[id+"/"+b], events[id] = true, true, true
	}
	// A slow IDM keeps the outbox busy long enough to kill the service in it.
	e.idm.SetDelay(150 * time.Millisecond)
	cmd, _, stderr := e.command(nil, "run")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the first visits", func() bool { return len(e.idm.ActiveVisits()) >= 4 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killedAt := len(e.idm.ActiveVisits())
	if killedAt >= len(want) {
		t.Fatalf("all %d visits were delivered before the kill; the test did not kill mid-cycle", killedAt)
	}
	t.Logf("killed with %d of %d visits delivered", killedAt, len(want))

	e.idm.ClearFaults()
	code, _, errOut := e.run(nil, "run", "--once")
	if code != 0 {
		t.Fatalf("run --once after the kill: exit %d\n%s\n(killed run's log:\n%s)", code, errOut, stderr)
	}
	all := e.idm.Visits()
	if len(all) != len(want) {
		t.Fatalf("IDM holds %d visits (cancelled included), want exactly %d", len(all), len(want))
	}
	for _, v := range all {
		key := v.Source.EventID + "/" + v.Visitor.Email
		if !want[key] || v.Status != idm.StatusExpected || v.Revision != 1 {
			t.Errorf("visit %s: %s status %s revision %d; want one expected visit per guest, written once", v.Ref, key, v.Status, v.Revision)
		}
		delete(want, key)
	}
	if len(want) != 0 {
		t.Errorf("visits missing: %v", want)
	}
	accepted := map[string]bool{}
	for _, r := range e.graph.Replies() {
		if r.Action == "accept" {
			accepted[r.EventID] = true
		}
	}
	if len(accepted) != len(events) {
		t.Errorf("%d of %d meetings were accepted", len(accepted), len(events))
	}

	// Nothing is left to do: another run --once writes nothing.
	writes := e.idm.Writes()
	if code, _, errOut := e.run(nil, "run", "--once"); code != 0 || e.idm.Writes() != writes {
		t.Fatalf("a second run --once: exit %d, %d IDM writes\n%s", code, e.idm.Writes()-writes, errOut)
	}
}

func TestE2ERunStopsOnSIGTERMAndStatusTellsIt(t *testing.T) {
	e := newE2E(t)
	e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com", "bob@fabrikam.com")
	e.meeting("Team sync", tomorrowAt(12), "colleague@contoso.com")
	cmd, _, stderr := e.command(nil, "run")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the visits", func() bool { return len(e.idm.ActiveVisits()) == 2 && len(e.graph.Replies()) == 1 })
	code, out, _ := e.run(nil, "status", "--json")
	var running struct {
		Automations []statusJSON `json:"automations"`
	}
	if err := json.Unmarshal([]byte(out), &running); code != 0 || err != nil || len(running.Automations) != 1 || !running.Automations[0].Running {
		t.Fatalf("status while running: exit %d, %v\n%s", code, err, out)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run after SIGTERM: %v\n%s", err, stderr)
	}
	for _, want := range []string{"level=INFO", "automation=Reception", "event created", "invitesync stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stderr)
		}
	}

	code, out, errOut := e.run(nil, "status", "--json")
	var st struct {
		Automations []statusJSON `json:"automations"`
	}
	// Nothing runs the automation any more, but it polled a moment ago:
	// healthy (exit 0) until two intervals pass without a poll.
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil {
		t.Fatalf("status --json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	s := st.Automations[0]
	if s.Running || s.State != "stopped" || s.Counts.Created != 1 || s.Counts.Skipped != 1 || s.PendingOperations != 0 ||
		s.LastPoll == nil || s.LastSuccess == nil || s.SecretDaysLeft == nil || *s.SecretDaysLeft < 365 || s.SecretWarning != "" {
		t.Fatalf("status = %+v", s)
	}
	code, out, _ = e.run(nil, "status")
	for _, want := range []string{"Reception", "not running (last state: stopped)", "1 created, 0 updated, 0 cancelled, 1 skipped, 0 failed", "0 pending; 0 failed for good", "days left (2099-01-01)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("status (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
}

func TestE2EStatusWarnsOfSecretExpiry(t *testing.T) {
	e := newE2E(t)
	soon := time.Now().AddDate(0, 0, 10)
	e.config.Automations[0].SecretExpires = config.Date{Year: soon.Year(), Month: soon.Month(), Day: soon.Day()}
	e.saveConfig()
	code, out, _ := e.run(nil, "status")
	if code != 3 || !strings.Contains(out, "! the client secret expires in 10 days") || !strings.Contains(out, "invitesync secret rotate") || !strings.Contains(out, "never run") {
		t.Fatalf("status (exit %d):\n%s", code, out)
	}
	past := time.Now().AddDate(0, 0, -2)
	e.config.Automations[0].SecretExpires = config.Date{Year: past.Year(), Month: past.Month(), Day: past.Day()}
	e.saveConfig()
	code, out, _ = e.run(nil, "status", "--json")
	var st struct {
		Automations []statusJSON `json:"automations"`
	}
	if err := json.Unmarshal([]byte(out), &st); code != 1 || err != nil || *st.Automations[0].SecretDaysLeft != -2 ||
		!strings.Contains(st.Automations[0].SecretWarning, "expired on") {
		t.Fatalf("status --json (exit %d): %s", code, out)
	}
}

func TestE2ERunOnceFailsWhenWorkFails(t *testing.T) {
	e := newE2E(t)
	e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
	e.idm.Fail(-1, 503, 0) // IDM down: nothing can be looked up or delivered
	code, _, errOut := e.run(nil, "run", "--once")
	if code != exitFailed || !strings.Contains(errOut, "Reception") {
		t.Fatalf("run --once with IDM down: exit %d, want %d\n%s", code, exitFailed, errOut)
	}
	e.idm.ClearFaults()
	if code, _, errOut := e.run(nil, "run", "--once"); code != 0 || len(e.idm.ActiveVisits()) != 1 {
		t.Fatalf("run --once after IDM recovered: exit %d, %d visits\n%s", code, len(e.idm.ActiveVisits()), errOut)
	}
}

func TestE2ECheck(t *testing.T) {
	e := newE2E(t)
	code, out, errOut := e.run(nil, "check", "--json")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || !rep.OK || len(rep.Automations) != 1 || len(rep.Automations[0].Checks) != 5 {
		t.Fatalf("check --json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	// The stable shape: every key present on every check.
	var loose struct {
		Automations []struct {
			Checks []map[string]any `json:"checks"`
		} `json:"automations"`
	}
	json.Unmarshal([]byte(out), &loose)
	for _, c := range loose.Automations[0].Checks {
		for _, k := range []string{"id", "ok", "step", "code", "message", "fix"} {
			if _, ok := c[k]; !ok {
				t.Errorf("check %v lacks %q", c["id"], k)
			}
		}
	}

	code, out, _ = e.run([]string{"INVITESYNC_CLIENT_SECRET=" + e.graph.SecretID, "INVITESYNC_IDM_API_KEY=wrong-key-0123456789"}, "check", "--json")
	rep = checkReport{}
	if err := json.Unmarshal([]byte(out), &rep); code != exitFailed || err != nil || rep.OK {
		t.Fatalf("check --json with wrong secrets: exit %d, %v\n%s", code, err, out)
	}
	checks := map[string]checkJSON{}
	for _, c := range rep.Automations[0].Checks {
		checks[c.ID] = c
	}
	if c := checks["token"]; c.OK || c.Step != 3 || c.Code != "AADSTS7000215" || c.Fix == "" {
		t.Errorf("token check = %+v, want AADSTS7000215 at step 3 with a fix", c)
	}
	if c := checks["idm-health"]; c.OK || c.Step != 6 || c.Code != "unauthorized" {
		t.Errorf("idm-health check = %+v, want unauthorized at step 6", c)
	}
	if strings.Contains(out, e.graph.SecretID) || strings.Contains(out, "wrong-key-0123456789") {
		t.Errorf("a secret reached the output:\n%s", out)
	}

	code, out, _ = e.run(nil, "check")
	if code != 0 || !strings.Contains(out, "✓ ok   token") || !strings.Contains(out, "All checks passed.") {
		t.Errorf("check (exit %d):\n%s", code, out)
	}
	if code, _, errOut := e.run(nil, "check", "--automation", "Nope"); code != exitUsage || !strings.Contains(errOut, `no automation named "Nope"`) {
		t.Errorf("check --automation Nope: exit %d\n%s", code, errOut)
	}
}

// jsonKeys returns the keys of a JSON object.
func jsonKeys(t *testing.T, obj map[string]json.RawMessage) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for k := range obj {
		out[k] = true
	}
	return out
}

// wantKeys fails unless keys holds every required key and nothing beyond
// required and optional.
func wantKeys(t *testing.T, what string, keys map[string]bool, required, optional []string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, k := range required {
		allowed[k] = true
		if !keys[k] {
			t.Errorf("%s lacks %q", what, k)
		}
	}
	for _, k := range optional {
		allowed[k] = true
	}
	for k := range keys {
		if !allowed[k] {
			t.Errorf("%s has the undocumented key %q", what, k)
		}
	}
}

func TestE2EStatusShowsThrottlingInTheDocumentedShape(t *testing.T) {
	e := newE2E(t)
	e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
	e.graph.Throttle(0, 10*time.Minute)
	cmd, _, stderr := e.command(nil, "run")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	}()
	var out string
	waitUntil(t, "a throttled status", func() bool {
		_, out, _ = e.run(nil, "status", "--json")
		return strings.Contains(out, `"state": "throttled"`)
	})
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	wantKeys(t, "status --json", jsonKeys(t, doc), []string{"verdict", "automations"}, nil)
	var autos []map[string]json.RawMessage
	if err := json.Unmarshal(doc["automations"], &autos); err != nil || len(autos) != 1 {
		t.Fatalf("automations: %v\n%s", err, out)
	}
	statusKeys := []string{"name", "enabled", "state", "running", "runBy", "lastPoll", "lastSuccess", "nextPoll", "throttledUntil",
		"counts", "pendingOperations", "nextAttempt", "failedOperations", "lastError", "secretExpires", "secretDaysLeft", "secretWarning",
		"verdict", "verdictReasons"}
	wantKeys(t, "an automation in status --json", jsonKeys(t, autos[0]), statusKeys, nil)
	var counts map[string]json.RawMessage
	if err := json.Unmarshal(autos[0]["counts"], &counts); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, "counts", jsonKeys(t, counts), []string{"created", "updated", "cancelled", "skipped", "failed"}, nil)
	var until time.Time
	if err := json.Unmarshal(autos[0]["throttledUntil"], &until); err != nil || until.Before(time.Now().Add(8*time.Minute)) {
		t.Errorf("throttledUntil = %s (%v), want Graph's Retry-After of 10 minutes", autos[0]["throttledUntil"], err)
	}
	if _, text, _ := e.run(nil, "status"); !strings.Contains(text, "throttled until") || !strings.Contains(text, "ApplicationThrottled") {
		t.Errorf("status does not say it is throttled:\n%s", text)
	}
	if n := len(e.idm.Requests()); n != 0 {
		t.Errorf("a throttled poll made %d IDM requests", n)
	}
	if strings.Count(stderr.String(), "poll failed") > 1 {
		t.Errorf("the throttling was logged more than once:\n%s", stderr)
	}

	// Stopped, nobody polls: every key is still there, null when unknown.
	stopped = true
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run after SIGTERM: %v\n%s", err, stderr)
	}
	_, out, _ = e.run(nil, "status", "--json")
	autos = nil
	if err := json.Unmarshal([]byte(out), &doc); err != nil || json.Unmarshal(doc["automations"], &autos) != nil || len(autos) != 1 {
		t.Fatalf("status --json after the stop: %v\n%s", err, out)
	}
	wantKeys(t, "a stopped automation in status --json", jsonKeys(t, autos[0]), statusKeys, nil)
	if string(autos[0]["nextPoll"]) != "null" || string(autos[0]["running"]) != "false" {
		t.Errorf("stopped: nextPoll %s, running %s; want null and false", autos[0]["nextPoll"], autos[0]["running"])
	}
}

func TestE2ECheckJSONHasTheDocumentedShape(t *testing.T) {
	e := newE2E(t)
	_, out, _ := e.run([]string{"INVITESYNC_CLIENT_SECRET=" + e.graph.SecretID}, "check", "--json")
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("check --json: %v\n%s", err, out)
	}
	wantKeys(t, "check --json", jsonKeys(t, doc), []string{"ok", "automations"}, nil)
	var autos []map[string]json.RawMessage
	if err := json.Unmarshal(doc["automations"], &autos); err != nil || len(autos) != 1 {
		t.Fatalf("automations: %v\n%s", err, out)
	}
	wantKeys(t, "an automation in check --json", jsonKeys(t, autos[0]), []string{"name", "ok", "checks"}, nil)
	var checks []map[string]json.RawMessage
	if err := json.Unmarshal(autos[0]["checks"], &checks); err != nil || len(checks) == 0 {
		t.Fatalf("checks: %v\n%s", err, out)
	}
	for _, c := range checks {
		wantKeys(t, "check "+string(c["id"]), jsonKeys(t, c), []string{"id", "ok", "step", "code", "message", "fix"}, []string{"warning"})
	}
	var first struct {
		ID, Code, Message, Fix string
		OK                     bool
		Step                   int
	}
	if err := json.Unmarshal(mustMarshal(t, checks[0]), &first); err != nil || first.ID != "token" || first.OK ||
		first.Step != 3 || first.Code != "AADSTS7000215" || first.Message == "" || !strings.Contains(first.Fix, "Value") {
		t.Errorf("first check = %+v, %v; want token failing at step 3 with AADSTS7000215", first, err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
