package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"invitesync/internal/keyringtest"
)

// After `setup --no-input` come the next steps: the service, the
// dashboard, the preview, the text for the employees and the word on IDM's
// own automations; `service-unit` then prints or writes the unit they name.
func TestSetupSaysWhatNextAndServiceUnitWritesIt(t *testing.T) {
	keyringtest.Require(t)
	e := newSetupEnv(t)
	code, stdout, stderr := e.run("", e.newAutomationArgs(t, "Front desk")...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	cfg := "--config " + e.configPath()
	for _, want := range []string{
		"invitesync preview " + cfg + " --automation 'Front desk'",
		"invitesync service-unit " + cfg + " -o ~/.config/systemd/user/invitesync.service",
		"systemctl --user enable --now invitesync",
		"invitesync dashboard " + cfg,
		"add visitors@contoso.com to your meeting invitations with external guests",
		"Administration > Automations",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the output lacks %q:\n%s", want, stdout)
		}
	}

	unit := filepath.Join(t.TempDir(), "systemd", "user", "invitesync.service")
	if code, stdout, stderr := e.run("", "service-unit", "-o", unit); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	state := filepath.Join(e.stateDir, "state.db")
	for _, want := range []string{"ExecStart=" + exe + " run --config " + e.configPath() + " --state " + state + "\n",
		"Restart=on-failure\n", "WantedBy=default.target\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the unit lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "LoadCredential") {
		t.Errorf("a user unit reads the keyring, not credentials:\n%s", b)
	}

	// "Front desk file" gets a credential of its own, not the one of "Front desk".
	args := e.newAutomationArgs(t, "Front desk file")
	for i, a := range args {
		if a == "--mailbox" {
			args[i+1] = "deliveries@contoso.com"
		}
	}
	if code, stdout, stderr := e.run("", args...); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = e.run("", "service-unit", "--system")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, secret := range []string{testClientSecret, testIDMKey} {
		if strings.Contains(stdout, secret) {
			t.Errorf("the system unit contains a secret:\n%s", stdout)
		}
	}
	for _, want := range []string{
		"LoadCredential=client-secret-front-desk:/etc/invitesync/client-secret-front-desk\n",
		"Environment=INVITESYNC_CLIENT_SECRET_FILE_FRONT_DESK=%d/client-secret-front-desk\n",
		"LoadCredential=client-secret-front-desk-file:/etc/invitesync/client-secret-front-desk-file\n",
		"Environment=INVITESYNC_CLIENT_SECRET_FILE_FRONT_DESK_FILE=%d/client-secret-front-desk-file\n",
		"LoadCredential=idm-api-key:/etc/invitesync/idm-api-key\n",
		"Environment=INVITESYNC_IDM_API_KEY_FILE=%d/idm-api-key\n",
		"WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the system unit lacks %q:\n%s", want, stdout)
		}
	}
}

// `setup --no-input` refuses what the wizard refuses: here the enterprise
// application's Object ID copied from the client ID's line (the wizard's
// step 4 says the same), with nothing written.
func TestSetupNoInputRefusesWhatTheWizardRefuses(t *testing.T) {
	keyringtest.Require(t)
	e := newSetupEnv(t)
	args := e.newAutomationArgs(t, "Front desk")
	for i, a := range args {
		if a == "--enterprise-object-id" {
			args[i+1] = testClient
		}
	}
	code, stdout, stderr := e.run("", args...)
	if code != exitUsage || !strings.Contains(stderr, "--enterprise-object-id: that is the Application (client) ID") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(e.configPath()); !os.IsNotExist(err) {
		t.Errorf("a configuration was written: %v", err)
	}
}
