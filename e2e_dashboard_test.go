package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"invitesync/sync/store"
)

// terminal is the built binary running in a real terminal: a tmux session
// on a private server, sized 120×40.
type terminal struct {
	t      *testing.T
	sock   string
	status string // the file the exit status is written to
}

// newTerminal starts args in tmux with env as the whole environment. Without
// tmux the test is skipped, except in CI (CI=true), where it fails.
func newTerminal(t *testing.T, env []string, args ...string) *terminal {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tmux is required for the terminal tests in CI: %v", err)
		}
		t.Skipf("tmux is not installed: %v", err)
	}
	dir, err := os.MkdirTemp("", "tmux-") // short: a socket path is limited
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, sock: filepath.Join(dir, "s"), status: filepath.Join(dir, "status")}
	// A shell records the exit status: tmux 3.3 sometimes leaves an exited
	// pane's process unreaped, and then knows no status.
	script := []string{"sh", "-c", `"$@"; echo $? > ` + shellQuote(term.status), "sh"}
	quoted := make([]string, 0, len(script)+len(args))
	for _, a := range append(script, args...) {
		quoted = append(quoted, shellQuote(a))
	}
	cmd := exec.Command("tmux", "-S", term.sock, "-f", "/dev/null",
		"new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", strings.Join(quoted, " "),
		";", "set-option", "-t", "e2e", "remain-on-exit", "on")
	cmd.Env = append(env, "TERM=xterm-256color")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the terminal showed:\n%s", term.screen())
		}
		_ = exec.Command("tmux", "-S", term.sock, "kill-server").Run()
		os.RemoveAll(dir)
	})
	return term
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (term *terminal) tmux(args ...string) string {
	term.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", term.sock}, args...)...).CombinedOutput()
	if err != nil {
		term.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen is what the terminal shows now.
func (term *terminal) screen() string {
	out, _ := exec.Command("tmux", "-S", term.sock, "capture-pane", "-p", "-t", "e2e").CombinedOutput()
	return string(out)
}

// waitFor waits until the screen shows every one of want, and returns it.
func (term *terminal) waitFor(want ...string) string {
	term.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := term.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the terminal never showed %q", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keys sends keys by their tmux names (Enter, Escape, q, …).
func (term *terminal) keys(keys ...string) {
	term.t.Helper()
	term.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...)
}

// text types s literally, even when it begins with a dash (a generated
// secret may).
func (term *terminal) text(s string) {
	term.t.Helper()
	term.keys("-l", "--", s)
}

// exitCode waits for the program to end and returns its exit status.
func (term *terminal) exitCode() int {
	term.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(term.status)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			code, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				term.t.Fatalf("exit status %q: %v", b, err)
			}
			return code
		}
		if time.Now().After(deadline) {
			term.t.Fatal("the program did not end")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestE2EDashboardAttachesToARunningService starts `invitesync run` as a
// service, then the dashboard in a terminal on the same state database: it
// attaches instead of running a second loop, its "poll now" reaches the
// service, and a second service is refused.
func TestE2EDashboardAttachesToARunningService(t *testing.T) {
	e := newE2E(t)
	e.meeting("Kick-off with Fabrikam", tomorrowAt(10), "bob@fabrikam.com")
	service, _, serviceLog := e.command(nil, "run")
	if err := service.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { service.Process.Kill(); service.Wait() })
	waitUntil(t, "the service's first visit", func() bool { return len(e.idm.ActiveVisits()) == 1 })

	// A second loop on the same automation is refused.
	code, _, errOut := e.run(nil, "run")
	if code == 0 || !strings.Contains(errOut, "already run by pid "+strconv.Itoa(service.Process.Pid)) {
		t.Fatalf("a second `invitesync run` exited %d:\n%s", code, errOut)
	}

	term := newTerminal(t, e.env, e.bin, "dashboard")
	owner := "attached to pid " + strconv.Itoa(service.Process.Pid)
	term.waitFor("invitesync  Reception", owner, "Kick-off with Fabrikam", "+ created")

	// The service polls every minute; a new meeting shows at once only if
	// "poll now" reaches it.
	requestsBefore := len(e.graph.GraphRequests())
	e.meeting("Audit by Northwind", tomorrowAt(14), "carol@northwind.com")
	term.keys("p")
	term.waitFor("poll requested for Reception")
	term.waitFor("Audit by Northwind", "row 1 of 2")
	if len(e.graph.GraphRequests()) <= requestsBefore {
		t.Error("no Graph request after poll now")
	}
	if !regexp.MustCompile(`operator command.*command=poll-now`).MatchString(serviceLog.String()) {
		t.Errorf("the service did not log the poll-now command:\n%s", serviceLog)
	}

	// Pause and resume reach the service too.
	term.keys("Space")
	term.waitFor("‖ paused")
	term.keys("Space")
	term.waitFor("✓ idle")

	term.keys("q")
	if code := term.exitCode(); code != 0 {
		t.Fatalf("the dashboard exited %d", code)
	}
	// The service still holds its automation: the dashboard never took it.
	st, err := store.Open(context.Background(), filepath.Join(e.dir, "state", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lease, held, err := st.Lease(context.Background(), "Reception")
	if err != nil || !held || !strings.Contains(lease.Owner, "pid "+strconv.Itoa(service.Process.Pid)) {
		t.Errorf("lease after the dashboard quit = %+v, held %v, %v", lease, held, err)
	}
}
