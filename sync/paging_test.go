package sync

import (
	"errors"
	"fmt"
	"net/http"
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

// TestRoundPagesAreCommittedAFewAtATime: a round's pages are committed
// roundBatch events at a time, with the link that follows the last of
// them. When a page fails, what was committed stays, and the next poll
// goes on from there: it reads again only the pages not committed, and
// every meeting becomes one visit.
func TestRoundPagesAreCommittedAFewAtATime(t *testing.T) {
	h := newHarness(t, pageSize(2))
	h.eng.roundBatch = 4 // two pages a transaction
	for i := range 7 {   // pages of 2, 2, 2 and 1
		h.add(invitation(fmt.Sprintf("Visit %d", i), localDay(1+i).Add(9*time.Hour), simAnn))
	}
	deltas := func() (n int) {
		for _, r := range h.graph.GraphRequests() {
			if strings.Contains(r.Path, "calendarView/delta") {
				n++
			}
		}
		return n
	}
	h.graph.InjectFault(graphtest.Fault{Status: http.StatusInternalServerError, Code: "ErrorInternalServerError",
		PathContains: "calendarView/delta", After: 3, Times: 1})
	if _, err := h.eng.Poll(h.ctx); err == nil {
		t.Fatal("Poll succeeded through a failed page")
	}
	if n := len(h.activity()); n != 4 {
		t.Fatalf("%d meetings recorded after the fourth page failed, want the first two pages' 4: the third waited for the fourth", n)
	}
	before := deltas()
	if _, err := h.eng.Poll(h.ctx); err != nil {
		t.Fatal(err)
	}
	if n := deltas() - before; n != 2 {
		t.Errorf("the next poll read %d pages, want the 2 not committed", n)
	}
	if res := h.cycle(); !res.OK() {
		t.Fatalf("cycle = %+v", res)
	}
	if n, visits := len(h.activity()), len(h.active()[simAnn.Address]); n != 7 || visits != 7 {
		t.Errorf("%d meetings recorded and %d visits, want 7 each", n, visits)
	}
}
