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
)

// OpenCopy opens a private copy of the state database at src: one
// consistent snapshot, taken through a read-only connection that never
// migrates, checkpoints or writes src. Everything written to the copy stays
// in it, and Close deletes it. A src that does not exist gives an empty
// database. It is what lets `invitesync preview` run the engine's own poll
// and leave the real state as it was.
func OpenCopy(ctx context.Context, src string, opts ...Option) (*Store, error) {
	dir, err := os.MkdirTemp("", "invitesync-copy-")
	if err != nil {
		return nil, &DBError{Path: src, Kind: ErrUnavailable, Err: err, Fix: "check that the temporary directory (TMPDIR) is writable"}
	}
	dst := filepath.Join(dir, "state.db")
	if err := snapshot(ctx, src, dst); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s, err := Open(ctx, dst, opts...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.copyDir = dir
	return s, nil
}

// IsCopy reports whether s is a copy made by OpenCopy.
func (s *Store) IsCopy() bool { return s.copyDir != "" }

// snapshot writes the database at src, as of one read transaction, to the
// new file dst (VACUUM INTO); a src that does not exist writes nothing.
func snapshot(ctx context.Context, src, dst string) error {
	abs, err := filepath.Abs(src)
	if err != nil {
		return &DBError{Path: src, Kind: ErrUnavailable, Err: err, Fix: fixUnavailable}
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return &DBError{Path: abs, Kind: ErrUnavailable, Err: err, Fix: fixUnavailable}
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()))
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return classify(abs, DefaultBusyTimeout, err)
	}
	defer db.Close()
	var version int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return classify(abs, DefaultBusyTimeout, err)
	}
	if version > len(migrations) {
		return &VersionError{Path: abs, Found: version, Known: len(migrations)}
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return classify(abs, DefaultBusyTimeout, err)
	}
	return nil
}

// Pending returns the automation's pending operations, oldest first: what
// the outbox will run, in the order it runs each visit's operations.
func (s *Store) Pending(ctx context.Context, automation string) ([]Op, error) {
	ops, err := queryAll(ctx, s.rc, scanOp, `SELECT `+opColumns+` FROM outbox
	WHERE automation = ? AND state = 'pending' ORDER BY id`, automation)
	return ops, s.fail(err)
}

// VisitStates returns the status of every visit of the automation, by ref.
func (s *Store) VisitStates(ctx context.Context, automation string) (map[string]VisitStatus, error) {
	type row struct {
		ref    string
		status VisitStatus
	}
	rows, err := queryAll(ctx, s.rc, func(r scanner) (row, error) {
		var v row
		return v, r.Scan(&v.ref, &v.status)
	}, `SELECT ref, status FROM visits WHERE automation = ?`, automation)
	if err != nil {
		return nil, s.fail(err)
	}
	out := make(map[string]VisitStatus, len(rows))
	for _, r := range rows {
		out[r.ref] = r.status
	}
	return out, nil
}

// ActivitySince returns the automation's activity rows after the row
// afterID, oldest first.
func (s *Store) ActivitySince(ctx context.Context, automation string, afterID int64) ([]Activity, error) {
	rows, err := queryAll(ctx, s.rc, scanActivity, selectActivity+`
WHERE a.automation = ? AND a.id > ? ORDER BY a.id`, automation, afterID)
	return rows, s.fail(err)
}

// LastActivityID is the id of the newest activity row, 0 when there is none.
func (s *Store) LastActivityID(ctx context.Context) (int64, error) {
	var id int64
	err := s.rc.queryRow(ctx, `SELECT coalesce(max(id), 0) FROM activity`).Scan(&id)
	return id, s.fail(err)
}
