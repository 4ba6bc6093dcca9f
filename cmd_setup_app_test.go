package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCreateAppRefusesWhatItMakesAndBadFlags: before any sign-in,
// --create-app refuses values it would make itself, a secret lifetime past
// 24 months and a bad admin client ID, each on its own line, exit 2, and
// writes nothing; --delete-app needs one app to name.
func TestCreateAppRefusesWhatItMakesAndBadFlags(t *testing.T) {
	configHome, _ := isolatedHome(t)
	code, out, errOut := runCLI(t, "setup", "--create-app", "--name", "Reception", "--environment", "Production",
		"--mailbox", "visitors@contoso.com", "--timezone", "Europe/Madrid", "--idm-url", "https://idm.example.com/api/v1",
		"--client-id", "0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b", "--secret-expires", "2030-01-01",
		"--secret-months", "25", "--admin-client-id", "graph-tools")
	if code != exitUsage || out != "" {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"--client-id: --create-app makes it: leave it out",
		"--secret-expires: --create-app makes it: leave it out",
		"--secret-months: 25 is out of range: expected 1 to 24 months",
		`--admin-client-id: "graph-tools" is not a GUID`,
		"--idm-api-key-file: required",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	code, _, errOut = runCLI(t, "setup", "--delete-app")
	if code != exitUsage || !strings.Contains(errOut, "--delete-app needs the app registration's name (--app-name) or its Application (client) ID (--client-id), one of them") {
		t.Errorf("--delete-app alone: exit %d\n%s", code, errOut)
	}
	code, _, errOut = runCLI(t, "secret", "rotate", "--secret-months", "0")
	if code != exitUsage || !strings.Contains(errOut, "--secret-months: 0 is out of range") {
		t.Errorf("rotate --secret-months 0: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(configHome, "invitesync")); !os.IsNotExist(err) {
		t.Errorf("something was written: %v", err)
	}
}
