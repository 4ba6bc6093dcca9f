package main

import (
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm"
)

// BenchmarkRunOnceFirstRound10k runs the built binary's `run --once` over a
// 10,000-event calendar with two guests per event and 50 hosts, against
// the simulators: one full first round and the delivery of 20,000 visits.
// It reports the wall time, the requests made and the process's peak
// resident memory, and fails when the request counts, the memory (150 MiB)
// or the time (20 s) exceed their bounds.
//
//	go test -run '^$' -bench RunOnceFirstRound10k -benchtime 1x .
func BenchmarkRunOnceFirstRound10k(b *testing.B) {
	const events, hosts = 10000, 50
	for range b.N {
		b.StopTimer()
		e := newE2E(b)
		e.config.Automations[0].Replies = false // replies are Graph writes, counted apart
		e.saveConfig()
		for h := range hosts {
			e.idm.AddEmployee(idm.Employee{Email: fmt.Sprintf("host%02d@contoso.com", h), DisplayName: fmt.Sprintf("Host %d", h)})
		}
		start := tomorrowAt(7)
		for i := range events {
			at := start.Add(time.Duration(i) * 3 * time.Minute)
			_, err := e.graph.AddEvent(e2eMailbox, graphtest.Event{
				Subject: "Visit", Location: "Reception", TimeZone: "Europe/Madrid",
				Organizer: graphtest.Person{Address: fmt.Sprintf("host%02d@contoso.com", i%hosts)},
				Attendees: []graphtest.Attendee{
					{Person: graphtest.Person{Address: e2eMailbox}, Type: "optional"},
					{Person: graphtest.Person{Name: "Ann Guest", Address: fmt.Sprintf("ann%d@fabrikam.com", i)}},
					{Person: graphtest.Person{Name: "Bob Visitor", Address: fmt.Sprintf("bob%d@northwind.example", i)}},
				},
				Start: at, End: at.Add(time.Hour),
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		e.graph.ResetRequests()
		cmd, _, stderr := e.command(nil, "run", "--once")
		b.StartTimer()
		began := time.Now()
		err := cmd.Run()
		elapsed := time.Since(began)
		b.StopTimer()
		if err != nil {
			b.Fatalf("run --once: %v\n%s", err, stderr)
		}
		graphRequests := len(e.graph.GraphRequests())
		puts := e.idm.Count(http.MethodPut, "/visits/")
		lookups := e.idm.Count(http.MethodGet, "/employees")
		maxGraph := (events+graph.DefaultPageSize-1)/graph.DefaultPageSize + 1
		if graphRequests > maxGraph || puts != 2*events || lookups != hosts || len(e.idm.ActiveVisits()) != 2*events {
			b.Fatalf("%d Graph requests (at most %d), %d PUTs (want %d), %d host lookups (want %d), %d visits",
				graphRequests, maxGraph, puts, 2*events, lookups, hosts, len(e.idm.ActiveVisits()))
		}
		if other := len(e.idm.Requests()) - puts - lookups; other > 1 {
			b.Errorf("%d IDM requests beyond the visit writes and host lookups, want at most the environment's lookup", other)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		if rss >= 150*1024 {
			b.Errorf("peak resident memory %d MiB, want under 150 MiB", rss/1024)
		}
		if elapsed >= 20*time.Second {
			b.Errorf("the round took %s, want under 20 s on a 2-core machine (a busy machine slows it)", elapsed.Round(time.Millisecond))
		}
		b.ReportMetric(elapsed.Seconds(), "s/round")
		b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
		b.ReportMetric((cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), "s-CPU")
		b.ReportMetric(float64(graphRequests), "graph-requests")
		b.ReportMetric(float64(puts), "idm-PUTs")
		b.ReportMetric(float64(lookups), "host-lookups")
	}
}
