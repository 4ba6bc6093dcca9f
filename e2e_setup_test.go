package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph/graphtest"
	"invitesync/idm/idmtest"
	"invitesync/internal/keyringtest"
)

// keyringOnly makes the binary find its secrets in the OS keyring: no
// secret variables in its environment.
func (e *e2e) keyringOnly() {
	var env []string
	for _, kv := range e.env {
		if !strings.HasPrefix(kv, config.EnvClientSecret) && !strings.HasPrefix(kv, config.EnvIDMAPIKey) {
			env = append(env, kv)
		}
	}
	e.env = env
}

// secretFile writes value to a file of its own and returns its path.
func (e *e2e) secretFile(name, value string) string {
	e.t.Helper()
	p := filepath.Join(e.t.TempDir(), name)
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// setupArgs is `setup --no-input` for the simulators' automation, with
// clientSecret as its client secret.
func (e *e2e) setupArgs(name, clientSecret string, extra ...string) []string {
	return append([]string{"setup", "--no-input", "--name", name, "--environment", idmtest.DefaultEnvironment.Name,
		"--mailbox", e2eMailbox, "--timezone", "Europe/Madrid", "--tenant-id", e.graph.TenantID,
		"--client-id", e.graph.ClientID, "--secret-expires", "2099-01-01", "--idm-url", e.idm.URL(),
		"--idm-api-key-file", e.secretFile("idm-api-key", e.idm.APIKey()),
		"--client-secret-file", e.secretFile("client-secret", clientSecret)}, extra...)
}

// secrets is the configuration's secrets in the OS keyring.
func (e *e2e) secrets() *config.Secrets {
	s, _ := config.OpenSecrets(e.configPath(), config.NewKeyring())
	return s
}

// TestE2ESetupCheckSavesOnlyWhatWorks: `setup --no-input --check` runs the
// live test first; a wrong secret is exit 1 with step 3's diagnosis and
// nothing saved, for a new automation and for a rotation alike.
func TestE2ESetupCheckSavesOnlyWhatWorks(t *testing.T) {
	keyringtest.Require(t)
	e := newE2E(t)
	e.keyringOnly()
	os.Remove(e.configPath())
	const wrong = "Wr0ng8Q~notTheSecretOfThisApp.0123456789"

	code, out, errOut := e.run(nil, e.setupArgs("Reception", wrong, "--check")...)
	if code != exitFailed {
		t.Fatalf("a wrong secret: exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	for _, want := range []string{"✗ FAIL token", "Entra ID rejected the client secret", "(step 3, AADSTS7000215)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the test's output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "nothing was saved: the live test failed at step 3: Entra ID rejected the client secret") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if _, err := os.Stat(e.configPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a configuration was written: %v", err)
	}
	for _, key := range []string{config.ClientSecretKey("Reception"), config.IDMAPIKeyKey} {
		if _, err := e.secrets().Get(key); !errors.Is(err, config.ErrSecretNotFound) {
			t.Errorf("%s was stored: %v", key, err)
		}
	}

	code, out, errOut = e.run(nil, e.setupArgs("Reception", e.graph.Secret, "--check")...)
	if code != exitOK || !strings.Contains(out, "The live test passed before saving.") {
		t.Fatalf("the right secret: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e.run(nil, "check"); code != exitOK {
		t.Fatalf("check after setup --check: exit %d\n%s%s", code, out, errOut)
	}

	// Rotating to a wrong secret changes nothing.
	before, _ := os.ReadFile(e.configPath())
	cmd, stdout, stderr := e.command(nil, "setup", "--no-input", "--name", "Reception", "--client-secret-stdin",
		"--secret-expires", "2099-06-30", "--check")
	cmd.Stdin = strings.NewReader(wrong + "\n")
	if err := cmd.Run(); cmd.ProcessState.ExitCode() != exitFailed {
		t.Fatalf("rotation to a wrong secret: %v\n%s%s", err, stdout, stderr)
	}
	if !strings.Contains(stdout.String(), "(step 3, AADSTS7000215)") {
		t.Errorf("rotation: %s", stdout)
	}
	if after, _ := os.ReadFile(e.configPath()); string(after) != string(before) {
		t.Errorf("the configuration changed:\n%s", after)
	}
	if v, _ := e.secrets().Get(config.ClientSecretKey("Reception")); v != e.graph.Secret {
		t.Error("the stored secret was replaced by the one that failed")
	}
	if strings.Contains(stdout.String()+stderr.String()+out+errOut, e.graph.Secret) {
		t.Error("the output shows the secret")
	}
}

// TestE2ETwoConfigurationsWithTheSameAutomationName: two configurations in
// two directories, each with an automation "Reception" and its own IDM (and
// key), set up one after the other through the keyring: both check green.
func TestE2ETwoConfigurationsWithTheSameAutomationName(t *testing.T) {
	keyringtest.Require(t)
	var es []*e2e
	for range 2 {
		e := newE2E(t)
		e.keyringOnly()
		os.Remove(e.configPath())
		if code, out, errOut := e.run(nil, e.setupArgs("Reception", e.graph.Secret)...); code != exitOK {
			t.Fatalf("setup: exit %d\n%s%s", code, out, errOut)
		}
		es = append(es, e)
	}
	if es[0].idm.APIKey() == es[1].idm.APIKey() || es[0].graph.Secret == es[1].graph.Secret {
		t.Fatal("the two simulators share their secrets; the test proves nothing")
	}
	for i, e := range es {
		code, out, errOut := e.run(nil, "check")
		if code != exitOK || !strings.Contains(out, "All checks passed.") {
			t.Errorf("configuration %d: check exit %d\n%s%s", i+1, code, out, errOut)
		}
	}
	a, _ := config.Load(es[0].configPath())
	b, _ := config.Load(es[1].configPath())
	if a.ID == "" || a.ID == b.ID {
		t.Errorf("configuration IDs %q and %q", a.ID, b.ID)
	}
}

// TestE2EAdoptsMachineWideKeyringItems: a configuration from before
// configurations had IDs finds its secrets under the machine-wide names; the
// first command that reads them copies them to the configuration's own
// items and says so, once; afterwards the old items are not read.
func TestE2EAdoptsMachineWideKeyringItems(t *testing.T) {
	keyringtest.Require(t)
	e := newE2E(t)
	e.keyringOnly()
	data, _ := os.ReadFile(e.configPath())
	legacy := strings.Replace(string(data), `id = "`+config.PathID(e.configPath())+`"`+"\n", "", 1)
	if legacy == string(data) {
		t.Fatalf("no id line in:\n%s", data)
	}
	os.WriteFile(e.configPath(), []byte(legacy), 0o600)
	kr := config.NewKeyring()
	for k, v := range map[string]string{"client-secret/Reception": e.graph.Secret, "idm-api-key": e.idm.APIKey()} {
		if err := kr.Set(k, v); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { kr.Delete(k) })
	}

	code, out, errOut := e.run(nil, "check")
	if code != exitOK {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		`invitesync: The Salto IDM API key now has its own keyring item "` + e.secrets().ID() + `/idm-api-key", copied from the machine-wide "idm-api-key", which this configuration no longer uses`,
		`invitesync: The client secret of automation "Reception" now has its own keyring item "` + e.secrets().ID() + `/client-secret/Reception"`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code, out, errOut := e.run(nil, "check"); code != exitOK || strings.Contains(errOut, "keyring item") {
		t.Fatalf("the second check: exit %d, or it copied again:\n%s%s", code, out, errOut)
	}
	// Another configuration overwrites the old items: this one is not affected.
	kr.Set("idm-api-key", "another-configurations-key")
	kr.Delete("client-secret/Reception")
	if code, out, errOut := e.run(nil, "check"); code != exitOK {
		t.Fatalf("check after the old items changed: exit %d\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(e.configPath()); string(got) != legacy {
		t.Error("check rewrote the configuration")
	}
}

// TestE2EPerAutomationSecretsRunHeadless: two automations whose apps have
// different client secrets run with no keyring at all, each secret given by
// its own variable (one as a value, one as a file).
func TestE2EPerAutomationSecretsRunHeadless(t *testing.T) {
	e := newE2E(t)
	e.keyringOnly()
	const warehouse = "warehouse@contoso.com"
	e.graph.AddMailbox(warehouse)
	app := e.graph.RegisterApp()
	second := e.config.Automations[0]
	second.Name, second.Mailbox, second.ClientID = "Warehouse gate", warehouse, app.ClientID
	e.config.Automations = append(e.config.Automations, second)
	e.saveConfig()
	e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
	_, err := e.graph.AddEvent(warehouse, graphtest.Event{
		Subject: "Delivery", TimeZone: "Europe/Madrid", Organizer: graphtest.Person{Name: "Hanna Host", Address: e2eHost},
		Attendees: []graphtest.Attendee{{Person: graphtest.Person{Address: warehouse}}, {Person: graphtest.Person{Address: "driver@northwind.example"}}},
		Start:     tomorrowAt(11), End: tomorrowAt(11).Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	headless := []string{
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(e.dir, "no-bus"),
		config.EnvIDMAPIKey + "=" + e.idm.APIKey(),
		"INVITESYNC_CLIENT_SECRET_RECEPTION=" + e.graph.Secret,
		"INVITESYNC_CLIENT_SECRET_FILE_WAREHOUSE_GATE=" + e.secretFile("warehouse-secret", app.Secret),
	}
	if code, out, errOut := e.run(headless, "check"); code != exitOK {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut := e.run(headless, "run", "--once")
	if code != exitOK {
		t.Fatalf("run --once: exit %d\n%s", code, errOut)
	}
	visitors := map[string]bool{}
	for _, v := range e.idm.ActiveVisits() {
		visitors[v.Visitor.Email] = true
	}
	if !visitors["ann.guest@fabrikam.com"] || !visitors["driver@northwind.example"] {
		t.Fatalf("visits for %v, want both mailboxes' guests", visitors)
	}
	// One shared secret cannot serve both apps: the per-automation variable is what works.
	shared := []string{headless[0], headless[1], config.EnvClientSecret + "=" + e.graph.Secret}
	code, out, _ := e.run(shared, "check")
	if code != exitFailed || !strings.Contains(out, "AADSTS7000215") {
		t.Fatalf("check with one shared secret: exit %d\n%s", code, out)
	}
}
