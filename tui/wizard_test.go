package tui

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/internal/leaktest"
)

func TestWizardEveryStepValidatesThenSaves(t *testing.T) {
	h := newHarness(t)
	h.start(h.options())
	h.steps1to5()
	h.step6()
	h.see("Saved automation \"Front desk\"", "invitesync setup --no-input")
	h.enter()
	w := h.final()

	res := w.Result()
	if !res.Saved {
		t.Fatalf("not saved; step %d, banner %+v", w.Step(), w.Banner())
	}
	for _, want := range []string{"invitesync service-unit --config", "invitesync dashboard --config", "add " + mailbox + " to your meeting invitations", "Administration > Automations"} {
		if !strings.Contains(res.Next, want) {
			t.Errorf("what next lacks %q:\n%s", want, res.Next)
		}
	}
	cfg, err := config.Load(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := cfg.Automation("Front desk")
	if !ok {
		t.Fatalf("no automation in %+v", cfg)
	}
	want := config.Automation{
		Name: "Front desk", Environment: "Production", Enabled: true, Interval: 10 * time.Minute,
		Protocol: config.ProtocolOutlook, Mailbox: mailbox, TimeZone: "Europe/Lisbon",
		TenantID: tenantID, ClientID: clientID, AppName: "Salto IDM O'Neil $x `y`", EnterpriseObjectID: objectID,
		SecretExpires: config.Date{Year: 2027, Month: 5, Day: 31}, InternalDomains: []string{"contoso.com", "contoso.de"},
		Exclude: []string{"ceo@fabrikam.com"}, LookAheadDays: 14, DayStart: "07:30", DayEnd: "17:00", Replies: true,
	}
	if got := *a; !equalAutomation(got, want) {
		t.Errorf("saved automation\n got %+v\nwant %+v", got, want)
	}
	if cfg.IDM.URL != "https://idm.example.com/api/v1" {
		t.Errorf("IDM URL %q", cfg.IDM.URL)
	}
	if v, _ := h.store.Get(config.ClientSecretKey("Front desk")); v != secretVal {
		t.Errorf("stored client secret %q", v)
	}
	if v, _ := h.store.Get(config.IDMAPIKeyKey); v != idmKey {
		t.Errorf("stored IDM key %q", v)
	}
	if len(h.tested) != 1 || h.tested[0].ClientSecret != secretVal || h.tested[0].IDMAPIKey != idmKey {
		t.Errorf("live test inputs: %+v", h.tested)
	}
	for _, s := range []string{secretVal, idmKey} {
		if hits, _ := leaktest.FilesHolding(t, h.dir, s); len(hits) > 0 {
			t.Errorf("a secret reached %v", hits)
		}
	}
	if _, err := os.Stat(progressPathFor(h.cfgPath)); !os.IsNotExist(err) {
		t.Errorf("progress file left after saving: %v", err)
	}
	// Step 5 saved the commands with a byte order mark and copied them.
	ps1, err := os.ReadFile(filepath.Join(h.dir, "exchange.ps1"))
	if err != nil || !bytes.HasPrefix(ps1, []byte("\uFEFF")) || !bytes.Contains(ps1, []byte("New-ManagementScope")) ||
		!bytes.Contains(ps1, []byte("\r\nAdd-MailboxPermission -Identity 'visitors@contoso.com'")) {
		t.Errorf("script file: %v\n%q", err, ps1)
	}
	if !bytes.Contains(h.out.Bytes(), []byte("\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte(w.script())))) {
		t.Errorf("no OSC 52 copy of the script in %q", h.out.String())
	}
	for _, flag := range []string{"--name 'Front desk'", "--mailbox visitors@contoso.com", "--timezone Europe/Lisbon",
		"--interval 10m", "--internal-domain contoso.com", "--internal-domain contoso.de", "--exclude ceo@fabrikam.com",
		"--app-name 'Salto IDM O'\\''Neil $x `y`'", "--client-secret-file FILE"} {
		if !strings.Contains(res.Command, flag) {
			t.Errorf("command lacks %s:\n%s", flag, res.Command)
		}
	}
	if strings.Contains(res.Command, secretVal) || strings.Contains(res.Command, idmKey) {
		t.Errorf("a secret is in the command:\n%s", res.Command)
	}
}

func equalAutomation(a, b config.Automation) bool {
	return a.Name == b.Name && a.Environment == b.Environment && a.Enabled == b.Enabled && a.Interval == b.Interval &&
		a.Protocol == b.Protocol && a.Mailbox == b.Mailbox && a.TimeZone == b.TimeZone && a.TenantID == b.TenantID &&
		a.ClientID == b.ClientID && a.AppName == b.AppName && a.EnterpriseObjectID == b.EnterpriseObjectID &&
		a.SecretExpires == b.SecretExpires && strings.Join(a.InternalDomains, ",") == strings.Join(b.InternalDomains, ",") &&
		strings.Join(a.Exclude, ",") == strings.Join(b.Exclude, ",") && a.LookAheadDays == b.LookAheadDays &&
		a.DayStart == b.DayStart && a.DayEnd == b.DayEnd && a.Replies == b.Replies
}

// TestWizardFailedSaveLandsOnTheFieldThatFixesIt: the live test finds
// no mailbox (a field in the middle of step 4): the wizard shows step 4
// with the mailbox field in focus and the diagnosis beside it; the person
// types the address and presses one key, and the test runs again with
// every other answer kept, passes and saves.
func TestWizardFailedSaveLandsOnTheFieldThatFixesIt(t *testing.T) {
	h := newHarness(t)
	h.verdict = func(in LiveTestInput) []diag.Result {
		if in.Automation.Mailbox == mailbox {
			return []diag.Result{{ID: "token", OK: true}, {ID: "calendar", OK: true}, {ID: "idm-health", OK: true}}
		}
		return []diag.Result{{ID: "token", OK: true}, {ID: "calendar", Diagnosis: diag.Diagnosis{Step: 4, Code: "ErrorInvalidUser",
			Message: "Microsoft Graph finds no mailbox visitors@contoso.onmicrosoft.com in this tenant.", Fix: "Use the mailbox's user principal name."}}}
	}
	opts := h.options()
	d := prefilled()
	d.Step = 6
	d.Mailbox = "visitors@contoso.onmicrosoft.com"
	opts.Draft = &d
	opts.Secrets = Secrets{ClientSecret: secretVal, IDMAPIKey: idmKey}
	h.start(opts)

	h.acceptStep6()
	h.see("Step 4 of 6", symbolFail+" ErrorInvalidUser: Microsoft Graph finds no mailbox", "ctrl+r test and save again")
	h.focus("Mailbox address")
	w := h.tm
	h.key(tea.KeyCtrlU)
	w.Type(mailbox)
	w.Send(tea.KeyMsg{Type: tea.KeyCtrlR})
	h.see("Saved automation \"Front desk\"")
	h.enter()
	final := h.final()
	if !final.Result().Saved {
		t.Fatalf("not saved: %+v", final.Banner())
	}
	if len(h.tested) != 2 {
		t.Fatalf("%d live tests, want 2", len(h.tested))
	}
	first, second := h.tested[0], h.tested[1]
	if second.Automation.Mailbox != mailbox {
		t.Errorf("the second test used mailbox %q", second.Automation.Mailbox)
	}
	second.Automation.Mailbox = first.Automation.Mailbox
	if !equalAutomation(first.Automation, second.Automation) || first.ClientSecret != second.ClientSecret || first.IDMAPIKey != second.IDMAPIKey || first.IDM != second.IDM {
		t.Errorf("an answer other than the mailbox changed between the tests:\n%+v\n%+v", first, second)
	}
	cfg, err := config.Load(h.cfgPath)
	if err != nil || cfg.Automations[0].Mailbox != mailbox {
		t.Errorf("saved %+v, %v", cfg, err)
	}
}

// TestWizardFailedSaveFixedByFinishingTheStep: a refused secret lands on
// step 3's secret field; finishing the step (Enter through it) tests and
// saves again at once, instead of walking steps 4 to 6.
func TestWizardFailedSaveFixedByFinishingTheStep(t *testing.T) {
	h := newHarness(t)
	h.verdict = func(in LiveTestInput) []diag.Result {
		if in.ClientSecret == secretVal {
			return []diag.Result{{ID: "token", OK: true}, {ID: "calendar", OK: true}, {ID: "idm-health", OK: true}}
		}
		return []diag.Result{{ID: "token", Diagnosis: diag.Diagnosis{Step: 3, Code: "AADSTS7000215",
			Message: "Entra ID refused the client secret.", Fix: "Paste the secret's Value, not its Secret ID."}}}
	}
	opts := h.options()
	d := prefilled()
	d.Step = 6
	opts.Draft = &d
	opts.Secrets = Secrets{ClientSecret: "wrong-secret-value", IDMAPIKey: idmKey}
	h.start(opts)

	h.acceptStep6()
	h.see("Step 3 of 6", "Sign in to Entra ID: failed")
	h.focus("Client secret value")
	h.see(symbolFail + " AADSTS7000215: Entra ID refused the client secret. Paste the secret's Value")
	h.fill(secretVal)
	h.focus("The secret expires on")
	h.enter()
	h.see("Saved automation \"Front desk\"")
	h.enter()
	if w := h.final(); !w.Result().Saved {
		t.Errorf("not saved: %+v", w.Banner())
	}
	if len(h.tested) != 2 || h.tested[0].ClientSecret != "wrong-secret-value" || h.tested[1].ClientSecret != secretVal {
		t.Errorf("live test inputs: %+v", h.tested)
	}
}

// prefilled is a complete draft, as the demo passes it.
func prefilled() Draft {
	d := newDraft()
	d.AppName = "Salto-IDM-Calendar-Integration-Production"
	d.ConsentGranted = true
	d.SecretExpires = "2027-05-31"
	d.TenantID, d.ClientID, d.EnterpriseObjectID, d.Mailbox = tenantID, clientID, objectID, mailbox
	d.IDMURL = "https://idm.example.com/api/v1"
	d.Environment, d.Name, d.TimeZone = "Production", "Front desk", "Europe/Berlin"
	return d
}

func TestWizardResumesWhereItStopped(t *testing.T) {
	h := newHarness(t)
	h.start(h.options())
	h.see("Step 1 of 6")
	h.answer("Application name", "Salto-IDM-Calendar-Integration-Staging")
	h.focus("Admin consent granted?")
	h.tm.Type("y")
	h.focus("Client secret value")
	h.fill(secretVal)
	h.answer("The secret expires on", "2027-01-31")
	h.answer("Directory (tenant) ID", tenantID)
	h.focus("Application (client) ID")
	h.tm.Type(clientID[:8]) // typed but not finished when the person leaves
	h.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	w := h.final()
	if w.Result().Saved || w.Step() != 4 {
		t.Fatalf("after Ctrl+C: saved=%v step=%d", w.Result().Saved, w.Step())
	}

	// What is kept: the finished steps, never a secret, 0600; no config.
	info, err := os.Stat(progressPathFor(h.cfgPath))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("progress file mode %v", info.Mode().Perm())
	}
	if hits, _ := leaktest.FilesHolding(t, h.dir, secretVal); len(hits) > 0 {
		t.Errorf("the secret reached %v", hits)
	}
	if _, err := os.Stat(h.cfgPath); !os.IsNotExist(err) {
		t.Errorf("a configuration was written: %v", err)
	}

	h2 := newHarness(t)
	h2.dir, h2.cfgPath = h.dir, h.cfgPath
	h2.start(h2.options())
	h2.see("An earlier set-up was not finished", "Continue at step 4")
	h2.enter()
	// The secret was not kept: step 3 asks for it first, then step 4.
	h2.see("Step 3 of 6", "enter the client secret of the new automation", "the set-up continues")
	h2.answer("Client secret value", secretVal)
	h2.focus("The secret expires on")
	h2.see("2027-01-31")
	h2.enter()
	h2.see("Step 4 of 6")
	h2.focus("Directory (tenant) ID")
	if err := h2.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	w2 := h2.final()
	d := w2.Draft()
	// Step 4 was not finished, so what was typed there is not kept.
	if d.AppName != "Salto-IDM-Calendar-Integration-Staging" || d.SecretExpires != "2027-01-31" || !d.ConsentGranted || d.TenantID != "" {
		t.Errorf("resumed draft %+v", d)
	}
	if w2.f.sec.ClientSecret != secretVal {
		t.Error("the secret entered again on resuming is not the one the wizard holds")
	}
}

func TestWizardEditsAnExistingAutomation(t *testing.T) {
	h := newHarness(t)
	a := config.NewAutomation("Front desk")
	a.Environment, a.Mailbox, a.TimeZone = "Production", mailbox, "Europe/Berlin"
	a.TenantID, a.ClientID, a.EnterpriseObjectID, a.AppName = tenantID, clientID, objectID, "Salto-IDM-Calendar-Integration-Production"
	a.SecretExpires = config.Date{Year: 2027, Month: 5, Day: 31}
	b := a
	b.Name, b.Mailbox = "Warehouse", "warehouse@contoso.com"
	cfg := &config.Config{IDM: config.IDM{URL: "https://idm.example.com/api/v1"}, Automations: []config.Automation{a, b}}
	if err := config.Save(h.cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{config.ClientSecretKey("Front desk"): secretVal, config.ClientSecretKey("Warehouse"): "warehouse-secret", config.IDMAPIKeyKey: idmKey} {
		if err := h.store.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	opts := h.options()
	opts.Config = cfg
	h.start(opts)

	h.see("Which automation?", "Edit Front desk", "Edit Warehouse", "Add a new automation")
	h.key(tea.KeyDown)
	h.enter()
	h.see("editing \"Warehouse\"", "Step 1 of 6")
	h.focus("Application name")
	h.see("Salto-IDM-Calendar-Integration-Production")
	h.enter()
	h.focus("Admin consent granted?")
	h.enter()
	h.focus("Client secret value")
	h.see("Leave empty to keep the secret")
	h.enter() // keep
	h.focus("The secret expires on")
	h.fill("2027-09-30")
	h.focus("Directory (tenant) ID")
	for _, title := range []string{"Application (client) ID", "Object ID of the enterprise application", "Mailbox address"} {
		h.enter()
		h.focus(title)
	}
	h.see("warehouse@contoso.com")
	// Front desk's mailbox is refused at the field: one mailbox, one automation.
	h.fill(mailbox)
	h.see(`already watched by automation "Front desk"`)
	h.fill("warehouse@contoso.com")
	h.focus("Limit the app to this one mailbox?")
	h.enter()
	h.focus("Also give the app FullAccess to the mailbox?")
	h.enter()
	h.focus("Save the commands as")
	h.fill("")
	h.focus("Copy the commands to the clipboard too?")
	h.enter()
	h.focus("Salto IDM API address")
	h.enter()
	h.focus("Salto IDM API key")
	h.enter() // keep
	h.focus("Salto IDM environment")
	h.enter()
	h.reject("Automation name", "front DESK", "already the name of another automation")
	h.fill("Warehouse gate")
	for _, title := range []string{"Poll every", "Time zone of the environment", "Enabled?", "Internal domains",
		"Never register these addresses", "Answer the organizer?", "Change the advanced settings?"} {
		h.focus(title)
		h.enter()
	}
	h.focus("Ready to test and save")
	h.enter()
	h.see("Saved automation \"Warehouse gate\"")
	h.enter()
	w := h.final()
	if !w.Result().Saved {
		t.Fatalf("not saved: banner %+v", w.Banner())
	}
	got, err := config.Load(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Automations) != 2 || got.Automations[0].Name != "Front desk" || got.Automations[1].Name != "Warehouse gate" {
		t.Fatalf("automations after the edit: %+v", got.Automations)
	}
	e := got.Automations[1]
	if e.Mailbox != "warehouse@contoso.com" || e.SecretExpires.String() != "2027-09-30" || e.TimeZone != "Europe/Berlin" {
		t.Errorf("edited automation %+v", e)
	}
	// The stored secrets were used for the test and moved to the new name.
	if len(h.tested) != 1 || h.tested[0].ClientSecret != "warehouse-secret" || h.tested[0].IDMAPIKey != idmKey {
		t.Errorf("live test inputs: %+v", h.tested)
	}
	if v, _ := h.store.Get(config.ClientSecretKey("Warehouse gate")); v != "warehouse-secret" {
		t.Errorf("secret under the new name: %q", v)
	}
	if _, err := h.store.Get(config.ClientSecretKey("Warehouse")); err == nil {
		t.Error("the old name's secret is still stored")
	}
}

func TestWizardWarnsAboutASecretID(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	d := prefilled()
	d.Step = 3
	opts.Draft = &d
	h.start(opts)
	h.answer("Client secret value", "0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b")
	h.focus("The secret expires on")
	h.enter()
	h.see("That looks like the Secret ID")
	h.tm.Type("n")
	h.see("Paste the secret's Value, not its Secret ID.")
	h.focus("Client secret value")
	if err := h.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	w := h.final()
	if w.Step() != 3 || w.f.sec.ClientSecret != "" {
		t.Errorf("step %d, secret %q", w.Step(), w.f.sec.ClientSecret)
	}
}

func TestWizardBackKeyAndUnreachableIDM(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	d := prefilled()
	d.Step = 6
	opts.Draft = &d
	opts.Secrets = Secrets{ClientSecret: secretVal, IDMAPIKey: "a-key-IDM-refuses"}
	h.start(opts)
	h.focus("Salto IDM API address")
	h.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlB})
	h.see("Step 5 of 6")
	h.focus("Limit the app to this one mailbox?")
	h.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlB})
	h.see("Step 4 of 6")
	if err := h.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	if w := h.final(); w.Step() != 4 {
		t.Errorf("step %d after going back twice", w.Step())
	}

	// IDM refuses the key: the environment becomes a text field saying why.
	h2 := newHarness(t)
	h2.start(opts)
	h2.focus("Salto IDM API address")
	h2.enter()
	h2.focus("Salto IDM API key")
	h2.enter()
	h2.focus("Salto IDM environment")
	h2.see("IDM's list could not be read")
	if err := h2.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	h2.final()
}

// TestWizardValidatesAsYouType: a pause in typing checks the field, without
// Enter; a field merely arrived at is not checked; going on with a fixed
// value clears the message.
func TestWizardValidatesAsYouType(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	d := prefilled()
	d.Step = 4
	d.TenantID = ""
	opts.Draft = &d
	h.start(opts)
	h.focus("Directory (tenant) ID")
	time.Sleep(2 * validatePause)
	h.tm.Type("72f988bf-86f1")
	h.see(`Directory (tenant) ID: "72f988bf-86f1" is not a GUID`)
	h.tm.Type(tenantID[len("72f988bf-86f1"):])
	time.Sleep(2 * validatePause)
	h.enter()
	h.focus("Application (client) ID")
	if err := h.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	w := h.final()
	if w.Draft().TenantID != tenantID {
		t.Errorf("tenant ID %q", w.Draft().TenantID)
	}
	if v := w.View(); !strings.Contains(v, "Application (client) ID") || strings.Contains(v, "is not a GUID") {
		t.Errorf("the message stayed after the value was fixed:\n%s", w.View())
	}
}

// TestWizardArrivingAtAnEmptyFieldShowsNoError: only typing starts the
// check; a required field the person has not typed in yet is quiet.
func TestWizardArrivingAtAnEmptyFieldShowsNoError(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	d := prefilled()
	d.Step = 4
	d.TenantID = ""
	opts.Draft = &d
	h.start(opts)
	h.focus("Directory (tenant) ID")
	time.Sleep(3 * validatePause)
	if err := h.tm.Quit(); err != nil {
		t.Fatal(err)
	}
	if v := h.final().View(); !strings.Contains(v, "Directory (tenant) ID") || strings.Contains(v, "required") || strings.Contains(v, "is not a GUID") {
		t.Errorf("an untouched field shows an error:\n%s", v)
	}
}
