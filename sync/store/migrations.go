package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema steps, applied in order. Step i takes the database
// from version i to version i+1; the version is kept in PRAGMA user_version.
// Never edit a released step: append a new one.
//
// Times are INTEGER unix nanoseconds in UTC; 0 means "not set".
var migrations = []string{
	// Version 1: cursors, events, visits, replies, outbox, activity, status.
	`
CREATE TABLE cursors (
	automation    TEXT PRIMARY KEY,
	link          TEXT NOT NULL,
	complete      INTEGER NOT NULL DEFAULT 0,
	window_start  INTEGER NOT NULL DEFAULT 0,
	window_end    INTEGER NOT NULL DEFAULT 0,
	round_started INTEGER NOT NULL DEFAULT 0,
	updated       INTEGER NOT NULL
) STRICT;

CREATE TABLE events (
	automation      TEXT NOT NULL,
	event_id        TEXT NOT NULL,
	ical_uid        TEXT NOT NULL DEFAULT '',
	change_key      TEXT NOT NULL DEFAULT '',
	subject         TEXT NOT NULL DEFAULT '',
	organizer_name  TEXT NOT NULL DEFAULT '',
	organizer_email TEXT NOT NULL DEFAULT '',
	location        TEXT NOT NULL DEFAULT '',
	starts          INTEGER NOT NULL DEFAULT 0,
	ends            INTEGER NOT NULL DEFAULT 0,
	all_day         INTEGER NOT NULL DEFAULT 0,
	outcome         TEXT NOT NULL CHECK (outcome IN ('created','updated','cancelled','skipped','failed')),
	reason          TEXT NOT NULL DEFAULT '',
	round           INTEGER NOT NULL DEFAULT 0,
	first_seen      INTEGER NOT NULL,
	updated         INTEGER NOT NULL,
	PRIMARY KEY (automation, event_id)
) STRICT;
CREATE INDEX events_ical ON events (automation, ical_uid);
CREATE INDEX events_round ON events (automation, round);

CREATE TABLE visits (
	automation    TEXT NOT NULL,
	ref           TEXT NOT NULL,
	event_id      TEXT NOT NULL,
	visitor_email TEXT NOT NULL,
	visitor_name  TEXT NOT NULL DEFAULT '',
	host_email    TEXT NOT NULL DEFAULT '',
	host_id       TEXT NOT NULL DEFAULT '',
	arrival       INTEGER NOT NULL DEFAULT 0,
	departure     INTEGER NOT NULL DEFAULT 0,
	idm_id        TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL CHECK (status IN ('pending','active','cancelled','failed')),
	body_hash     TEXT NOT NULL DEFAULT '',
	updated       INTEGER NOT NULL,
	PRIMARY KEY (automation, ref),
	FOREIGN KEY (automation, event_id) REFERENCES events (automation, event_id)
		ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE INDEX visits_event ON visits (automation, event_id, ref);

CREATE TABLE replies (
	automation  TEXT NOT NULL,
	event_id    TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	updated     INTEGER NOT NULL,
	PRIMARY KEY (automation, event_id),
	FOREIGN KEY (automation, event_id) REFERENCES events (automation, event_id)
		ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE outbox (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	automation    TEXT NOT NULL,
	ref           TEXT NOT NULL,
	event_id      TEXT NOT NULL DEFAULT '',
	kind          TEXT NOT NULL CHECK (kind IN ('put','delete','reply')),
	payload       TEXT NOT NULL,
	state         TEXT NOT NULL CHECK (state IN ('pending','failed','done','superseded')),
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_attempt  INTEGER NOT NULL,
	last_error    TEXT NOT NULL DEFAULT '',
	result_code   INTEGER NOT NULL DEFAULT 0,
	result_id     TEXT NOT NULL DEFAULT '',
	result_status TEXT NOT NULL DEFAULT '',
	result_message TEXT NOT NULL DEFAULT '',
	created       INTEGER NOT NULL,
	updated       INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_state ON outbox (automation, state, id);
CREATE INDEX outbox_ref ON outbox (automation, ref, state, id);
CREATE INDEX outbox_event ON outbox (automation, event_id);

CREATE TABLE activity (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	automation TEXT NOT NULL,
	at         INTEGER NOT NULL,
	event_id   TEXT NOT NULL DEFAULT '',
	subject    TEXT NOT NULL DEFAULT '',
	host       TEXT NOT NULL DEFAULT '',
	visitors   TEXT NOT NULL DEFAULT '',
	outcome    TEXT NOT NULL CHECK (outcome IN ('created','updated','cancelled','skipped','failed')),
	reason     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX activity_automation ON activity (automation, id);
CREATE INDEX activity_event ON activity (automation, event_id);

CREATE TABLE outcome_counts (
	automation TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	n          INTEGER NOT NULL,
	PRIMARY KEY (automation, outcome)
) STRICT;

CREATE TABLE loop_status (
	automation      TEXT PRIMARY KEY,
	state           TEXT NOT NULL,
	last_poll       INTEGER NOT NULL DEFAULT 0,
	last_success    INTEGER NOT NULL DEFAULT 0,
	next_poll       INTEGER NOT NULL DEFAULT 0,
	throttled_until INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	updated         INTEGER NOT NULL
) STRICT;
`,
	// Version 2: several processes on one database (a service and an
	// attached dashboard): loop leases and the control queue.
	`
CREATE TABLE leases (
	automation TEXT PRIMARY KEY,
	owner      TEXT NOT NULL,
	acquired   INTEGER NOT NULL,
	expires    INTEGER NOT NULL
) STRICT;

CREATE TABLE control (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	automation TEXT NOT NULL,
	command    TEXT NOT NULL CHECK (command IN ('poll-now','pause','resume','retry-failed')),
	requested  INTEGER NOT NULL
) STRICT;
CREATE INDEX control_automation ON control (automation, id);
`,
	// Version 3: recurring series (an occurrence's series and what tells it
	// apart in it) and events to read again after a failed read.
	`
ALTER TABLE events ADD COLUMN event_type TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN series_id TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN occurrence TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN reread INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_series ON events (automation, series_id) WHERE series_id <> '';
CREATE INDEX events_reread ON events (automation) WHERE reread <> 0;
`,
	// Version 4: a reply's intent, recorded before it is sent, so a crash
	// between Graph's answer and the record sends no second reply; replies
	// sent in place of the planned one because visits failed; the mailbox a
	// loop watches, so two automations never watch one mailbox.
	`
ALTER TABLE outbox ADD COLUMN intent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN result_notice INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leases ADD COLUMN mailbox TEXT NOT NULL DEFAULT '';
CREATE INDEX leases_mailbox ON leases (mailbox);
`,
	// Version 5: the nudge command (a poll a paused loop ignores). SQLite
	// cannot change a CHECK constraint in place: the table is rebuilt.
	`
CREATE TABLE control_v5 (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	automation TEXT NOT NULL,
	command    TEXT NOT NULL CHECK (command IN ('poll-now','pause','resume','retry-failed','nudge')),
	requested  INTEGER NOT NULL
) STRICT;
INSERT INTO control_v5 (id, automation, command, requested) SELECT id, automation, command, requested FROM control;
DROP TABLE control;
ALTER TABLE control_v5 RENAME TO control;
CREATE INDEX control_automation ON control (automation, id);
`,
	// Version 6: the events counted by outcome (Board, read by `status` and
	// the dashboard) from an index alone, not from a year of event rows.
	`
CREATE INDEX events_outcome ON events (automation, outcome, event_type);
`,
	// Version 7: the activity log in the order of its meetings
	// (ActivityByMeeting) read from the meetings' starts, a page at a time.
	`
CREATE INDEX events_starts ON events (automation, starts);
`,
	// Version 8: an operation's answer is recorded without moving it
	// between index entries: the outbox is found by ref whatever the state,
	// and its pending and its failed operations each have an index of their
	// own, which an operation leaves when it is done. No query looks events
	// up by iCalUID: its index, which every new event paid for, goes.
	`
DROP INDEX events_ical;
DROP INDEX outbox_state;
DROP INDEX outbox_ref;
CREATE INDEX outbox_ref ON outbox (automation, ref, id);
CREATE INDEX outbox_pending ON outbox (automation, id) WHERE state = 'pending';
CREATE INDEX outbox_failed ON outbox (automation, id) WHERE state = 'failed';
`,
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

// schemaVersion reads PRAGMA user_version.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// migrate brings the database to the version of steps, in one immediate
// transaction. It refuses a database newer than steps with a *VersionError.
func migrate(ctx context.Context, db *sql.DB, path string, steps []string) error {
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if v > len(steps) {
		return &VersionError{Path: path, Found: v, Known: len(steps)}
	}
	if v == len(steps) {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Another process may have migrated between the check and the lock.
	if v, err = schemaVersion(ctx, tx); err != nil {
		return err
	}
	if v > len(steps) {
		return &VersionError{Path: path, Found: v, Known: len(steps)}
	}
	for i := v; i < len(steps); i++ {
		if _, err := tx.ExecContext(ctx, steps[i]); err != nil {
			return fmt.Errorf("schema step %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no bound parameters; the value is an integer we own.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(steps))); err != nil {
		return err
	}
	return tx.Commit()
}
