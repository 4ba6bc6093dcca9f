package main

import (
	"bytes"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"invitesync/idm/idmtest"
)

// TestE2EDamagedStateNamesTheFileAndTheFix: a state database with a
// dropped table or column, or an SQLite file of another program, stops run
// and status with a message that names the file and what to do, and the
// file stays as it was.
func TestE2EDamagedStateNamesTheFileAndTheFix(t *testing.T) {
	tests := []struct {
		name    string
		foreign bool // a file of another program, not a state database
		sql     string
		want    []string
	}{
		{name: "dropped table", sql: `DROP TABLE outbox`,
			want: []string{"is damaged: it lacks table outbox", "move the file aside", "none is duplicated"}},
		{name: "dropped column", sql: `ALTER TABLE outbox DROP COLUMN result_notice`,
			want: []string{"is damaged: it lacks column outbox.result_notice", "move the file aside"}},
		{name: "another program's database", foreign: true, sql: `CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)`,
			want: []string{"not an invitesync state database", "moz_places", "choose another state file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t)
			state := filepath.Join(e.dir, "state", "state.db")
			if tt.foreign {
				os.MkdirAll(filepath.Dir(state), 0o700)
			} else if code, out, errOut := e.run(nil, "run", "--once"); code != exitOK {
				t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
			}
			db, err := sql.Open("sqlite", state)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			db.Close()
			before, _ := os.ReadFile(state)
			e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")

			for _, args := range [][]string{{"run", "--once"}, {"status"}, {"status", "--json"}} {
				code, out, errOut := e.run(nil, args...)
				if code == exitOK {
					t.Fatalf("%v: exit 0\n%s%s", args, out, errOut)
				}
				for _, want := range append(tt.want, "state database "+state) {
					if !strings.Contains(errOut, want) {
						t.Errorf("%v: stderr lacks %q:\n%s", args, want, errOut)
					}
				}
				if strings.Contains(errOut, "SQL logic error") && !strings.Contains(errOut, "state database") {
					t.Errorf("%v: a bare SQL error:\n%s", args, errOut)
				}
			}
			if after, _ := os.ReadFile(state); !bytes.Equal(after, before) {
				t.Error("the file changed")
			}
			if n := len(e.idm.Visits()); n != 0 {
				t.Errorf("%d visits made from a damaged state", n)
			}
		})
	}
}

// TestE2EReadOnlyStateWarnsOnce: while the state directory cannot be
// written for 10 s, the running service logs each trouble once, not once a
// second, and once more when it recovers; delivery backs off instead of
// sending IDM the operation every second; the visit is delivered after.
func TestE2EReadOnlyStateWarnsOnce(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making files read-only for their owner needs root (chattr +i)")
	}
	if _, err := exec.LookPath("chattr"); err != nil {
		t.Skip("no chattr")
	}
	e := newE2E(t)
	dir := filepath.Join(e.dir, "state")
	e.idm.Inject(-1, idmtest.Fault{Method: "PUT", Path: "/visits/", Status: 503})
	e.meeting("Supplier visit", tomorrowAt(10), "ann.guest@fabrikam.com")
	cmd, _, stderr := e.command(nil, "run")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The visit's PUT failed and its retry was recorded: it falls due again
	// while the directory is read-only.
	waitUntil(t, "two attempts of the visit", func() bool { return e.idm.Count("PUT", "/visits/") >= 2 })

	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	immutable := append([]string{dir}, files...)
	if out, err := exec.Command("chattr", append([]string{"+i"}, immutable...)...).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", append([]string{"-i"}, immutable...)...).Run() })
	putsBefore := e.idm.Count("PUT", "/visits/")
	time.Sleep(10 * time.Second)
	// Delivery backs off as a failed poll does (waits of at least 1, 2, 4
	// and 8 s), rather than sending the operation every second.
	if n := e.idm.Count("PUT", "/visits/") - putsBefore; n > 5 {
		t.Errorf("IDM was sent %d PUTs in the 10 s", n)
	}
	if out, err := exec.Command("chattr", append([]string{"-i"}, immutable...)...).CombinedOutput(); err != nil {
		t.Fatalf("chattr -i: %v %s", err, out)
	}
	e.idm.ClearFaults()
	waitUntil(t, "the visit", func() bool { return len(e.idm.ActiveVisits()) == 1 })
	time.Sleep(6 * time.Second) // a lease renewal after the recovery
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()

	log := stderr.String()
	attr := regexp.MustCompile(`level=(WARN|ERROR) msg=("[^"]*"|\S+).*?error=("(?:[^"\\]|\\.)*"|\S+)`)
	seen := map[string]int{}
	troubles := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		m := attr.FindStringSubmatch(line)
		if m == nil || strings.Contains(line, `msg="operation will be retried"`) {
			continue // one line per attempt, each with its own wait
		}
		seen[m[2]+" "+m[3]]++
		troubles[strings.Trim(m[2], `"`)] = true
	}
	if len(troubles) == 0 {
		t.Fatalf("nothing was logged while the state was read-only:\n%s", log)
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("logged %d times: %s", n, k)
		}
	}
	for what := range troubles {
		if !strings.Contains(log, `msg=recovered automation=Reception from="`+what+`"`) {
			t.Errorf("no recovery line for %q", what)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", log)
	}
}
