package graph_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"invitesync/graph"
	"invitesync/graph/graphtest"
)

// calls are the client's Graph calls, each run against the simulator.
func guardCalls(c *graph.Client, id string) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"delta": func(ctx context.Context) error {
			_, err := c.DeltaPage(ctx, graph.Cursor{Start: day(0, 0, 0), End: day(30, 0, 0)})
			return err
		},
		"event": func(ctx context.Context) error { _, err := c.GetEvent(ctx, id); return err },
		"instances": func(ctx context.Context) error {
			_, err := c.Instances(ctx, id, day(0, 0, 0), day(30, 0, 0))
			return err
		},
		"answer":  func(ctx context.Context) error { _, err := c.AnswerOf(ctx, id); return err },
		"respond": func(ctx context.Context) error { return c.Respond(ctx, id, graph.Accept, "") },
	}
}

// TestHugeAnswersAreNotReadWhole: a 200 MB answer from Graph ends the call
// with an *AnswerTooLargeError, read no further than graph.MaxAnswer
// (measured as the bytes this process allocates during the call); an
// answer of a few MB is read as usual.
func TestHugeAnswersAreNotReadWhole(t *testing.T) {
	s := newSim(t)
	id, err := s.AddEvent(watched, graphtest.Event{Subject: "Supplier visit", Organizer: host,
		Attendees: []graphtest.Attendee{ann}, Start: day(2, 9, 0), End: day(2, 10, 0)})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, automationFor(s), optionsFor(s))
	calls := guardCalls(c, id)
	tests := []struct {
		call string
		pad  int64
		ok   bool
	}{
		{"delta", 200 << 20, false},
		{"event", 200 << 20, false},
		{"answer", 200 << 20, false},
		{"delta", 3 << 20, true},
		{"event", 3 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			s.PadAnswers(tt.pad, "/users/")
			defer s.ClearHostile()
			allocated, err := allocatedBy(func() error { return calls[tt.call](context.Background()) })
			if tt.ok {
				if err != nil {
					t.Fatalf("a %d MB answer: %v", tt.pad>>20, err)
				}
				return
			}
			var tl *graph.AnswerTooLargeError
			if !errors.As(err, &tl) || !strings.Contains(err.Error(), "more than the 32 MiB invitesync reads") {
				t.Fatalf("err = %v, want an *AnswerTooLargeError", err)
			}
			if allocated > 3*graph.MaxAnswer && !raceEnabled {
				t.Errorf("%d MB allocated for a 200 MB answer", allocated>>20)
			}
		})
	}
}

// TestNoRequestGoesToAnotherHost: Graph redirecting elsewhere, or a delta
// link that points elsewhere, ends the call with an *OtherHostError and the
// other host receives nothing.
func TestNoRequestGoesToAnotherHost(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"value":[],"@odata.deltaLink":"` + "http://" + r.Host + `/v1.0/x?$deltatoken=1"}`))
	}))
	defer other.Close()
	s := newSim(t)
	id, err := s.AddEvent(watched, graphtest.Event{Subject: "Supplier visit", Organizer: host,
		Attendees: []graphtest.Attendee{ann}, Start: day(2, 9, 0), End: day(2, 10, 0)})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, automationFor(s), optionsFor(s))
	s.RedirectGraph(other.URL)
	for name, call := range guardCalls(c, id) {
		t.Run("redirect/"+name, func(t *testing.T) {
			err := call(context.Background())
			var oh *graph.OtherHostError
			if !errors.As(err, &oh) || !strings.Contains(err.Error(), "refused to send a request to "+strings.TrimPrefix(other.URL, "http://")) {
				t.Fatalf("err = %v, want an *OtherHostError", err)
			}
		})
	}
	s.ClearHostile()
	t.Run("a nextLink to another host", func(t *testing.T) {
		s.InjectFault(graphtest.Fault{PathContains: "calendarView/delta", Times: 1,
			Body: `{"value":[],"@odata.nextLink":"` + other.URL + `/v1.0/users/visitors@contoso.example/calendarView/delta?$skiptoken=x"}`})
		// Refused as the page is read, or else when the link is followed.
		p, err := c.DeltaPage(context.Background(), graph.Cursor{Start: day(0, 0, 0), End: day(30, 0, 0)})
		if err == nil {
			_, err = c.DeltaPage(context.Background(), graph.Cursor{Link: p.NextLink})
		}
		if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(other.URL, "http://")) {
			t.Fatalf("err = %v, want the other host refused", err)
		}
	})
	if n := hits.Load(); n != 0 {
		t.Fatalf("the other host received %d requests", n)
	}
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
