package main

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"invitesync/config"
	"invitesync/internal/keyringtest"
)

// without returns args with flag (and its value) left out.
func without(args []string, flag string) []string {
	i := slices.Index(args, "--"+flag)
	if i < 0 {
		panic("no flag --" + flag)
	}
	return append(slices.Clone(args[:i]), args[i+2:]...)
}

// TestSetupNoInputRefusesEachMissingField leaves out, in turn, each field
// the wizard asks for: exit 2, a line naming it, and nothing written — no
// file for a first automation; the file unchanged, byte for byte, and no
// secret stored when a second one is added.
func TestSetupNoInputRefusesEachMissingField(t *testing.T) {
	keyringtest.Require(t)
	e := newSetupEnv(t)
	required := map[string]string{
		"environment":        "--environment: required: the Salto IDM environment the visits go to",
		"mailbox":            "--mailbox: required: the address users will invite",
		"timezone":           "--timezone: required: an IANA time zone",
		"tenant-id":          "--tenant-id: required: a GUID",
		"client-id":          "--client-id: required: a GUID",
		"client-secret-file": "--client-secret-file: required: a new automation needs its client secret: pass --client-secret-file PATH or --client-secret-stdin",
		"secret-expires":     "--secret-expires: required (YYYY-MM-DD)",
		"idm-url":            "--idm-url: required: expected the API base",
		"idm-api-key-file":   "--idm-api-key-file: required: the first IDM connection needs its API key: pass --idm-api-key-file PATH",
	}
	first := e.newAutomationArgs(t, "Front desk")
	for flag, want := range required {
		t.Run("first/"+flag, func(t *testing.T) {
			code, out, errOut := e.run("", without(first, flag)...)
			if code != exitUsage || !strings.Contains(errOut, want) || strings.Count(errOut, "\n  --") != 1 {
				t.Fatalf("exit %d, want %d and only %q:\n%s%s", code, exitUsage, want, errOut, out)
			}
			if _, err := os.Stat(e.configPath()); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a configuration was written: %v", err)
			}
		})
	}

	if code, out, errOut := e.run("", first...); code != exitOK {
		t.Fatalf("the first automation: exit %d\n%s%s", code, out, errOut)
	}
	before, err := os.ReadFile(e.configPath())
	if err != nil {
		t.Fatal(err)
	}
	// A second automation on another mailbox, with its own client secret;
	// the IDM connection is the configuration's, already there.
	second := e.newAutomationArgs(t, "Warehouse")
	second[slices.Index(second, "--mailbox")+1] = "warehouse@contoso.com"
	second = without(without(second, "idm-url"), "idm-api-key-file")
	for flag, want := range required {
		if flag == "idm-url" || flag == "idm-api-key-file" {
			continue
		}
		t.Run("second/"+flag, func(t *testing.T) {
			code, out, errOut := e.run("", without(second, flag)...)
			if code != exitUsage || !strings.Contains(errOut, want) || strings.Count(errOut, "\n  --") != 1 {
				t.Fatalf("exit %d, want %d and only %q:\n%s%s", code, exitUsage, want, errOut, out)
			}
			if after, _ := os.ReadFile(e.configPath()); string(after) != string(before) {
				t.Fatalf("the configuration changed:\n%s", after)
			}
			if _, err := e.keyring().Get(config.ClientSecretKey("Warehouse")); !errors.Is(err, config.ErrSecretNotFound) {
				t.Fatalf("a secret was stored: %v", err)
			}
		})
	}
	// With every field, it is added, and the IDM key it reuses is named.
	code, out, errOut := e.run("", second...)
	if code != exitOK {
		t.Fatalf("the second automation: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, `The Salto IDM API key: not given, so the one stored in the OS keyring (item "`+e.keyring().StoreKey(config.IDMAPIKeyKey)+`") is kept.`) {
		t.Errorf("the reused IDM key is not named:\n%s", out)
	}
	if strings.Contains(out+errOut, testIDMKey) {
		t.Error("the output shows the IDM key")
	}
}

// TestSetupNoInputRefusesWhatCannotWork: a past expiry date, an edit that
// empties a required field, and a second automation on a watched mailbox.
func TestSetupNoInputRefusesWhatCannotWork(t *testing.T) {
	keyringtest.Require(t)
	e := newSetupEnv(t)
	args := e.newAutomationArgs(t, "Front desk")
	past := slices.Clone(args)
	past[slices.Index(past, "--secret-expires")+1] = "2020-01-01"
	code, out, errOut := e.run("", past...)
	if code != exitUsage || !strings.Contains(errOut, "--secret-expires: 2020-01-01 has passed: this secret no longer works, create a new one (step 3)") {
		t.Fatalf("a past expiry: exit %d\n%s%s", code, errOut, out)
	}
	if _, err := os.Stat(e.configPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a configuration was written: %v", err)
	}

	if code, out, errOut := e.run("", args...); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	before, _ := os.ReadFile(e.configPath())
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an edit that empties the environment", []string{"setup", "--no-input", "--name", "Front desk", "--environment", ""},
			"--environment: required: the Salto IDM environment"},
		{"an edit to a past expiry", []string{"setup", "--no-input", "--name", "Front desk", "--secret-expires", "2020-01-01"},
			"--secret-expires: 2020-01-01 has passed"},
		{"a second automation on the mailbox", without(without(e.newAutomationArgs(t, "Back door"), "idm-url"), "idm-api-key-file"),
			`--mailbox: visitors@contoso.com is already watched by automation "Front desk": one mailbox, one automation`},
		{"its own mailbox, in capitals", []string{"setup", "--no-input", "--name", "Front desk", "--mailbox", "VISITORS@contoso.com"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := e.run("", tc.args...)
			if tc.want == "" { // the automation's own mailbox is not another's
				if code != exitOK {
					t.Fatalf("exit %d\n%s%s", code, errOut, out)
				}
				return
			}
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, want %d and %q:\n%s%s", code, exitUsage, tc.want, errOut, out)
			}
			if after, _ := os.ReadFile(e.configPath()); string(after) != string(before) {
				t.Fatalf("the configuration changed:\n%s", after)
			}
		})
	}
}
