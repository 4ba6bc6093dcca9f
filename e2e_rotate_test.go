package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph/graphtest"
	"invitesync/internal/keyringtest"
)

// ownApp returns the simulator's own app registration, the automation's.
func (e *e2e) ownApp() graphtest.Application {
	e.t.Helper()
	for _, a := range e.graph.Applications() {
		if a.AppID == e.graph.ClientID {
			return a
		}
	}
	e.t.Fatal("the simulator's own app is gone")
	return graphtest.Application{}
}

// rotateSetup saves the automation with its secret in the keyring, and
// adds an Application Administrator, who may change the app.
func rotateSetup(t *testing.T) *e2e {
	keyringtest.Require(t)
	e := newE2E(t)
	e.keyringOnly()
	os.Remove(e.configPath())
	if code, out, errOut := e.run(nil, e.setupArgs("Reception", e.graph.Secret)...); code != exitOK {
		t.Fatalf("setup: exit %d\n%s%s", code, out, errOut)
	}
	e.graph.AddUser("apps@contoso.com", graphtest.ApplicationAdministrator)
	return e
}

// TestE2ESecretRotateLeavesOneWorkingSecret: the new secret is added,
// tested (waiting while Entra takes it in), stored and dated in the
// configuration, and only then the old one goes: one secret remains, and
// it works.
func TestE2ESecretRotateLeavesOneWorkingSecret(t *testing.T) {
	e := rotateSetup(t)
	e.graph.SetPropagationDelay(2 * time.Second)
	code, out, errOut, userCode := e.runSigningIn("apps@contoso.com", "secret", "rotate", "--secret-months", "6", "--consent-wait", "1m")
	if code != exitOK {
		t.Fatalf("secret rotate: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"enter the code " + userCode,
		"permissions Application.ReadWrite.All.",
		"✓ New client secret added",
		"Entra ID does not accept the new client secret yet: trying again in",
		"The new secret is stored in the OS keyring",
		"✓ Old client secret removed from the app registration (ID " + e.graph.SecretID,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	app := e.ownApp()
	secret, err := e.secrets().Get(config.ClientSecretKey("Reception"))
	if err != nil || secret == e.graph.Secret {
		t.Fatalf("the keyring holds the old secret (or none: %v)", err)
	}
	wantEnd := time.Now().AddDate(0, 6, 0)
	if len(app.Passwords) != 1 || app.Passwords[0].Hint != secret[:3] || app.Passwords[0].End.Sub(wantEnd).Abs() > time.Minute {
		t.Errorf("the app's secrets: %+v, want one, the keyring's, expiring about %s", app.Passwords, wantEnd)
	}
	c, _ := config.Load(e.configPath())
	if au, _ := c.Automation("Reception"); au.SecretExpires != dateOf(wantEnd) {
		t.Errorf("the configuration's expiry %s, want %s", au.SecretExpires, dateOf(wantEnd))
	}
	if strings.Contains(out+errOut, secret) {
		t.Error("the output shows the new secret")
	}
	noFileHolds(t, e.dir, secret)
	if code, out, errOut := e.run(nil, "check"); code != exitOK {
		t.Fatalf("check with the new secret: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = e.run([]string{config.EnvClientSecret + "=" + e.graph.Secret}, "check")
	if code != exitFailed || !strings.Contains(out, "AADSTS7000215") {
		t.Errorf("the old secret still signs in: exit %d\n%s", code, out)
	}
}

// TestE2ESecretRotateKeepsTheOldWhenTheNewFails: a new secret that does not
// pass its test is removed again; the old one, the keyring and the
// configuration stay as they were. A secret given by a variable is refused.
func TestE2ESecretRotateKeepsTheOldWhenTheNewFails(t *testing.T) {
	e := rotateSetup(t)
	before, _ := os.ReadFile(e.configPath())

	code, _, errOut := e.run([]string{"INVITESYNC_CLIENT_SECRET_RECEPTION=" + e.graph.Secret}, "secret", "rotate")
	if code != exitUsage || !strings.Contains(errOut, "INVITESYNC_CLIENT_SECRET_RECEPTION gives the client secret") {
		t.Errorf("with the secret in a variable: exit %d\n%s", code, errOut)
	}
	if n := len(e.graph.DeviceCodes()); n != 0 {
		t.Errorf("%d sign-ins were started", n)
	}

	e.graph.SetPropagationDelay(time.Hour) // the new secret never works in time
	code, out, errOut, _ := e.runSigningIn("apps@contoso.com", "secret", "rotate", "--automation", "Reception", "--consent-wait", "3s")
	if code != exitFailed {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"the old client secret is kept and nothing was saved: the live test still failed after waiting 3s (--consent-wait): Entra ID does not accept the new client secret yet",
		"The new secret was removed from the app registration again.",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	app := e.ownApp()
	if len(app.Passwords) != 1 || app.Passwords[0].KeyID != e.graph.SecretID {
		t.Errorf("the app's secrets: %+v, want only the old one", app.Passwords)
	}
	if v, _ := e.secrets().Get(config.ClientSecretKey("Reception")); v != e.graph.Secret {
		t.Error("the keyring no longer holds the old secret")
	}
	if after, _ := os.ReadFile(e.configPath()); string(after) != string(before) {
		t.Errorf("the configuration changed:\n%s", after)
	}
	e.graph.SetPropagationDelay(0)
	if code, out, errOut := e.run(nil, "check"); code != exitOK {
		t.Fatalf("check with the old secret: exit %d\n%s%s", code, out, errOut)
	}
}
