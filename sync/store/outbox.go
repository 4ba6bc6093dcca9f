package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

const opColumns = `id, automation, ref, event_id, kind, payload, state, attempts, next_attempt, last_error,
	intent, result_code, result_id, result_status, result_message, result_notice, created, updated`

func scanOp(r scanner) (Op, error) {
	var o Op
	var payload []byte
	var next, intent, created, up int64
	err := r.Scan(&o.ID, &o.Automation, &o.Ref, &o.EventID, &o.Kind, &payload, &o.State, &o.Attempts, &next,
		&o.LastError, &intent, &o.Result.Code, &o.Result.VisitID, &o.Result.Status, &o.Result.Message,
		&o.Result.Notice, &created, &up)
	o.Payload = json.RawMessage(payload)
	o.NextAttempt, o.Intent = fromNanos(next), fromNanos(intent)
	o.Created, o.Updated = fromNanos(created), fromNanos(up)
	return o, err
}

// supersedeSQL retires failed operations that a newer operation for the same
// ref makes obsolete: running them later would undo the newer one. %s selects
// the candidates so that an index serves it.
const supersedeSQL = `
UPDATE outbox SET state = 'superseded', updated = ?
WHERE %s AND EXISTS (SELECT 1 FROM outbox n WHERE n.automation = outbox.automation
	AND n.ref = outbox.ref AND n.id > outbox.id AND n.state <> 'superseded')`

var (
	supersedeRefSQL = fmt.Sprintf(supersedeSQL, "automation = ? AND ref = ? AND state = 'failed'")
	supersedeAllSQL = fmt.Sprintf(supersedeSQL, "automation = ? AND state = 'failed'")
)

// supersede applies supersedeSQL to one ref, or to every ref when ref is "".
// For one ref it first asks, once per transaction and automation, whether
// any operation failed at all: in a first round none has, and the thousands
// of operations it queues then skip the statement.
func (tx *Tx) supersede(automation, ref string) error {
	if ref != "" && !tx.mayHaveFailed(automation) {
		return nil
	}
	var err error
	if ref == "" {
		_, err = tx.exec(supersedeAllSQL, nanos(tx.now), automation)
	} else {
		_, err = tx.exec(supersedeRefSQL, nanos(tx.now), automation, ref)
	}
	return err
}

// mayHaveFailed reports whether the automation may have failed operations
// in the transaction; false is remembered until MarkFailed.
func (tx *Tx) mayHaveFailed(automation string) bool {
	if tx.noFailed[automation] {
		return false
	}
	var failed bool
	err := tx.queryRow(tx.ctx, `SELECT EXISTS (SELECT 1 FROM outbox WHERE automation = ? AND state = 'failed')`,
		automation).Scan(&failed)
	if err != nil || failed {
		return true // the statement itself then reports the error
	}
	if tx.noFailed == nil {
		tx.noFailed = map[string]bool{}
	}
	tx.noFailed[automation] = true
	return false
}

// Enqueue adds pending operations, in order, and returns the id of the
// last. A zero NextAttempt means now. Failed operations of the same refs
// become superseded. Nothing is written when one of them is invalid.
func (tx *Tx) Enqueue(ops ...Op) (int64, error) {
	rows := make([][]any, len(ops))
	for i, op := range ops {
		if err := op.check(); err != nil {
			return 0, err
		}
		next := op.NextAttempt
		if next.IsZero() {
			next = tx.now
		}
		rows[i] = []any{op.Automation, op.Ref, op.EventID, op.Kind, string(op.Payload), nanos(next), nanos(tx.now), nanos(tx.now)}
	}
	_, last, err := tx.execRows(enqueueSQL, rows)
	if err != nil || last == nil {
		return 0, err
	}
	id, err := last.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, op := range ops {
		if err := tx.supersede(op.Automation, op.Ref); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// check refuses an operation that cannot be queued.
func (op Op) check() error {
	if err := required("op.automation", op.Automation); err != nil {
		return err
	}
	if err := required("op.ref", op.Ref); err != nil {
		return err
	}
	if err := oneOf("op.kind", op.Kind, OpPut, OpDelete, OpReply); err != nil {
		return err
	}
	if !json.Valid(op.Payload) {
		return &InvalidError{Field: "op.payload", Want: "a JSON document", Got: truncate(string(op.Payload), 40)}
	}
	return nil
}

// enqueueSQL inserts n pending operations.
func enqueueSQL(n int) string {
	return `INSERT INTO outbox (automation, ref, event_id, kind, payload, state, attempts, next_attempt, created, updated)
VALUES ` + rowValues(n, "(?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)")
}

// Op returns one operation by id.
func (tx *Tx) Op(id int64) (Op, error) {
	ops, err := queryAll(tx.ctx, tx, scanOp, `SELECT `+opColumns+` FROM outbox WHERE id = ?`, id)
	if err != nil {
		return Op{}, tx.s.fail(err)
	}
	if len(ops) == 0 {
		return Op{}, fmt.Errorf("outbox operation %d: %w", id, ErrNotFound)
	}
	return ops[0], nil
}

// MarkDone records that a pending operation succeeded, with IDM's answer.
func (tx *Tx) MarkDone(id int64, r Result) error { return tx.MarkAllDone(Answer{ID: id, Result: r}) }

// Answer is the result of one delivered operation.
type Answer struct {
	ID     int64
	Result Result
}

// MarkAllDone is MarkDone for several operations. ErrNotFound names the
// first that is not pending.
func (tx *Tx) MarkAllDone(answers ...Answer) error {
	rows := make([][]any, len(answers))
	for i, a := range answers {
		r := a.Result
		rows[i] = []any{a.ID, r.Code, r.VisitID, r.Status, r.Message, r.Notice}
	}
	done := make(map[int64]bool, len(answers))
	err := inChunks(rows, []any{nanos(tx.now)}, func(n int, args []any) error {
		ids, err := queryAll(tx.ctx, tx, scanID, markDoneSQL(n), args...)
		for _, id := range ids {
			done[id] = true
		}
		return err
	})
	if err != nil {
		return tx.s.fail(err)
	}
	for _, a := range answers {
		if !done[a.ID] {
			return fmt.Errorf("%s: %w", pendingOp(a.ID), ErrNotFound)
		}
		delete(done, a.ID) // an id given twice was pending once
	}
	return nil
}

func scanID(r scanner) (int64, error) {
	var id int64
	err := r.Scan(&id)
	return id, err
}

// markDoneSQL records n answers and returns the ids it found pending; its
// last argument is the time.
func markDoneSQL(n int) string {
	return `WITH a (id, code, visit_id, status, message, notice) AS (VALUES ` + rowValues(n, "(?, ?, ?, ?, ?, ?)") + `)
UPDATE outbox SET state = 'done', attempts = attempts + 1, result_code = a.code, result_id = a.visit_id,
	result_status = a.status, result_message = a.message, result_notice = a.notice, updated = ?
FROM a WHERE outbox.id = a.id AND outbox.state = 'pending' RETURNING outbox.id`
}

// MarkIntent records, before they are sent, that these pending replies are
// about to be: from then on a crash leaves it unknown whether Graph received
// them, and the next attempt asks Graph first. The first intent is kept.
func (tx *Tx) MarkIntent(ids ...int64) error {
	for _, id := range ids {
		res, err := tx.exec(`
UPDATE outbox SET intent = CASE WHEN intent = 0 THEN ? ELSE intent END, updated = ?
WHERE id = ? AND state = 'pending' AND kind = 'reply'`, nanos(tx.now), nanos(tx.now), id)
		if err := affected(res, err, fmt.Sprintf("pending reply %d", id)); err != nil {
			return err
		}
	}
	return nil
}

// MarkRetry records a retryable failure: one more attempt, the error, and
// when to try again.
func (tx *Tx) MarkRetry(id int64, next time.Time, lastErr string) error {
	res, err := tx.exec(`
UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ?, updated = ?
WHERE id = ? AND state = 'pending'`, nanos(next), lastErr, nanos(tx.now), id)
	return affected(res, err, pendingOp(id))
}

// MarkFailed records a permanent failure with its reason. The operation waits
// for an operator's RetryFailed, unless a newer operation for its ref makes it
// obsolete (it is then superseded).
func (tx *Tx) MarkFailed(id int64, reason string) error {
	op, err := tx.Op(id)
	if err != nil {
		return err
	}
	delete(tx.noFailed, op.Automation)
	res, err := tx.exec(`
UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, updated = ?
WHERE id = ? AND state = 'pending'`, reason, nanos(tx.now), id)
	if err := affected(res, err, pendingOp(id)); err != nil {
		return err
	}
	return tx.supersede(op.Automation, op.Ref)
}

// RetryFailed puts the automation's failed operations back to pending, due
// now, and returns how many it requeued. A reply that told the organizer
// those operations failed (Result.Notice) is queued again behind them, as it
// was planned, unless a newer reply to the meeting followed it.
func (tx *Tx) RetryFailed(automation string) (int, error) {
	if err := tx.supersede(automation, ""); err != nil {
		return 0, err
	}
	if _, err := tx.exec(`
UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = ?1, intent = 0, last_error = '',
	result_code = 0, result_status = '', result_message = '', result_notice = 0, updated = ?1
WHERE automation = ?2 AND kind = 'reply' AND state = 'done' AND result_notice = 1
	AND EXISTS (SELECT 1 FROM outbox f WHERE f.automation = outbox.automation AND f.event_id = outbox.event_id
		AND f.state = 'failed' AND f.id < outbox.id)
	AND NOT EXISTS (SELECT 1 FROM outbox n WHERE n.automation = outbox.automation AND n.ref = outbox.ref
		AND n.id > outbox.id)`, nanos(tx.now), automation); err != nil {
		return 0, err
	}
	res, err := tx.exec(`
UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = ?, updated = ?
WHERE automation = ? AND state = 'failed'`, nanos(tx.now), nanos(tx.now), automation)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func pendingOp(id int64) string { return fmt.Sprintf("pending outbox operation %d", id) }

// readySQL keeps the operations that may run once due: the oldest pending
// operation of each ref, and of replies only those whose meeting has no
// older visit operation still pending (an accept says the visits are
// registered, so it waits until they are).
const readySQL = `o.automation = ? AND o.state = 'pending'
	AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.automation = o.automation AND p.ref = o.ref
		AND p.state = 'pending' AND p.id < o.id)
	AND (o.kind <> 'reply' OR NOT EXISTS (SELECT 1 FROM outbox v WHERE v.automation = o.automation
		AND v.event_id = o.event_id AND v.kind <> 'reply' AND v.state = 'pending' AND v.id < o.id))`

// dueSQL reads the operations Due returns.
const dueSQL = `SELECT ` + opColumns + ` FROM outbox o WHERE ` + readySQL + `
	AND o.next_attempt <= ? AND o.id NOT IN (SELECT value FROM json_each(?)) ORDER BY o.id LIMIT ?`

// Due returns up to limit operations to run now, oldest first: pending, due by
// the store's clock, and ready (see readySQL), so the operations of one ref
// run in order and a reply follows the visits of its meeting. The
// operations except names (being delivered, their answers not yet
// recorded) are left out, and so are the later operations of their refs.
func (s *Store) Due(ctx context.Context, automation string, limit int, except ...int64) ([]Op, error) {
	if limit <= 0 {
		limit = 100
	}
	skip, err := json.Marshal(append([]int64{}, except...)) // [] rather than null
	if err != nil {
		return nil, err
	}
	ops, err := queryAll(ctx, s.rc, scanOp, dueSQL, automation, nanos(s.now()), string(skip), limit)
	return ops, s.fail(err)
}

// NextDue returns when the automation's next ready operation (see
// readySQL) becomes due; ok is false when nothing is pending. A reply that
// waits for visits is not due before they are.
func (s *Store) NextDue(ctx context.Context, automation string) (at time.Time, ok bool, err error) {
	at, err = nextDue(ctx, s.rc, automation)
	return at, !at.IsZero(), s.fail(err)
}

// nextDue is NextDue through q; the zero time when nothing is pending.
func nextDue(ctx context.Context, q querier, automation string) (time.Time, error) {
	var next *int64
	err := q.queryRow(ctx, `SELECT min(o.next_attempt) FROM outbox o WHERE `+readySQL, automation).Scan(&next)
	if err != nil || next == nil {
		return time.Time{}, err
	}
	return fromNanos(*next), nil
}

// outboxCountsSQL counts each state from its own index (see schema version 8).
const outboxCountsSQL = `
SELECT (SELECT count(*) FROM outbox WHERE automation = ?1 AND state = 'pending'),
	(SELECT count(*) FROM outbox WHERE automation = ?1 AND state = 'failed')`

// OutboxCounts returns how many of the automation's operations are pending
// and how many failed permanently.
func (s *Store) OutboxCounts(ctx context.Context, automation string) (pending, failed int, err error) {
	err = s.rc.queryRow(ctx, outboxCountsSQL, automation).Scan(&pending, &failed)
	return pending, failed, s.fail(err)
}

// Waiting says when the automation's pending operations run next: how many
// there are, the earliest attempt among those ready, and the last error of
// the operation that waits for it ("" when it has not failed yet).
type Waiting struct {
	Pending   int
	Next      time.Time // zero when nothing is pending
	LastError string
}

// Waiting returns what the automation's pending operations wait for.
func (s *Store) Waiting(ctx context.Context, automation string) (Waiting, error) {
	var w Waiting
	err := s.View(ctx, func(tx *Tx) error {
		if err := tx.queryRow(ctx, `SELECT count(*) FROM outbox WHERE automation = ? AND state = 'pending'`,
			automation).Scan(&w.Pending); err != nil || w.Pending == 0 {
			return s.fail(err)
		}
		var next int64
		err := tx.queryRow(ctx, `SELECT o.next_attempt, o.last_error FROM outbox o WHERE `+readySQL+`
ORDER BY o.next_attempt, o.id LIMIT 1`, automation).Scan(&next, &w.LastError)
		w.Next = fromNanos(next)
		return s.fail(err)
	})
	return w, err
}

// EventOps returns the operations queued for one event, oldest first.
func (s *Store) EventOps(ctx context.Context, automation, eventID string) ([]Op, error) {
	var ops []Op
	err := s.View(ctx, func(tx *Tx) (err error) {
		ops, err = tx.eventOps(automation, eventID)
		return err
	})
	return ops, err
}

func (tx *Tx) eventOps(automation, eventID string) ([]Op, error) {
	ops, err := queryAll(tx.ctx, tx, scanOp, `SELECT `+opColumns+` FROM outbox
WHERE automation = ? AND event_id = ? ORDER BY id`, automation, eventID)
	return ops, tx.s.fail(err)
}

// MarkIntent is Tx.MarkIntent in a transaction of its own.
func (s *Store) MarkIntent(ctx context.Context, ids ...int64) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.MarkIntent(ids...) })
}

const failedOpsSQL = `SELECT ` + opColumns + ` FROM outbox
WHERE automation = ? AND state = 'failed' ORDER BY id DESC LIMIT ?`

// FailedOps returns up to limit of the automation's failed operations, newest first.
func (s *Store) FailedOps(ctx context.Context, automation string, limit int) ([]Op, error) {
	if limit <= 0 {
		limit = 100
	}
	ops, err := queryAll(ctx, s.rc, scanOp, failedOpsSQL, automation, limit)
	return ops, s.fail(err)
}

// MarkDone is Tx.MarkDone in a transaction of its own.
func (s *Store) MarkDone(ctx context.Context, id int64, r Result) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.MarkDone(id, r) })
}

// MarkRetry is Tx.MarkRetry in a transaction of its own.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, lastErr string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.MarkRetry(id, next, lastErr) })
}

// MarkFailed is Tx.MarkFailed in a transaction of its own.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.MarkFailed(id, reason) })
}

// RetryFailed is Tx.RetryFailed in a transaction of its own.
func (s *Store) RetryFailed(ctx context.Context, automation string) (n int, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		n, err = tx.RetryFailed(automation)
		return err
	})
	return n, err
}

// truncate shortens s to at most n runes for an error message.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
