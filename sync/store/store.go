// Package store is invitesync's state database: per automation, the delta
// cursor, the events seen, the visits, the durable outbox of IDM and Graph
// operations, the activity log, the loop status, loop leases and a control
// queue that lets a dashboard steer a running service.
//
// It is one SQLite file (modernc.org/sqlite, pure Go) in WAL mode: readers
// never block the writer nor see a half-written transaction, and several
// processes may open the same file. Writes go through Update, whose callback
// composes typed Tx methods in one transaction; reads for the status and the
// dashboard are plain Store methods.
//
// Durability: synchronous=NORMAL. In WAL mode a committed transaction is in
// the WAL file before Commit returns, so a crash of the process (SIGKILL
// included) loses nothing that was committed and never corrupts the file; only
// a power cut or kernel crash may roll back the last transactions, never
// half of one. Every operation the outbox sends is idempotent (PUT by
// reference, DELETE of a gone visit is done), so such a rollback replays work
// instead of losing or duplicating it. FULL would add an fsync to every
// commit — one per completed operation — for no gain in that model.
//
// Times are stored as INTEGER unix nanoseconds (UTC); 0 means not set, and
// reads as the zero time.Time.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	stdsync "sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultBusyTimeout is how long a write waits for another process's write
// lock before it fails with ErrLocked.
const DefaultBusyTimeout = 5 * time.Second

// The writer's page cache (KiB) and how many WAL pages it lets build up
// before it copies them back into the database file. A first round rewrites
// the same index pages over and over: a larger cache reads them again less,
// and a checkpoint every 8,000 pages (about 32 MiB of WAL) copies and
// flushes each page once for many commits rather than once for a few.
const (
	writerCacheKiB      = 16 << 10
	autoCheckpointPages = 8000
)

// readers is the size of the read connection pool.
const readers = 4

// Store is an open state database. It is safe for concurrent use.
type Store struct {
	path string
	busy time.Duration
	now  func() time.Time
	w    *sql.DB // one connection; transactions BEGIN IMMEDIATE
	r    *sql.DB // read-only connections
	wc   *stmtCache
	rc   *stmtCache

	markerMu stdsync.Mutex
	marker   *sql.Conn // dedicated connection for PRAGMA data_version

	// copyDir holds a copy made by OpenCopy; Close deletes it.
	copyDir string
}

// Option tunes Open.
type Option func(*Store)

// WithBusyTimeout sets how long a write waits for another process's lock.
func WithBusyTimeout(d time.Duration) Option { return func(s *Store) { s.busy = d } }

// WithClock sets the clock used for timestamps, leases and due operations.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open opens the state database at path, creating it (directory 0700, file
// 0600) and migrating its schema as needed. Failures name the path and what
// to do: a *DBError (ErrLocked, ErrCorrupt, ErrForeign, ErrUnavailable) or a
// *VersionError (ErrTooNew).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	return open(ctx, path, migrations, opts...)
}

// open is Open with an explicit list of schema steps.
func open(ctx context.Context, path string, steps []string, opts ...Option) (*Store, error) {
	if strings.TrimSpace(path) == "" {
		return nil, &InvalidError{Field: "state database path", Want: "a file path"}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &DBError{Path: path, Kind: ErrUnavailable, Err: err, Fix: fixUnavailable}
	}
	s := &Store{path: abs, busy: DefaultBusyTimeout, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if err := createFile(abs); err != nil {
		return nil, &DBError{Path: abs, Kind: ErrUnavailable, Err: err, Fix: fixUnavailable}
	}
	if err := precheck(ctx, abs, s.busy, steps); err != nil {
		return nil, s.fail(err)
	}
	// Neither call connects yet; errors come from the first use.
	if s.w, err = sql.Open("sqlite", dsn(abs, s.busy, true)); err != nil {
		return nil, s.fail(err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	s.wc = newStmtCache(s.w)
	if s.r, err = sql.Open("sqlite", dsn(abs, s.busy, false)); err != nil {
		s.w.Close()
		return nil, s.fail(err)
	}
	s.r.SetMaxOpenConns(readers + 1) // + the change marker's connection
	s.r.SetMaxIdleConns(readers + 1)
	s.rc = newStmtCache(s.r)
	if err := migrate(ctx, s.w, abs, steps); err != nil {
		s.Close()
		return nil, s.fail(err)
	}
	return s, nil
}

// createFile makes the directory (0700) and an empty database file (0600),
// unless they exist; SQLite gives its -wal and -shm files the same mode.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // another process created it first
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// dsn is the modernc.org/sqlite data source for path.
func dsn(path string, busy time.Duration, write bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	if write {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		// A statement of many rows keeps its journal in memory, not in
		// a temporary file it writes and drops.
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -writerCacheKiB))
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", autoCheckpointPages))
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// Path is the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.markerMu.Lock()
	if s.marker != nil {
		s.marker.Close()
		s.marker = nil
	}
	s.markerMu.Unlock()
	var errs []error
	for _, c := range []*stmtCache{s.rc, s.wc} {
		if c != nil {
			c.close()
		}
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.copyDir != "" {
		errs = append(errs, os.RemoveAll(s.copyDir))
		s.copyDir = ""
	}
	return s.fail(errors.Join(errs...))
}

// fail classifies err (see classify) for this database.
func (s *Store) fail(err error) error { return classify(s.path, s.busy, err) }

// Tx is one transaction. Its methods are valid only inside the callback of
// the Update or View that made it; a View's Tx refuses writes.
type Tx struct {
	ctx   context.Context
	tx    *sql.Tx
	s     *Store
	cache *stmtCache
	now   time.Time            // one timestamp for every row the transaction writes
	stmts map[string]*sql.Stmt // cached statements bound to tx (see stmt)
	// noFailed holds the automations known to have no failed operation.
	noFailed map[string]bool
}

// Update runs fn in one write transaction: everything fn writes commits
// together, or — when fn returns an error or panics — nothing does. fn must
// not do network I/O: the write lock is held until it returns.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return s.run(ctx, s.wc, nil, fn)
}

// View runs fn in one read transaction: every read sees the same snapshot,
// and writers are not blocked.
func (s *Store) View(ctx context.Context, fn func(tx *Tx) error) error {
	return s.run(ctx, s.rc, &sql.TxOptions{ReadOnly: true}, fn)
}

func (s *Store) run(ctx context.Context, c *stmtCache, opts *sql.TxOptions, fn func(tx *Tx) error) error {
	stx, err := c.db.BeginTx(ctx, opts)
	if err != nil {
		return s.fail(err)
	}
	defer c.prepareWanted(ctx) // once the connection is free again
	defer stx.Rollback()       // after Commit, a no-op
	if err := fn(&Tx{ctx: ctx, tx: stx, s: s, cache: c, now: s.now().UTC()}); err != nil {
		return err
	}
	return s.fail(stx.Commit())
}

// querier runs queries: a Tx inside a transaction, a stmtCache outside.
type querier interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// nanos is t as stored: unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos reads a stored time.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// required checks that a key field is not blank.
func required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return &InvalidError{Field: field, Want: "a non-empty value", Got: value}
	}
	return nil
}

// oneOf checks that value is one of allowed.
func oneOf[T ~string](field string, value T, allowed ...T) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	want := make([]string, len(allowed))
	for i, a := range allowed {
		want[i] = string(a)
	}
	return &InvalidError{Field: field, Want: "one of " + strings.Join(want, ", "), Got: string(value)}
}

// affected turns "no row changed" into ErrNotFound naming what.
func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}
