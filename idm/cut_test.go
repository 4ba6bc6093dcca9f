package idm_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"invitesync/idm"
	"invitesync/idm/idmtest"
)

// A 200 whose body is shorter than its Content-Length is a connection that
// broke: retryable, never "not the IDM API's JSON".
func TestCutAnswerIsANetworkError(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.sim.Inject(1, idmtest.Fault{Method: http.MethodPut, Truncate: true})
	_, _, err := h.client.PutVisit(ctx, "v1-cut", visit(t))
	var e *idm.Error
	if !errors.As(h.note(err), &e) || e.Code != "network" || e.Status != 0 || !idm.IsRetryable(err) ||
		!errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("PutVisit with its answer cut = %v, want a retryable network error saying the answer was cut short", err)
	}
	// Tried again, the PUT finds the visit it made: nothing is duplicated.
	if _, created, err := h.client.PutVisit(ctx, "v1-cut", visit(t)); err != nil || created {
		t.Fatalf("PutVisit again = created %v, %v; want the existing visit", created, h.note(err))
	}
	if n := len(h.sim.Visits()); n != 1 {
		t.Fatalf("IDM holds %d visits, want 1", n)
	}
	// An error answer cut short is no more IDM's word than a cut success.
	h.sim.Inject(1, idmtest.Fault{Path: "/employees", Truncate: true})
	if _, err := h.client.FindEmployee(ctx, hanna.Email); !idm.IsRetryable(h.note(err)) {
		t.Fatalf("FindEmployee with its answer cut = %v, want retryable", err)
	}
}

// A connection reset in the middle of a chunked body (no Content-Length)
// is a network error too.
func TestConnectionResetMidBodyIsANetworkError(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"items":[{"id":"env-1","na`)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer srv.Close()
	h := newHarness(t)
	c := h.newClient(srv.URL, "some-key-0123456789", idm.Options{HTTPClient: srv.Client()})
	_, err := c.Environments(context.Background())
	var e *idm.Error
	if !errors.As(h.note(err), &e) || e.Code != "network" || !idm.IsRetryable(err) {
		t.Fatalf("Environments with the connection reset mid-body = %v, want a retryable network error", err)
	}
	if _, err := h.client.Health(context.Background()); err != nil { // the harness wants one logged request of its own
		t.Fatal(h.note(err))
	}
}
