package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"
)

// lockHelperEnv makes the test binary hold a write lock on a database (see TestMain).
const lockHelperEnv = "INVITESYNC_STORE_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if path := os.Getenv(lockHelperEnv); path != "" {
		if err := holdLock(path); err != nil {
			fmt.Fprintln(os.Stderr, "lock helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holdLock opens path with a plain SQLite connection, takes the write lock,
// says "locked" on stdout and keeps the lock until stdin closes.
func holdLock(path string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range []string{"PRAGMA journal_mode=WAL", "BEGIN IMMEDIATE", "CREATE TABLE IF NOT EXISTS holder (x)"} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	_, err = conn.ExecContext(context.Background(), "ROLLBACK")
	return err
}

// lockFromOtherProcess runs the test binary as a second process that holds
// the write lock on path until the returned function is called.
func lockFromOtherProcess(t *testing.T, path string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("lock helper said %q, %v", line, err)
	}
	var once stdsync.Once
	release = func() {
		once.Do(func() {
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("lock helper: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

// clock is a settable clock shared by the stores of a test.
type clock struct {
	mu stdsync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openAt opens a store at path and closes it when the test ends.
func openAt(t testing.TB, path string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openTemp opens a fresh store in a temporary directory.
func openTemp(t testing.TB, opts ...Option) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "state.db"), opts...)
}

// update runs fn in a transaction and fails the test on error.
func update(t testing.TB, s *Store, fn func(tx *Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// sampleEvent returns a stored-ready event.
func sampleEvent(automation, id string) Event {
	return Event{
		Automation: automation, ID: id, ICalUID: "uid-" + id, ChangeKey: "ck1",
		Subject: "Supplier visit " + id, OrganizerName: "Hanna Host", OrganizerEmail: "hanna.host@contoso.com",
		Location: "Building A", Start: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC),
		End: time.Date(2026, 12, 2, 11, 0, 0, 0, time.UTC), Outcome: OutcomeCreated, Reason: "2 visitors",
	}
}

// sampleVisit returns a visit of event id for visitor.
func sampleVisit(automation, eventID, visitor string) Visit {
	return Visit{
		Automation: automation, Ref: "ref-" + eventID + "-" + visitor, EventID: eventID,
		VisitorEmail: visitor, VisitorName: "Ann Guest", HostEmail: "hanna.host@contoso.com", HostID: "emp-7",
		Arrival: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), Departure: time.Date(2026, 12, 2, 11, 0, 0, 0, time.UTC),
		Status: VisitPending, BodyHash: "h1",
	}
}

// putOp returns a put operation for ref.
func putOp(automation, eventID, ref string) Op {
	return Op{Automation: automation, Ref: ref, EventID: eventID, Kind: OpPut,
		Payload: json.RawMessage(`{"visitor":{"email":"ann@fabrikam.com"}}`)}
}
