package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/graph/provision"
)

// approver approves, as upn in a browser would, each device code g issues,
// until stop is called (or the test ends).
func approver(t *testing.T, g *graphtest.Server, upn string) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	stop = func() { once.Do(func() { close(done) }) }
	t.Cleanup(stop)
	go func() {
		for {
			for _, dc := range g.DeviceCodes() {
				if dc.State == "pending" {
					g.ApproveDeviceCode(dc.UserCode, upn)
				}
			}
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return stop
}

func createOptions(h *harness, g *graphtest.Server) Options {
	opts := h.options()
	opts.CreateApp = ProvisionApp(provision.Options{Graph: graph.Options{
		AuthorityHost: g.AuthorityHost(), GraphURL: g.GraphURL(), HTTPClient: g.Client(), Timeout: 10 * time.Second}}, 12)
	return opts
}

// TestWizardCreateItForMe: step 1's "Create it for me" shows the device
// code, then each step done in the tenant, and goes on at step 4 with the
// IDs filled in; Save tests (as a fresh app, which may wait) and stores the
// new secret, which no screen showed.
func TestWizardCreateItForMe(t *testing.T) {
	g := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	defer g.Close()
	g.AddUser("admin@contoso.com", graphtest.GlobalAdministrator)
	h := newHarness(t)
	h.start(createOptions(h, g))

	h.see("Step 1 of 6")
	h.focus("Steps 1–4")
	h.see("Create it for me: an administrator signs in once")
	h.key(tea.KeyDown)
	h.enter()
	h.answer("Application name", "Salto-IDM-Calendar-Integration-Production")
	h.see("enter the code", "The code works for 1", "Global Administrator or Privileged Role Administrator")
	approver(t, g, "admin@contoso.com")
	h.see("Step 4 of 6", "Steps 1–3 are done and the IDs filled in")
	app := findApp(t, g, "Salto-IDM-Calendar-Integration-Production")
	for _, title := range []string{"Directory (tenant) ID", "Application (client) ID", "Object ID of the enterprise application"} {
		h.focus(title)
		h.enter()
	}
	h.answer("Mailbox address", mailbox)
	h.focus("Limit the app to this one mailbox?")
	h.enter()
	h.focus("Also give the app FullAccess to the mailbox?")
	h.enter()
	h.focus("Save the commands as")
	h.fill("")
	h.focus("Copy the commands to the clipboard too?")
	h.enter()
	h.answer("Salto IDM API address", "https://idm.example.com/api/v1")
	h.answer("Salto IDM API key", idmKey)
	h.focus("Salto IDM environment")
	h.enter()
	h.answer("Automation name", "Front desk")
	h.acceptStep6Rest()
	h.see("Saved automation \"Front desk\"")
	h.enter()
	w := h.final()

	d := w.Draft()
	if d.TenantID != g.TenantID || d.ClientID != app.AppID || d.EnterpriseObjectID != app.ServicePrincipalID || !d.ConsentGranted {
		t.Errorf("draft %+v, app %+v", d, app)
	}
	stored, err := h.store.Get(config.ClientSecretKey("Front desk"))
	if err != nil || len(app.Passwords) != 1 || stored[:3] != app.Passwords[0].Hint {
		t.Fatalf("stored secret (%v) is not the app's %+v", err, app.Passwords)
	}
	if strings.Contains(h.all.String(), stored) {
		t.Error("a screen showed the client secret")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.tested) != 1 || !h.tested[0].Fresh || h.tested[0].ClientSecret != stored {
		t.Errorf("the live test ran with %+v, want the fresh app's secret", h.tested)
	}
	if msg := w.discardCreated(context.Background()); msg != "" || len(findApp(t, g, app.DisplayName).Passwords) != 1 {
		t.Errorf("a saved secret was discarded: %q", msg)
	}
}

// TestWizardCreateItForMeFailsOnStep1: without the role, step 1 says which
// one is missing and how to go on by hand; leaving after a creation that
// worked removes the secret nobody saved.
func TestWizardCreateItForMeFailsOnStep1(t *testing.T) {
	g := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	defer g.Close()
	g.AddUser("apps@contoso.com", graphtest.ApplicationAdministrator)
	g.AddUser("admin@contoso.com", graphtest.GlobalAdministrator)
	h := newHarness(t)
	h.start(createOptions(h, g))
	h.focus("Steps 1–4")
	h.key(tea.KeyDown)
	h.enter()
	h.answer("Application name", "X")
	stop := approver(t, g, "apps@contoso.com")
	h.see("Create it for me stopped", "apps@contoso.com may not grant admin consent", "Nothing was created in the tenant.", "Follow the steps in the portal below")
	if n := len(g.Applications()); n != 1 {
		t.Errorf("%d apps: something was created", n)
	}
	stop()
	h.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	h.final()

	h = newHarness(t)
	h.start(createOptions(h, g))
	h.focus("Steps 1–4")
	h.key(tea.KeyDown)
	h.enter()
	h.answer("Application name", "Y")
	for _, dc := range waitCode(t, g) {
		g.ApproveDeviceCode(dc.UserCode, "admin@contoso.com")
	}
	h.see("Step 4 of 6")
	h.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	w := h.final()
	if len(findApp(t, g, "Y").Passwords) != 1 {
		t.Fatal("no secret was added")
	}
	if msg := w.discardCreated(context.Background()); !strings.Contains(msg, "was removed from the app registration again") || len(findApp(t, g, "Y").Passwords) != 0 {
		t.Errorf("leaving without saving: %q, secrets %+v", msg, findApp(t, g, "Y").Passwords)
	}
}

// waitCode waits for g's pending device codes.
func waitCode(t *testing.T, g *graphtest.Server) []graphtest.DeviceCode {
	t.Helper()
	for range 200 {
		var pending []graphtest.DeviceCode
		for _, dc := range g.DeviceCodes() {
			if dc.State == "pending" {
				pending = append(pending, dc)
			}
		}
		if len(pending) > 0 {
			return pending
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("no device code was asked for")
	return nil
}

func findApp(t *testing.T, g *graphtest.Server, name string) graphtest.Application {
	t.Helper()
	for _, a := range g.Applications() {
		if a.DisplayName == name {
			return a
		}
	}
	t.Fatalf("no app %q", name)
	return graphtest.Application{}
}

// acceptStep6Rest keeps the rest of step 6's answers, after the name, and saves.
func (h *harness) acceptStep6Rest() {
	h.t.Helper()
	for _, title := range []string{"Poll every", "Time zone of the environment", "Enabled?", "Internal domains",
		"Never register these addresses", "Answer the organizer?", "Change the advanced settings?", "Ready to test and save"} {
		h.focus(title)
		h.enter()
	}
}
