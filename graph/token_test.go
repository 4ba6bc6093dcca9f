package graph_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"invitesync/graph"
	"invitesync/graph/graphtest"
)

// tokenRequests counts the token requests the simulator served.
func tokenRequests(s *graphtest.Server) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/oauth2/v2.0/token") {
			n++
		}
	}
	return n
}

// graphStatuses lists the statuses of the Graph requests served.
func graphStatuses(s *graphtest.Server) []int {
	var out []int
	for _, r := range s.GraphRequests() {
		out = append(out, r.Status)
	}
	return out
}

func TestARevokedTokenIsReplacedOnce(t *testing.T) {
	s := newSim(t)
	id, err := s.AddEvent(watched, graphtest.Event{Subject: "Visit", Organizer: host, Start: day(1, 9, 0), End: day(1, 10, 0)})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, automationFor(s), optionsFor(s))
	if _, err := c.DeltaPage(context.Background(), window); err != nil {
		t.Fatal(err)
	}
	s.RevokeTokens()

	// A reply refused for its token goes out again, body and all, with a new one.
	if err := c.Respond(context.Background(), id, graph.Accept, "Registered"); err != nil {
		t.Fatalf("Respond after the token was revoked: %v", err)
	}
	if n := tokenRequests(s); n != 2 {
		t.Errorf("%d token requests, want 2: one sign-in, one after the refusal", n)
	}
	want := []int{http.StatusOK, http.StatusUnauthorized, http.StatusAccepted}
	if got := graphStatuses(s); !slices.Equal(got, want) {
		t.Errorf("Graph statuses %v, want %v", got, want)
	}
	if r := s.Replies(); len(r) != 1 || r[0].Comment != "Registered" {
		t.Errorf("replies = %+v, want the one reply with its comment", r)
	}
	// The new token is kept: the next call needs no sign-in.
	if _, err := c.DeltaPage(context.Background(), window); err != nil {
		t.Fatal(err)
	}
	if n := tokenRequests(s); n != 2 {
		t.Errorf("%d token requests after another call, want still 2", n)
	}
}

func TestAFailedSignInAfterARevokedTokenIsDiagnosed(t *testing.T) {
	s := newSim(t)
	c := newClient(t, s, automationFor(s), optionsFor(s))
	if _, err := c.DeltaPage(context.Background(), window); err != nil {
		t.Fatal(err)
	}
	s.RevokeTokens()
	s.ExpireSecret()

	_, err := c.DeltaPage(context.Background(), window)
	var ae *graph.AuthError
	if !errors.As(err, &ae) || ae.Code != 7000222 {
		t.Fatalf("error = %v, want the sign-in's AADSTS7000222", err)
	}
	if strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "InvalidAuthenticationToken") {
		t.Errorf("the error shows Graph's 401: %q", err)
	}
	mustContain(t, "error", err.Error(), "stopped accepting the access token", "client secret has expired", "new client secret")
	d := c.Diagnose(context.Background(), err)
	if d.Step != 3 || d.Code != "AADSTS7000222" {
		t.Errorf("diagnosis = %+v, want step 3, AADSTS7000222", d)
	}
	mustContain(t, "diagnosis", d.Message, "signing in again failed", "client secret has expired")
}

// TestATokenRefusedAgainIsNotRenewedOnEveryCall: when Graph refuses the new
// token too, the call ends with its 401, and the next call does not sign in
// yet again.
func TestATokenRefusedAgainIsNotRenewedOnEveryCall(t *testing.T) {
	s := newSim(t)
	c := newClient(t, s, automationFor(s), optionsFor(s))
	if _, err := c.DeltaPage(context.Background(), window); err != nil {
		t.Fatal(err)
	}
	s.InjectFault(graphtest.Fault{Status: http.StatusUnauthorized, Code: "InvalidAuthenticationToken", Message: "Access token validation failure."})
	for i := range 3 {
		_, err := c.DeltaPage(context.Background(), window)
		var ge *graph.GraphError
		if !errors.As(err, &ge) || ge.Status != http.StatusUnauthorized {
			t.Fatalf("call %d: error = %v, want Graph's 401", i, err)
		}
	}
	if n := tokenRequests(s); n != 2 {
		t.Errorf("%d token requests, want 2: one renewal, not one per call", n)
	}
	if n := len(s.GraphRequests()); n != 1+2+1+1 {
		t.Errorf("%d Graph requests, want 5: the first, a refused call tried twice, two refused once", n)
	}
}

// TestARevokedTokenIsReplacedForADeltaLink: a request built from a saved
// link (which the SDK can send only once) goes again as it was.
func TestARevokedTokenIsReplacedForADeltaLink(t *testing.T) {
	s := newSim(t)
	if _, err := s.AddEvent(watched, graphtest.Event{Subject: "Visit", Organizer: host, Start: day(1, 9, 0), End: day(1, 10, 0)}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, automationFor(s), optionsFor(s))
	_, _, link := round(t, c, window)
	s.RevokeTokens()
	s.ResetRequests()

	if _, err := c.DeltaPage(context.Background(), graph.Cursor{Link: link}); err != nil {
		t.Fatalf("DeltaPage with the saved link after the revocation: %v", err)
	}
	reqs := s.GraphRequests()
	if len(reqs) != 2 || reqs[0].Status != http.StatusUnauthorized || reqs[1].Status != http.StatusOK ||
		reqs[1].Path != reqs[0].Path || reqs[1].RawQuery != reqs[0].RawQuery || reqs[1].Authorization == reqs[0].Authorization {
		t.Errorf("requests = %+v, want the same link refused, then served with a new token", reqs)
	}
}

// TestTokensShareOneSignInPerApp: clients of one app built with the same
// Tokens sign in once between them; a client without them signs in on its
// own.
func TestTokensShareOneSignInPerApp(t *testing.T) {
	s := newSim(t)
	opts := optionsFor(s)
	opts.Tokens = graph.NewTokens()
	for i := range 3 {
		c := newClient(t, s, automationFor(s), opts)
		if _, err := c.DeltaPage(context.Background(), window); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	if n := tokenRequests(s); n != 1 {
		t.Errorf("%d token requests for three clients sharing Tokens, want 1", n)
	}
	alone := newClient(t, s, automationFor(s), optionsFor(s))
	if _, err := alone.DeltaPage(context.Background(), window); err != nil {
		t.Fatal(err)
	}
	if n := tokenRequests(s); n != 2 {
		t.Errorf("%d token requests after a client of its own, want 2", n)
	}
}
