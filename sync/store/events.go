package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// Cursor returns the automation's delta cursor; ok is false when there is
// none (a fresh round is due).
func (tx *Tx) Cursor(automation string) (c Cursor, ok bool, err error) {
	var ws, we, rs, up int64
	err = tx.queryRow(tx.ctx, `
SELECT link, complete, window_start, window_end, round_started, updated
FROM cursors WHERE automation = ?`, automation).Scan(&c.Link, &c.Complete, &ws, &we, &rs, &up)
	if errors.Is(err, sql.ErrNoRows) {
		return Cursor{}, false, nil
	}
	if err != nil {
		return Cursor{}, false, tx.s.fail(err)
	}
	c.WindowStart, c.WindowEnd, c.RoundStarted, c.Updated = fromNanos(ws), fromNanos(we), fromNanos(rs), fromNanos(up)
	return c, true, nil
}

// SetCursor stores the automation's delta cursor.
func (tx *Tx) SetCursor(automation string, c Cursor) error {
	if err := required("automation", automation); err != nil {
		return err
	}
	if err := required("cursor.link", c.Link); err != nil {
		return err
	}
	_, err := tx.exec(`
INSERT INTO cursors (automation, link, complete, window_start, window_end, round_started, updated)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (automation) DO UPDATE SET link = excluded.link, complete = excluded.complete,
	window_start = excluded.window_start, window_end = excluded.window_end,
	round_started = excluded.round_started, updated = excluded.updated`,
		automation, c.Link, c.Complete, nanos(c.WindowStart), nanos(c.WindowEnd), nanos(c.RoundStarted), nanos(tx.now))
	return err
}

// ClearCursor forgets the automation's delta cursor, so the next poll starts
// a fresh round (after a 410 from Graph, or to roll the window).
func (tx *Tx) ClearCursor(automation string) error {
	_, err := tx.exec(`DELETE FROM cursors WHERE automation = ?`, automation)
	return err
}

const eventColumns = `automation, event_id, ical_uid, change_key, subject, organizer_name, organizer_email,
	location, starts, ends, all_day, event_type, series_id, occurrence, reread, outcome, reason, round, first_seen, updated`

func scanEvent(r scanner) (Event, error) {
	var e Event
	var start, end, round, first, up int64
	err := r.Scan(&e.Automation, &e.ID, &e.ICalUID, &e.ChangeKey, &e.Subject, &e.OrganizerName, &e.OrganizerEmail,
		&e.Location, &start, &end, &e.IsAllDay, &e.Type, &e.SeriesID, &e.Occurrence, &e.Reread,
		&e.Outcome, &e.Reason, &round, &first, &up)
	e.Start, e.End, e.Round, e.FirstSeen, e.Updated = fromNanos(start), fromNanos(end), fromNanos(round), fromNanos(first), fromNanos(up)
	return e, err
}

// Event returns a stored event; ok is false when the automation never saw it.
func (tx *Tx) Event(automation, id string) (e Event, ok bool, err error) {
	e, err = scanEvent(tx.queryRow(tx.ctx,
		`SELECT `+eventColumns+` FROM events WHERE automation = ? AND event_id = ?`, automation, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, false, nil
	}
	if err != nil {
		return Event{}, false, tx.s.fail(err)
	}
	return e, true, nil
}

// Events returns the stored events among ids, in no particular order.
func (tx *Tx) Events(automation string, ids ...string) ([]Event, error) {
	list, err := json.Marshal(append([]string{}, ids...)) // [] rather than null
	if err != nil {
		return nil, err
	}
	es, err := queryAll(tx.ctx, tx, scanEvent, `SELECT `+eventColumns+` FROM events
WHERE automation = ? AND event_id IN (SELECT value FROM json_each(?))`, automation, string(list))
	return es, tx.s.fail(err)
}

// PutEvent stores an event (insert or replace), keeping its FirstSeen.
func (tx *Tx) PutEvent(e Event) error { return tx.PutEvents(e) }

// PutEvents is PutEvent for several events, in order, in few statements;
// of two for one event, the later wins. Nothing is written when one of
// them is invalid.
func (tx *Tx) PutEvents(es ...Event) error {
	rows := make([][]any, len(es))
	for i, e := range es {
		if err := e.check(); err != nil {
			return err
		}
		rows[i] = []any{e.Automation, e.ID, e.ICalUID, e.ChangeKey, e.Subject, e.OrganizerName, e.OrganizerEmail,
			e.Location, nanos(e.Start), nanos(e.End), e.IsAllDay, e.Type, e.SeriesID, e.Occurrence, e.Reread,
			e.Outcome, e.Reason, nanos(e.Round), nanos(tx.now), nanos(tx.now)}
	}
	_, _, err := tx.execRows(putEventsSQL, rows)
	return err
}

// check refuses an event that cannot be stored.
func (e Event) check() error {
	if err := required("event.automation", e.Automation); err != nil {
		return err
	}
	if err := required("event.id", e.ID); err != nil {
		return err
	}
	return oneOf("event.outcome", e.Outcome, Outcomes...)
}

// putEventsSQL upserts n events.
func putEventsSQL(n int) string {
	return `INSERT INTO events (` + eventColumns + `) VALUES ` +
		rowValues(n, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") + `
ON CONFLICT (automation, event_id) DO UPDATE SET ical_uid = excluded.ical_uid,
	change_key = excluded.change_key, subject = excluded.subject,
	organizer_name = excluded.organizer_name, organizer_email = excluded.organizer_email,
	location = excluded.location, starts = excluded.starts, ends = excluded.ends,
	all_day = excluded.all_day, event_type = excluded.event_type, series_id = excluded.series_id,
	occurrence = excluded.occurrence, reread = excluded.reread, outcome = excluded.outcome,
	reason = excluded.reason, round = excluded.round, updated = excluded.updated`
}

// EventsNotSeenInRound returns the automation's events whose Round is before
// round: after a complete fresh round, the events Graph no longer reports.
// Whether they ended or were deleted is the caller's call.
func (tx *Tx) EventsNotSeenInRound(automation string, round time.Time) ([]Event, error) {
	ev, err := queryAll(tx.ctx, tx, scanEvent,
		`SELECT `+eventColumns+` FROM events WHERE automation = ? AND round < ? ORDER BY event_id`,
		automation, nanos(round))
	return ev, tx.s.fail(err)
}

// SeriesEvents returns the automation's occurrences and exceptions of the
// series whose master is seriesID, by id.
func (tx *Tx) SeriesEvents(automation, seriesID string) ([]Event, error) {
	// No ORDER BY: the planner would walk the primary key for it rather
	// than the series index.
	ev, err := queryAll(tx.ctx, tx, scanEvent,
		`SELECT `+eventColumns+` FROM events WHERE automation = ? AND series_id = ? AND series_id <> ''`,
		automation, seriesID)
	return byID(ev), tx.s.fail(err)
}

// EventsToReread returns the automation's events marked Reread, by id.
func (tx *Tx) EventsToReread(automation string) ([]Event, error) {
	ev, err := queryAll(tx.ctx, tx, scanEvent,
		`SELECT `+eventColumns+` FROM events WHERE automation = ? AND reread <> 0`, automation)
	return byID(ev), tx.s.fail(err)
}

// byID sorts events by id.
func byID(evs []Event) []Event {
	slices.SortFunc(evs, func(a, b Event) int { return strings.Compare(a.ID, b.ID) })
	return evs
}

const visitColumns = `automation, ref, event_id, visitor_email, visitor_name, host_email, host_id,
	arrival, departure, idm_id, status, body_hash, updated`

func scanVisit(r scanner) (Visit, error) {
	var v Visit
	var arr, dep, up int64
	err := r.Scan(&v.Automation, &v.Ref, &v.EventID, &v.VisitorEmail, &v.VisitorName, &v.HostEmail, &v.HostID,
		&arr, &dep, &v.IDMID, &v.Status, &v.BodyHash, &up)
	v.Arrival, v.Departure, v.Updated = fromNanos(arr), fromNanos(dep), fromNanos(up)
	return v, err
}

// Visits returns the visits of one event, by ref.
func (tx *Tx) Visits(automation, eventID string) ([]Visit, error) {
	vs, err := queryAll(tx.ctx, tx, scanVisit,
		`SELECT `+visitColumns+` FROM visits WHERE automation = ? AND event_id = ? ORDER BY ref`, automation, eventID)
	return vs, tx.s.fail(err)
}

// Visit returns one visit by ref; ok is false when there is none.
func (tx *Tx) Visit(automation, ref string) (v Visit, ok bool, err error) {
	v, err = scanVisit(tx.queryRow(tx.ctx,
		`SELECT `+visitColumns+` FROM visits WHERE automation = ? AND ref = ?`, automation, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return Visit{}, false, nil
	}
	if err != nil {
		return Visit{}, false, tx.s.fail(err)
	}
	return v, true, nil
}

// PutVisit stores a visit (insert or replace). An empty IDMID keeps the one
// already stored. The visit's event must be stored (PutEvent) by the end of
// the transaction.
func (tx *Tx) PutVisit(v Visit) error { return tx.PutVisits(v) }

// PutVisits is PutVisit for several visits, in order, in few statements.
// Nothing is written when one of them is invalid.
func (tx *Tx) PutVisits(vs ...Visit) error {
	rows := make([][]any, len(vs))
	for i, v := range vs {
		if err := v.check(); err != nil {
			return err
		}
		rows[i] = []any{v.Automation, v.Ref, v.EventID, v.VisitorEmail, v.VisitorName, v.HostEmail, v.HostID,
			nanos(v.Arrival), nanos(v.Departure), v.IDMID, v.Status, v.BodyHash, nanos(tx.now)}
	}
	_, _, err := tx.execRows(putVisitsSQL, rows)
	return err
}

// check refuses a visit that cannot be stored.
func (v Visit) check() error {
	if err := required("visit.automation", v.Automation); err != nil {
		return err
	}
	if err := required("visit.ref", v.Ref); err != nil {
		return err
	}
	if err := required("visit.event_id", v.EventID); err != nil {
		return err
	}
	if err := required("visit.visitor_email", v.VisitorEmail); err != nil {
		return err
	}
	return oneOf("visit.status", v.Status, VisitPending, VisitActive, VisitCancelled, VisitFailed)
}

// putVisitsSQL upserts n visits. Of two rows for one ref, the later wins.
func putVisitsSQL(n int) string {
	return `INSERT INTO visits (` + visitColumns + `) VALUES ` + rowValues(n, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") + `
ON CONFLICT (automation, ref) DO UPDATE SET event_id = excluded.event_id,
	visitor_email = excluded.visitor_email, visitor_name = excluded.visitor_name,
	host_email = excluded.host_email, host_id = excluded.host_id,
	arrival = excluded.arrival, departure = excluded.departure,
	idm_id = coalesce(nullif(excluded.idm_id, ''), visits.idm_id),
	status = excluded.status, body_hash = excluded.body_hash, updated = excluded.updated`
}

// SetVisitState records what IDM answered for a visit: its status and, when
// not empty, its IDM id. ErrNotFound when there is no such visit.
func (tx *Tx) SetVisitState(automation, ref string, status VisitStatus, idmID string) error {
	if err := oneOf("visit.status", status, VisitPending, VisitActive, VisitCancelled, VisitFailed); err != nil {
		return err
	}
	res, err := tx.exec(`
UPDATE visits SET status = ?, idm_id = coalesce(nullif(?, ''), idm_id), updated = ?
WHERE automation = ? AND ref = ?`, status, idmID, nanos(tx.now), automation, ref)
	return affected(res, err, "visit "+ref)
}

// Settled is what IDM answered for an operation that wrote a visit (see
// SettleVisits).
type Settled struct {
	Ref      string
	BodyHash string // the body the operation sent
	Status   VisitStatus
	IDMID    string // "" keeps the id stored
}

// SettleVisit is SettleVisits for one visit.
func (tx *Tx) SettleVisit(automation, ref, bodyHash string, status VisitStatus, idmID string) error {
	return tx.SettleVisits(automation, Settled{Ref: ref, BodyHash: bodyHash, Status: status, IDMID: idmID})
}

// SettleVisits is SetVisitState for the answers to operations that wrote
// the automation's visits: each visit changes only while it still has the
// body its operation sent and is not cancelled (a later change or a
// cancellation wins), and nothing changes otherwise, the visit gone
// included. answers holds at most one answer per ref.
func (tx *Tx) SettleVisits(automation string, answers ...Settled) error {
	rows := make([][]any, len(answers))
	for i, a := range answers {
		if err := oneOf("visit.status", a.Status, VisitPending, VisitActive, VisitCancelled, VisitFailed); err != nil {
			return err
		}
		rows[i] = []any{a.Ref, a.BodyHash, a.Status, a.IDMID}
	}
	_, _, err := tx.execRows(settleVisitsSQL, rows, nanos(tx.now), automation)
	return err
}

// settleVisitsSQL settles n visits; its last two arguments are the time
// and the automation.
func settleVisitsSQL(n int) string {
	return `WITH a (ref, body_hash, status, idm_id) AS (VALUES ` + rowValues(n, "(?, ?, ?, ?)") + `)
UPDATE visits SET status = a.status, idm_id = coalesce(nullif(a.idm_id, ''), visits.idm_id), updated = ?
FROM a WHERE visits.automation = ? AND visits.ref = a.ref AND visits.body_hash = a.body_hash
	AND visits.status <> 'cancelled'`
}

// Reply returns the outcome fingerprint of the last reply planned for an
// event, or "" when none was.
func (tx *Tx) Reply(automation, eventID string) (string, error) {
	var fp string
	err := tx.queryRow(tx.ctx,
		`SELECT fingerprint FROM replies WHERE automation = ? AND event_id = ?`, automation, eventID).Scan(&fp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return fp, tx.s.fail(err)
}

// SetReply records the outcome fingerprint of a reply, in the transaction that
// queues it, so each change of outcome is answered once. The event must be
// stored by the end of the transaction.
func (tx *Tx) SetReply(automation, eventID, fingerprint string) error {
	if err := required("reply.fingerprint", fingerprint); err != nil {
		return err
	}
	_, err := tx.exec(`
INSERT INTO replies (automation, event_id, fingerprint, updated) VALUES (?, ?, ?, ?)
ON CONFLICT (automation, event_id) DO UPDATE SET fingerprint = excluded.fingerprint, updated = excluded.updated`,
		automation, eventID, fingerprint, nanos(tx.now))
	return err
}
