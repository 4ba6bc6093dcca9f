package sync

import (
	"strings"
	"testing"
	"time"

	"invitesync/graph/graphtest"
)

// tokenRequests counts the simulator's token requests.
func tokenRequests(g *graphtest.Server) int {
	n := 0
	for _, r := range g.Requests() {
		if strings.HasSuffix(r.Path, "/oauth2/v2.0/token") {
			n++
		}
	}
	return n
}

// TestEngineRevokedTokenIsReplaced: Graph stops accepting a token that has
// not expired; the next cycle signs in again once and delivers.
func TestEngineRevokedTokenIsReplaced(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Supplier visit", localDay(1).Add(10*time.Hour), simAnn))
	if res := h.cycle(); !res.OK() {
		t.Fatalf("first cycle = %+v", res)
	}
	h.graph.RevokeTokens()
	id := h.add(invitation("Second visit", localDay(2).Add(10*time.Hour), simBob))

	if res := h.cycle(); !res.OK() || res.Drain.Done != 2 {
		t.Fatalf("cycle after the revocation = %+v, want a visit and a reply delivered\nlog:\n%s", res, h.logBuf)
	}
	if n := tokenRequests(h.graph); n != 2 {
		t.Errorf("%d token requests, want 2: the first sign-in and one after the refusal", n)
	}
	if v := h.active()[simBob.Address]; len(v) != 1 {
		t.Errorf("Bob's visits = %+v, want one", v)
	}
	if r := h.graph.Replies(); len(r) != 2 || r[1].EventID != id {
		t.Errorf("replies = %+v, want the second meeting answered", r)
	}
	if s := h.eng.Snapshot(); s.LastError != "" {
		t.Errorf("last error %q after a recovered cycle", s.LastError)
	}
}

// TestEngineFailedSignInAfterRevocationIsDiagnosed: when signing in again
// fails too, the loop's last error is the sign-in's diagnosis, not Graph's
// 401.
func TestEngineFailedSignInAfterRevocationIsDiagnosed(t *testing.T) {
	h := newHarness(t)
	h.cycle()
	h.graph.RevokeTokens()
	h.graph.ExpireSecret()
	h.add(invitation("Supplier visit", localDay(1).Add(10*time.Hour), simAnn))

	if _, err := h.eng.RunOnce(h.ctx); err == nil {
		t.Fatal("RunOnce succeeded with a revoked token and an expired secret")
	}
	last := h.eng.Snapshot().LastError
	for _, want := range []string{"AADSTS7000222", "signing in again failed", "client secret has expired", "new client secret"} {
		if !strings.Contains(last, want) {
			t.Errorf("last error %q lacks %q", last, want)
		}
	}
	if strings.Contains(last, "401") || strings.Contains(last, "InvalidAuthenticationToken") {
		t.Errorf("last error %q shows Graph's raw 401", last)
	}
	if n := tokenRequests(h.graph); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

// TestEngineRBACScopedAppSyncs: an app granted only its mailbox through
// Exchange RBAC for Applications gets tokens without roles, and still reads
// the calendar, registers the visits and answers the organizer.
func TestEngineRBACScopedAppSyncs(t *testing.T) {
	h := newHarness(t)
	h.graph.SetRoles()
	h.graph.ScopeApp(h.graph.ClientID, mailbox)
	id := h.add(invitation("Supplier visit", localDay(1).Add(10*time.Hour), simAnn, simBob))

	if res := h.cycle(); !res.OK() || res.Drain.Done != 3 {
		t.Fatalf("RunOnce = %+v, want 2 visits and a reply delivered\nlog:\n%s", res, h.logBuf)
	}
	if v := h.active(); len(v[simAnn.Address]) != 1 || len(v[simBob.Address]) != 1 {
		t.Errorf("IDM visits = %v, want one each for Ann and Bob", v)
	}
	if r := h.graph.Replies(); len(r) != 1 || r[0].EventID != id || r[0].Action != "accept" {
		t.Errorf("replies = %+v, want the meeting accepted", r)
	}
}
