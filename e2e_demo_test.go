package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// demoMachine is a fresh machine for the demo: an empty home, no
// configuration, no keyring (no D-Bus session), and a temporary directory of
// its own so the test can see the demo leave nothing behind.
type demoMachine struct {
	home, tmp string
	env       []string
}

func newDemoMachine(t *testing.T) *demoMachine {
	t.Helper()
	m := &demoMachine{home: t.TempDir(), tmp: t.TempDir()}
	m.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + m.home,
		"TMPDIR=" + m.tmp,
		"LANG=C.UTF-8",
	}
	return m
}

// assertLeftNothing checks that the demo removed its temporary files and
// wrote nothing to the home directory (no configuration, no state).
func (m *demoMachine) assertLeftNothing(t *testing.T) {
	t.Helper()
	for _, dir := range []string{m.tmp, m.home} {
		var left []string
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if path != dir {
				left = append(left, path)
			}
			return nil
		})
		if len(left) > 0 {
			t.Errorf("the demo left files behind in %s: %v", dir, left)
		}
	}
}

var rowCount = regexp.MustCompile(`row \d+ of (\d+)`)

// rowsShown is the number of activity rows the dashboard says it holds.
func rowsShown(screen string) int {
	m := rowCount.FindStringSubmatch(screen)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// waitForMoreRows waits until the dashboard holds more than n rows.
func waitForMoreRows(t *testing.T, term *terminal, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for rowsShown(term.screen()) <= n {
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard never showed more than %d rows", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// weekRows are the activity rows of the demo's first poll: one per meeting
// of the week (the recurring one counts three occurrences).
const weekRows = 9

func TestE2EDemoSkipWizard(t *testing.T) {
	m := newDemoMachine(t)
	term := newTerminal(t, m.env, binary(t), "demo", "--skip-wizard", "--every", "1s")
	screen := term.waitFor("invitesync  Reception", "running here", "Kick-off with Fabrikam", "+ created",
		"Team stand-up", "· skipped", "the client secret expires in 21 days")
	if strings.Contains(screen, "Step 1") {
		t.Fatalf("--skip-wizard showed the wizard:\n%s", screen)
	}
	// New invitations, moves and cancellations keep arriving.
	waitForMoreRows(t, term, weekRows+2)

	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("the demo exited %d", code)
	}
	m.assertLeftNothing(t)
}

// demoWizardFields are the wizard's fields in order; the demo fills every
// one, so a newcomer presses Enter on each.
var demoWizardFields = []string{
	"Application name", "Admin consent granted?",
	"Client secret value", "The secret expires on",
	"Directory (tenant) ID", "Application (client) ID", "Object ID of the enterprise application", "Mailbox address",
	"Limit the app to this one mailbox?", "Also give the app FullAccess to the mailbox?", "Save the commands as", "Copy the commands to the clipboard too?",
	"Salto IDM API address", "Salto IDM API key", "Salto IDM environment", "Automation name", "Poll every",
	"Time zone of the environment", "Enabled?", "Internal domains", "Never register these addresses",
	"Answer the organizer?", "Change the advanced settings?", "Ready to test and save",
}

// TestE2EDemo is a newcomer's first minute on a fresh machine (no
// configuration, no keyring): `invitesync demo` in a real terminal, Enter
// through the prefilled wizard, whose live test runs against the
// simulators, then the dashboard listing the visits created from the week's
// meetings while more invitations arrive; q leaves and nothing stays behind.
func TestE2EDemo(t *testing.T) {
	m := newDemoMachine(t)
	term := newTerminal(t, m.env, binary(t), "demo", "--every", "2s")
	term.waitFor("Step 1 of 6")
	for _, field := range demoWizardFields {
		press(term, field, "Enter")
	}
	// The live test passed against the simulators, and Save stored the
	// secrets in memory and wrote the temporary configuration.
	term.waitFor("✓ ok Sign in to Entra ID", "✓ ok Read the mailbox's calendar", "✓ ok Find the environment in Salto IDM",
		`Saved automation "Reception"`, "enter continue")
	term.keys("Enter")

	// Each occurrence of the week's series is a row of its own, and the
	// stream keeps adding guests to the series: the week's meetings are
	// found by meeting time, not among the latest activity.
	term.waitFor("invitesync  Reception", "running here", "latest activity first")
	term.keys("o")
	screen := term.waitFor("by meeting time: coming first", "Kick-off with Fabrikam", "Bob Kowalski", "+ created",
		"Team stand-up", "· skipped", "Audit by Woodgrove Bank", "the client secret expires in 21 days")
	if n := strings.Count(screen, "+ created"); n < 4 {
		t.Errorf("%d created rows on the dashboard, want the week's visits:\n%s", n, screen)
	}
	term.keys("o")
	term.waitFor("latest activity first")
	// The kick-off's details: two visits, and IDM's answers to their PUTs.
	term.text("/Fabrikam") // typed fast: read as one burst
	term.waitFor("/Fabrikam", "row 1 of 1")
	term.keys("Enter")
	term.waitFor("filter: Fabrikam")
	term.keys("G", "Enter") // the oldest match: the week's kick-off
	term.waitFor("Visits (2)", "bob.kowalski@fabrikam.com", "eve.martin@fabrikam.com", "✓ active", "IDM visit vis-", "IDM answered 201")
	term.keys("Escape")
	term.waitFor("filter: Fabrikam")
	term.keys("Escape")
	term.waitFor("row 1 of")

	// New invitations, moves and cancellations keep arriving.
	waitForMoreRows(t, term, weekRows+1)

	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("the demo exited %d", code)
	}
	m.assertLeftNothing(t)
}

// TestE2EDemoClosedTerminal closes the demo's terminal instead of pressing
// q: the demo still removes its temporary directory.
func TestE2EDemoClosedTerminal(t *testing.T) {
	m := newDemoMachine(t)
	term := newTerminal(t, m.env, binary(t), "demo", "--skip-wizard")
	term.waitFor("invitesync  Reception", "Kick-off with Fabrikam")
	term.tmux("kill-session", "-t", "e2e")
	deadline := time.Now().Add(20 * time.Second)
	for {
		left, _ := os.ReadDir(m.tmp)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.assertLeftNothing(t)
}
