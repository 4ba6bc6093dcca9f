package sync

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/sync/store"
)

// TestEngineRealFailuresBackOffAndLogOnce drives whole cycles into real
// failures — a refused sign-in whose description changes on every answer,
// a Graph error, IDM down during the host lookup, and Graph throttling whose
// Retry-After moves on — and proves the loop waits longer each time (never
// longer than the interval, except as Graph asks) and logs each kind of
// failure once, not once per cycle.
func TestEngineRealFailuresBackOffAndLogOnce(t *testing.T) {
	h := newHarness(t, func(a *config.Automation, o *graph.Options) {
		a.Interval = time.Hour
		o.MaxRetries, o.MaxRetryWait = 0, time.Second
	})
	h.add(invitation("Meeting", localDay(1).Add(9*time.Hour), simAnn))
	const cycles = 6

	failing := func(what string, wantState store.LoopState) {
		t.Helper()
		before := strings.Count(h.logBuf.String(), `msg="poll failed"`)
		var waits []time.Duration
		for range cycles {
			now := time.Now()
			waits = append(waits, h.eng.cycle(h.ctx).Sub(now))
		}
		if n := strings.Count(h.logBuf.String(), `msg="poll failed"`) - before; n != 1 {
			t.Errorf("%s: %d 'poll failed' records for %d cycles, want 1:\n%s", what, n, cycles, h.logBuf)
		}
		snap := h.eng.Snapshot()
		if snap.State != wantState || snap.LastError == "" {
			t.Errorf("%s: state %s, last error %q", what, snap.State, snap.LastError)
		}
		if wantState == store.LoopError {
			for i, w := range waits {
				if w <= 0 || w > h.auto.Interval+time.Second {
					t.Errorf("%s: wait %d = %v, want within (0, interval]", what, i, w)
				}
			}
			if waits[cycles-1] <= waits[0] {
				t.Errorf("%s: waits %v do not grow", what, waits)
			}
		}
	}

	gopts := graph.Options{AuthorityHost: h.graph.AuthorityHost(), GraphURL: h.graph.GraphURL(), HTTPClient: h.graph.Client(),
		MaxRetries: 0, MaxRetryWait: time.Second}
	right := h.eng
	h.eng = h.engineWithSecret(gopts, "test", h.graph.SecretID) // the Secret ID pasted for its Value
	failing("refused sign-in", store.LoopError)
	recovered := func() {
		t.Helper()
		before := strings.Count(h.logBuf.String(), `msg=recovered`)
		h.eng.cycle(h.ctx)
		if st := h.eng.Snapshot(); st.State != store.LoopIdle || st.LastError != "" ||
			strings.Count(h.logBuf.String(), `msg=recovered`) != before+1 {
			t.Fatalf("after recovery: %+v\n%s", st, h.logBuf)
		}
	}
	h.eng = right
	h.graph.InjectFault(graphtest.Fault{Status: http.StatusInternalServerError, Code: "ErrorInternalServerError", Message: "An internal server error occurred."})
	failing("Graph error", store.LoopError)
	h.graph.ClearFaults()

	h.idm.Fail(-1, http.StatusServiceUnavailable, 0)
	failing("IDM down", store.LoopError)
	h.idm.ClearFaults()
	recovered()
	if len(h.active()) != 1 {
		t.Fatalf("visits after recovery = %v", h.active())
	}

	h.add(invitation("Another", localDay(2).Add(9*time.Hour), simBob))
	h.graph.Throttle(0, 30*time.Second)
	failing("throttled", store.LoopThrottled)
	// Each answer names a later Retry-After; it is still the same throttling.
	before := strings.Count(h.logBuf.String(), `msg="poll failed"`)
	for range 2 {
		time.Sleep(1100 * time.Millisecond)
		h.eng.cycle(h.ctx)
	}
	if n := strings.Count(h.logBuf.String(), `msg="poll failed"`) - before; n != 0 {
		t.Errorf("throttling that goes on was logged %d more times:\n%s", n, h.logBuf)
	}
	if st, err := h.store.Status(h.ctx, h.auto.Name); err != nil || st.Loop.State != store.LoopThrottled || !st.Loop.ThrottledUntil.After(time.Now()) {
		t.Errorf("stored status while throttled = %+v, %v", st.Loop, err)
	}
	h.graph.ClearFaults()
	recovered()
}
