package store

import (
	"context"
	"time"
)

// ActivityByMeeting returns rows of the activity log in the order of their
// meetings: meetings to come first, the soonest first; then meetings that
// have begun, the latest first; then rows of no known meeting. Rows of one
// meeting stay together, newest first. "To come" is by the store's clock.
// Each part of that order is read on its own, from the index of meeting
// starts, and only as far as the page needs: a page never sorts the whole
// history.
func (s *Store) ActivityByMeeting(ctx context.Context, q ActivityQuery) ([]Activity, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	want := q.Offset + q.Limit
	now := nanos(s.now())
	var rows []Activity
	err := s.View(ctx, func(tx *Tx) error {
		for _, part := range byMeetingParts {
			got, err := queryAll(ctx, tx, scanActivity, part, q.Automation, q.Filter, want-len(rows), now)
			if err != nil {
				return s.fail(err)
			}
			if rows = append(rows, got...); len(rows) >= want {
				break
			}
		}
		return nil
	})
	if err != nil || q.Offset >= len(rows) {
		return nil, err
	}
	return rows[q.Offset:min(len(rows), want)], nil
}

// byMeetingParts are the parts of ActivityByMeeting's order, in order:
// automation ?1, filter ?2, at most ?3 rows, the store's clock ?4.
var byMeetingParts = []string{
	selectActivity + activityWhere + ` AND e.starts >= ?4 ORDER BY e.starts, a.id DESC LIMIT ?3`,
	selectActivity + activityWhere + ` AND e.starts < ?4 AND e.starts <> 0 ORDER BY e.starts DESC, a.id DESC LIMIT ?3`,
	selectActivity + activityWhere + ` AND coalesce(e.starts, 0) = 0 ORDER BY a.id DESC LIMIT ?3`,
}

// Board is what the dashboard and `invitesync status` show of one
// automation: its Status, its events each counted once, and why its
// newest failed operation failed.
type Board struct {
	Status
	// Events counts the automation's events (series masters aside) by
	// what each became: its latest outcome. Unlike Status.Counts, which
	// counts the lines of the activity log, an event that fails twice is
	// one failed event. Events leave the count with the history, 90 days
	// after they end.
	Events Counts
	// LatestFailure is the error of the newest operation that failed for
	// good; empty when none did.
	LatestFailure string
}

// Board returns the automation's Board, from one snapshot. An automation
// the store never heard of has a zero Board, not an error.
func (s *Store) Board(ctx context.Context, automation string) (Board, error) {
	var b Board
	err := s.View(ctx, func(tx *Tx) (err error) {
		b, err = tx.board(automation)
		return err
	})
	return b, err
}

// Boards returns the Boards of automations, in their order, from one
// snapshot.
func (s *Store) Boards(ctx context.Context, automations []string) ([]Board, error) {
	out := make([]Board, 0, len(automations))
	err := s.View(ctx, func(tx *Tx) error {
		for _, a := range automations {
			b, err := tx.board(a)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// eventCountsSQL counts an automation's events by outcome, series masters
// aside, from the index events_outcome alone.
const eventCountsSQL = `SELECT outcome, count(*) FROM events
WHERE automation = ? AND event_type <> 'seriesMaster' GROUP BY outcome`

func (tx *Tx) board(automation string) (Board, error) {
	var b Board
	var err error
	if b.Status, err = tx.status(automation); err != nil {
		return b, err
	}
	rows, err := tx.query(tx.ctx, eventCountsSQL, automation)
	if err != nil {
		return b, tx.s.fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var o Outcome
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return b, tx.s.fail(err)
		}
		if p := b.Events.of(o); p != nil {
			*p = n
		}
	}
	if err := rows.Err(); err != nil {
		return b, tx.s.fail(err)
	}
	if b.Failed == 0 {
		return b, nil
	}
	err = tx.queryRow(tx.ctx, `SELECT last_error FROM outbox WHERE automation = ? AND state = 'failed'
ORDER BY updated DESC, id DESC LIMIT 1`, automation).Scan(&b.LatestFailure)
	return b, tx.s.fail(err)
}

// of returns the count of outcome o; nil for an outcome it does not know.
func (c *Counts) of(o Outcome) *int {
	switch o {
	case OutcomeCreated:
		return &c.Created
	case OutcomeUpdated:
		return &c.Updated
	case OutcomeCancelled:
		return &c.Cancelled
	case OutcomeSkipped:
		return &c.Skipped
	case OutcomeFailed:
		return &c.Failed
	}
	return nil
}

// Failure is an operation that failed for good, with the meeting it was for.
type Failure struct {
	Op
	Subject      string    // the meeting's subject; empty when the event is not known
	MeetingStart time.Time // zero when not known
}

// Failures returns up to limit of the automation's operations that failed
// for good, newest first, each with its meeting.
func (s *Store) Failures(ctx context.Context, automation string, limit int) ([]Failure, error) {
	if limit <= 0 {
		limit = 100
	}
	fs, err := queryAll(ctx, s.rc, func(r scanner) (Failure, error) {
		var f Failure
		var starts int64
		op, err := scanOp(withExtra{r, []any{&f.Subject, &starts}})
		f.Op, f.MeetingStart = op, fromNanos(starts)
		return f, err
	}, `SELECT f.*, coalesce(e.subject, ''), coalesce(e.starts, 0)
FROM (SELECT `+opColumns+` FROM outbox WHERE automation = ? AND state = 'failed' ORDER BY id DESC LIMIT ?) f
LEFT JOIN events e ON e.automation = f.automation AND e.event_id = f.event_id
ORDER BY f.id DESC`, automation, limit)
	return fs, s.fail(err)
}

// withExtra is a scanner that scans its extra columns after those asked for.
type withExtra struct {
	r     scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.r.Scan(append(dest, w.extra...)...) }
