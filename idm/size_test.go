package idm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"invitesync/idm"
	"invitesync/idm/idmtest"
)

// TestHugeAnswersAreRefusedUnread: an answer over idm.MaxAnswer — 200 MB
// streamed, or declared in its Content-Length — is a permanent error that
// says so, read no further than the limit (measured as the bytes this
// process allocates while the call runs); one of 3 MB is read as usual.
func TestHugeAnswersAreRefusedUnread(t *testing.T) {
	const huge = 200 << 20
	h := newHarness(t)
	ctx := context.Background()
	calls := map[string]func(c *idm.Client) error{
		"environments": func(c *idm.Client) error { _, err := c.Environments(ctx); return err },
		"employee":     func(c *idm.Client) error { _, err := c.FindEmployee(ctx, hanna.Email); return err },
		"visit":        func(c *idm.Client) error { _, _, err := c.PutVisit(ctx, "v1-huge", visit(t)); return err },
		"health":       func(c *idm.Client) error { _, err := c.Health(ctx); return err },
	}
	tests := []struct {
		name, call string
		fault      idmtest.Fault
		refused    bool
	}{
		{"environments, 200 MB", "environments", idmtest.Fault{Path: "/environments", Pad: huge}, true},
		{"employee lookup, 200 MB", "employee", idmtest.Fault{Path: "/employees", Pad: huge}, true},
		{"visit, 200 MB", "visit", idmtest.Fault{Method: http.MethodPut, Pad: huge}, true},
		{"health, 200 MB", "health", idmtest.Fault{Path: "/health", Pad: huge}, true},
		{"employee lookup, 3 MB", "employee", idmtest.Fault{Path: "/employees", Pad: 3 << 20}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.sim.Inject(1, tt.fault)
			allocated, err := allocatedBy(func() error { return calls[tt.call](h.client) })
			h.note(err)
			if !tt.refused {
				if err != nil {
					t.Fatalf("a 3 MB answer: %v", err)
				}
				return
			}
			var e *idm.Error
			if !errors.As(err, &e) || e.Code != idm.CodeAnswerTooLarge || idm.IsRetryable(err) ||
				!strings.Contains(err.Error(), "more than the 4 MiB invitesync reads from IDM") {
				t.Fatalf("err = %v, want a permanent %s", err, idm.CodeAnswerTooLarge)
			}
			if allocated > 32<<20 {
				t.Errorf("%d MB allocated while reading a 200 MB answer", allocated>>20)
			}
		})
	}
	t.Run("declared in Content-Length", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(huge))
			chunk := make([]byte, 64<<10)
			for i := 0; i < huge/len(chunk); i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}))
		defer srv.Close()
		c := h.newClient(srv.URL, "some-key-0123456789", idm.Options{HTTPClient: srv.Client()})
		_, err := c.Environments(ctx)
		if !strings.Contains(h.note(err).Error(), fmt.Sprintf("the answer is %d bytes, more than the 4 MiB", huge)) {
			t.Fatalf("err = %v", err)
		}
	})
}

// allocatedBy runs f and returns its error and the bytes allocated while it
// ran (runtime.MemStats.TotalAlloc).
func allocatedBy(f func() error) (uint64, error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, err
}
