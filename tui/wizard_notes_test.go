package tui

import (
	"os"
	"strings"
	"testing"

	"invitesync/config"
)

// legacyNotesSetup is a configuration written before configurations had an
// ID, automation "Warehouse", whose secrets are the machine-wide keyring
// items, and options that add "Front desk" to it with the raw keyring as
// the store: saving adopts those items, and says so.
func legacyNotesSetup(t *testing.T, h *harness) Options {
	t.Helper()
	w := config.NewAutomation("Warehouse")
	w.Environment, w.Mailbox, w.TimeZone = "Production", "warehouse@contoso.com", "Europe/Berlin"
	w.TenantID, w.ClientID, w.EnterpriseObjectID = tenantID, clientID, objectID
	cfg := &config.Config{IDM: config.IDM{URL: "https://idm.example.com/api/v1"}, Automations: []config.Automation{w}}
	if err := config.Save(h.cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	legacy := strings.Replace(string(data), `id = "`+config.PathID(h.cfgPath)+`"`+"\n", "", 1)
	if err := os.WriteFile(h.cfgPath, []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	raw := config.NewMemoryStore()
	for k, v := range map[string]string{config.IDMAPIKeyKey: idmKey, config.ClientSecretKey("Warehouse"): "warehouse-secret"} {
		if err := raw.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	opts := h.options()
	opts.Store = raw
	d := prefilled()
	d.Step = 6
	opts.Draft = &d
	opts.Secrets = Secrets{ClientSecret: secretVal, IDMAPIKey: idmKey}
	return opts
}

// wantNote is what the store's note says of the client secret of
// "Warehouse", which the wizard's save adopted.
func wantNote(path string) string {
	return `The client secret of automation "Warehouse" now has its own keyring item "` +
		config.PathID(path) + `/client-secret/Warehouse", copied from the machine-wide "client-secret/Warehouse"`
}

// What the secret store says while saving (here: older keyring items
// adopted) is shown with the result, never a secret with it.
func TestWizardShowsTheSecretStoresNotes(t *testing.T) {
	h := newHarness(t)
	opts := legacyNotesSetup(t, h)
	h.start(opts)
	h.acceptStep6()
	h.see(`Saved automation "Front desk"`, "note: The Salto IDM API key now has its own keyring item")
	h.see("note:", `automation "Warehouse" now has its own keyring item`, `copied from the machine-wide "client-secret/Warehouse"`)
	h.enter()
	w := h.final()
	if notes := w.Result().Notes; !w.Result().Saved || len(notes) != 2 || !strings.HasPrefix(notes[1], wantNote(h.cfgPath)) {
		t.Fatalf("saved %v, notes %q", w.Result().Saved, notes)
	}
	for _, secret := range []string{secretVal, idmKey, "warehouse-secret"} {
		if strings.Contains(h.all.String(), secret) || strings.Contains(savedText(plainStyles(), w.Result()), secret) {
			t.Errorf("a secret reached the screen")
		}
	}
}

// Accessible mode says the same notes after saving.
func TestAccessibleModeSaysTheSecretStoresNotes(t *testing.T) {
	h := newHarness(t)
	opts := legacyNotesSetup(t, h)
	run := startAccessible(t, opts)
	for _, q := range fullScreenOrder[6] {
		line := ""
		switch q {
		case "Salto IDM API key":
			run.see(q) // a password prompt reads the terminal: the prefilled key stays
			continue
		case "Enabled?", "Answer the organizer?":
			line = "y"
		case "Change the advanced settings?":
			line = "n"
		}
		run.answer(q, line)
	}
	out := run.saved()
	saved := strings.Index(out, `Saved automation "Front desk"`)
	if saved < 0 || !strings.Contains(out[saved:], "note: "+wantNote(h.cfgPath)) {
		t.Errorf("the note is not said after saving:\n%s", out)
	}
	for _, secret := range []string{secretVal, idmKey, "warehouse-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("a secret was said:\n%s", out)
		}
	}
}
