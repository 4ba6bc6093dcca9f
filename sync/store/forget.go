package store

import (
	"context"
	"time"
)

// FutureVisits returns the automation's visits that IDM holds or will
// hold — active or pending — and that have not ended by now, earliest
// first.
func (s *Store) FutureVisits(ctx context.Context, automation string, now time.Time) ([]Visit, error) {
	vs, err := queryAll(ctx, s.rc, scanVisit, `SELECT `+visitColumns+` FROM visits
	WHERE automation = ? AND status IN ('active', 'pending') AND departure > ? ORDER BY arrival, ref`,
		automation, nanos(now))
	return vs, s.fail(err)
}

// forgotten are the tables that hold rows of an automation, those that
// refer to events before events.
var forgotten = []string{"visits", "replies", "events", "cursors", "outbox", "activity",
	"outcome_counts", "loop_status", "control", "leases"}

// Forget deletes everything the database holds about the automation — its
// delta cursor, events, visits, outbox, activity, status, commands and
// lease — in one transaction: for an automation that was removed, so that
// a new one of the same name starts afresh.
func (s *Store) Forget(ctx context.Context, automation string) error {
	if err := required("automation", automation); err != nil {
		return err
	}
	return s.Update(ctx, func(tx *Tx) error {
		for _, table := range forgotten {
			if _, err := tx.exec(`DELETE FROM `+table+` WHERE automation = ?`, automation); err != nil {
				return err
			}
		}
		return nil
	})
}
