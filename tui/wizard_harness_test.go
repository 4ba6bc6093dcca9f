package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"invitesync/config"
	"invitesync/diag"
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
