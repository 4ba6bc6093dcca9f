package graphtest_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"invitesync/graph/graphtest"
)

const elsewhere = "ceo@contoso.example"

// appToken gets an access token for app by client credentials.
func appToken(t *testing.T, s *graphtest.Server, app graphtest.App) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID},
		"client_secret": {app.Secret}, "scope": {"https://graph.microsoft.com/.default"}}
	a := send(t, s, "POST", s.URL()+"/"+s.TenantID+"/oauth2/v2.0/token", "",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()), true)
	tok, _ := a.body["access_token"].(string)
	if a.status != http.StatusOK || tok == "" {
		t.Fatalf("token for %s: %d %s", app.ClientID, a.status, a.rawBody)
	}
	return tok
}

func TestAnRBACScopedAppWithoutRolesReadsAndWritesOnlyItsMailboxes(t *testing.T) {
	s := newServer(t)
	s.AddMailbox(elsewhere)
	id, err := s.AddEvent(mailbox, addOne(winStart.Add(9*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	s.SetRoles()
	s.ScopeApp(s.ClientID, strings.ToUpper(mailbox))
	tok := token(t, s)
	if r := claimRoles(t, tok); r != nil {
		t.Fatalf("an RBAC-scoped app's token has roles %v, want no claim", r)
	}
	if a := do(t, s, "GET", firstDelta(), tok, nil, nil); a.status != http.StatusOK {
		t.Errorf("delta in scope: %d %s", a.status, errorCode(a))
	}
	if a := do(t, s, "GET", "/users/"+mailbox+"/events/"+id, tok, nil, nil); a.status != http.StatusOK {
		t.Errorf("GET event in scope: %d %s", a.status, errorCode(a))
	}
	if a := do(t, s, "POST", "/users/"+mailbox+"/events/"+id+"/accept", tok, nil, strings.NewReader(`{"sendResponse":true}`)); a.status != http.StatusAccepted {
		t.Errorf("reply in scope: %d %s", a.status, errorCode(a))
	}
	denied := "ErrorAccessDenied: Access is denied. Check credentials and try again."
	if a := do(t, s, "GET", "/users/"+elsewhere+"/calendar", tok, nil, nil); a.status != http.StatusForbidden || errorCode(a) != denied {
		t.Errorf("outside the scope: %d %s, want 403 %s", a.status, errorCode(a), denied)
	}
	// The grant lives in Exchange: removing it denies the same token.
	s.ScopeApp(s.ClientID)
	if a := do(t, s, "GET", "/users/"+mailbox+"/calendar", tok, nil, nil); a.status != http.StatusForbidden || errorCode(a) != denied {
		t.Errorf("no roles and no scope: %d %s", a.status, errorCode(a))
	}
}

// TestASecondAppHasItsOwnTokensAndGrants drives a second app, scoped by
// RBAC to one mailbox, through azidentity and the SDK.
func TestASecondAppHasItsOwnTokensAndGrants(t *testing.T) {
	s := newServer(t)
	s.AddMailbox(elsewhere)
	_, _, inside := addOldSeries(t, s)
	second := s.RegisterApp()
	if second.ClientID == s.ClientID || second.Secret == s.Secret {
		t.Fatal("the second app shares the first one's credentials")
	}
	s.SetAppRoles(second.ClientID)
	s.ScopeApp(second.ClientID, mailbox)
	c := sdkClient(t, s, second.ClientID, second.Secret)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ev, err := c.Users().ByUserId(mailbox).Events().ByEventId(inside[0]).Get(ctx, nil)
	if err != nil || *ev.GetSubject() != "Weekly review" {
		t.Fatalf("second app reading its scoped mailbox: %v", err)
	}
	_, err = c.Users().ByUserId(elsewhere).Calendar().Get(ctx, nil)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != http.StatusForbidden || *oe.GetErrorEscaped().GetCode() != "ErrorAccessDenied" {
		t.Errorf("second app outside its scope: %v, want 403 ErrorAccessDenied", err)
	}
	// The first app keeps its tenant-wide consent.
	if a := do(t, s, "GET", "/users/"+elsewhere+"/calendar", token(t, s), nil, nil); a.status != http.StatusOK {
		t.Errorf("first app: %d %s", a.status, errorCode(a))
	}
	var clients []string
	for _, r := range s.GraphRequests() {
		clients = append(clients, r.ClientID)
	}
	if len(clients) != 3 || clients[0] != second.ClientID || clients[2] != s.ClientID {
		t.Errorf("requests were made by %v", clients)
	}
	if a := send(t, s, "POST", s.URL()+"/"+s.TenantID+"/oauth2/v2.0/token", "", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "client_id": {second.ClientID}, "client_secret": {s.Secret},
			"scope": {"https://graph.microsoft.com/.default"}}.Encode()), true); a.status != http.StatusUnauthorized {
		t.Errorf("second app with the first app's secret: %d, want 401", a.status)
	}
}

func TestConcurrencyIsLimitedPerClientID(t *testing.T) {
	s := newServer(t)
	second := s.RegisterApp()
	first, other := token(t, s), appToken(t, s, second)
	s.SetLatency(time.Second) // long enough for every request to arrive while the first are served
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[string][]answer{}
	fire := func(who, tok string, n int) {
		for range n {
			wg.Go(func() {
				a := do(t, s, "GET", "/users/"+mailbox+"/calendar", tok, nil, nil)
				mu.Lock()
				statuses[who] = append(statuses[who], a)
				mu.Unlock()
			})
		}
	}
	fire("first", first, 6)
	fire("second", other, 3)
	wg.Wait()
	throttled := 0
	for _, a := range statuses["first"] {
		switch a.status {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			throttled++
			if errorCode(a) != "ApplicationThrottled: Application is over its MailboxConcurrency limit." || a.header.Get("Retry-After") != "1" {
				t.Errorf("429 = %s, Retry-After %q", errorCode(a), a.header.Get("Retry-After"))
			}
		default:
			t.Errorf("first app: %d %s", a.status, errorCode(a))
		}
	}
	if throttled != 2 {
		t.Errorf("%d of 6 concurrent requests were throttled, want 2 past the limit of 4", throttled)
	}
	for _, a := range statuses["second"] {
		if a.status != http.StatusOK {
			t.Errorf("second app, 3 in flight: %d %s", a.status, errorCode(a))
		}
	}
	if m := s.MaxInFlightFor(s.ClientID); m != 5 {
		t.Errorf("first app's peak = %d, want 5 (the limit, and one over it refused)", m)
	}
	if m := s.MaxInFlightFor(second.ClientID); m != 3 {
		t.Errorf("second app's peak = %d, want 3", m)
	}
	if m := s.MaxInFlight(); m < 7 {
		t.Errorf("total peak = %d, want at least 7", m)
	}
	s.ResetRequests()
	s.SetConcurrencyLimit(0)
	fire("unlimited", first, 6)
	wg.Wait()
	for _, a := range statuses["unlimited"] {
		if a.status != http.StatusOK {
			t.Errorf("without a limit: %d", a.status)
		}
	}
	if m := s.MaxInFlightFor(s.ClientID); m != 6 {
		t.Errorf("peak without a limit = %d, want 6", m)
	}
}
