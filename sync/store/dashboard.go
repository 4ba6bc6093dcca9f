package store

import "context"

// ActivityByMeeting returns rows of the activity log in the order of their
// meetings: meetings to come first, the soonest first; then meetings that
// have begun, the latest first; then rows of no known meeting. Rows of one
// meeting stay together, newest first. "To come" is by the store's clock.
func (s *Store) ActivityByMeeting(ctx context.Context, q ActivityQuery) ([]Activity, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	rows, err := queryAll(ctx, s.rc, scanActivity, selectActivity+activityWhere+`
ORDER BY coalesce(e.starts, 0) = 0, e.starts < ?5,
	CASE WHEN e.starts >= ?5 THEN e.starts END, e.starts DESC, a.id DESC
LIMIT ?3 OFFSET ?4`, q.Automation, q.Filter, q.Limit, q.Offset, nanos(s.now()))
	return rows, s.fail(err)
}
