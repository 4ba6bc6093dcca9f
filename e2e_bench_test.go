package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
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
	for range b.N {
		benchFirstRound(b, 10000, 0, 0)
	}
}

// BenchmarkRunOnceFirstRound10kSeries is BenchmarkRunOnceFirstRound10k
// with half of the events occurrences of 100 weekly series (50 each in a
// one-year look-ahead), which calendarView delta sends stripped, each
// master after its occurrences. A series is read (its instances) at most
// once.
//
//	go test -run '^$' -bench RunOnceFirstRound10kSeries -benchtime 1x .
func BenchmarkRunOnceFirstRound10kSeries(b *testing.B) {
	for range b.N {
		benchFirstRound(b, 5000, 100, 50)
	}
}

// benchFirstRound times `run --once` over singles single events and series
// weekly series of perSeries occurrences in the window, each event with two
// guests and one of 50 hosts, and checks its bounds: Graph requests at most
// one per delta page, plus one, plus one read per series; one PUT per visit;
// one lookup per host; under 150 MiB and 20 s. It then measures the raw
// floor of the same work (see rawFloor) and reports the ratio of the two.
func benchFirstRound(b *testing.B, singles, series, perSeries int) {
	const hosts = 50
	b.StopTimer()
	e := newE2E(b)
	a := &e.config.Automations[0]
	a.Replies = false // replies are Graph writes, counted apart
	if series > 0 {
		a.LookAheadDays = 365
	}
	e.saveConfig()
	var hostID string
	for h := range hosts {
		emp := e.idm.AddEmployee(idm.Employee{Email: fmt.Sprintf("host%02d@contoso.com", h), DisplayName: fmt.Sprintf("Host %d", h)})
		hostID = emp.ID
	}
	event := func(i int, at time.Time) graphtest.Event {
		return graphtest.Event{
			Subject: "Visit", Location: "Reception", TimeZone: "Europe/Madrid",
			Organizer: graphtest.Person{Address: fmt.Sprintf("host%02d@contoso.com", i%hosts)},
			Attendees: []graphtest.Attendee{
				{Person: graphtest.Person{Address: e2eMailbox}, Type: "optional"},
				{Person: graphtest.Person{Name: "Ann Guest", Address: fmt.Sprintf("ann%d@fabrikam.com", i)}},
				{Person: graphtest.Person{Name: "Bob Visitor", Address: fmt.Sprintf("bob%d@northwind.example", i)}},
			},
			Start: at, End: at.Add(time.Hour),
		}
	}
	start := tomorrowAt(7)
	for i := range singles {
		if _, err := e.graph.AddEvent(e2eMailbox, event(i, start.Add(time.Duration(i)*3*time.Minute))); err != nil {
			b.Fatal(err)
		}
	}
	for s := range series {
		if _, _, err := e.graph.AddWeeklySeries(e2eMailbox, event(singles+s, start.Add(time.Duration(s)*5*time.Minute)), perSeries); err != nil {
			b.Fatal(err)
		}
	}
	events := singles + series*perSeries
	e.graph.ResetRequests()
	cmd, _, stderr := e.command(nil, "run", "--once")
	b.StartTimer()
	simCPU := selfCPU()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	elapsed := time.Since(began)
	simCPU = selfCPU() - simCPU
	b.StopTimer()
	rss := peak()
	if err != nil {
		b.Fatalf("run --once: %v\n%s", err, stderr)
	}
	graphRequests := len(e.graph.GraphRequests())
	seriesReads := 0
	for _, r := range e.graph.GraphRequests() {
		if strings.HasSuffix(r.Path, "/instances") && !strings.Contains(r.RawQuery, "skip") {
			seriesReads++
		}
	}
	puts := e.idm.Count(http.MethodPut, "/visits/")
	lookups := e.idm.Count(http.MethodGet, "/employees")
	entries := events + series // delta also sends each series' master
	maxGraph := (entries+graph.DefaultPageSize-1)/graph.DefaultPageSize + 1 + series
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	b.Logf("%d events (%d series): %s, %s CPU (the simulators %s), peak RSS %d MiB, %d Graph requests (%d series reads), %d PUTs, %d host lookups",
		events, series, elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond), simCPU.Round(time.Millisecond),
		rss/1024, graphRequests, seriesReads, puts, lookups)
	if graphRequests > maxGraph || seriesReads > series || puts != 2*events || lookups != hosts || len(e.idm.ActiveVisits()) != 2*events {
		b.Fatalf("%d Graph requests (at most %d), %d series reads (at most %d), %d PUTs (want %d), %d host lookups (want %d), %d visits",
			graphRequests, maxGraph, seriesReads, series, puts, 2*events, lookups, hosts, len(e.idm.ActiveVisits()))
	}
	if other := len(e.idm.Requests()) - puts - lookups; other > 1 {
		b.Errorf("%d IDM requests beyond the visit writes and host lookups, want at most the environment's lookup", other)
	}
	if rss == 0 {
		b.Error("the peak resident memory could not be read")
	}
	if rss >= 150*1024 {
		b.Errorf("peak resident memory %d MiB, want under 150 MiB", rss/1024)
	}
	if elapsed >= 20*time.Second {
		b.Errorf("the round took %s, want under 20 s on a 2-core machine (a busy machine slows it)", elapsed.Round(time.Millisecond))
	}
	rawCPU := selfCPU()
	paging, putting := rawFloor(b, e, hostID, puts)
	rawCPU = selfCPU() - rawCPU
	floor := paging + putting
	b.Logf("the simulators alone: paging %s, %d PUTs %s: %s (%s CPU with the raw client), a ratio of %.2f",
		paging.Round(time.Millisecond), puts, putting.Round(time.Millisecond), floor.Round(time.Millisecond),
		rawCPU.Round(time.Millisecond), floor.Seconds()/elapsed.Seconds())
	b.ReportMetric(floor.Seconds(), "s-raw-floor")
	b.ReportMetric(floor.Seconds()/elapsed.Seconds(), "floor-ratio")
	b.ReportMetric(elapsed.Seconds(), "s/round")
	b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
	b.ReportMetric(cpu.Seconds(), "s-CPU")
	b.ReportMetric(float64(graphRequests), "graph-requests")
	b.ReportMetric(float64(seriesReads), "series-reads")
	b.ReportMetric(float64(puts), "idm-PUTs")
	b.ReportMetric(float64(lookups), "host-lookups")
}

// selfCPU is the CPU time the test process, which runs the simulators,
// has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// watchPeakRSS follows the process pid's peak resident memory (VmHWM, in
// KiB) until the returned function is called, after the process ended,
// which returns it. The child's rusage cannot tell: on Linux a child started
// by vfork, as os/exec does, inherits its parent's peak into ru_maxrss, and
// the test process holding the simulators is larger than the binary.
func watchPeakRSS(pid int) func() int {
	var peak int
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			if kib, ok := vmHWM(pid); ok {
				peak = max(peak, kib)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() int {
		close(stop)
		<-done
		return peak
	}
}

// vmHWM reads VmHWM, in KiB, from /proc/pid/status.
func vmHWM(pid int) (int, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kib, err == nil
		}
	}
	return 0, false
}
