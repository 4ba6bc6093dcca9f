package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph/graphtest"
	"invitesync/idm/idmtest"
	"invitesync/internal/keyringtest"
)

const appName = "Salto-IDM-Calendar-Integration-Production"

// runSigningIn runs the binary while upn approves, as a person in a browser
// would, the device code it asks for; it returns the code approved too.
func (e *e2e) runSigningIn(upn string, args ...string) (code int, out, errOut, userCode string) {
	e.t.Helper()
	done := make(chan struct{})
	approved := make(chan string, 1)
	go func() {
		for {
			for _, dc := range e.graph.DeviceCodes() {
				if dc.State == "pending" {
					if err := e.graph.ApproveDeviceCode(dc.UserCode, upn); err == nil {
						approved <- dc.UserCode
						return
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	code, out, errOut = e.run(nil, args...)
	close(done)
	select {
	case userCode = <-approved:
	default:
	}
	return code, out, errOut, userCode
}

// createArgs is `setup --create-app` for the simulators' mailbox and IDM.
func (e *e2e) createArgs(extra ...string) []string {
	return append([]string{"setup", "--create-app", "--name", "Reception", "--environment", idmtest.DefaultEnvironment.Name,
		"--mailbox", e2eMailbox, "--timezone", "Europe/Madrid", "--idm-url", e.idm.URL(),
		"--idm-api-key-file", e.secretFile("idm-api-key", e.idm.APIKey()), "--consent-wait", "1m"}, extra...)
}

// app returns the tenant's app registration named name.
func (e *e2e) app(name string) (graphtest.Application, bool) {
	for _, a := range e.graph.Applications() {
		if a.DisplayName == name {
			return a, true
		}
	}
	return graphtest.Application{}, false
}

// noFileHolds fails t when a file under dir holds secret.
func noFileHolds(t *testing.T, dir, secret string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), secret) {
				t.Errorf("%s holds the client secret", path)
			}
		}
		return nil
	})
}

// TestE2ECreateAppFromNothingThenReuse: one administrator sign-in by device
// code takes an automation from nothing to saved and live-tested: the app
// registration, its enterprise application, consent and a secret are
// created, the test waits (visibly) while Entra ID catches up, and the
// secret is in the keyring and nowhere else. A rerun reuses all of it.
func TestE2ECreateAppFromNothingThenReuse(t *testing.T) {
	keyringtest.Require(t)
	e := newE2E(t)
	e.keyringOnly()
	os.Remove(e.configPath())
	e.graph.AddUser("admin@contoso.com", graphtest.GlobalAdministrator)
	e.graph.SetReplicationDelay(time.Second)
	e.graph.SetPropagationDelay(3 * time.Second)
	before := len(e.graph.Applications())

	code, out, errOut, userCode := e.runSigningIn("admin@contoso.com", e.createArgs()...)
	if code != exitOK {
		t.Fatalf("setup --create-app: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"open " + e.graph.URL() + "/devicelogin and enter the code " + userCode + ".",
		"The code works until",
		"Signed in as admin@contoso.com to tenant " + e.graph.TenantID,
		`✓ App registration "` + appName + `" created`,
		"✓ Enterprise application created (Object ID ",
		"✓ Admin consent granted for Calendars.ReadWrite (application)",
		"✓ Client secret added (ID ",
		"trying again in", // the live test waited for the consent, and said so
		"The live test passed before saving.",
		"New-ServicePrincipal -AppId '",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	app, ok := e.app(appName)
	if !ok || len(e.graph.Applications()) != before+1 {
		t.Fatalf("apps after create: %+v", e.graph.Applications())
	}
	if app.SignInAudience != "AzureADMyOrg" || len(app.Passwords) != 1 || !slices.Equal(app.Consented, []string{"Calendars.ReadWrite"}) {
		t.Errorf("the app: %+v", app)
	}
	c, err := config.Load(e.configPath())
	if err != nil {
		t.Fatal(err)
	}
	au, _ := c.Automation("Reception")
	wantExpiry := dateOf(time.Now().AddDate(0, 12, 0))
	if au.TenantID != e.graph.TenantID || au.ClientID != app.AppID || au.EnterpriseObjectID != app.ServicePrincipalID ||
		au.AppName != appName || au.SecretExpires != wantExpiry {
		t.Errorf("the automation: %+v, want app %+v expiring %s", au, app, wantExpiry)
	}
	secret, err := e.secrets().Get(config.ClientSecretKey("Reception"))
	if err != nil || secret[:3] != app.Passwords[0].Hint {
		t.Fatalf("the keyring's secret (%v) is not the app's", err)
	}
	if strings.Contains(out+errOut, secret) {
		t.Error("the output shows the secret")
	}
	noFileHolds(t, e.dir, secret)
	if code, out, errOut := e.run(nil, "check"); code != exitOK {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut, _ = e.runSigningIn("admin@contoso.com", e.createArgs()...)
	if code != exitOK {
		t.Fatalf("the rerun: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"already exists", "reused", "Admin consent for Calendars.ReadWrite (application) already granted", "is kept"} {
		if !strings.Contains(out, want) {
			t.Errorf("the rerun's output lacks %q:\n%s", want, out)
		}
	}
	again, _ := e.app(appName)
	if len(e.graph.Applications()) != before+1 || again.AppID != app.AppID || len(again.Passwords) != 1 || again.Passwords[0].KeyID != app.Passwords[0].KeyID {
		t.Errorf("after the rerun: %+v", e.graph.Applications())
	}
	if v, _ := e.secrets().Get(config.ClientSecretKey("Reception")); v != secret {
		t.Error("the rerun replaced the stored secret")
	}
}

// TestE2ECreateAppWithoutTheRoleNamesItAndCreatesNothing: an Application
// Administrator may create apps but not consent to a Graph application
// permission: the role is named, with the manual path, before anything is made.
func TestE2ECreateAppWithoutTheRoleNamesItAndCreatesNothing(t *testing.T) {
	keyringtest.Require(t)
	e := newE2E(t)
	e.keyringOnly()
	os.Remove(e.configPath())
	e.graph.AddUser("apps@contoso.com", graphtest.ApplicationAdministrator)
	before := len(e.graph.Applications())
	code, out, errOut, _ := e.runSigningIn("apps@contoso.com", e.createArgs()...)
	if code != exitFailed {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"apps@contoso.com may not grant admin consent for the Microsoft Graph application permission Calendars.ReadWrite",
		"Global Administrator or Privileged Role Administrator",
		"holds only Application Administrator",
		"Nothing was created in the tenant.",
		"Or do steps 1–4 by hand in the Azure portal, as `invitesync setup` (the wizard) walks them",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if len(e.graph.Applications()) != before {
		t.Error("an app was created")
	}
	if _, err := os.Stat(e.configPath()); err == nil {
		t.Error("a configuration was saved")
	}
}

// TestE2ECreateAppFailingHalfwayThenDeleteApp: when the run stops after it
// created something, it says what and how to remove it, keeps no secret it
// added, and `setup --delete-app` removes the rest.
func TestE2ECreateAppFailingHalfwayThenDeleteApp(t *testing.T) {
	keyringtest.Require(t)
	e := newE2E(t)
	e.keyringOnly()
	os.Remove(e.configPath())
	// A token listing a role invitesync does not know cannot be judged
	// beforehand: Graph refuses the consent after the app is made.
	e.graph.AddUser("apps@contoso.com", graphtest.ApplicationAdministrator, graphtest.ExchangeAdministrator)
	e.graph.AddUser("admin@contoso.com", graphtest.GlobalAdministrator)
	before := len(e.graph.Applications())
	code, out, errOut, _ := e.runSigningIn("apps@contoso.com", e.createArgs()...)
	if code != exitFailed {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"Microsoft Graph refused it (403 Authorization_RequestDenied",
		"Created in the tenant by this run, and still there:",
		`App registration "` + appName + `" created`,
		"Enterprise application created",
		`invitesync setup --delete-app --app-name "` + appName + `"`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	// A live test that fails after everything was made: the new secret goes again.
	code, out, errOut, _ = e.runSigningIn("admin@contoso.com", e.createArgs("--mailbox", "nobody@contoso.com")...)
	if code != exitFailed || !strings.Contains(errOut, "the live test failed at step") {
		t.Fatalf("a mailbox that does not exist: exit %d\n%s%s", code, out, errOut)
	}
	app, ok := e.app(appName)
	if !ok || len(app.Passwords) != 0 || !strings.Contains(errOut, "Admin consent granted") || strings.Contains(errOut, "Client secret added") {
		t.Errorf("after the failed test: %+v\n%s", app, errOut)
	}
	if _, err := os.Stat(e.configPath()); err == nil {
		t.Error("a configuration was saved")
	}

	code, out, errOut, _ = e.runSigningIn("admin@contoso.com", "setup", "--delete-app", "--app-name", appName)
	if code != exitOK {
		t.Fatalf("--delete-app: exit %d\n%s%s", code, out, errOut)
	}
	if _, ok := e.app(appName); ok || len(e.graph.Applications()) != before {
		t.Errorf("after --delete-app: %+v", e.graph.Applications())
	}
	if !strings.Contains(out, "Enterprise application "+app.ServicePrincipalID+" deleted") {
		t.Errorf("--delete-app's output:\n%s", out)
	}
}
