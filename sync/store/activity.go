package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AddActivity appends a line to the activity log and counts its outcome. A
// zero At means now.
func (tx *Tx) AddActivity(a Activity) (int64, error) {
	ids, err := tx.AddActivities(a)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AddActivities is AddActivity for several lines, in order; it returns
// their ids. Nothing is written when one of them is invalid.
func (tx *Tx) AddActivities(acts ...Activity) ([]int64, error) {
	type key struct {
		automation string
		outcome    Outcome
	}
	counts := map[key]int{}
	var order []key
	rows := make([][]any, len(acts))
	for i, a := range acts {
		if err := required("activity.automation", a.Automation); err != nil {
			return nil, err
		}
		if err := oneOf("activity.outcome", a.Outcome, Outcomes...); err != nil {
			return nil, err
		}
		at := a.At
		if at.IsZero() {
			at = tx.now
		}
		rows[i] = []any{a.Automation, nanos(at), a.EventID, a.Subject, a.Host, a.Visitors, a.Outcome, a.Reason}
		k := key{a.Automation, a.Outcome}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	// The rows of one statement take consecutive ids: SQLite gives an
	// AUTOINCREMENT table's new rows the next ids, one after the other.
	ids := make([]int64, 0, len(acts))
	err := inChunks(rows, nil, func(n int, args []any) error {
		res, err := tx.exec(`INSERT INTO activity (automation, at, event_id, subject, host, visitors, outcome, reason)
VALUES `+rowValues(n, "(?, ?, ?, ?, ?, ?, ?, ?)"), args...)
		if err != nil {
			return err
		}
		last, err := res.LastInsertId()
		for id := last - int64(n) + 1; id <= last; id++ {
			ids = append(ids, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, k := range order {
		if _, err := tx.exec(`
INSERT INTO outcome_counts (automation, outcome, n) VALUES (?, ?, ?)
ON CONFLICT (automation, outcome) DO UPDATE SET n = n + excluded.n`, k.automation, k.outcome, counts[k]); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// SetLoopStatus stores what the poll loop reports about itself.
func (tx *Tx) SetLoopStatus(ls LoopStatus) error {
	if err := required("loop.automation", ls.Automation); err != nil {
		return err
	}
	if err := required("loop.state", string(ls.State)); err != nil {
		return err
	}
	_, err := tx.exec(`
INSERT INTO loop_status (automation, state, last_poll, last_success, next_poll, throttled_until, last_error, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (automation) DO UPDATE SET state = excluded.state, last_poll = excluded.last_poll,
	last_success = excluded.last_success, next_poll = excluded.next_poll,
	throttled_until = excluded.throttled_until, last_error = excluded.last_error, updated = excluded.updated`,
		ls.Automation, ls.State, nanos(ls.LastPoll), nanos(ls.LastSuccess), nanos(ls.NextPoll),
		nanos(ls.ThrottledUntil), ls.LastError, nanos(tx.now))
	return err
}

// SetLoopStatus is Tx.SetLoopStatus in a transaction of its own.
func (s *Store) SetLoopStatus(ctx context.Context, ls LoopStatus) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SetLoopStatus(ls) })
}

// selectActivity reads activity rows (a) with the start of their meeting
// from the events seen (e), when it is known.
const selectActivity = `SELECT a.id, a.automation, a.at, a.event_id, a.subject, a.host, a.visitors,
	a.outcome, a.reason, coalesce(e.starts, 0)
FROM activity a LEFT JOIN events e ON e.automation = a.automation AND e.event_id = a.event_id`

func scanActivity(r scanner) (Activity, error) {
	var a Activity
	var at, starts int64
	err := r.Scan(&a.ID, &a.Automation, &at, &a.EventID, &a.Subject, &a.Host, &a.Visitors, &a.Outcome, &a.Reason, &starts)
	a.At, a.MeetingStart = fromNanos(at), fromNanos(starts)
	return a, err
}

// activityWhere selects an ActivityQuery's rows: automation ?1, filter ?2.
// Fields are joined with a newline so a filter never matches across two.
const activityWhere = `
WHERE a.automation = ?1 AND (?2 = '' OR instr(fold(a.subject || char(10) || a.host || char(10) || a.visitors
	|| char(10) || a.outcome || char(10) || a.reason || char(10) || a.event_id), fold(?2)) > 0)`

// Activity returns rows of the activity log, newest first.
func (s *Store) Activity(ctx context.Context, q ActivityQuery) ([]Activity, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	rows, err := queryAll(ctx, s.rc, scanActivity, selectActivity+activityWhere+`
ORDER BY a.id DESC LIMIT ?3 OFFSET ?4`, q.Automation, q.Filter, q.Limit, q.Offset)
	return rows, s.fail(err)
}

// Status returns the automation's loop status, counts, outbox counts and
// lease, from one snapshot. An automation the store never heard of has a
// zero Status, not an error.
func (s *Store) Status(ctx context.Context, automation string) (Status, error) {
	var st Status
	err := s.View(ctx, func(tx *Tx) (err error) {
		st, err = tx.status(automation)
		return err
	})
	return st, err
}

// status is Status in tx.
func (tx *Tx) status(automation string) (Status, error) {
	st := Status{Automation: automation}
	var err error
	if st.Loop, err = tx.loopStatus(automation); err != nil {
		return st, err
	}
	if st.Counts, err = tx.counts(automation); err != nil {
		return st, err
	}
	if err = tx.queryRow(tx.ctx, outboxCountsSQL, automation).Scan(&st.Pending, &st.Failed); err != nil {
		return st, tx.s.fail(err)
	}
	if st.NextAttempt, err = nextDue(tx.ctx, tx, automation); err != nil {
		return st, tx.s.fail(err)
	}
	st.Lease, st.Leased, err = tx.lease(automation)
	return st, err
}

func (tx *Tx) loopStatus(automation string) (LoopStatus, error) {
	ls := LoopStatus{Automation: automation}
	var last, success, next, throttled, up int64
	err := tx.queryRow(tx.ctx, `
SELECT state, last_poll, last_success, next_poll, throttled_until, last_error, updated
FROM loop_status WHERE automation = ?`, automation).Scan(&ls.State, &last, &success, &next, &throttled, &ls.LastError, &up)
	if errors.Is(err, sql.ErrNoRows) {
		return ls, nil
	}
	ls.LastPoll, ls.LastSuccess, ls.NextPoll = fromNanos(last), fromNanos(success), fromNanos(next)
	ls.ThrottledUntil, ls.Updated = fromNanos(throttled), fromNanos(up)
	return ls, tx.s.fail(err)
}

func (tx *Tx) counts(automation string) (Counts, error) {
	var c Counts
	rows, err := tx.query(tx.ctx, `SELECT outcome, n FROM outcome_counts WHERE automation = ?`, automation)
	if err != nil {
		return c, tx.s.fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var o Outcome
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return c, tx.s.fail(err)
		}
		if p := c.of(o); p != nil {
			*p = n
		}
	}
	return c, tx.s.fail(rows.Err())
}

// EventDetails returns one event with its visits, its outbox operations
// (with IDM's answers and errors), its activity and its last reply, from one
// snapshot. ErrNotFound when the automation never saw the event.
func (s *Store) EventDetails(ctx context.Context, automation, eventID string) (EventDetails, error) {
	var d EventDetails
	err := s.View(ctx, func(tx *Tx) error {
		e, ok, err := tx.Event(automation, eventID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("event %q of automation %q: %w", eventID, automation, ErrNotFound)
		}
		d.Event = e
		if d.Visits, err = tx.Visits(automation, eventID); err != nil {
			return err
		}
		if d.Ops, err = tx.eventOps(automation, eventID); err != nil {
			return err
		}
		if d.Activity, err = queryAll(ctx, tx, scanActivity, selectActivity+`
WHERE a.automation = ? AND a.event_id = ? ORDER BY a.id DESC LIMIT 50`, automation, eventID); err != nil {
			return s.fail(err)
		}
		d.Reply, err = tx.Reply(automation, eventID)
		return err
	})
	return d, err
}

// HistoryKept is how long the activity log, finished operations and ended
// events are kept: the engine prunes what is older (Prune) when its
// look-ahead window rolls to a new day.
const HistoryKept = 90 * 24 * time.Hour

// pruneSQL deletes what Prune deletes, older than ?1. Deleting an event
// deletes its visits and replies (ON DELETE CASCADE), found by event.
var pruneSQL = []string{
	`DELETE FROM activity WHERE at < ?1`,
	`DELETE FROM outbox WHERE state IN ('done', 'superseded') AND updated < ?1`,
	`DELETE FROM events WHERE ends <> 0 AND ends < ?1 AND NOT EXISTS (SELECT 1 FROM outbox o
		WHERE o.automation = events.automation AND o.event_id = events.event_id)`,
}

// Prune deletes history older than before: activity lines, finished
// operations (done or superseded), and events that ended before it with
// nothing left to run, with their visits and replies. Counts are kept.
func (s *Store) Prune(ctx context.Context, before time.Time) error {
	b := nanos(before)
	return s.Update(ctx, func(tx *Tx) error {
		for _, q := range pruneSQL {
			if _, err := tx.exec(q, b); err != nil {
				return err
			}
		}
		return nil
	})
}
