package sync

import (
	"errors"
	"strings"
	"testing"
	"time"

	"invitesync/graph/graphtest"
	"invitesync/sync/store"
)

// TestRoundsThatNeverEndAreEnded: a delta round whose nextLink points back
// to itself, or goes round a cycle, or never stops bringing new links, ends
// after a few requests (or at the page cap) with a *pagingError; the link
// that loops is not kept, so the next poll starts a fresh round, which
// works once Graph behaves.
func TestRoundsThatNeverEndAreEnded(t *testing.T) {
	tests := []struct {
		name     string
		loop     int // LoopNextLinks
		max      int // the engine's page cap
		wantLoop bool
		requests int // delta requests the failing poll may make
	}{
		{name: "a nextLink to itself", loop: 1, max: defaultMaxRoundPages, wantLoop: true, requests: 3},
		{name: "a cycle of three", loop: 3, max: defaultMaxRoundPages, wantLoop: true, requests: 5},
		{name: "ever new links", loop: 1 << 30, max: 50, requests: 52},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.eng.maxPages = tt.max
			h.add(graphtest.Event{
				Subject: "Supplier visit", Organizer: graphtest.Person{Address: hostEmail},
				Attendees: []graphtest.Attendee{{Person: graphtest.Person{Address: "ann.guest@fabrikam.com"}}},
				Start:     localDay(2).Add(9 * time.Hour), End: localDay(2).Add(10 * time.Hour),
			})
			if _, err := h.eng.Poll(h.ctx); err != nil {
				t.Fatal(err)
			}
			deltas := func() (n int) {
				for _, r := range h.graph.GraphRequests() {
					if strings.Contains(r.Path, "calendarView/delta") {
						n++
					}
				}
				return n
			}
			before := deltas()

			h.graph.LoopNextLinks(tt.loop)
			_, err := h.eng.Poll(h.ctx)
			var pe *pagingError
			if !errors.As(err, &pe) || !errors.Is(err, errPaging) || pe.Loop != tt.wantLoop {
				t.Fatalf("Poll = %v, want a *pagingError (loop %v)", err, tt.wantLoop)
			}
			want := "already followed"
			if !tt.wantLoop {
				want = "more than 50 pages"
			}
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "the next poll starts a fresh round") {
				t.Errorf("message %q lacks %q", err, want)
			}
			if n := deltas() - before; n > tt.requests {
				t.Errorf("%d delta requests, want at most %d", n, tt.requests)
			}
			var cur store.Cursor
			var ok bool
			h.store.View(h.ctx, func(tx *store.Tx) error { cur, ok, err = tx.Cursor(h.auto.Name); return err })
			if ok {
				t.Errorf("a cursor was kept: %q", cur.Link)
			}

			h.graph.ClearHostile()
			h.cycle()
			if len(h.active()) != 1 {
				t.Errorf("visits: %v", h.active())
			}
		})
	}
}
