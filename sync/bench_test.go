package sync

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm"
)

// BenchmarkIdlePoll measures a poll of a calendar where nothing changed:
// one Graph request (the delta link) and no IDM request.
func BenchmarkIdlePoll(b *testing.B) {
	h := newHarness(b)
	h.add(invitation("Meeting", localDay(1).Add(9*time.Hour), simAnn, simBob))
	h.cycle()
	h.graph.ResetRequests()
	h.idm.ResetRequests()
	polls := 0
	for b.Loop() {
		if _, err := h.eng.Poll(h.ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := h.eng.Drain(h.ctx); err != nil {
			b.Fatal(err)
		}
		polls++
	}
	g, i := len(h.graph.GraphRequests()), len(h.idm.Requests())
	if g != polls || i != 0 {
		b.Fatalf("%d polls made %d Graph and %d IDM requests", polls, g, i)
	}
	b.ReportMetric(float64(g)/float64(polls), "graph-requests/poll")
	b.ReportMetric(float64(i)/float64(polls), "idm-requests/poll")
}

// BenchmarkFirstRound plans and delivers a first round over a calendar of
// 2,000 events with two guests each and 20 hosts, in process.
func BenchmarkFirstRound(b *testing.B) {
	const events, hosts = 2000, 20
	for range b.N {
		b.StopTimer()
		h := newHarness(b, func(a *config.Automation, o *graph.Options) { a.Replies = false; o.PageSize = graph.DefaultPageSize })
		for n := range hosts {
			h.idm.AddEmployee(idm.Employee{Email: fmt.Sprintf("host%02d@contoso.com", n)})
		}
		start := localDay(1).Add(7 * time.Hour)
		for i := range events {
			at := start.Add(time.Duration(i) * 5 * time.Minute)
			ev := invitation("Visit", at, simGuest("Ann Guest", fmt.Sprintf("ann%d@fabrikam.com", i)), simGuest("", fmt.Sprintf("bob%d@northwind.example", i)))
			ev.Organizer = graphtest.Person{Address: fmt.Sprintf("host%02d@contoso.com", i%hosts)}
			h.add(ev)
		}
		h.graph.ResetRequests()
		b.StartTimer()
		began := time.Now()
		if _, err := h.eng.Poll(h.ctx); err != nil {
			b.Fatal(err)
		}
		polled := time.Since(began)
		d, err := h.eng.Drain(h.ctx)
		b.StopTimer()
		if err != nil || d.Done != 2*events {
			b.Fatalf("Drain = %+v, %v", d, err)
		}
		b.ReportMetric(polled.Seconds(), "s-poll")
		b.ReportMetric(time.Since(began).Seconds()-polled.Seconds(), "s-drain")
		if n := h.idm.Count(http.MethodGet, "/employees"); n != hosts {
			b.Fatalf("%d host lookups, want %d", n, hosts)
		}
	}
}
