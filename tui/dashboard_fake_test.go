package tui

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"invitesync/sync/store"
)

// fakeSource is an in-memory Source for the dashboard's view tests. The
// tests that prove the dashboard against the state database use the real
// store (dashboard_store_test.go).
type fakeSource struct {
	mu       stdsync.Mutex
	marker   int64
	activity map[string][]store.Activity // oldest first
	status   map[string]store.Board
	details  map[string]store.EventDetails
	failed   map[string][]store.Failure
	sent     []string  // "automation:command"
	now      time.Time // the clock of ActivityByMeeting
	reads    int       // Activity calls
}

func newFakeSource() *fakeSource {
	return &fakeSource{
		activity: map[string][]store.Activity{},
		status:   map[string]store.Board{},
		details:  map[string]store.EventDetails{},
		failed:   map[string][]store.Failure{},
		now:      testNow,
	}
}

// add appends activity rows and moves the change marker.
func (f *fakeSource) add(rows ...store.Activity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rows {
		r.ID = int64(len(f.activity[r.Automation]) + 1)
		f.activity[r.Automation] = append(f.activity[r.Automation], r)
	}
	f.marker++
}

func (f *fakeSource) setStatus(s store.Status) { f.setBoard(store.Board{Status: s}) }

func (f *fakeSource) setBoard(b store.Board) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[b.Automation] = b
	f.marker++
}

func (f *fakeSource) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// Board counts the events of the activity rows, each event by its newest
// row, like the store.
func (f *fakeSource) Board(_ context.Context, automation string) (store.Board, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.status[automation]
	s.Automation = automation
	seen := map[string]bool{}
	rows := f.activity[automation]
	for i := len(rows) - 1; i >= 0; i-- {
		a := rows[i]
		if seen[a.EventID] {
			continue
		}
		seen[a.EventID] = true
		switch a.Outcome {
		case store.OutcomeCreated:
			s.Events.Created++
		case store.OutcomeFailed:
			s.Events.Failed++
		case store.OutcomeSkipped:
			s.Events.Skipped++
		}
	}
	if fs := f.failed[automation]; len(fs) > 0 && s.LatestFailure == "" {
		s.LatestFailure = fs[0].LastError
	}
	return s, nil
}

func (f *fakeSource) Activity(_ context.Context, q store.ActivityQuery) ([]store.Activity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	var out []store.Activity
	rows := f.activity[q.Automation]
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		hay := strings.ToLower(strings.Join([]string{r.Subject, r.Host, r.Visitors, string(r.Outcome), r.Reason, r.EventID}, "\n"))
		if q.Filter == "" || strings.Contains(hay, strings.ToLower(q.Filter)) {
			out = append(out, r)
		}
	}
	if q.Offset >= len(out) {
		return nil, nil
	}
	out = out[q.Offset:]
	return out[:min(len(out), q.Limit)], nil
}

func (f *fakeSource) Boards(ctx context.Context, automations []string) ([]store.Board, error) {
	var out []store.Board
	for _, a := range automations {
		b, _ := f.Board(ctx, a)
		out = append(out, b)
	}
	return out, nil
}

// ActivityByMeeting sorts like the store: coming meetings soonest first,
// then begun ones latest first, then rows of no meeting; newest first
// within one meeting.
func (f *fakeSource) ActivityByMeeting(ctx context.Context, q store.ActivityQuery) ([]store.Activity, error) {
	all, _ := f.Activity(ctx, store.ActivityQuery{Automation: q.Automation, Filter: q.Filter, Limit: 1 << 30})
	rank := func(a store.Activity) (int, int64) {
		switch {
		case a.MeetingStart.IsZero():
			return 2, 0
		case a.MeetingStart.Before(f.now):
			return 1, -a.MeetingStart.UnixNano()
		}
		return 0, a.MeetingStart.UnixNano()
	}
	slices.SortStableFunc(all, func(a, b store.Activity) int {
		ga, ka := rank(a)
		gb, kb := rank(b)
		return cmp.Or(cmp.Compare(ga, gb), cmp.Compare(ka, kb))
	})
	if q.Offset >= len(all) {
		return nil, nil
	}
	all = all[q.Offset:]
	return all[:min(len(all), q.Limit)], nil
}

func (f *fakeSource) EventDetails(_ context.Context, automation, eventID string) (store.EventDetails, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.details[automation+"/"+eventID]
	if !ok {
		return d, fmt.Errorf("event %q: %w", eventID, store.ErrNotFound)
	}
	return d, nil
}

func (f *fakeSource) Failures(_ context.Context, automation string, _ int) ([]store.Failure, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed[automation], nil
}

func (f *fakeSource) Request(_ context.Context, automation string, cmd store.Command) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, automation+":"+string(cmd))
	return nil
}

func (f *fakeSource) ChangeMarker(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.marker, nil
}

// activityRow is a processed event for the tests.
func activityRow(automation string, at time.Time, subject, host, visitors string, o store.Outcome, reason string) store.Activity {
	return store.Activity{Automation: automation, At: at, EventID: "ev-" + strings.ReplaceAll(strings.ToLower(subject), " ", "-"),
		Subject: subject, Host: host, Visitors: visitors, Outcome: o, Reason: reason,
		MeetingStart: at.Add(48 * time.Hour).Truncate(time.Hour)}
}
