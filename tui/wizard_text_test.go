package tui

import (
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"invitesync/diag"
	"invitesync/internal/powershell"
	"invitesync/internal/screentest"
)

// A command wraps only at spaces outside quotes, each continued row ending
// in PowerShell's continuation; read back as PowerShell reads it, it is the
// same line, at any width.
func TestWrapCommandKeepsEveryPieceWhole(t *testing.T) {
	for _, scope := range []powershell.Scope{powershell.ScopeNone, powershell.ScopeRBAC, powershell.ScopeAccessPolicy} {
		script, err := powershell.SetupScript(powershell.Input{TenantID: tenantID, ClientID: clientID, EnterpriseObjectID: objectID,
			AppName: "Salto-IDM-Calendar-Integration-Production", Mailbox: mailbox, ScopeName: "invitesync " + mailbox,
			Scope: scope, PolicyGroup: "invitesync-mailboxes@contoso.com", FullAccess: true})
		if err != nil {
			t.Fatal(err)
		}
		for width := 16; width <= 200; width += 4 {
			for _, line := range strings.Split(script, "\n") {
				rows := wrapCommand(line, width)
				if strings.HasPrefix(line, "#") {
					if got := strings.Fields(strings.ReplaceAll(strings.Join(rows, " "), "#", "")); !slices.Equal(got, strings.Fields(strings.ReplaceAll(line, "#", ""))) {
						t.Errorf("width %d: the comment %q wraps as %q", width, line, rows)
					}
					continue
				}
				if !screentest.HasLine(strings.Join(rows, "\n"), line) {
					t.Fatalf("width %d: %q wraps as\n%s", width, line, strings.Join(rows, "\n"))
				}
				for _, r := range rows {
					if ansi.StringWidth(r) > width && len(commandPieces(strings.TrimSuffix(strings.TrimPrefix(r, "# "), " `"))) > 1 {
						t.Errorf("width %d: row %q is too wide yet could break", width, r)
					}
				}
			}
		}
	}
}

func TestWindowMarksWhatIsOffScreen(t *testing.T) {
	for _, c := range []struct {
		row           string
		width, offset int
		want          string
	}{
		{"abcdef", 6, 0, "abcdef"},
		{"abcdefghij", 6, 0, "abcde→"},
		{"abcdefghij", 6, 3, "←defg→"},
		{"abcdefghij", 6, 50, "←fghij"},
	} {
		if got := window(c.row, c.width, c.offset); got != c.want {
			t.Errorf("window(%q, %d, %d) = %q; want %q", c.row, c.width, c.offset, got, c.want)
		}
	}
}

// At 60, 80, 120 and 200 columns no address and no command of any step is
// broken: each is whole on screen, or on one row cut at the edges with
// marks that shift+→ scrolls through; the pages' names are OSC 8 links.
func TestWizardNeverBreaksATokenOnScreen(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	opts.Hyperlinks = true
	d := newDraft()
	d.TenantID, d.ClientID, d.EnterpriseObjectID, d.Mailbox = tenantID, clientID, objectID, mailbox
	d.Scope, d.FullAccess = powershell.ScopeRBAC, true
	opts.Draft = &d
	for _, width := range []int{60, 80, 120, 200} {
		w := newWizard(opts)
		w.Update(tea.WindowSizeMsg{Width: width, Height: 150})
		for step := 1; step <= stepCount; step++ {
			w.goTo(step, 0)
			views := []string{w.View()}
			for range 8 {
				w.Update(tea.KeyMsg{Type: tea.KeyShiftRight})
				views = append(views, ansi.Strip(w.View()))
			}
			for _, l := range stepLinks(step, w.f.d) {
				if !strings.Contains(views[0], ansi.SetHyperlink(l.url)) {
					t.Errorf("%d columns, step %d: %s is not a link", width, step, l.label)
				}
			}
			views[0] = ansi.Strip(views[0])
			for _, l := range stepLinks(step, w.f.d) {
				if err := screentest.Whole(views, l.url); err != nil {
					t.Errorf("%d columns, step %d: %v\n%s", width, step, err, views[0])
				}
			}
			if step != 5 {
				continue
			}
			for _, line := range strings.Split(w.script(), "\n") {
				if strings.HasPrefix(line, "#") {
					continue // comments are reflowed to the width
				}
				if !screentest.HasLine(views[0], line) {
					t.Errorf("%d columns: the command %q is not whole on screen:\n%s", width, line, views[0])
				}
			}
		}
	}
}

// On a standard terminal step 5 begins with its commands.
func TestWizardStep5ShowsItsCommandsFirst(t *testing.T) {
	h := newHarness(t)
	w := newWizard(h.options())
	w.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	w.goTo(5, 0)
	w.fitForm()
	view := ansi.Strip(w.View())
	for _, want := range []string{"Install-Module -Name ExchangeOnlineManagement", "Import-Module ExchangeOnlineManagement"} {
		if !strings.Contains(view, want) {
			t.Errorf("step 5 at 80×24 does not show %q:\n%s", want, view)
		}
	}
}

// A word wider than the diagnosis box (a long address) stays whole on a
// row of its own, cut at the box's edge with a mark and scrolled through.
func TestDiagnosisKeepsAnOverWideWordWhole(t *testing.T) {
	long := "https://login.microsoftonline.com/" + tenantID + "/oauth2/v2.0/token"
	r := diag.Result{ID: "token", Diagnosis: diag.Diagnosis{Step: 3, Code: "unreachable",
		Message: "Could not reach " + long + " in time.", Fix: "Check the proxy."}}
	for _, width := range []int{44, 60, 80} {
		var views []string
		for offset := 0; offset <= len(long); offset += 10 {
			v, wide := diagnosisView(defaultStyles(), r, width, offset)
			if !wide {
				t.Errorf("%d columns: a %d-column address is not reported wide", width, len(long))
			}
			fits(t, v, width, 20)
			// The rows without the box's sides, as a person copying reads them.
			rows := strings.Split(ansi.Strip(v), "\n")
			for i, row := range rows {
				rows[i] = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(row), "│"), "│"))
			}
			views = append(views, strings.Join(rows, "\n"))
		}
		if err := screentest.Whole(views, long); err != nil {
			t.Errorf("%d columns: %v\n%s", width, err, views[0])
		}
	}
}

// A diagnosis breaks its lines at spaces only: an ID in Entra's message
// stays whole on a narrow terminal.
func TestDiagnosisKeepsIDsWhole(t *testing.T) {
	r := diag.Result{ID: "token", Diagnosis: diag.Diagnosis{Step: 4, Code: "AADSTS700016",
		Message: "Application with identifier '" + clientID + "' was not found in the directory '" + tenantID + "'.",
		Fix:     "Copy the Application (client) ID from the app's Overview page."}}
	for width := 44; width <= 120; width++ {
		v, _ := diagnosisView(defaultStyles(), r, width, 0)
		view := ansi.Strip(v)
		for _, id := range []string{clientID, tenantID} {
			if !strings.Contains(view, id) {
				t.Fatalf("%d columns: %s is broken:\n%s", width, id, view)
			}
		}
	}
}
