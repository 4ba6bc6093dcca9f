package tui

import (
	"context"
	"testing"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm/idmtest"
	invsync "invitesync/sync"
)

// TestWizardWrongSecretAgainstTheSimulators runs the real live test (the
// one `invitesync check` runs) against graphtest and idmtest over loopback
// TLS: a Secret ID pasted as the secret is refused by Entra with
// AADSTS7000215, the wizard lands on step 3 explaining it, and with the
// secret's Value the same chain passes and is saved.
func TestWizardWrongSecretAgainstTheSimulators(t *testing.T) {
	g := graphtest.NewServer(mailbox)
	defer g.Close()
	im := idmtest.NewTLSServer()
	defer im.Close()

	h := newHarness(t)
	opts := h.options()
	steps := invsync.CheckSteps(false)
	opts.Checks = make([]CheckInfo, len(steps))
	for i, s := range steps {
		opts.Checks[i] = CheckInfo{ID: s.ID, Title: s.Title}
	}
	opts.LiveTest = func(ctx context.Context, in LiveTestInput, report func(graph.CheckResult)) []graph.CheckResult {
		return invsync.CheckAutomation(ctx, invsync.CheckInput{
			Automation: in.Automation, IDMURL: in.IDM.URL, ClientSecret: in.ClientSecret, IDMKey: in.IDMAPIKey,
			Graph:         graph.Options{AuthorityHost: g.AuthorityHost(), GraphURL: g.GraphURL(), HTTPClient: g.Client()},
			IDMHTTPClient: im.Client(),
		}, report)
	}
	opts.Environments = nil // a text field: the environment is typed
	d := prefilled()
	d.Step = 6
	d.TenantID, d.ClientID = g.TenantID, g.ClientID
	d.IDMURL, d.Environment = im.URL(), idmtest.DefaultEnvironment.Name
	opts.Draft = &d
	opts.Secrets = Secrets{ClientSecret: g.SecretID, IDMAPIKey: im.APIKey()}
	h.start(opts)

	h.acceptStep6()

	h.see("Step 3 of 6", "AADSTS7000215", "Fix:")
	h.focus("Client secret value")
	h.fill(g.Secret)
	h.focus("The secret expires on")
	h.enter()
	h.see("Step 4 of 6")
	for _, title := range []string{"Directory (tenant) ID", "Application (client) ID", "Object ID of the enterprise application", "Mailbox address"} {
		h.focus(title)
		h.enter()
	}
	h.focus("Limit the app to this one mailbox?")
	h.enter()
	h.focus("Also give the app FullAccess to the mailbox?")
	h.enter()
	h.focus("Save the commands as")
	h.fill("")
	h.focus("Copy the commands to the clipboard too?")
	h.enter()
	h.acceptStep6()
	h.see("Saved automation \"Front desk\"")
	h.enter()

	w := h.final()
	if !w.Result().Saved {
		t.Fatalf("not saved: %+v", w.Banner())
	}
	if v, _ := h.store.Get(config.ClientSecretKey("Front desk")); v != g.Secret {
		t.Error("the secret's Value was not stored")
	}
	if _, err := config.Load(h.cfgPath); err != nil {
		t.Fatal(err)
	}
}
