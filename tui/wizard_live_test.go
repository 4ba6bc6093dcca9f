package tui

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm/idmtest"
	"invitesync/livecheck"
)

// TestWizardWrongSecretAgainstTheSimulators runs the real live test (the
// one `invitesync check` runs) against graphtest and idmtest over loopback
// TLS: a wrong secret is refused by Entra with AADSTS7000215, the wizard lands on step 3's secret field explaining it
// beside the field, and with the secret's Value typed there one key runs
// the same chain again, which passes and saves.
func TestWizardWrongSecretAgainstTheSimulators(t *testing.T) {
	g := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	defer g.Close()
	im := idmtest.NewTLSServer()
	defer im.Close()

	h := newHarness(t)
	opts := h.options()
	steps := livecheck.Steps(false)
	opts.Checks = make([]CheckInfo, len(steps))
	for i, s := range steps {
		opts.Checks[i] = CheckInfo{ID: s.ID, Title: s.Title}
	}
	opts.LiveTest = func(ctx context.Context, in LiveTestInput, report func(diag.Result)) []diag.Result {
		return livecheck.Run(ctx, livecheck.Input{
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
	opts.Secrets = Secrets{ClientSecret: "Qx8Q~not.this.app's-secret_value", IDMAPIKey: im.APIKey()}
	h.start(opts)

	h.acceptStep6()

	h.see("Step 3 of 6", "Sign in to Entra ID (client credentials): failed")
	h.focus("Client secret value")
	h.see(symbolFail+" AADSTS7000215: Entra ID rejected the client secret", "ctrl+r test and save again")
	h.key(tea.KeyCtrlU)
	h.tm.Type(g.Secret)
	h.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlR})
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
