package tui

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/internal/leaktest"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// Values a person would copy from the portal.
const (
	tenantID  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID  = "3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"
	objectID  = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
	secretVal = "Qx8Q~s3cr3t.Value_that-is-not-a-guid"
	idmKey    = "idm-key-0123456789"
	mailbox   = "visitors@contoso.com"
)

// today is the wizard's clock in these tests.
var today = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// harness runs a wizard under teatest with secrets in memory and a
// recording live test.
type harness struct {
	t       *testing.T
	tm      *teatest.TestModel
	dir     string
	cfgPath string
	store   *config.Secrets // the configuration's, in memory
	out     *bytes.Buffer   // the wizard's own writes (OSC 52)
	all     bytes.Buffer    // everything drawn so far
	mark    int             // how much of all the last wait consumed

	mu     sync.Mutex
	tested []LiveTestInput
	// verdict answers the live test; nil passes every check.
	verdict func(LiveTestInput) []diag.Result
}

var testChecks = []CheckInfo{{"token", "Sign in to Entra ID"}, {"calendar", "Read the mailbox's calendar"}, {"idm-health", "Reach Salto IDM"}}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "invitesync", "config.toml")
	store, _ := config.OpenSecrets(cfgPath, config.NewMemoryStore())
	return &harness{t: t, dir: dir, cfgPath: cfgPath, store: store, out: new(bytes.Buffer)}
}

func (h *harness) options() Options {
	return Options{
		ConfigPath: h.cfgPath,
		Store:      h.store,
		Checks:     testChecks,
		LiveTest: func(ctx context.Context, in LiveTestInput, report func(diag.Result)) []diag.Result {
			h.mu.Lock()
			h.tested = append(h.tested, in)
			verdict := h.verdict
			h.mu.Unlock()
			results := []diag.Result{{ID: "token", OK: true}, {ID: "calendar", OK: true}, {ID: "idm-health", OK: true}}
			if verdict != nil {
				results = verdict(in)
			}
			for _, r := range results {
				report(r)
			}
			return results
		},
		Environments: func(ctx context.Context, url, key string) ([]Environment, error) {
			if key != idmKey {
				return nil, os.ErrPermission
			}
			return []Environment{{Name: "Production", TimeZone: "W. Europe Standard Time"}, {Name: "Staging", TimeZone: "Europe/London"}}, nil
		},
		Output: h.out,
		Now:    func() time.Time { return today },
	}
}

func (h *harness) start(opts Options) {
	h.t.Helper()
	h.tm = teatest.NewTestModel(h.t, newWizard(opts), teatest.WithInitialTermSize(120, 40))
}

// see waits until every s has been drawn after the last match.
func (h *harness) see(s ...string) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := h.all.ReadFrom(h.tm.Output()); err != nil {
			h.t.Fatal(err)
		}
		fresh := h.all.Bytes()[h.mark:]
		missing, end := "", 0
		for _, x := range s {
			i := bytes.Index(fresh, []byte(x))
			if i < 0 {
				missing = x
				break
			}
			end = max(end, i+len(x))
		}
		if missing == "" {
			h.mark += end // what follows the match may still be waited for
			return
		}
		if time.Now().After(deadline) {
			tail := h.all.String()
			if len(tail) > 4000 {
				tail = tail[len(tail)-4000:]
			}
			h.t.Fatalf("%q never appeared; the screen ended with:\n%s", missing, tail)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// focus waits until the field titled title has the focus.
func (h *harness) focus(title string) { h.t.Helper(); h.see("┃ " + title) }

func (h *harness) key(k tea.KeyType) { h.tm.Send(tea.KeyMsg{Type: k}) }
func (h *harness) enter()            { h.key(tea.KeyEnter) }

// fill replaces the focused input's text with s and presses Enter.
func (h *harness) fill(s string) {
	h.key(tea.KeyCtrlU)
	h.tm.Type(s)
	h.enter()
}

// answer waits for the field, fills it and presses Enter.
func (h *harness) answer(title, s string) { h.t.Helper(); h.focus(title); h.fill(s) }

// reject fills the field with a bad value and waits for the message.
func (h *harness) reject(title, bad, msg string) {
	h.t.Helper()
	h.focus(title)
	h.fill(bad)
	h.see(msg)
}

func (h *harness) final() *wizard {
	h.t.Helper()
	return h.tm.FinalModel(h.t, teatest.WithFinalTimeout(5*time.Second)).(*wizard)
}

// steps1to5 answers steps 1–5 with good values, trying a bad one first on
// each step.
func (h *harness) steps1to5() {
	h.t.Helper()
	h.see("Step 1 of 6", "Register the app in Azure", "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade")
	h.reject("Application name", "", "Application name is required: the app registration's name")
	h.fill("Salto IDM O'Neil $x `y`")

	h.see("Step 2 of 6", "Calendars.ReadWrite", "Grant admin consent")
	h.focus("Admin consent granted?")
	h.tm.Type("n")
	h.see("Admin consent: grant admin consent first")
	h.tm.Type("y")

	h.see("Step 3 of 6", "Certificates & secrets")
	h.focus("Client secret value")
	h.enter()
	h.see("Client secret value is required: the secret's Value")
	h.fill("has space")
	h.see("Client secret value: contains spaces")
	h.fill(secretVal)
	h.reject("The secret expires on", "2026-05-31", "Secret expiry date: 2026-05-31 has passed")
	h.fill("31/12/2026")
	h.see(`Secret expiry date: "31/12/2026" is not a date: expected YYYY-MM-DD`)
	h.fill("2027-05-31")

	h.see("Step 4 of 6", "Enterprise applications")
	h.reject("Directory (tenant) ID", "not-a-guid", `Directory (tenant) ID: "not-a-guid" is not a GUID`)
	h.fill(tenantID)
	h.answer("Application (client) ID", clientID)
	h.reject("Object ID of the enterprise application", clientID, "Enterprise application's Object ID: that is the Application (client) ID")
	h.fill(objectID)
	h.reject("Mailbox address", "visitors", `Mailbox address: "visitors" is not an email address`)
	h.fill(mailbox)

	h.see("Step 5 of 6", "Connect-ExchangeOnline", "-DisplayName 'Salto IDM O''Neil $x `y`'") // the commands first
	h.focus("Limit the app to this one mailbox?")
	h.key(tea.KeyDown) // RBAC for Applications
	h.see("more lines below: pgdn to scroll")
	h.key(tea.KeyPgDown)
	h.see("# Left out: added when asked (setup step 5, or exchange-script --full-access).")
	h.key(tea.KeyPgDown)
	h.see("New-ManagementRoleAssignment", "Test-ServicePrincipalAuthorization")
	h.enter()
	h.focus("Also give the app FullAccess to the mailbox?")
	h.tm.Type("y") // as the vendor's guide has it
	h.reject("Save the commands as", "exchange.txt", `Script file: "exchange.txt" does not end in .ps1`)
	h.fill(filepath.Join(h.dir, "exchange.ps1"))
	h.focus("Copy the commands to the clipboard too?")
	h.tm.Type("y")
}

// step6 answers step 6 with good values, trying bad ones first.
// acceptStep6 keeps every prefilled answer of step 6 and presses Save.
func (h *harness) acceptStep6() {
	h.t.Helper()
	for _, title := range []string{"Salto IDM API address", "Salto IDM API key", "Salto IDM environment",
		"Automation name", "Poll every", "Time zone of the environment", "Enabled?", "Internal domains",
		"Never register these addresses", "Answer the organizer?", "Change the advanced settings?",
		"Ready to test and save"} {
		h.focus(title)
		h.enter()
	}
}

func (h *harness) step6() {
	h.t.Helper()
	h.see("Step 6 of 6", "the Salto IDM connection")
	h.reject("Salto IDM API address", "http://idm.example.com/api/v1", `Salto IDM API address: "http://idm.example.com/api/v1" uses http`)
	h.fill("https://idm.example.com/api/v1")
	h.focus("Salto IDM API key")
	h.enter()
	h.see("Salto IDM API key is required: the API key")
	h.fill(idmKey)

	h.see("Create the automation")
	h.focus("Salto IDM environment")
	h.see("Production (W. Europe Standard Time)")
	h.enter()
	h.reject("Automation name", " Front desk", `Automation name: " Front desk" starts or ends with spaces`)
	h.fill("Front desk")
	h.reject("Poll every", "10s", "Poll interval: 10s is too short")
	h.fill("10")
	h.focus("Time zone of the environment")
	h.see("Europe/Berlin") // the environment's zone, preselected
	h.tm.Type("/lisbon")
	h.see("Europe/Lisbon")
	h.enter()
	h.focus("Enabled?")
	h.enter()
	h.reject("Internal domains", "@contoso.com", `Internal domains: "@contoso.com" is not a domain: expected it without the @`)
	h.fill("contoso.com, contoso.de")
	h.reject("Never register these addresses", "not an address", `Excluded addresses: "not" is not an email address`)
	h.fill("ceo@fabrikam.com")
	h.focus("Answer the organizer?")
	h.enter()
	h.focus("Change the advanced settings?")
	h.tm.Type("y")
	h.reject("Look ahead (days)", "400", "Look-ahead days: 400 days is out of range")
	h.fill("14")
	h.reject("All-day visits start at (HH:MM)", "8am", `All-day start: "8am" is not a time of day`)
	h.fill("07:30")
	h.reject("All-day visits end at (HH:MM)", "07:00", "All-day end: 07:00 must be later than the start")
	h.fill("17:00")
	h.focus("Ready to test and save")
	h.enter()
}

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
