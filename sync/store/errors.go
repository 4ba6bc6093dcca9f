package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Kinds of failure, for errors.Is. Errors about the database file come as a
// *DBError or a *VersionError that names the path and what to do.
var (
	// ErrLocked: another process held a write lock longer than the busy timeout.
	ErrLocked = errors.New("locked by another process")
	// ErrCorrupt: the file is not an SQLite database, or it is damaged.
	ErrCorrupt = errors.New("not a valid state database (not SQLite, or damaged)")
	// ErrUnavailable: the file or its directory cannot be created, opened or written.
	ErrUnavailable = errors.New("cannot be created, opened or written")
	// ErrForeign: the file is an SQLite database of another program.
	ErrForeign = errors.New("not an invitesync state database")
	// ErrTooNew: the schema is newer than this build knows.
	ErrTooNew = errors.New("written by a newer version of invitesync")
	// ErrNotFound: the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a value handed to the store is malformed; see *InvalidError.
	ErrInvalid = errors.New("invalid value")
	// ErrLeaseHeld: another owner holds a live lease; see *LeaseHeldError.
	ErrLeaseHeld = errors.New("automation is already run by another process")
	// ErrLeaseLost: a lease to renew has expired and another owner took it.
	ErrLeaseLost = errors.New("lease lost to another process")
	// ErrMailboxWatched: another automation's loop watches the mailbox; see
	// *MailboxWatchedError.
	ErrMailboxWatched = errors.New("mailbox is already watched by another automation")
)

// DBError is a failure of the state database file itself: locked, corrupt or
// unavailable. Its message names the path and what the operator can do.
type DBError struct {
	Path string
	Kind error // ErrLocked, ErrCorrupt, ErrForeign or ErrUnavailable
	Err  error // the underlying cause
	Fix  string
}

func (e *DBError) Error() string {
	return fmt.Sprintf("state database %s: %v (%v): %s", e.Path, e.Kind, e.Err, e.Fix)
}

// Unwrap returns the kind and the cause, so errors.Is matches both.
func (e *DBError) Unwrap() []error { return []error{e.Kind, e.Err} }

// VersionError reports a database whose schema is newer than this build knows.
type VersionError struct {
	Path  string
	Found int // the database's schema version
	Known int // the newest version this build knows
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("state database %s has schema version %d, but this invitesync knows versions up to %d: "+
		"run the newer invitesync that wrote it, or choose another state file (--state)", e.Path, e.Found, e.Known)
}

// Is makes errors.Is(err, ErrTooNew) true.
func (e *VersionError) Is(target error) bool { return target == ErrTooNew }

// InvalidError is a value the store refused; nothing was written.
type InvalidError struct {
	Field string // e.g. "op.kind"
	Want  string // what is expected
	Got   string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("invalid %s %q: want %s", e.Field, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// LeaseHeldError says who holds the lease an Acquire wanted.
type LeaseHeldError struct{ Lease Lease }

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("automation %q is already run by %s (lease valid until %s): stop that process, or wait for its lease to expire",
		e.Lease.Automation, e.Lease.Owner, e.Lease.Expires.Local().Format(time.DateTime))
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// MailboxWatchedError says which automation, run by which process, watches
// the mailbox an AcquireWatching wanted.
type MailboxWatchedError struct{ Lease Lease }

func (e *MailboxWatchedError) Error() string {
	return fmt.Sprintf("mailbox %s is already watched by automation %q, run by %s: one mailbox belongs to one automation; "+
		"stop that process, or give this automation a mailbox of its own", e.Lease.Mailbox, e.Lease.Automation, e.Lease.Owner)
}

// Is makes errors.Is(err, ErrMailboxWatched) true.
func (e *MailboxWatchedError) Is(target error) bool { return target == ErrMailboxWatched }

// Fixes offered with each kind of DBError.
const (
	fixLocked = "stop the other invitesync process that uses this file, " +
		"or choose another state file (--state)"
	fixCorrupt = "move the file aside and start again (the next poll begins a fresh round; " +
		"IDM matches visits by their reference, so none is duplicated), or restore a backup"
	fixForeign = "this file belongs to another program: leave it as it is and choose another state file " +
		"(--state or INVITESYNC_STATE)"
	fixUnavailable = "check that the path is a writable file in a writable directory, " +
		"or choose another state file (--state)"
)

// classify turns an SQLite error about the file into a *DBError naming path;
// any other error is returned as it is.
func classify(path string, busy time.Duration, err error) error {
	if err == nil {
		return nil
	}
	var (
		dbe *DBError
		se  *sqlite.Error
	)
	if errors.As(err, &dbe) || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return &DBError{Path: path, Kind: ErrLocked,
			Err: fmt.Errorf("waited %s: %w", busy, err), Fix: fixLocked}
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return &DBError{Path: path, Kind: ErrCorrupt, Err: err, Fix: fixCorrupt}
	case sqlite3.SQLITE_ERROR:
		// A table or column dropped while the file was open.
		if msg := se.Error(); strings.Contains(msg, "no such table") || strings.Contains(msg, "no such column") {
			return &DBError{Path: path, Kind: ErrCorrupt, Err: fmt.Errorf("its schema is damaged: %w", err), Fix: fixCorrupt}
		}
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_AUTH:
		return &DBError{Path: path, Kind: ErrUnavailable, Err: err, Fix: fixUnavailable}
	}
	return err
}
