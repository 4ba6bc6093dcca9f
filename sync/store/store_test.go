package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"
)

func TestOpenCreatesPrivateDirectoryAndFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "invitesync")
	path := filepath.Join(dir, "state.db")
	s := openAt(t, path)
	update(t, s, func(tx *Tx) error { return tx.PutEvent(sampleEvent("a", "e1")) })

	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
	ctx := context.Background()
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "5000"} {
		var got string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	if s.Path() != path {
		t.Errorf("Path() = %s, want %s", s.Path(), path)
	}
}

func TestMigrateEmptyDatabase(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	v, err := schemaVersion(ctx, s.r)
	if err != nil || v != SchemaVersion() || v < 2 {
		t.Fatalf("user_version = %d, %v; want %d", v, err, SchemaVersion())
	}
	for _, table := range []string{"cursors", "events", "visits", "replies", "outbox", "activity",
		"outcome_counts", "loop_status", "leases", "control"} {
		var n int
		if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: %d, %v", table, n, err)
		}
	}
}

func TestMigrateFromVersion1KeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	old, err := open(ctx, path, migrations[:1])
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Update(ctx, func(tx *Tx) error {
		// PutEvent writes today's columns; version 1 has fewer.
		e := sampleEvent("a", "e1")
		if _, err := tx.exec(`INSERT INTO events (automation, event_id, ical_uid, subject, starts, ends, outcome, first_seen, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, 1, 1)`, e.Automation, e.ID, e.ICalUID, e.Subject, nanos(e.Start), nanos(e.End), e.Outcome); err != nil {
			return err
		}
		if err := tx.PutVisit(sampleVisit("a", "e1", "ann@fabrikam.com")); err != nil {
			return err
		}
		_, err := tx.Enqueue(putOp("a", "e1", "ref-1"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := old.Lease(ctx, "a"); err == nil {
		t.Fatal("version 1 has no lease table, but Lease worked")
	}
	old.Close()

	s := openAt(t, path)
	if v, _ := schemaVersion(ctx, s.r); v != SchemaVersion() {
		t.Fatalf("after reopening: version %d, want %d", v, SchemaVersion())
	}
	d, err := s.EventDetails(ctx, "a", "e1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Event.Subject != "Supplier visit e1" || len(d.Visits) != 1 || len(d.Ops) != 1 {
		t.Fatalf("data after migration: %+v", d)
	}
	want := sampleVisit("a", "e1", "ann@fabrikam.com")
	if v := d.Visits[0]; v.Ref != want.Ref || v.VisitorEmail != want.VisitorEmail || v.HostID != want.HostID ||
		!v.Arrival.Equal(want.Arrival) || v.Status != want.Status || v.BodyHash != want.BodyHash {
		t.Fatalf("the visit after migration: %+v, want %+v", v, want)
	}
	if e := d.Event; e.Type != "" || e.SeriesID != "" || e.Occurrence != "" || e.Reread {
		t.Fatalf("version 3 columns of an event from version 1: %+v", e)
	}
	if _, err := s.Acquire(ctx, "a", "me", time.Minute); err != nil {
		t.Fatalf("version 2 lease after migration: %v", err)
	}
}

func TestReopenAtSameVersionKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx *Tx) error {
		return tx.SetCursor("a", Cursor{Link: "https://graph/delta?token=1", Complete: true})
	})
	s.Close()
	s = openAt(t, path)
	if err := s.View(ctx, func(tx *Tx) error {
		c, ok, err := tx.Cursor("a")
		if err != nil || !ok || c.Link != "https://graph/delta?token=1" || !c.Complete {
			return fmt.Errorf("cursor after reopen: %+v %v %v", c, ok, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path)
	if _, err := s.w.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	_, err := Open(ctx, path)
	var ve *VersionError
	if !errors.Is(err, ErrTooNew) || !errors.As(err, &ve) || ve.Found != 99 {
		t.Fatalf("Open of a version 99 database: %v", err)
	}
	for _, want := range []string{path, "99", "newer invitesync"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// Refusing changed nothing.
	db, _ := sql.Open("sqlite", path)
	defer db.Close()
	if v, _ := schemaVersion(ctx, db); v != 99 {
		t.Errorf("version after refusal: %d", v)
	}
}

func TestRandomBytesFileIsCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	junk := make([]byte, 8192)
	rand.Read(junk)
	copy(junk, "not sqlite at all")
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	var dbe *DBError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &dbe) {
		t.Fatalf("Open of random bytes: %v", err)
	}
	for _, want := range []string{path, "not a valid state database", "move the file aside"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, junk) {
		t.Error("Open changed the corrupt file")
	}
}

func TestDamagedPagesAreCorrupt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx *Tx) error {
		for i := range 200 {
			if err := tx.PutEvent(sampleEvent("a", fmt.Sprint("e", i))); err != nil {
				return err
			}
		}
		return nil
	})
	s.Close() // the last connection checkpoints the WAL into the file

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rand.Read(data[4096:]) // keep the header page, scramble the rest
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err == nil {
		defer s.Close()
		_, err = s.Activity(ctx, ActivityQuery{Automation: "a"})
		if err == nil {
			err = s.View(ctx, func(tx *Tx) error { _, _, err := tx.Event("a", "e150"); return err })
		}
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Fatalf("damaged database: %v", err)
	}
}

func TestDirectoryThatCannotBeCreated(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "sub", "state.db")
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "--state") {
		t.Fatalf("Open under a file: %v", err)
	}

	dir := t.TempDir()
	_, err = Open(context.Background(), dir)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Open of a directory: %v", err)
	}
	if _, err := Open(context.Background(), " "); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Open of a blank path: %v", err)
	}
}

func TestLockedDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path, WithBusyTimeout(200*time.Millisecond))
	release := lockFromOtherProcess(t, path)

	err := s.Update(ctx, func(tx *Tx) error { return tx.PutEvent(sampleEvent("a", "e1")) })
	var dbe *DBError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &dbe) {
		t.Fatalf("Update under another process's lock: %v", err)
	}
	for _, want := range []string{path, "locked by another process", "200ms", "stop the other invitesync process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// Readers are not blocked by the writer (WAL).
	if _, err := s.Activity(ctx, ActivityQuery{Automation: "a"}); err != nil {
		t.Errorf("read while locked: %v", err)
	}
	release()
	update(t, s, func(tx *Tx) error { return tx.PutEvent(sampleEvent("a", "e1")) })
}

func TestOpenLockedUnmigratedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	lockFromOtherProcess(t, path) // creates the file, holds the write lock
	_, err := Open(context.Background(), path, WithBusyTimeout(200*time.Millisecond))
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open while another process holds the lock: %v", err)
	}
}

func TestFailedCallbackRollsBackEverything(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutEvent(sampleEvent("a", "e1")); err != nil {
			return err
		}
		if err := tx.PutVisit(sampleVisit("a", "e1", "ann@fabrikam.com")); err != nil {
			return err
		}
		if _, err := tx.Enqueue(putOp("a", "e1", "ref-1")); err != nil {
			return err
		}
		if _, err := tx.AddActivity(Activity{Automation: "a", EventID: "e1", Outcome: OutcomeCreated}); err != nil {
			return err
		}
		if err := tx.SetCursor("a", Cursor{Link: "next"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the callback's error", err)
	}
	assertEmpty(t, s)

	// A panic rolls back too, and the store stays usable.
	func() {
		defer func() { recover() }()
		s.Update(ctx, func(tx *Tx) error {
			tx.PutEvent(sampleEvent("a", "e1"))
			panic("in the callback")
		})
	}()
	assertEmpty(t, s)

	// A visit whose event is never stored fails at commit, taking the rest with it.
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Enqueue(putOp("a", "e9", "ref-9")); err != nil {
			return err
		}
		return tx.PutVisit(sampleVisit("a", "e9", "ann@fabrikam.com"))
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("visit without event: %v", err)
	}
	assertEmpty(t, s)
}

// assertEmpty checks that automation "a" has no stored state at all.
func assertEmpty(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.View(ctx, func(tx *Tx) error {
		if _, ok, _ := tx.Cursor("a"); ok {
			return errors.New("cursor stored")
		}
		if _, ok, _ := tx.Event("a", "e1"); ok {
			return errors.New("event stored")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	st, err := s.Status(ctx, "a")
	if err != nil || st.Pending != 0 || st.Counts != (Counts{}) {
		t.Errorf("status after rollback: %+v, %v", st, err)
	}
}

func TestReaderSeesSnapshotWhileWriterCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path)
	other := openAt(t, path) // a second handle, as another process would have
	addActivity := func(st *Store, n int) {
		update(t, st, func(tx *Tx) error {
			for range n {
				if _, err := tx.AddActivity(Activity{Automation: "a", Outcome: OutcomeSkipped}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	count := func(tx *Tx) int {
		var n int
		if err := tx.tx.QueryRowContext(ctx, "SELECT count(*) FROM activity").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	addActivity(s, 3)

	if err := s.View(ctx, func(tx *Tx) error {
		if n := count(tx); n != 3 {
			return fmt.Errorf("first read: %d rows", n)
		}
		// Writers commit while the read transaction is open: not blocked.
		addActivity(s, 2)
		addActivity(other, 2)
		if n := count(tx); n != 3 {
			return fmt.Errorf("the snapshot moved: %d rows", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx *Tx) error {
		if n := count(tx); n != 7 {
			return fmt.Errorf("after commits: %d rows, want 7", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// A reader during an open write transaction sees only committed rows.
	update(t, s, func(tx *Tx) error {
		if _, err := tx.AddActivity(Activity{Automation: "a", Outcome: OutcomeSkipped}); err != nil {
			return err
		}
		rows, err := other.Activity(ctx, ActivityQuery{Automation: "a", Limit: 100})
		if err != nil || len(rows) != 7 {
			return fmt.Errorf("reader during a write: %d rows, %v", len(rows), err)
		}
		return nil
	})
}

func TestInvalidInputChangesNothing(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	cases := []struct {
		field string
		write func(tx *Tx) error
	}{
		{"event.outcome", func(tx *Tx) error { e := sampleEvent("a", "e1"); e.Outcome = "maybe"; return tx.PutEvent(e) }},
		{"event.id", func(tx *Tx) error { return tx.PutEvent(sampleEvent("a", "")) }},
		{"visit.status", func(tx *Tx) error { v := sampleVisit("a", "e1", "x@y"); v.Status = "gone"; return tx.PutVisit(v) }},
		{"op.kind", func(tx *Tx) error { o := putOp("a", "e1", "r"); o.Kind = "post"; _, err := tx.Enqueue(o); return err }},
		{"op.payload", func(tx *Tx) error {
			o := putOp("a", "e1", "r")
			o.Payload = []byte("{nope")
			_, err := tx.Enqueue(o)
			return err
		}},
		{"op.ref", func(tx *Tx) error { _, err := tx.Enqueue(putOp("a", "e1", "")); return err }},
		{"activity.outcome", func(tx *Tx) error { _, err := tx.AddActivity(Activity{Automation: "a"}); return err }},
		{"cursor.link", func(tx *Tx) error { return tx.SetCursor("a", Cursor{}) }},
		{"loop.state", func(tx *Tx) error { return tx.SetLoopStatus(LoopStatus{Automation: "a"}) }},
	}
	for _, c := range cases {
		err := s.Update(ctx, func(tx *Tx) error {
			if err := tx.PutEvent(sampleEvent("a", "e1")); err != nil {
				return err
			}
			return c.write(tx)
		})
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Field != c.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
	assertEmpty(t, s)
}

func TestConcurrentUpdatesShareOneWriter(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	var wg stdsync.WaitGroup
	errs := make(chan error, 40)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				id := fmt.Sprintf("e%d-%d", g, i)
				errs <- s.Update(ctx, func(tx *Tx) error {
					if err := tx.PutEvent(sampleEvent("a", id)); err != nil {
						return err
					}
					_, err := tx.AddActivity(Activity{Automation: "a", EventID: id, Outcome: OutcomeCreated})
					return err
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st, err := s.Status(ctx, "a"); err != nil || st.Counts.Created != 40 {
		t.Fatalf("after 40 concurrent updates: %+v, %v", st.Counts, err)
	}
	// The statements those transactions repeated are now prepared once.
	s.wc.mu.Lock()
	prepared := len(s.wc.stmts)
	s.wc.mu.Unlock()
	if prepared < 3 {
		t.Fatalf("%d statements prepared, want the event and activity writes", prepared)
	}
}
