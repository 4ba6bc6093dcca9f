package tui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an output both the wizard and the test use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// accessibleRun is accessible mode answering over a pipe, as a person at a
// screen reader would: each answer once its question is printed.
type accessibleRun struct {
	t    *testing.T
	out  *lockedBuffer
	in   chan string // the lines to type, in order
	mark int
	done chan struct{}
	res  Result
	err  error
}

func startAccessible(t *testing.T, opts Options) *accessibleRun {
	r, w := io.Pipe()
	run := &accessibleRun{t: t, out: new(lockedBuffer), in: make(chan string, 64), done: make(chan struct{})}
	go func() { // one typist: a line nobody reads (a note) holds up no one but it
		for line := range run.in {
			if _, err := io.WriteString(w, line); err != nil {
				return
			}
		}
	}()
	opts.Input, opts.Output = r, run.out
	go func() {
		defer close(run.done)
		run.res, run.err = runAccessible(context.Background(), opts)
	}()
	t.Cleanup(func() { close(run.in); w.Close(); <-run.done })
	return run
}

// see waits for s after the last thing seen.
func (a *accessibleRun) see(s string) {
	a.t.Helper()
	a.wait(s)
}

// answer waits for question after the last thing seen and types line.
func (a *accessibleRun) answer(question, line string) {
	a.t.Helper()
	a.wait(question)
	a.in <- line + "\n"
}

func (a *accessibleRun) wait(question string) {
	a.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := a.out.String()
		if i := strings.Index(s[a.mark:], question); i >= 0 {
			a.mark += i + len(question)
			break
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%q was never shown; the output ends:\n%s", question, s[max(0, len(s)-2000):])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// saved waits for the run to end, fails unless it saved, and returns all
// it said.
func (a *accessibleRun) saved() string {
	a.t.Helper()
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		a.t.Fatalf("still running:\n%s", a.out.String())
	}
	if a.err != nil || !a.res.Saved {
		a.t.Fatalf("not saved: %v\n%s", a.err, a.out.String())
	}
	return a.out.String()
}

// fullScreenOrder is the full-screen wizard's questions, step by step, as
// a new automation meets them (e2e_wizard_test types through the same).
var fullScreenOrder = [][]string{
	1: {"Application name"},
	2: {"Admin consent granted?"},
	3: {"Client secret value", "The secret expires on"},
	4: {"Directory (tenant) ID", "Application (client) ID", "Object ID of the enterprise application", "Mailbox address"},
	5: {"Limit the app to this one mailbox?", "Also give the app FullAccess to the mailbox?", "Save the commands as", "Copy the commands to the clipboard too?"},
	6: {"Salto IDM API address", "Salto IDM API key", "Salto IDM environment", "Automation name", "Poll every",
		"Time zone of the environment", "Enabled?", "Internal domains", "Never register these addresses",
		"Answer the organizer?", "Change the advanced settings?", "Ready to test and save"},
}

// Accessible mode asks the full screen's questions in its order, each
// after its description, and shows step 5's commands first and again,
// as chosen, before the question to save them; then it tests and saves.
func TestAccessibleModeFollowsTheFullScreenOrder(t *testing.T) {
	h := newHarness(t)
	opts := h.options()
	d := prefilled()
	opts.Draft = &d
	opts.Secrets = Secrets{ClientSecret: secretVal, IDMAPIKey: idmKey}
	run := startAccessible(t, opts)
	for step := 1; step <= stepCount; step++ {
		run.see("Step " + string(rune('0'+step)) + " of 6: " + stepTitles[step])
		for _, q := range fullScreenOrder[step] {
			line := ""
			switch q {
			case "Limit the app to this one mailbox?":
				line = "2" // RBAC
			case "Admin consent granted?", "Enabled?", "Answer the organizer?":
				line = "y"
			case "Also give the app FullAccess to the mailbox?", "Copy the commands to the clipboard too?", "Change the advanced settings?":
				line = "n"
			}
			if q == "Client secret value" || q == "Salto IDM API key" {
				run.see(q) // a password prompt reads the terminal, not this pipe: the prefilled value stays
				continue
			}
			run.answer(q, line)
		}
	}
	out := run.saved()
	step5 := out[strings.Index(out, "Step 5 of 6"):strings.Index(out, "Step 6 of 6")]
	first, chosen := strings.Index(step5, "The commands:"), strings.Index(step5, "The commands, as you chose them:")
	text, save := strings.Index(step5, "Run these commands in PowerShell"), strings.Index(step5, "Save the commands as")
	if first < 0 || first > text || chosen < 0 || chosen > save || !strings.Contains(step5[chosen:save], "New-ManagementScope") {
		t.Errorf("step 5 does not show its commands first and again before saving them:\n%s", step5)
	}
	for _, desc := range []string{"The app's Overview page.\n", "Without a limit, Calendars.ReadWrite reaches every mailbox"} {
		if !strings.Contains(out, desc) {
			t.Errorf("the description %q is not said", desc)
		}
	}
	if len(h.tested) != 1 {
		t.Errorf("live tests: %d", len(h.tested))
	}
}
