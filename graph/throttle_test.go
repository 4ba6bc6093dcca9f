package graph_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/graph/graphtest"
)

var window = graph.Cursor{Start: day(0, 0, 0), End: day(30, 0, 0)}

func TestRetryAfterIsHonoured(t *testing.T) {
	s := newSim(t)
	c := newClient(t, s, automationFor(s), optionsFor(s))
	s.Throttle(2, time.Second)

	if _, err := c.DeltaPage(context.Background(), window); err != nil {
		t.Fatalf("DeltaPage after two 429s: %v", err)
	}
	reqs := s.GraphRequests()
	if len(reqs) != 3 {
		t.Fatalf("%d Graph requests, want 3 (two throttled, one served)", len(reqs))
	}
	wantStatus := []int{http.StatusTooManyRequests, http.StatusTooManyRequests, http.StatusOK}
	wantAttempt := []string{"", "1", "2"}
	for i, r := range reqs {
		if r.Status != wantStatus[i] || r.RetryAttempt != wantAttempt[i] {
			t.Errorf("request %d: status %d, Retry-Attempt %q; want %d, %q", i, r.Status, r.RetryAttempt, wantStatus[i], wantAttempt[i])
		}
		if i > 0 {
			if gap := r.Time.Sub(reqs[i-1].Time); gap < time.Second {
				t.Errorf("retry %d came %v after the 429, before its Retry-After of 1s", i, gap)
			}
		}
		mustContain(t, "Prefer of a retried request", strings.Join(r.Prefer, ", "), "odata.maxpagesize=2", `IdType="ImmutableId"`)
	}
}

func TestServiceUnavailableIsRetriedWithTheBody(t *testing.T) {
	s := newSim(t)
	id, err := s.AddEvent(watched, graphtest.Event{Subject: "Visit", Organizer: host, Start: day(1, 9, 0), End: day(1, 10, 0)})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, automationFor(s), optionsFor(s))
	s.Unavailable(1, time.Second)
	if err := c.Respond(context.Background(), id, graph.Accept, "Registered"); err != nil {
		t.Fatalf("Respond after a 503: %v", err)
	}
	reqs := s.GraphRequests()
	if len(reqs) != 2 || reqs[0].Status != http.StatusServiceUnavailable || reqs[1].Status != http.StatusAccepted {
		t.Fatalf("requests = %+v, want a 503, then 202 for the retry", reqs)
	}
	if r := s.Replies(); len(r) != 1 || r[0].Comment != "Registered" || !r[0].SendResponse {
		t.Errorf("replies = %+v, want the retried reply with its body", r)
	}
}

func TestThrottlingThatOutlastsTheRetriesIsReported(t *testing.T) {
	s := newSim(t)
	o := optionsFor(s)
	o.MaxRetries = 1
	c := newClient(t, s, automationFor(s), o)
	s.Throttle(0, time.Second) // every request

	start := time.Now()
	_, err := c.DeltaPage(context.Background(), window)
	var te *graph.ThrottledError
	if !errors.As(err, &te) || te.Status != http.StatusTooManyRequests || te.Code != "ApplicationThrottled" {
		t.Fatalf("error = %v, want a *ThrottledError for 429 ApplicationThrottled", err)
	}
	if n := len(s.GraphRequests()); n != 2 {
		t.Errorf("%d requests, want 2 (one retry)", n)
	}
	if !te.Until.After(start.Add(time.Second)) {
		t.Errorf("throttled until %v, want at least a second after the start %v", te.Until, start)
	}
	mustContain(t, "diagnosis", graph.Diagnose(err).Message, "throttling", "until")
}

func TestALongRetryAfterIsNotWaitedInPlace(t *testing.T) {
	s := newSim(t)
	o := optionsFor(s)
	o.MaxRetryWait = 5 * time.Second
	c := newClient(t, s, automationFor(s), o)
	s.Throttle(1, 120*time.Second)

	start := time.Now()
	_, err := c.DeltaPage(context.Background(), window)
	var te *graph.ThrottledError
	if !errors.As(err, &te) {
		t.Fatalf("error = %v, want a *ThrottledError", err)
	}
	if n := len(s.GraphRequests()); n != 1 {
		t.Errorf("%d requests, want 1: a two-minute Retry-After is not waited for", n)
	}
	if te.Until.Before(start.Add(119 * time.Second)) {
		t.Errorf("throttled until %v, want two minutes after %v", te.Until, start)
	}
}

func TestSlowAnswersTimeOut(t *testing.T) {
	s := newSim(t)
	o := optionsFor(s)
	o.Timeout = 300 * time.Millisecond
	c := newClient(t, s, automationFor(s), o)
	if _, err := c.DeltaPage(context.Background(), window); err != nil {
		t.Fatal(err)
	}
	s.SetLatency(2 * time.Second)
	_, err := c.DeltaPage(context.Background(), window)
	var to *graph.TimeoutError
	if !errors.As(err, &to) || to.After != o.Timeout {
		t.Fatalf("error = %v, want a *TimeoutError after %v", err, o.Timeout)
	}
	mustContain(t, "diagnosis", graph.Diagnose(err).Message, "did not answer within 300ms")
}

func TestCancelledContextEndsTheCall(t *testing.T) {
	s := newSim(t)
	c := newClient(t, s, automationFor(s), optionsFor(s))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.DeltaPage(ctx, window); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

func TestReplyArrivesWithTheRightBody(t *testing.T) {
	s := newSim(t)
	id, err := s.AddEvent(watched, graphtest.Event{Subject: "Visit", Organizer: host, Attendees: []graphtest.Attendee{ann, inbox},
		Start: day(1, 9, 0), End: day(1, 10, 0)})
	if err != nil {
		t.Fatal(err)
	}
	declined, err := s.AddEvent(watched, graphtest.Event{Subject: "Unknown host", Organizer: host, Start: day(2, 9, 0), End: day(2, 10, 0)})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, automationFor(s), optionsFor(s))
	_, _, link := round(t, c, window)

	if err := c.Respond(context.Background(), id, graph.Accept, "Registered: Ann Guest"); err != nil {
		t.Fatalf("Respond accept: %v", err)
	}
	if err := c.Respond(context.Background(), declined, graph.Decline, ""); err != nil {
		t.Fatalf("Respond decline: %v", err)
	}
	replies := s.Replies()
	if len(replies) != 2 {
		t.Fatalf("%d replies, want 2", len(replies))
	}
	r := replies[0]
	if r.EventID != id || r.Action != "accept" || r.Comment != "Registered: Ann Guest" || !r.SendResponse ||
		strings.Join(r.Keys, ",") != "Comment,SendResponse" {
		t.Errorf("accept = %+v", r)
	}
	r = replies[1]
	if r.EventID != declined || r.Action != "decline" || r.Comment != "" || !r.SendResponse || strings.Join(r.Keys, ",") != "SendResponse" {
		t.Errorf("decline = %+v, want sendResponse and no comment", r)
	}
	for _, req := range s.GraphRequests() {
		if req.Method == http.MethodPost && (req.Status != http.StatusAccepted || !strings.HasPrefix(req.Authorization, "Bearer ")) {
			t.Errorf("reply request %+v", req)
		}
	}
	if ev, _ := s.Event(watched, id); ev.Response != "accepted" {
		t.Errorf("the mailbox's response is %q, want accepted", ev.Response)
	}
	// The reply changes the mailbox's copy: the next round brings it again.
	events, _, _ := round(t, c, graph.Cursor{Link: link})
	if len(events) != 2 {
		t.Errorf("after the replies the next round has %d events, want the 2 answered", len(events))
	}

	if err := c.Respond(context.Background(), id, graph.Response("maybe"), ""); err == nil || !strings.Contains(err.Error(), "accept, tentative or decline") {
		t.Errorf("an unknown response gave %v", err)
	}
	err = c.Respond(context.Background(), "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0AbWlzc2luZw", graph.Tentative, "")
	var ge *graph.GraphError
	if !errors.As(err, &ge) || ge.Status != http.StatusNotFound || ge.Code != "ErrorItemNotFound" {
		t.Errorf("reply to a missing event: %v", err)
	}
}
