package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"invitesync/internal/screentest"
)

// portalPages are the addresses each step sends the administrator to once
// the app's client ID is known, as the Azure portal and Microsoft Learn
// spell them.
func portalPages(clientID string) map[int][]string {
	blade := func(b string) string {
		return fmt.Sprintf("https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/%s/appId/%s/isMSAApp~/false", b, clientID)
	}
	return map[int][]string{
		1: {"https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
			"https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade"},
		2: {blade("CallAnAPI")},
		3: {blade("Credentials")},
		4: {blade("Overview"), "https://portal.azure.com/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview"},
		5: {"https://learn.microsoft.com/powershell/exchange/connect-to-exchange-online-powershell"},
	}
}

// scrollback is everything the terminal shows and scrolled away, with the
// rows it wrapped joined again, as a person copying from it gets them.
func (term *terminal) scrollback() string {
	return term.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "e2e")
}

// views captures the screen, then the same screen scrolled right (shift+→)
// until it no longer changes.
func (term *terminal) views() []string {
	term.t.Helper()
	out := []string{term.screen()}
	for range 10 {
		if !strings.Contains(out[len(out)-1], screentest.MoreRight) {
			break
		}
		term.keys("S-Right")
		next, deadline := term.screen(), time.Now().Add(5*time.Second)
		for next == out[len(out)-1] && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			next = term.screen()
		}
		if next == out[len(out)-1] {
			break
		}
		out = append(out, next)
	}
	return out
}

// TestE2EWizardKeepsLongTokensWhole runs the built binary at 60, 80, 120 and
// 200 columns, and reads every portal address of steps 1–5 and every
// command of the step-5 script it saved off the screen, whole: a command
// continued over rows with PowerShell's backtick reads back as itself, and
// an address wider than the screen sits on one row, marked where it goes
// on, which shift+→ scrolls through. At 80×24 step 5 begins with its
// commands.
func TestE2EWizardKeepsLongTokensWhole(t *testing.T) {
	for _, width := range []int{60, 80, 120, 200} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			m := newWizardMachine(t)
			term := newTerminal(t, m.env, binary(t), "setup")
			term.tmux("resize-window", "-t", "e2e", "-x", strconv.Itoa(width), "-y", "120")
			script := filepath.Join(m.configDir, "exchange.ps1")

			press(term, "Steps 1–4", "Enter")
			answer(term, "Application name", "Salto-IDM-Calendar-Integration-Production")
			press(term, "Admin consent granted?", "y")
			answer(term, "Client secret value", m.graph.Secret)
			answer(term, "The secret expires on", time.Now().AddDate(1, 0, 0).Format(time.DateOnly))
			answer(term, "Directory (tenant) ID", m.graph.TenantID)
			answer(term, "Application (client) ID", m.graph.ClientID)
			answer(term, "Object ID of the enterprise application", "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a")
			answer(term, "Mailbox address", e2eMailbox)
			press(term, "Limit the app to this one mailbox?", "Down", "Enter") // RBAC
			press(term, "Also give the app FullAccess to the mailbox?", "y")
			answer(term, "Save the commands as", script)
			press(term, "Copy the commands to the clipboard too?", "n")
			term.waitFor("Step 6 of 6")
			b, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			var commands []string
			for _, l := range strings.Split(strings.TrimPrefix(string(b), "\ufeff"), "\r\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
					commands = append(commands, l)
				}
			}
			if len(commands) < 8 {
				t.Fatalf("the script has %d commands:\n%s", len(commands), b)
			}

			pages := portalPages(m.graph.ClientID)
			for step := 5; step >= 1; step-- {
				term.keys("C-b")
				term.waitFor(fmt.Sprintf("Step %d of 6", step))
				views := term.views()
				for _, url := range pages[step] {
					if err := screentest.Whole(views, url); err != nil {
						t.Errorf("step %d: %v\n%s", step, err, views[0])
					}
				}
				if step != 5 {
					continue
				}
				for _, c := range commands {
					if !screentest.HasLine(views[0], c) {
						t.Errorf("the command %q is not whole on the screen", c)
					}
				}
				if width == 80 {
					term.tmux("resize-window", "-t", "e2e", "-x", "80", "-y", "24")
					term.waitFor("Install-Module -Name ExchangeOnlineManagement", "Import-Module ExchangeOnlineManagement")
					term.tmux("resize-window", "-t", "e2e", "-x", "80", "-y", "120")
					term.waitFor("Disconnect-ExchangeOnline -Confirm:$false") // the last command: the tall screen again
				}
			}
			if t.Failed() {
				t.Logf("the script:\n%s", b)
			}
			term.keys("C-c")
			term.exitCode()
		})
	}
}
