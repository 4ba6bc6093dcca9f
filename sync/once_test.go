package sync

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/idm/idmtest"
	"invitesync/sync/store"
)

// putFault makes IDM meet every visit PUT with f.
func (h *harness) putFault(f idmtest.Fault) {
	f.Method, f.Path = http.MethodPut, "/visits/"
	h.idm.Inject(-1, f)
}

// runOnceWithin runs RunOnceWithin under a deadline that only a run that
// never ends would reach, and returns how long it took.
func (h *harness) runOnceWithin(window time.Duration) (OnceResult, time.Duration) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := h.eng.RunOnceWithin(ctx, window)
	if err != nil {
		h.t.Fatalf("RunOnceWithin: %v\nlog:\n%s", err, h.logBuf)
	}
	return res, time.Since(start)
}

func TestRunOnceSettlesTheReplyOfAVisitThatFailedForGood(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Supplier visit", localDay(1).Add(9*time.Hour), simAnn))
	h.putFault(idmtest.Fault{Status: http.StatusUnprocessableEntity})
	res, took := h.runOnceWithin(OnceRetryWindow)
	if res.OK() || res.Drain.Failed != 1 || res.Drain.Notified != 1 || res.Drain.Done != 0 || res.Waiting.Pending != 0 ||
		!strings.Contains(res.Drain.FirstFailure, "IDM refused the visit of ann.guest@fabrikam.com") {
		t.Fatalf("RunOnce = %+v; want the visit failed, the reply settled, nothing waiting", res)
	}
	if took > 10*time.Second {
		t.Errorf("RunOnce took %v with nothing to wait for", took)
	}
	r := h.graph.Replies()
	if len(r) != 1 || r[0].Action != "tentativelyAccept" || !strings.Contains(r[0].Comment, "ann.guest@fabrikam.com") {
		t.Fatalf("replies = %+v, want one tentative naming Ann", r)
	}
	// The loop says it is failing, with the reason, in the store too.
	st, err := h.store.Status(h.ctx, h.auto.Name)
	if err != nil || st.Loop.State != store.LoopFailing || !strings.Contains(st.Loop.LastError, "IDM refused the visit") ||
		st.Pending != 0 || st.Failed != 1 {
		t.Fatalf("status = %+v, %v; want failing with the reason, 0 pending, 1 failed", st, err)
	}
	// Another run finds nothing to do and tells nobody again.
	writes := h.idm.Writes()
	if res, _ := h.runOnceWithin(OnceRetryWindow); !res.OK() || h.idm.Writes() != writes || len(h.graph.Replies()) != 1 {
		t.Fatalf("a second run: %+v, %d more writes, %d replies", res, h.idm.Writes()-writes, len(h.graph.Replies()))
	}
}

func TestRunOnceDoesNotWaitAnHourForIDM(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Supplier visit", localDay(1).Add(9*time.Hour), simAnn))
	h.putFault(idmtest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Hour})
	res, took := h.runOnceWithin(OnceRetryWindow)
	w := res.Waiting
	if res.OK() || res.Drain.Retrying != 1 || w.Pending != 2 || w.Next.Before(time.Now().Add(59*time.Minute)) ||
		!strings.Contains(w.LastError, "503") {
		t.Fatalf("RunOnce = %+v; want the visit and its reply waiting an hour for the 503's Retry-After", res)
	}
	if took > 10*time.Second {
		t.Errorf("RunOnce took %v although the retry is an hour away", took)
	}
	if len(h.graph.Replies()) != 0 {
		t.Errorf("replied %+v before the visit was registered", h.graph.Replies())
	}
}

func TestRunOnceRetriesWithinItsWindow(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Supplier visit", localDay(1).Add(9*time.Hour), simAnn, simBob))
	h.idm.Inject(3, idmtest.Fault{Method: http.MethodPut, Path: "/visits/", Truncate: true})
	res, _ := h.runOnceWithin(OnceRetryWindow)
	if !res.OK() || res.Drain.Retrying < 2 || len(h.active()) != 2 {
		t.Fatalf("RunOnce = %+v, %d visits; want cut answers retried and both visits delivered", res, len(h.active()))
	}
	if n := len(h.idm.Visits()); n != 2 {
		t.Errorf("IDM holds %d visits, want 2: a retried cut answer made a second one", n)
	}
	if r := h.graph.Replies(); len(r) != 1 || r[0].Action != "accept" {
		t.Errorf("replies = %+v, want one accept", r)
	}
}

func TestRunOnceStopsRetryingWhenItsWindowCloses(t *testing.T) {
	h := newHarness(t) // retries after 0.1–0.2 s, 0.2–0.4 s … at most 2 s
	h.add(invitation("Supplier visit", localDay(1).Add(9*time.Hour), simAnn))
	h.putFault(idmtest.Fault{Truncate: true})
	const window = 1500 * time.Millisecond
	res, took := h.runOnceWithin(window)
	if res.OK() || res.Drain.Retrying < 2 || res.Waiting.Pending != 2 || res.Drain.Failed != 0 {
		t.Fatalf("RunOnce = %+v; want several retries, then the visit and its reply still waiting", res)
	}
	if took > window+5*time.Second {
		t.Errorf("RunOnce took %v with a window of %v", took, window)
	}
}

// TestLeaseLastsTheCycle runs a cycle several times longer than the lease's
// TTL: the lease is renewed while it runs, so a second loop is refused all
// along and every visit is written once.
func TestLeaseLastsTheCycle(t *testing.T) {
	h := newHarness(t)
	h.leaseTTL = 400 * time.Millisecond
	h.eng = h.engine(h.graphOptions(), "first")
	other := h.engine(h.graphOptions(), "second")
	for i := range 6 {
		h.add(invitation("Visit", localDay(1+i).Add(9*time.Hour), simAnn, simBob))
	}
	h.idm.SetDelay(300 * time.Millisecond) // 12 PUTs, 4 at a time: ≈ 1 s, besides the lookups
	done := make(chan OnceResult, 1)
	start := time.Now()
	go func() {
		res, err := h.eng.RunOnce(h.ctx)
		if err != nil {
			t.Errorf("the first run: %v", err)
		}
		done <- res
	}()
	refused := 0
	for running := true; running; {
		select {
		case res := <-done:
			running = false
			if !res.OK() || res.Drain.Done != 18 {
				t.Fatalf("the first run = %+v, want 12 visits and 6 replies delivered", res)
			}
		case <-time.After(100 * time.Millisecond):
			_, err := other.RunOnce(h.ctx)
			if !errors.Is(err, store.ErrLeaseHeld) || !strings.Contains(err.Error(), "first") {
				t.Fatalf("a second run %v into the first = %v; want it refused, naming the first", time.Since(start), err)
			}
			refused++
		}
	}
	if took := time.Since(start); took < 3*h.leaseTTL || refused < 10 {
		t.Fatalf("the cycle took %v and the second run was refused %d times; the test proves nothing", took, refused)
	}
	if n := h.idm.Count(http.MethodPut, "/visits/"); n != 12 {
		t.Errorf("%d visit PUTs, want each of the 12 once", n)
	}
}

// TestLostLeaseStopsTheLoop takes the lease from a running loop, as a
// process would after the loop failed to renew it: the loop stops writing,
// says who holds it, and leaves it to them.
func TestLostLeaseStopsTheLoop(t *testing.T) {
	h := newHarness(t)
	h.leaseTTL = 600 * time.Millisecond
	h.eng = h.engine(h.graphOptions(), "first")
	for i := range 10 {
		h.add(invitation("Visit", localDay(1+i).Add(9*time.Hour), simAnn, simBob))
	}
	h.idm.SetDelay(200 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- h.eng.Run(h.ctx) }()
	waitFor(t, "the first visits", func() bool { return len(h.idm.ActiveVisits()) >= 2 })
	if err := h.store.Release(h.ctx, h.auto.Name, "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Acquire(h.ctx, h.auto.Name, "pid 99 on elsewhere", time.Hour); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop went on after losing its lease")
	}
	if !errors.Is(err, store.ErrLeaseLost) || !strings.Contains(err.Error(), "pid 99 on elsewhere") {
		t.Fatalf("Run = %v; want ErrLeaseLost naming the new holder", err)
	}
	writes := h.idm.Writes()
	time.Sleep(600 * time.Millisecond)
	if h.idm.Writes() != writes || len(h.idm.ActiveVisits()) == 20 {
		t.Errorf("%d writes after the loop stopped, %d of 20 visits: the loop did not stop writing", h.idm.Writes()-writes, len(h.idm.ActiveVisits()))
	}
	st, _ := h.store.Status(h.ctx, h.auto.Name)
	if st.Loop.State != store.LoopStopped || !strings.Contains(st.Loop.LastError, "pid 99 on elsewhere") || st.Lease.Owner != "pid 99 on elsewhere" {
		t.Fatalf("status = %+v; want stopped, naming the holder, who keeps the lease", st)
	}
}

func TestSecondAutomationOnTheMailboxIsRefused(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Supplier visit", localDay(1).Add(9*time.Hour), simAnn))
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- h.eng.Run(ctx) }()
	waitFor(t, "the first loop", func() bool { return len(h.active()) == 1 })

	first := h.auto
	h.auto.Name, h.auto.Mailbox = "Front desk", strings.ToUpper(mailbox)
	other := h.engine(h.graphOptions(), "pid 2 on b")
	h.auto = first
	_, err := other.RunOnce(h.ctx)
	if !errors.Is(err, store.ErrMailboxWatched) || !strings.Contains(err.Error(), `automation "Reception", run by test`) {
		t.Fatalf("a second automation on the mailbox = %v; want ErrMailboxWatched naming Reception and its process", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res, err := other.RunOnce(h.ctx); err != nil || !res.OK() {
		t.Fatalf("once the first loop stopped: %+v, %v", res, err)
	}
}

// graphOptions are the harness's Graph client options.
func (h *harness) graphOptions() graph.Options {
	return graph.Options{AuthorityHost: h.graph.AuthorityHost(), GraphURL: h.graph.GraphURL(), HTTPClient: h.graph.Client(), PageSize: 50}
}
