package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph/graphtest"
	"invitesync/idm/idmtest"
	"invitesync/sync/store"
)

// benchInterval is the poll interval of the service benchmarks: the shortest allowed.
const benchInterval = config.MinInterval

// BenchmarkManyAutomations runs the built binary's `run` with 200
// automations of one app, each with its own mailbox of 50 invitations,
// against a Graph simulator that takes 150 ms per request and serves the
// app 4 requests at once (the 5th is answered 429). It waits for the first
// rounds, then follows 10 idle cycles of the 15 s interval and reports the
// Graph requests per cycle (one per automation), the IDM requests (none),
// the worst lateness (a poll's gap to the previous one beyond the
// interval), the CPU per idle cycle, the peak resident memory and the
// token requests (one: one token per app).
//
//	go test -run '^$' -bench ManyAutomations -benchtime 1x .
func BenchmarkManyAutomations(b *testing.B) {
	for range b.N {
		benchManyAutomations(b, 200, 50, 10)
	}
}

func benchManyAutomations(b *testing.B, automations, perMailbox, cycles int) {
	b.StopTimer()
	e := newE2E(b)
	first := e.config.Automations[0]
	e.config.Automations = nil
	start := tomorrowAt(8)
	for i := range automations {
		a := first
		a.Name, a.Mailbox = fmt.Sprintf("Desk %03d", i), fmt.Sprintf("desk%03d@contoso.com", i)
		a.Interval, a.Replies = benchInterval, false
		e.config.Automations = append(e.config.Automations, a)
		e.graph.AddMailbox(a.Mailbox)
		for n := range perMailbox {
			at := start.Add(time.Duration(n%10)*time.Hour + time.Duration(n/10)*24*time.Hour)
			if _, err := e.graph.AddEvent(a.Mailbox, graphtest.Event{
				Subject: "Visit", Location: "Reception", TimeZone: "Europe/Madrid",
				Organizer: graphtest.Person{Name: "Hanna Host", Address: e2eHost},
				Attendees: []graphtest.Attendee{
					{Person: graphtest.Person{Address: a.Mailbox}, Type: "optional"},
					{Person: graphtest.Person{Name: "Ann Guest", Address: fmt.Sprintf("ann%d.%d@fabrikam.com", i, n)}},
				},
				Start: at, End: at.Add(time.Hour),
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	e.saveConfig()
	e.graph.SetLatency(150 * time.Millisecond)
	e.graph.SetConcurrencyLimit(graphtest.DefaultConcurrencyLimit)
	e.graph.ResetRequests()

	svc, _, stderr := e.command(nil, "run")
	b.StartTimer()
	began := time.Now()
	if err := svc.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { svc.Process.Kill(); svc.Wait() }()
	peak := watchPeakRSS(svc.Process.Pid)
	visits := automations * perMailbox
	waitFor(b, 10*time.Minute, "every first round's visits", func() bool { return len(e.idm.ActiveVisits()) >= visits }, stderr)
	firstRounds := time.Since(began)
	time.Sleep(benchInterval) // the last rounds end
	throttled := countStatus(e.graph.Requests(), http.StatusTooManyRequests)
	tokens := countTokenRequests(e.graph.Requests())

	e.graph.ResetRequests()
	e.idm.ResetRequests()
	cpu0 := processCPU(b, svc.Process.Pid)
	idleFrom := time.Now()
	time.Sleep(time.Duration(cycles) * benchInterval)
	idle := time.Since(idleFrom)
	cpu := processCPU(b, svc.Process.Pid) - cpu0
	reqs := e.graph.Requests()
	idmReqs := len(e.idm.Requests())
	tokens += countTokenRequests(reqs)
	throttled += countStatus(reqs, http.StatusTooManyRequests)
	svc.Process.Signal(syscall.SIGTERM)
	svc.Wait()
	b.StopTimer()
	rss := peak()

	graphReqs, late, polled := 0, time.Duration(0), 0
	byMailbox := map[string][]time.Time{}
	for _, r := range reqs {
		if r.Graph {
			graphReqs++
			if m, ok := deltaMailbox(r.Path); ok {
				byMailbox[m] = append(byMailbox[m], r.Time)
			}
		}
	}
	for _, times := range byMailbox {
		polled++
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		for i := 1; i < len(times); i++ {
			late = max(late, times[i].Sub(times[i-1])-benchInterval)
		}
	}
	perCycle := float64(graphReqs) * float64(benchInterval) / float64(idle)
	b.Logf("%d automations × %d events: first rounds %s, %d throttled; %d idle cycles: %.1f Graph requests a cycle (%d automations polled), %d IDM requests, worst lateness %s (%.1f %% of the interval), %s CPU a cycle; peak RSS %d MiB; %d token requests",
		automations, perMailbox, firstRounds.Round(time.Millisecond), throttled, cycles, perCycle, polled, idmReqs,
		late.Round(time.Millisecond), 100*late.Seconds()/benchInterval.Seconds(), (cpu / time.Duration(cycles)).Round(time.Millisecond), rss/1024, tokens)
	b.ReportMetric(firstRounds.Seconds(), "s-first-rounds")
	b.ReportMetric(float64(throttled), "throttled")
	b.ReportMetric(perCycle, "graph-requests/cycle")
	b.ReportMetric(float64(idmReqs), "idm-requests-idle")
	b.ReportMetric(late.Seconds(), "s-worst-lateness")
	b.ReportMetric((cpu / time.Duration(cycles)).Seconds(), "s-CPU/cycle")
	b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(tokens), "token-requests")
	if throttled > 0 || polled != automations || idmReqs != 0 || tokens != 1 || late >= benchInterval/10 || rss >= 200*1024 {
		b.Errorf("%d throttled, %d of %d automations polled, %d IDM requests, %d token requests, worst lateness %s, peak RSS %d MiB: want none throttled, all polled, no IDM request, one token request, lateness under 10 %% of the interval, under 200 MiB",
			throttled, polled, automations, idmReqs, tokens, late, rss/1024)
	}
}

// BenchmarkLatency runs the built binary's `run` at the shortest interval
// against the simulators and adds invitations at random moments: it reports
// the time from an invitation's creation to its visit in IDM (p50, p95,
// max; at most one interval plus a second wanted at p95), from the
// cancellation of some to their visits' (the same wanted), then from an
// invitation to its visit after a poll now asked through the state
// database, as the dashboard does (within a second wanted at p95).
//
//	go test -run '^$' -bench Latency -benchtime 1x .
func BenchmarkLatency(b *testing.B) {
	for range b.N {
		benchLatency(b, 12, 6, 12)
	}
}

func benchLatency(b *testing.B, scheduled, cancelled, asked int) {
	b.StopTimer()
	e := newE2E(b)
	e.config.Automations[0].Interval = benchInterval
	e.saveConfig()
	svc, _, stderr := e.command(nil, "run")
	if err := svc.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { svc.Process.Kill(); svc.Wait() }()
	st, err := store.Open(context.Background(), filepath.Join(e.dir, "state", "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	waitFor(b, time.Minute, "the first poll", func() bool {
		s, err := st.Status(context.Background(), "Reception")
		return err == nil && s.Loop.State == store.LoopIdle
	}, stderr)

	n := 0
	var ids, guests []string
	visit := func(pollNow bool) time.Duration {
		n++
		guest := fmt.Sprintf("guest%d@fabrikam.com", n)
		ids = append(ids, e.meeting(fmt.Sprintf("Visit %d", n), tomorrowAt(9+n%8), guest))
		guests = append(guests, guest)
		created := time.Now()
		if pollNow {
			if err := st.Request(context.Background(), "Reception", store.CmdPollNow); err != nil {
				b.Fatal(err)
			}
		}
		waitFor(b, 2*benchInterval, "the visit of "+guest, func() bool { return hasVisitor(e.idm, guest) }, stderr)
		return time.Since(created)
	}
	b.StartTimer()
	var polls, nows []time.Duration
	for range scheduled {
		time.Sleep(rand.N(benchInterval))
		polls = append(polls, visit(false))
	}
	var cancels []time.Duration
	for i := range cancelled {
		time.Sleep(rand.N(benchInterval))
		if err := e.graph.CancelEvent(e2eMailbox, ids[i]); err != nil {
			b.Fatal(err)
		}
		at := time.Now()
		waitFor(b, 2*benchInterval, "the cancellation of "+guests[i]+"'s visit", func() bool { return !hasVisitor(e.idm, guests[i]) }, stderr)
		cancels = append(cancels, time.Since(at))
	}
	for range asked {
		time.Sleep(rand.N(benchInterval / 3))
		nows = append(nows, visit(true))
	}
	b.StopTimer()
	p50, p95, worst := percentiles(polls)
	c50, c95, cworst := percentiles(cancels)
	n50, n95, nworst := percentiles(nows)
	b.Logf("at a %s interval, creation to visit: p50 %s, p95 %s, max %s (%d invitations); cancellation to cancelled visit: p50 %s, p95 %s, max %s (%d); after poll now: p50 %s, p95 %s, max %s (%d)",
		benchInterval, p50, p95, worst, len(polls), c50, c95, cworst, len(cancels), n50, n95, nworst, len(nows))
	b.ReportMetric(p50.Seconds(), "s-p50")
	b.ReportMetric(p95.Seconds(), "s-p95")
	b.ReportMetric(worst.Seconds(), "s-max")
	b.ReportMetric(c95.Seconds(), "s-cancel-p95")
	b.ReportMetric(n95.Seconds(), "s-poll-now-p95")
	if p95 > benchInterval+time.Second || c95 > benchInterval+time.Second || n95 > time.Second {
		b.Errorf("p95 %s after creation, %s after cancellation and %s after poll now: want at most the interval plus 1 s, and 1 s", p95, c95, n95)
	}
}

// percentiles returns the 50th and 95th percentiles and the largest of ds.
func percentiles(ds []time.Duration) (p50, p95, worst time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))].Round(time.Millisecond) }
	return at(0.5), at(0.95), s[len(s)-1].Round(time.Millisecond)
}

// hasVisitor reports whether IDM holds an active visit of guest.
func hasVisitor(im *idmtest.Server, guest string) bool {
	return slices.ContainsFunc(im.ActiveVisits(), func(r idmtest.Record) bool { return r.Visitor.Email == guest })
}

// waitFor waits up to limit for cond, failing with the service's log.
func waitFor(b *testing.B, limit time.Duration, what string, cond func() bool, log fmt.Stringer) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s; the service logged:\n%s", what, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deltaMailbox returns the mailbox of a delta request's path.
func deltaMailbox(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/v1.0/users/")
	if !ok || !strings.Contains(rest, "/calendarView/delta") {
		return "", false
	}
	m, _, _ := strings.Cut(rest, "/")
	return strings.ToLower(m), true
}

func countStatus(reqs []graphtest.Request, status int) int {
	n := 0
	for _, r := range reqs {
		if r.Status == status {
			n++
		}
	}
	return n
}

func countTokenRequests(reqs []graphtest.Request) int {
	n := 0
	for _, r := range reqs {
		if strings.HasSuffix(r.Path, "/oauth2/v2.0/token") {
			n++
		}
	}
	return n
}

// processCPU is the user and system time the process pid has used.
func processCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command's closing parenthesis; utime and stime
	// are the 14th and 15th of the line, in clock ticks (100 a second).
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	ut, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(ut+stime) * 10 * time.Millisecond
}
