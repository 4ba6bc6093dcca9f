package store

import (
	"context"
	"slices"
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
