package main

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"invitesync/internal/keyringtest"
)

// After `setup --no-input` come the next steps: the service, the
// dashboard, the preview (each with the configuration and the state
// database given), the text for the employees and the word on IDM's own
// automations; `service-unit` then prints or writes the unit they name.
func TestSetupSaysWhatNextAndServiceUnitWritesIt(t *testing.T) {
	keyringtest.Require(t)
	e := newSetupEnv(t)
	code, stdout, stderr := e.run("", e.newAutomationArgs(t, "Front desk")...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	// The state database was given with --state: the commands name it too.
	state := filepath.Join(e.stateDir, "state.db")
	cfg := "--config " + e.configPath() + " --state " + state
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
	code, stdout, stderr = e.run("", "service-unit", "--system", "--user", "invitesync")
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
		"User=invitesync\n",
		"WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the system unit lacks %q:\n%s", want, stdout)
		}
	}
}

// A system unit never runs the service as root unasked: under sudo it runs
// as the user who ran sudo, as root without sudo it asks for --user, and
// --user wins over both.
func TestServiceUnitUser(t *testing.T) {
	ana := func() (*user.User, error) { return &user.User{Username: "ana"}, nil }
	for _, c := range []struct {
		runAs string
		euid  int
		sudo  string
		want  string // the user, or what the error says
	}{
		{"", 1000, "", "ana"},
		{"", 1000, "bob", "ana"}, // SUDO_USER counts for root only
		{"", 0, "bob", "bob"},
		{"", 0, "", "error: --user NAME"},
		{"", 0, "root", "error: --user NAME"},
		{"", 0, "bob\nExecStartPre=/bin/sh", "error: --user NAME"},
		{"svc", 0, "bob", "svc"},
		{"svc", 1000, "", "svc"},
		{"root", 0, "", "root"},
		{"1001", 0, "", "1001"},
		{"svc\nExecStartPre=/bin/sh", 0, "", "error: is not a user name"},
		{"-svc", 1000, "", "error: is not a user name"},
	} {
		got, err := unitUser(c.runAs, c.euid, c.sudo, ana)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != c.want && !(strings.HasPrefix(c.want, "error: ") && strings.Contains(got, strings.TrimPrefix(c.want, "error: "))) {
			t.Errorf("unitUser(%q, %d, %q) = %q; want %q", c.runAs, c.euid, c.sudo, got, c.want)
		}
	}

	e := exchangeEnv(t, frontDesk("Front desk", "visitors@contoso.com"))
	if code, out, errOut := e.run("", "service-unit", "--system", "--user", "invitesync"); code != exitOK || !strings.Contains(out, "\nUser=invitesync\n") {
		t.Errorf("--user: exit %d, %s%s", code, out, errOut)
	}
	if code, out, errOut := e.run("", "service-unit", "--user", "invitesync"); code != exitUsage || out != "" || !strings.Contains(errOut, "--user goes with --system") {
		t.Errorf("--user without --system: exit %d, %q %q", code, out, errOut)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SUDO_USER", "bob")
	want := "\nUser=" + me.Username + "\n"
	if os.Geteuid() == 0 {
		want = "\nUser=bob\n"
	}
	if code, out, errOut := e.run("", "service-unit", "--system"); code != exitOK || !strings.Contains(out, want) {
		t.Errorf("SUDO_USER=bob: exit %d, want %q in\n%s%s", code, want, out, errOut)
	}
	if os.Geteuid() != 0 {
		return
	}
	t.Setenv("SUDO_USER", "")
	unit := filepath.Join(t.TempDir(), "invitesync.service")
	code, out, errOut := e.run("", "service-unit", "--system", "-o", unit)
	if code != exitUsage || out != "" || !strings.Contains(errOut, "--user NAME") {
		t.Errorf("root without sudo: exit %d, %q %q", code, out, errOut)
	}
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Errorf("a unit was written: %v", err)
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
