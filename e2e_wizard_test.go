package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph/graphtest"
	"invitesync/idm/idmtest"
	"invitesync/internal/keyringtest"
	"invitesync/internal/leaktest"
)

// wizardMachine is an administrator's machine for the wizard: the built
// binary, the simulators, empty configuration and state directories, and the
// private Secret Service the test binary started (see TestMain).
type wizardMachine struct {
	graph               *graphtest.Server
	idm                 *idmtest.Server
	configDir, stateDir string
	env                 []string
}

func newWizardMachine(t *testing.T) *wizardMachine {
	t.Helper()
	keyringtest.Require(t)
	m := &wizardMachine{configDir: t.TempDir(), stateDir: t.TempDir()}
	m.graph = graphtest.NewServer(graphtest.WithMailboxes(e2eMailbox))
	t.Cleanup(m.graph.Close)
	m.idm = idmtest.NewTLSServer()
	t.Cleanup(m.idm.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, append(m.graph.CACertPEM(), m.idm.CACertPEM()...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INVITESYNC_") && !strings.HasPrefix(kv, "SSL_CERT_") && !strings.HasPrefix(kv, "ACCESSIBLE=") {
			m.env = append(m.env, kv)
		}
	}
	m.env = append(m.env,
		"INVITESYNC_CONFIG="+m.configPath(),
		"INVITESYNC_STATE="+filepath.Join(m.stateDir, "state.db"),
		"SSL_CERT_FILE="+ca,
		"INVITESYNC_AUTHORITY_HOST="+m.graph.AuthorityHost(),
		"INVITESYNC_GRAPH_URL="+m.graph.GraphURL(),
	)
	return m
}

func (m *wizardMachine) configPath() string {
	return filepath.Join(m.configDir, "invitesync", "config.toml")
}

// answer waits for the field titled title to have the focus, replaces its
// text with value and presses Enter.
func answer(term *terminal, title, value string) {
	term.t.Helper()
	term.waitFor("┃ " + title)
	term.keys("C-u")
	if value != "" {
		term.text(value)
	}
	term.keys("Enter")
}

// press waits for the field titled title to have the focus and sends keys.
func press(term *terminal, title string, keys ...string) {
	term.t.Helper()
	term.waitFor("┃ " + title)
	term.keys(keys...)
}

// TestE2EWizardSetsUpAnAutomation types through all six steps of the real
// binary in a real terminal, against the Graph and IDM simulators and the
// real Secret Service, and checks what was written: the configuration, the
// secrets in the keyring, and no secret in any file.
func TestE2EWizardSetsUpAnAutomation(t *testing.T) {
	m := newWizardMachine(t)
	term := newTerminal(t, m.env, binary(t), "setup")
	expires := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	const objectID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
	script := filepath.Join(m.configDir, "exchange.ps1")

	term.waitFor("Step 1 of 6", "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade")
	press(term, "Steps 1–4", "Enter") // in the portal
	answer(term, "Application name", "Salto-IDM-Calendar-Integration-Test")
	term.waitFor("Step 2 of 6", "Calendars.ReadWrite")
	press(term, "Admin consent granted?", "y")
	term.waitFor("Step 3 of 6")
	answer(term, "Client secret value", m.graph.SecretID) // the Secret ID, as people often paste
	answer(term, "The secret expires on", expires)
	press(term, "That looks like the Secret ID", "n")
	term.waitFor("Paste the secret's Value, not its Secret ID.")
	answer(term, "Client secret value", m.graph.Secret)
	answer(term, "The secret expires on", expires)
	term.waitFor("Step 4 of 6")
	answer(term, "Directory (tenant) ID", m.graph.TenantID)
	answer(term, "Application (client) ID", m.graph.ClientID)
	answer(term, "Object ID of the enterprise application", objectID)
	answer(term, "Mailbox address", e2eMailbox)
	term.waitFor("Step 5 of 6", "Connect-ExchangeOnline", "New-ServicePrincipal -AppId '"+m.graph.ClientID+"'")
	press(term, "Limit the app to this one mailbox?", "Enter")
	press(term, "Also give the app FullAccess to the mailbox?", "Enter") // left out
	answer(term, "Save the commands as", script)
	press(term, "Copy the commands to the clipboard too?", "n")
	term.waitFor("Step 6 of 6")
	answer(term, "Salto IDM API address", m.idm.URL())
	answer(term, "Salto IDM API key", m.idm.APIKey())
	term.waitFor("Production (Europe/Madrid)") // IDM's own list
	press(term, "Salto IDM environment", "Enter")
	answer(term, "Automation name", "Reception")
	press(term, "Poll every", "Enter")
	press(term, "Time zone of the environment", "Enter") // the environment's zone, preselected
	press(term, "Enabled?", "Enter")
	press(term, "Internal domains", "Enter")
	press(term, "Never register these addresses", "Enter")
	press(term, "Answer the organizer?", "Enter")
	press(term, "Change the advanced settings?", "n")
	press(term, "Ready to test and save", "Enter")
	term.waitFor("Saved automation \"Reception\"", "invitesync setup --no-input")
	term.keys("Enter")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	term.waitFor("What next", "Administration > Automations")
	printed := term.scrollback()
	for _, want := range []string{"and turns its invitations into visits", "invitesync setup --no-input", "--name Reception", "--client-secret-file FILE",
		"invitesync service-unit --config " + m.configPath() + " -o ~/.config/systemd/user/invitesync.service",
		"add " + e2eMailbox + " to your meeting invitations with external guests"} {
		if !strings.Contains(printed, want) {
			t.Errorf("the wizard left no %q on the terminal", want)
		}
	}

	cfg, err := config.Load(m.configPath())
	if err != nil {
		t.Fatal(err)
	}
	a, ok := cfg.Automation("Reception")
	if !ok {
		t.Fatalf("no automation Reception in %+v", cfg)
	}
	if a.Mailbox != e2eMailbox || a.TenantID != m.graph.TenantID || a.ClientID != m.graph.ClientID ||
		a.EnterpriseObjectID != objectID || a.Environment != "Production" || a.TimeZone != "Europe/Madrid" ||
		a.SecretExpires.String() != expires || a.Interval != 5*time.Minute || !a.Enabled {
		t.Errorf("saved automation %+v", *a)
	}
	if cfg.IDM.URL != m.idm.URL() {
		t.Errorf("IDM URL %q", cfg.IDM.URL)
	}
	// The secrets are the configuration's own: under the id written in it.
	if cfg.ID == "" {
		t.Error("the configuration has no id")
	}
	kr := config.NewSecrets(config.NewKeyring(), cfg.ID)
	if v, err := kr.Get(config.ClientSecretKey("Reception")); err != nil || v != m.graph.Secret {
		t.Errorf("client secret in the keyring: %v (matches: %v)", err, v == m.graph.Secret)
	}
	if v, err := kr.Get(config.IDMAPIKeyKey); err != nil || v != m.idm.APIKey() {
		t.Errorf("IDM API key in the keyring: %v (matches: %v)", err, v == m.idm.APIKey())
	}
	if b, err := os.ReadFile(script); err != nil || !bytes.Contains(b, []byte("\r\nNew-ServicePrincipal -AppId '"+m.graph.ClientID+"'")) ||
		bytes.Contains(b, []byte("\r\nAdd-MailboxPermission")) {
		t.Errorf("the step-5 script, which must register the app and leave FullAccess out by default: %v\n%s", err, b)
	}
	for _, dir := range []string{m.configDir, m.stateDir} {
		for _, secret := range []string{m.graph.Secret, m.idm.APIKey()} {
			if hits, _ := leaktest.FilesHolding(t, dir, secret); len(hits) > 0 {
				t.Errorf("a secret was written to %v", hits)
			}
		}
	}
}

// TestE2EWizardAccessibleMode runs the wizard with ACCESSIBLE=1: plain
// prompts a screen reader can follow, the same validation, the secret not
// echoed, and Ctrl+C leaving with the finished steps kept and no secret
// written.
func TestE2EWizardAccessibleMode(t *testing.T) {
	m := newWizardMachine(t)
	term := newTerminal(t, append(m.env, "ACCESSIBLE=1"), binary(t), "setup")
	term.waitFor("Step 1 of 6: Register the app in Azure", "Application name [Enter keeps Salto-IDM-Calendar-Integration-Production]")
	term.keys("Enter")
	term.waitFor("Admin consent granted? [y/N]")
	term.keys("y", "Enter")
	term.waitFor("Step 3 of 6: Create a client secret", "Client secret value")
	term.text("has a space")
	term.keys("Enter")
	term.waitFor("contains spaces or control characters")
	term.text(m.graph.Secret)
	term.keys("Enter")
	term.waitFor("The secret expires on (YYYY-MM-DD)")
	term.text("2020-01-01")
	term.keys("Enter")
	term.waitFor("has passed")
	if strings.Contains(term.screen(), m.graph.Secret) {
		t.Error("the secret was echoed")
	}
	// In accessible mode the terminal is not raw: Ctrl+C is a signal (which
	// also ends the shell that would record the exit status), so the message
	// is what shows the program left on its own terms.
	term.keys("C-c")
	term.waitFor("invitesync: set-up stopped at step 3 before saving")
	if _, err := os.Stat(m.configPath()); !os.IsNotExist(err) {
		t.Errorf("a configuration was written: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(m.configPath()), "setup-progress.json"))
	if err != nil || !bytes.Contains(b, []byte(`"step": 3`)) {
		t.Errorf("progress kept: %v\n%s", err, b)
	}
	for _, dir := range []string{m.configDir, m.stateDir} {
		if hits, _ := leaktest.FilesHolding(t, dir, m.graph.Secret); len(hits) > 0 {
			t.Errorf("the secret was written to %v", hits)
		}
	}
}
