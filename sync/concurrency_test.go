package sync

import (
	"fmt"
	"net/http"
	stdsync "sync"
	"testing"
	"time"

	"invitesync/graph"
)

// TestAutomationsOnOneAppShareItsConcurrency: three automations of one app
// (one client ID), each with its own mailbox of 300 invitations, run at once
// through the engine as `invitesync run` builds them (the process-wide
// limits). Outlook allows the app four requests in flight across all its
// mailboxes; together they never pass that, so nothing is throttled.
func TestAutomationsOnOneAppShareItsConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("900 events")
	}
	const perMailbox = 300
	h := newHarness(t)
	gopts := graph.Options{AuthorityHost: h.graph.AuthorityHost(), GraphURL: h.graph.GraphURL(), HTTPClient: h.graph.Client(), PageSize: 100}
	mailboxes := []string{mailbox, "front-desk@contoso.com", "warehouse@contoso.com"}
	var engines []*Engine
	for i, m := range mailboxes {
		if i > 0 {
			h.graph.AddMailbox(m)
		}
		for n := range perMailbox {
			start := localDay(1 + n%20).Add(time.Duration(8+n%9) * time.Hour)
			guest := simGuest(fmt.Sprintf("Guest %d", n), fmt.Sprintf("guest%d.%d@fabrikam.com", i, n))
			ev := invitation(fmt.Sprintf("Visit %d", n), start, guest)
			ev.Attendees[0].Address = m
			if _, err := h.graph.AddEvent(m, ev); err != nil {
				t.Fatal(err)
			}
		}
		h.auto.Name, h.auto.Mailbox = fmt.Sprintf("Reception %d", i), m
		engines = append(engines, h.engine(gopts, "test"))
	}
	// Every request takes a little while, so the automations' requests overlap.
	h.graph.SetLatency(2 * time.Millisecond)

	var wg stdsync.WaitGroup
	results := make([]OnceResult, len(engines))
	errs := make([]error, len(engines))
	for i, e := range engines {
		wg.Go(func() { results[i], errs[i] = e.RunOnce(h.ctx) })
	}
	wg.Wait()
	for i := range engines {
		if errs[i] != nil || !results[i].OK() || results[i].Drain.Done != 2*perMailbox {
			t.Fatalf("automation %d: %+v, %v; want %d visits and %d replies delivered\nlog:\n%s",
				i, results[i], errs[i], perMailbox, perMailbox, h.logBuf)
		}
	}
	if n := len(h.graph.Replies()); n != len(mailboxes)*perMailbox {
		t.Errorf("%d replies, want %d", n, len(mailboxes)*perMailbox)
	}
	for _, r := range h.graph.GraphRequests() {
		if r.Status == http.StatusTooManyRequests {
			t.Fatalf("Graph throttled %s %s", r.Method, r.Path)
		}
	}
	peak := h.graph.MaxInFlightFor(h.graph.ClientID)
	if peak > graph.MaxConcurrentRequests {
		t.Errorf("%d Graph requests of the one app were in flight at once, over Outlook's %d", peak, graph.MaxConcurrentRequests)
	}
	t.Logf("peak in flight: %d of %d requests", peak, len(h.graph.GraphRequests()))
}
