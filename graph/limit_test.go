package graph_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"invitesync/graph"
)

// concurrentDeltas runs n delta calls at once, spread over clients, and
// fails the test if one fails.
func concurrentDeltas(t *testing.T, n int, clients ...*graph.Client) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		c := clients[i%len(clients)]
		wg.Go(func() {
			_, err := c.DeltaPage(context.Background(), window)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestOneAppSharesOneLimitAcrossMailboxes: two clients of one app, for two
// mailboxes, together stay within the app's limit, as Outlook counts it.
func TestOneAppSharesOneLimitAcrossMailboxes(t *testing.T) {
	tests := []struct {
		name   string
		limits *graph.Limits
		want   int
	}{
		{"process default", nil, graph.DefaultConcurrentRequests},
		{"injected, four", graph.NewLimits(4), 4},
		{"injected, one", graph.NewLimits(1), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t)
			o := optionsFor(s)
			o.Limits = tt.limits
			a := automationFor(s)
			b := a
			b.Name, b.Mailbox = "Board", other
			// The client IDs differ in case only: still the same app.
			b.ClientID = strings.ToUpper(b.ClientID)
			ca, cb := newClient(t, s, a, o), newClient(t, s, b, o)
			concurrentDeltas(t, 2, ca, cb) // sign both in first
			s.ResetRequests()
			s.SetLatency(150 * time.Millisecond)

			concurrentDeltas(t, 12, ca, cb)
			if got := len(s.GraphRequests()); got != 12 {
				t.Fatalf("%d requests served, want 12", got)
			}
			if m := s.MaxInFlightFor(s.ClientID); m != tt.want {
				t.Errorf("%d requests were in flight at once, want exactly %d (the app's limit, shared by both mailboxes)", m, tt.want)
			}
		})
	}
}

func TestLimitsStayWithinOutlooksFour(t *testing.T) {
	for _, tt := range []struct{ in, want int }{
		{0, graph.DefaultConcurrentRequests}, {-1, graph.DefaultConcurrentRequests},
		{1, 1}, {3, 3}, {4, 4}, {5, graph.MaxConcurrentRequests}, {100, graph.MaxConcurrentRequests},
	} {
		if got := graph.NewLimits(tt.in).PerApp(); got != tt.want {
			t.Errorf("NewLimits(%d).PerApp() = %d, want %d", tt.in, got, tt.want)
		}
	}
	if graph.MaxConcurrentRequests != 4 || graph.DefaultConcurrentRequests != 3 {
		t.Errorf("limits %d/%d, want Outlook's 4 and a default of 3", graph.MaxConcurrentRequests, graph.DefaultConcurrentRequests)
	}
}
