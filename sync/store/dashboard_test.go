package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestActivityByMeetingPutsComingMeetingsFirst(t *testing.T) {
	c := newClock() // 2026-12-01 08:00
	s := openTemp(t, WithClock(c.Now))
	ctx := context.Background()
	at := func(d time.Duration) time.Time { return c.Now().Add(d) }
	for _, e := range []struct {
		id    string
		start time.Time
	}{
		{"tomorrow", at(24 * time.Hour)},
		{"in-an-hour", at(time.Hour)},
		{"next-week", at(7 * 24 * time.Hour)},
		{"yesterday", at(-24 * time.Hour)},
		{"an-hour-ago", at(-time.Hour)},
	} {
		ev := sampleEvent("a", e.id)
		ev.Start, ev.End = e.start, e.start.Add(time.Hour)
		update(t, s, func(tx *Tx) error {
			if err := tx.PutEvent(ev); err != nil {
				return err
			}
			_, err := tx.AddActivity(Activity{Automation: "a", EventID: e.id, Subject: e.id, Outcome: OutcomeCreated})
			return err
		})
	}
	update(t, s, func(tx *Tx) error {
		for _, a := range []Activity{
			{Automation: "a", Subject: "no meeting", Outcome: OutcomeFailed}, // about no event
			{Automation: "a", EventID: "tomorrow", Subject: "tomorrow", Outcome: OutcomeUpdated},
			{Automation: "b", EventID: "tomorrow", Subject: "another automation", Outcome: OutcomeCreated},
		} {
			if _, err := tx.AddActivity(a); err != nil {
				return err
			}
		}
		return nil
	})

	rows, err := s.ActivityByMeeting(ctx, ActivityQuery{Automation: "a"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Subject+"/"+string(r.Outcome))
	}
	want := []string{"in-an-hour/created", "tomorrow/updated", "tomorrow/created", "next-week/created",
		"an-hour-ago/created", "yesterday/created", "no meeting/failed"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v\nwant    %v", got, want)
	}

	// Pages of any size, read one after the other, give the same order,
	// across the coming, begun and unknown meetings.
	for limit := 1; limit <= len(want)+1; limit++ {
		var paged []string
		for offset := 0; offset <= len(want); offset += limit {
			page, err := s.ActivityByMeeting(ctx, ActivityQuery{Automation: "a", Limit: limit, Offset: offset})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit {
				t.Fatalf("limit %d gave %d rows", limit, len(page))
			}
			for _, r := range page {
				paged = append(paged, r.Subject+"/"+string(r.Outcome))
			}
		}
		if !slices.Equal(paged, want) {
			t.Errorf("pages of %d: %v\nwant        %v", limit, paged, want)
		}
	}

	// Paged and filtered like Activity.
	page, err := s.ActivityByMeeting(ctx, ActivityQuery{Automation: "a", Filter: "TOMORROW", Limit: 1, Offset: 1})
	if err != nil || len(page) != 1 || page[0].Outcome != OutcomeCreated || page[0].Subject != "tomorrow" {
		t.Errorf("filtered second row = %+v, %v", page, err)
	}

	// Time passes: the meeting an hour away has begun.
	c.Add(2 * time.Hour)
	rows, _ = s.ActivityByMeeting(ctx, ActivityQuery{Automation: "a"})
	if rows[0].Subject != "tomorrow" || rows[3].Subject != "in-an-hour" {
		t.Errorf("two hours later the order is %v", rows)
	}
}

func TestBoardCountsEachEventOnceAndNamesTheLatestFailure(t *testing.T) {
	c := newClock()
	s := openTemp(t, WithClock(c.Now))
	ctx := context.Background()
	var ids []int64
	update(t, s, func(tx *Tx) error {
		for i, o := range []Outcome{OutcomeCreated, OutcomeCreated, OutcomeSkipped, OutcomeFailed} {
			ev := sampleEvent("a", string(rune('p'+i)))
			ev.Outcome = o
			if err := tx.PutEvent(ev); err != nil {
				return err
			}
			if _, err := tx.AddActivity(Activity{Automation: "a", EventID: ev.ID, Outcome: o}); err != nil {
				return err
			}
		}
		master := sampleEvent("a", "master")
		master.Type, master.Outcome = "seriesMaster", OutcomeSkipped
		if err := tx.PutEvent(master); err != nil {
			return err
		}
		for i := range 3 {
			id, err := tx.Enqueue(putOp("a", "s", "ref-"+string(rune('a'+i))))
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	b, err := s.Board(ctx, "a")
	if err != nil || b.Failed != 0 || b.Pending != 3 || b.LatestFailure != "" {
		t.Fatalf("board before failures = %+v, %v", b, err)
	}
	// Two operations fail for good, one after the other; the event that
	// failed is logged failed twice, and stays one failed event.
	for i, why := range []string{"IDM refused the visit: 422 arrival in the past", "IDM refused the visit: 403 forbidden"} {
		if err := s.MarkFailed(ctx, ids[i], why); err != nil {
			t.Fatal(err)
		}
		update(t, s, func(tx *Tx) error {
			_, err := tx.AddActivity(Activity{Automation: "a", EventID: "s", Outcome: OutcomeFailed})
			return err
		})
		c.Add(time.Second)
	}
	b, err = s.Board(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Created: 2, Skipped: 1, Failed: 1}); b.Events != want {
		t.Errorf("events = %+v, want %+v (each event once, no series master)", b.Events, want)
	}
	if b.Counts.Failed != 3 {
		t.Errorf("activity counts = %+v, want the 3 failed lines still counted", b.Counts)
	}
	if b.Failed != 2 || b.Pending != 1 || b.LatestFailure != "IDM refused the visit: 403 forbidden" {
		t.Errorf("operations: %d failed, %d pending, latest %q", b.Failed, b.Pending, b.LatestFailure)
	}
	all, err := s.Boards(ctx, []string{"b", "a"})
	if err != nil || len(all) != 2 || all[0].Automation != "b" || all[0].Events != (Counts{}) || all[1].Events != b.Events {
		t.Errorf("Boards = %+v, %v", all, err)
	}
}

func TestFailuresNameTheirMeetings(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	var ids []int64
	update(t, s, func(tx *Tx) error {
		if err := tx.PutEvent(sampleEvent("a", "e1")); err != nil {
			return err
		}
		for _, op := range []Op{putOp("a", "e1", "r1"), putOp("a", "gone", "r2"), putOp("a", "e1", "r3")} {
			id, err := tx.Enqueue(op)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	for _, id := range ids[:2] {
		if err := s.MarkFailed(ctx, id, "IDM refused the visit: 422"); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := s.Failures(ctx, "a", 10)
	if err != nil || len(fs) != 2 {
		t.Fatalf("Failures = %+v, %v; want the two failed", fs, err)
	}
	if fs[0].ID != ids[1] || fs[0].Subject != "" || !fs[0].MeetingStart.IsZero() || fs[0].LastError != "IDM refused the visit: 422" {
		t.Errorf("newest failure = %+v, want the one of an unknown event", fs[0])
	}
	if fs[1].ID != ids[0] || fs[1].Subject != "Supplier visit e1" || !fs[1].MeetingStart.Equal(sampleEvent("a", "e1").Start) || fs[1].Kind != OpPut {
		t.Errorf("older failure = %+v, want it with its meeting", fs[1])
	}
	if fs, _ := s.Failures(ctx, "a", 1); len(fs) != 1 || fs[0].ID != ids[1] {
		t.Errorf("limit 1 = %+v", fs)
	}
}

// planOf is SQLite's query plan of query, one step a line.
func planOf(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "\n")
}

// TestReadsOfAYearAreServedByIndexes: the events a Board counts are read
// from an index alone, and a page of the activity log by meeting from the
// meetings' starts, however many rows a year of history holds.
func TestReadsOfAYearAreServedByIndexes(t *testing.T) {
	s := openTemp(t)
	if plan := planOf(t, s, eventCountsSQL, "a"); !strings.Contains(plan, "COVERING INDEX events_outcome") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("the event counts are not read from events_outcome alone:\n%s", plan)
	}
	for _, part := range byMeetingParts[:2] {
		if plan := planOf(t, s, part, "a", "", 100, 1); !strings.Contains(plan, "SEARCH e USING INDEX events_starts") {
			t.Errorf("a page by meeting is not read from events_starts:\n%s", plan)
		}
	}
}

// TestPruneFindsWhatItDeletesByEvent: the daily prune looks up an ended
// event's operations, and deletes its visits and replies, through their
// indexes by event, not by a scan of the automation's rows for each event.
func TestPruneFindsWhatItDeletesByEvent(t *testing.T) {
	s := openTemp(t)
	plan := planOf(t, s, pruneSQL[2], 0)
	for _, want := range []string{"INDEX outbox_event (automation=? AND event_id=?)",
		"INDEX visits_event (automation=? AND event_id=?)", "INDEX sqlite_autoindex_replies_1 (automation=? AND event_id=?)"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the prune of events does not search %s:\n%s", want, plan)
		}
	}
}
