package main

import (
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph/graphtest"
	"invitesync/internal/leaktest"
)

// TestE2EWizardCreateItForMe: in the real binary and terminal, step 1's
// "Create it for me" shows the device code; once an administrator signs in
// with it, steps 1–3 are done and the IDs filled in on step 4; Save waits,
// saying so, while Entra ID applies the new app, then stores the secret no
// screen showed.
func TestE2EWizardCreateItForMe(t *testing.T) {
	m := newWizardMachine(t)
	m.graph.AddUser("admin@contoso.com", graphtest.GlobalAdministrator)
	m.graph.SetPropagationDelay(25 * time.Second) // longer than typing steps 4–6 takes
	term := newTerminal(t, m.env, binary(t), "setup")
	const name = "Salto-IDM-Calendar-Integration-Production"

	term.waitFor("Step 1 of 6")
	press(term, "Steps 1–4", "Down", "Enter")
	answer(term, "Application name", name)
	term.waitFor("enter the code", "The code works for")
	var code graphtest.DeviceCode
	for _, dc := range m.graph.DeviceCodes() {
		code = dc
	}
	term.waitFor(code.UserCode)
	if err := m.graph.ApproveDeviceCode(code.UserCode, "admin@contoso.com"); err != nil {
		t.Fatal(err)
	}
	term.waitFor("Step 4 of 6", "Steps 1–3 are done")
	for _, title := range []string{"Directory (tenant) ID", "Application (client) ID", "Object ID of the enterprise application"} {
		press(term, title, "Enter")
	}
	answer(term, "Mailbox address", e2eMailbox)
	press(term, "Limit the app to this one mailbox?", "Enter")
	press(term, "Also give the app FullAccess to the mailbox?", "Enter")
	answer(term, "Save the commands as", "")
	press(term, "Copy the commands to the clipboard too?", "n")
	answer(term, "Salto IDM API address", m.idm.URL())
	answer(term, "Salto IDM API key", m.idm.APIKey())
	press(term, "Salto IDM environment", "Enter")
	answer(term, "Automation name", "Reception")
	for _, title := range []string{"Poll every", "Time zone of the environment", "Enabled?", "Internal domains",
		"Never register these addresses", "Answer the organizer?"} {
		press(term, title, "Enter")
	}
	press(term, "Change the advanced settings?", "n")
	press(term, "Ready to test and save", "Enter")
	term.waitFor("Waiting for Entra ID")
	term.waitFor("Saved automation \"Reception\"")
	term.keys("Enter")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("exit status %d", code)
	}

	cfg, err := config.Load(m.configPath())
	if err != nil {
		t.Fatal(err)
	}
	var app graphtest.Application
	for _, a := range m.graph.Applications() {
		if a.DisplayName == name {
			app = a
		}
	}
	a, _ := cfg.Automation("Reception")
	if a == nil || a.ClientID != app.AppID || a.TenantID != m.graph.TenantID || a.EnterpriseObjectID != app.ServicePrincipalID || len(app.Passwords) != 1 {
		t.Fatalf("saved %+v for app %+v", a, app)
	}
	secret, err := config.NewSecrets(config.NewKeyring(), cfg.ID).Get(config.ClientSecretKey("Reception"))
	if err != nil || secret[:3] != app.Passwords[0].Hint {
		t.Fatalf("the keyring's secret (%v) is not the app's", err)
	}
	for _, dir := range []string{m.configDir, m.stateDir} {
		if hits, _ := leaktest.FilesHolding(t, dir, secret); len(hits) > 0 {
			t.Errorf("the secret was written to %v", hits)
		}
	}
	if strings.Contains(term.screen(), secret) {
		t.Error("the terminal shows the secret")
	}
}
