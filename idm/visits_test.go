package idm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"invitesync/idm"
)

func TestVisitLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref := idm.Ref("visitors@contoso.com", "040000008200E00074C5B7101A82E008", "ann.guest@fabrikam.com")
	v := visit(t)
	v.Arrival = v.Arrival.Add(123 * time.Millisecond) // sent as whole seconds

	stored, created, err := h.client.PutVisit(ctx, ref, v)
	if err != nil {
		t.Fatal(h.note(err))
	}
	if !created || stored.Ref != ref || !strings.HasPrefix(stored.ID, "vis-") || stored.Status != idm.StatusExpected {
		t.Fatalf("first PutVisit = %+v, created %v; want a new expected visit", stored, created)
	}
	rec, ok := h.sim.Visit(ref)
	if !ok || rec.Revision != 1 || rec.Visitor != v.Visitor || rec.HostEmployeeID != hanna.ID {
		t.Fatalf("the simulator holds %+v", rec)
	}
	if got := rec.Arrival.Format(time.RFC3339Nano); got != "2026-12-01T09:00:00+01:00" {
		t.Errorf("arrival travelled as %s, want 2026-12-01T09:00:00+01:00", got)
	}

	// The same body again: 200, nothing changes.
	stored2, created, err := h.client.PutVisit(ctx, ref, v)
	if err != nil || created || stored2.ID != stored.ID {
		t.Fatalf("repeated PutVisit = %+v, created %v, %v; want the same visit, not created", stored2, created, h.note(err))
	}
	if rec, _ := h.sim.Visit(ref); rec.Revision != 1 {
		t.Errorf("an identical PUT changed the visit (revision %d)", rec.Revision)
	}

	// A different body: 200, updated.
	v.Subject = "Supplier visit – moved \x1b[31mto\x1b[0m the afternoon"
	v.Departure = v.Departure.Add(time.Hour)
	stored3, created, err := h.client.PutVisit(ctx, ref, v)
	if err != nil || created || stored3.ID != stored.ID {
		t.Fatalf("changed PutVisit = %+v, created %v, %v", stored3, created, h.note(err))
	}
	if rec, _ := h.sim.Visit(ref); rec.Revision != 2 || rec.Subject != "Supplier visit – moved to the afternoon" ||
		!rec.Departure.Equal(v.Departure) {
		t.Errorf("after the update the simulator holds %+v", rec)
	}

	got, err := h.client.GetVisit(ctx, ref)
	if err != nil || got.ID != stored.ID || got.Subject != "Supplier visit – moved to the afternoon" || got.Source == nil || got.Source.ICalUID != v.Source.ICalUID {
		t.Fatalf("GetVisit = %+v, %v", got, h.note(err))
	}

	// Cancel, cancel again (already done), read it back cancelled.
	for range 2 {
		if err := h.client.DeleteVisit(ctx, ref); err != nil {
			t.Fatal(h.note(err))
		}
	}
	if rec, _ := h.sim.Visit(ref); rec.Status != idm.StatusCancelled || rec.Revision != 3 {
		t.Errorf("after two deletes the simulator holds status %q revision %d", rec.Status, rec.Revision)
	}
	if got, err := h.client.GetVisit(ctx, ref); err != nil || got.Status != idm.StatusCancelled {
		t.Errorf("GetVisit of a cancelled visit = %+v, %v", got, h.note(err))
	}
	if n := len(h.sim.ActiveVisits()); n != 0 {
		t.Errorf("%d active visits after the cancellation", n)
	}

	// PUT brings a cancelled visit back.
	if back, created, err := h.client.PutVisit(ctx, ref, v); err != nil || created || back.Status != idm.StatusExpected {
		t.Errorf("PutVisit of a cancelled visit = %+v, created %v, %v; want it expected again", back, created, h.note(err))
	}
	if writes := h.sim.Writes(); writes != 6 {
		t.Errorf("the simulator counted %d writes, want 6", writes)
	}
}

func TestUnknownVisit(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	_, err := h.client.GetVisit(ctx, "v1-unknown")
	if !errors.Is(h.note(err), idm.ErrNotFound) || idm.IsRetryable(err) {
		t.Errorf("GetVisit(unknown) = %v, want ErrNotFound", err)
	}
	if err := h.client.DeleteVisit(ctx, "v1-unknown"); err != nil {
		t.Errorf("DeleteVisit(unknown) = %v, want nil (already done)", h.note(err))
	}
	if n := h.sim.Count(http.MethodDelete, "/visits/v1-unknown"); n != 1 {
		t.Errorf("DeleteVisit(unknown) reached the simulator %d times, want 1", n)
	}
}

// TestDeleteBehindAWrongURLIsNotDone: a 404 that is not IDM's answer
// about the visit (a web server or proxy at a wrong URL) must not count as
// "already cancelled", or the cancellation would be lost in silence.
func TestDeleteBehindAWrongURLIsNotDone(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html>404 Not Found</html>")
	}))
	defer srv.Close()
	h := newHarness(t)
	c := h.newClient(srv.URL, "some-key-0123456789", idm.Options{HTTPClient: srv.Client()})
	err := c.DeleteVisit(context.Background(), "v1-abc")
	if h.note(err) == nil {
		t.Fatal("DeleteVisit answered by a plain 404 page = nil, want an error")
	}
	if idm.IsRetryable(err) || !errors.Is(err, idm.ErrNotFound) {
		t.Errorf("DeleteVisit = %v, want a permanent not-found error", err)
	}
}

func TestBadRefNeverSent(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, ref := range []string{"", "..", "a/b", "../health", strings.Repeat("x", 129), "v1 x"} {
		_, _, err := h.client.PutVisit(ctx, ref, visit(t))
		if !errors.Is(h.note(err), idm.ErrInvalidRef) {
			t.Errorf("PutVisit(%q) = %v, want ErrInvalidRef", ref, err)
		}
		if _, err := h.client.GetVisit(ctx, ref); !errors.Is(h.note(err), idm.ErrInvalidRef) {
			t.Errorf("GetVisit(%q) = %v, want ErrInvalidRef", ref, err)
		}
		if err := h.client.DeleteVisit(ctx, ref); !errors.Is(h.note(err), idm.ErrInvalidRef) {
			t.Errorf("DeleteVisit(%q) = %v, want ErrInvalidRef", ref, err)
		}
	}
	if n := len(h.sim.Requests()); n != 0 {
		t.Errorf("invalid refs reached the simulator %d times", n)
	}
	_, _ = h.client.Health(ctx) // one logged request for the harness's key check
}

func TestPutVisitRejected(t *testing.T) {
	h := newHarness(t)
	h.sim.AddEnvironment(idm.Environment{ID: "env-locked", Name: "Locked"})
	h.sim.Forbid("env-locked")
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(*idm.Visit)
		status int
		code   string
		field  string
	}{
		{"no visitor email", func(v *idm.Visit) { v.Visitor.Email = "" }, 422, idm.CodeValidationFailed, "visitor.email: required"},
		{"visitor email not an address", func(v *idm.Visit) { v.Visitor.Email = "ann guest" }, 422, idm.CodeValidationFailed, "visitor.email: not an email address"},
		{"arrival equals departure", func(v *idm.Visit) { v.Departure = v.Arrival }, 422, idm.CodeValidationFailed, "departure: must be after arrival"},
		{"arrival after departure", func(v *idm.Visit) { v.Arrival, v.Departure = v.Departure, v.Arrival }, 422, idm.CodeValidationFailed, "departure: must be after arrival"},
		{"no times", func(v *idm.Visit) { v.Arrival, v.Departure = time.Time{}, time.Time{} }, 422, idm.CodeValidationFailed, "arrival: required"},
		{"no environment", func(v *idm.Visit) { v.EnvironmentID = "" }, 422, idm.CodeValidationFailed, "environmentId: required"},
		{"no host", func(v *idm.Visit) { v.HostEmployeeID = "" }, 422, idm.CodeValidationFailed, "hostEmployeeId: required"},
		{"unknown environment", func(v *idm.Visit) { v.EnvironmentID = "env-9" }, 404, idm.CodeEnvironmentNotFound, "environmentId"},
		{"unknown host", func(v *idm.Visit) { v.HostEmployeeID = "emp-404" }, 404, idm.CodeHostNotFound, "hostEmployeeId"},
		{"forbidden environment", func(v *idm.Visit) { v.EnvironmentID = "env-locked" }, 403, idm.CodeForbidden, "environmentId"},
	}
	for i, tt := range tests {
		v := visit(t)
		tt.change(&v)
		ref := fmt.Sprintf("v1-rejected-%d", i)
		_, _, err := h.client.PutVisit(ctx, ref, v)
		var e *idm.Error
		if !errors.As(h.note(err), &e) {
			t.Errorf("%s: PutVisit = %v, want an *idm.Error", tt.name, err)
			continue
		}
		if e.Status != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.field) || idm.IsRetryable(err) {
			t.Errorf("%s: PutVisit = %d %s %q (retryable %v); want %d %s naming %q, permanent",
				tt.name, e.Status, e.Code, e.Message, e.Retryable, tt.status, tt.code, tt.field)
		}
		if _, ok := h.sim.Visit(ref); ok {
			t.Errorf("%s: the rejected visit was stored", tt.name)
		}
	}
}

func TestCheckedInVisitKept(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	v := visit(t)
	if _, _, err := h.client.PutVisit(ctx, "v1-arrived", v); err != nil {
		t.Fatal(h.note(err))
	}
	if err := h.sim.MarkCheckedIn("v1-arrived"); err != nil {
		t.Fatal(err)
	}
	if _, created, err := h.client.PutVisit(ctx, "v1-arrived", v); err != nil || created {
		t.Errorf("replaying the same visit after check-in = %v, created %v; want 200", h.note(err), created)
	}
	moved := v
	moved.Arrival = moved.Arrival.Add(time.Hour)
	_, _, err := h.client.PutVisit(ctx, "v1-arrived", moved)
	if !errors.Is(h.note(err), idm.ErrVisitInProgress) || idm.IsRetryable(err) || !strings.Contains(err.Error(), idm.CodeVisitInProgress) {
		t.Errorf("changing a checked-in visit = %v, want a permanent 409 visit_in_progress", err)
	}
	err = h.client.DeleteVisit(ctx, "v1-arrived")
	if !errors.Is(h.note(err), idm.ErrVisitInProgress) {
		t.Errorf("cancelling a checked-in visit = %v, want 409", err)
	}
	if rec, _ := h.sim.Visit("v1-arrived"); rec.Status != idm.StatusCheckedIn || !rec.Arrival.Equal(v.Arrival) {
		t.Errorf("the checked-in visit changed: %+v", rec)
	}
}

func TestRetryableAnswers(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tests := []struct {
		status     int
		retryAfter time.Duration
		code       string
	}{
		{http.StatusTooManyRequests, 7 * time.Second, idm.CodeRateLimited},
		{http.StatusServiceUnavailable, 2 * time.Minute, idm.CodeUnavailable},
		{http.StatusServiceUnavailable, 0, idm.CodeUnavailable},
		{http.StatusInternalServerError, 0, "internal_error"},
	}
	for _, tt := range tests {
		h.sim.Fail(1, tt.status, tt.retryAfter)
		_, _, err := h.client.PutVisit(ctx, "v1-throttled", visit(t))
		var e *idm.Error
		if !errors.As(h.note(err), &e) || e.Status != tt.status || e.Code != tt.code {
			t.Errorf("PutVisit during a %d = %v", tt.status, err)
			continue
		}
		if !idm.IsRetryable(err) || idm.RetryAfter(err) != tt.retryAfter {
			t.Errorf("%d: retryable %v after %v; want retryable after %v", tt.status, idm.IsRetryable(err), idm.RetryAfter(err), tt.retryAfter)
		}
		if _, ok := h.sim.Visit("v1-throttled"); ok {
			t.Errorf("%d: the visit was stored", tt.status)
		}
	}
	if _, created, err := h.client.PutVisit(ctx, "v1-throttled", visit(t)); err != nil || !created {
		t.Errorf("after the faults PutVisit = %v, created %v", h.note(err), created)
	}

	// An outage longer than reads wait for in place.
	h.sim.Fail(-1, http.StatusServiceUnavailable, time.Minute)
	for range 3 {
		if _, err := h.client.Health(ctx); !idm.IsRetryable(h.note(err)) {
			t.Fatalf("Health during an outage = %v, want retryable", err)
		}
	}
	h.sim.ClearFaults()
	if _, err := h.client.Health(ctx); err != nil {
		t.Errorf("Health after ClearFaults = %v", h.note(err))
	}
}

func TestReadsWaitOutShortThrottling(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		faults     int
		status     int
		retryAfter time.Duration
		wantErr    bool
		requests   int
	}{
		{"429 with Retry-After", 1, http.StatusTooManyRequests, time.Second, false, 2},
		{"503 without Retry-After", 2, http.StatusServiceUnavailable, 0, false, 3},
		{"a wait too long to hold the caller", 1, http.StatusTooManyRequests, time.Minute, true, 1},
		{"throttled on every try", 3, http.StatusServiceUnavailable, 0, true, 3},
	}
	for _, tt := range tests {
		h.sim.ResetRequests()
		h.sim.Fail(tt.faults, tt.status, tt.retryAfter)
		emp, err := h.client.FindEmployee(ctx, hanna.Email)
		h.sim.ClearFaults()
		if tt.wantErr != (err != nil) || !tt.wantErr && emp.ID != hanna.ID {
			t.Errorf("%s: FindEmployee = %+v, %v", tt.name, emp, h.note(err))
		}
		if tt.wantErr && (!idm.IsRetryable(err) || idm.RetryAfter(err) != tt.retryAfter) {
			t.Errorf("%s: error %v, want retryable after %v", tt.name, err, tt.retryAfter)
		}
		if n := h.sim.Count(http.MethodGet, "/employees"); n != tt.requests {
			t.Errorf("%s: %d lookups sent, want %d", tt.name, n, tt.requests)
		}
	}
	// Writes are left to the outbox: one request, the error returned.
	h.sim.ResetRequests()
	h.sim.Fail(1, http.StatusTooManyRequests, time.Second)
	if _, _, err := h.client.PutVisit(ctx, "v1-once", visit(t)); !idm.IsRetryable(h.note(err)) {
		t.Errorf("PutVisit while throttled = %v, want a retryable error", err)
	}
	if n := h.sim.Count(http.MethodPut, "/visits/"); n != 1 {
		t.Errorf("%d PUTs sent while throttled, want 1", n)
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(h.sim.URL(), h.sim.APIKey(), idm.Options{HTTPClient: h.sim.Client(), Timeout: 50 * time.Millisecond})
	h.sim.SetDelay(time.Hour)
	_, _, err := c.PutVisit(context.Background(), "v1-slow", visit(t))
	var e *idm.Error
	if !errors.As(h.note(err), &e) || e.Code != "timeout" || !idm.IsRetryable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PutVisit against a slow server = %v, want a retryable timeout", err)
	}
	// The slow server did the work; the retry finds it and creates nothing new.
	h.sim.ClearFaults()
	if _, created, err := c.PutVisit(context.Background(), "v1-slow", visit(t)); err != nil || created {
		t.Errorf("retry after the timeout = %v, created %v; want the existing visit", h.note(err), created)
	}
	if n := len(h.sim.Visits()); n != 1 {
		t.Errorf("%d visits after a timeout and a retry, want 1", n)
	}
}

func TestDroppedConnection(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.sim.Drop(1)
	_, _, err := h.client.PutVisit(ctx, "v1-dropped", visit(t))
	var e *idm.Error
	if !errors.As(h.note(err), &e) || e.Status != 0 || e.Code != "network" || !idm.IsRetryable(err) {
		t.Fatalf("PutVisit on a dropped connection = %v, want a retryable network error", err)
	}
	if _, ok := h.sim.Visit("v1-dropped"); ok {
		t.Error("the dropped request was stored")
	}
	h.sim.Drop(-1)
	if _, err := h.client.GetVisit(ctx, "v1-dropped"); !idm.IsRetryable(h.note(err)) {
		t.Errorf("GetVisit while connections drop = %v, want retryable", err)
	}
	h.sim.ClearFaults()
	if _, created, err := h.client.PutVisit(ctx, "v1-dropped", visit(t)); err != nil || !created {
		t.Errorf("PutVisit after ClearFaults = %v, created %v", h.note(err), created)
	}
	reqs := h.sim.Requests()
	if reqs[0].Status != 0 {
		t.Errorf("the dropped request was recorded with status %d, want 0", reqs[0].Status)
	}
}

func TestCallerCancels(t *testing.T) {
	h := newHarness(t)
	h.sim.SetDelay(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := h.client.Health(ctx); errc <- err }()
	for len(h.sim.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	err := <-errc
	if !errors.Is(h.note(err), context.Canceled) || !idm.IsRetryable(err) {
		t.Fatalf("Health cancelled by the caller = %v, want context.Canceled, retryable (the work stays queued)", err)
	}
}

func TestConcurrentWrites(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			ref := idm.Ref("visitors@contoso.com", fmt.Sprintf("event-%d", i%20), "ann.guest@fabrikam.com")
			if _, _, err := h.client.PutVisit(ctx, ref, visit(t)); err != nil {
				t.Error(h.note(err))
			}
		})
	}
	wg.Wait()
	if n := len(h.sim.ActiveVisits()); n != 20 {
		t.Errorf("40 writes of 20 refs left %d visits, want 20", n)
	}
	if n := h.sim.Writes(); n != 40 {
		t.Errorf("the simulator counted %d writes, want 40", n)
	}
}

// TestDeleteAnsweredByABare404IsDone: an IDM that answers an unknown visit
// with 404 and no body, or with an error code of its own, has no such visit:
// the cancellation is done.
func TestDeleteAnsweredByABare404IsDone(t *testing.T) {
	for _, body := range []string{"", `{"error":{"code":"visit_not_found","message":"no such visit"}}`} {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, body)
		}))
		h := newHarness(t)
		c := h.newClient(srv.URL, "some-key-0123456789", idm.Options{HTTPClient: srv.Client()})
		if err := c.DeleteVisit(context.Background(), "v1-abc"); h.note(err) != nil {
			t.Errorf("DeleteVisit answered 404 %q = %v, want done", body, err)
		}
		srv.Close()
	}
}
