package graphtest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"invitesync/graph/graphtest"
)

const mailbox = "visitors@contoso.example"

func newServer(t testing.TB) *graphtest.Server {
	t.Helper()
	s := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	t.Cleanup(s.Close)
	return s
}

// token gets an access token by client credentials.
func token(t testing.TB, s *graphtest.Server) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID},
		"client_secret": {s.Secret}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := s.Client().PostForm(s.URL()+"/"+s.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil {
		t.Fatalf("token: %s", resp.Status)
	}
	return body.AccessToken
}

type answer struct {
	status  int
	header  http.Header
	body    map[string]any
	rawBody []byte
}

func do(t testing.TB, s *graphtest.Server, method, target, tok string, header http.Header, body io.Reader) answer {
	t.Helper()
	return send(t, s, method, target, tok, header, body, true)
}

// send makes a request; decode fills answer.body from the JSON answer.
func send(t testing.TB, s *graphtest.Server, method, target, tok string, header http.Header, body io.Reader, decode bool) answer {
	t.Helper()
	if !strings.HasPrefix(target, "https://") {
		target = s.GraphURL() + target
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.rawBody, _ = io.ReadAll(resp.Body)
	if decode {
		_ = json.Unmarshal(a.rawBody, &a.body)
	}
	return a
}

func errorCode(a answer) string {
	e, _ := a.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	return code + ": " + msg
}

func TestGraphRequiresAToken(t *testing.T) {
	s := newServer(t)
	a := do(t, s, "GET", "/users/"+mailbox+"/calendar", "", nil, nil)
	if a.status != http.StatusUnauthorized || errorCode(a) != "InvalidAuthenticationToken: Access token is empty." {
		t.Errorf("no token: %d %s", a.status, errorCode(a))
	}
	a = do(t, s, "GET", "/users/"+mailbox+"/calendar", "forged", nil, nil)
	if a.status != http.StatusUnauthorized {
		t.Errorf("forged token: %d %s", a.status, errorCode(a))
	}
	s.SetTokenLifetime(-time.Minute)
	a = do(t, s, "GET", "/users/"+mailbox+"/calendar", token(t, s), nil, nil)
	if a.status != http.StatusUnauthorized || !strings.Contains(errorCode(a), "expired") {
		t.Errorf("expired token: %d %s", a.status, errorCode(a))
	}
}

func TestTokensCarryTheRoles(t *testing.T) {
	s := newServer(t)
	roles := func() []any {
		tok := token(t, s)
		if claims := claimsOf(t, tok); claims["tid"] != s.TenantID || claims["appid"] != s.ClientID {
			t.Errorf("claims = %v", claims)
		}
		return claimRoles(t, tok)
	}
	if r := roles(); len(r) != 1 || r[0] != graphtest.Role {
		t.Errorf("roles = %v, want [%s]", r, graphtest.Role)
	}
	s.SetRoles()
	if r := roles(); r != nil {
		t.Errorf("roles without consent = %v, want no claim", r)
	}
}

// claimsOf decodes an access token's claims.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token is not a JWT: %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token is not a JWT: %v", err)
	}
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	return claims
}

// claimRoles returns a token's roles claim, nil when there is none.
func claimRoles(t *testing.T, tok string) []any {
	r, _ := claimsOf(t, tok)["roles"].([]any)
	return r
}

func TestPermissionsAreEnforced(t *testing.T) {
	s := newServer(t)
	tok := token(t, s)
	if a := do(t, s, "GET", "/users/"+mailbox, tok, nil, nil); a.status != http.StatusForbidden || !strings.HasPrefix(errorCode(a), "Authorization_RequestDenied") {
		t.Errorf("GET /users/{id}: %d %s, want 403: Calendars.ReadWrite does not cover it", a.status, errorCode(a))
	}
	s.SetRoles("Calendars.Read")
	readOnly := token(t, s)
	if a := do(t, s, "GET", "/users/"+mailbox+"/calendar", readOnly, nil, nil); a.status != http.StatusOK {
		t.Errorf("reading with Calendars.Read: %d", a.status)
	}
	body := strings.NewReader(`{"sendResponse":true}`)
	if a := do(t, s, "POST", "/users/"+mailbox+"/events/x/accept", readOnly, nil, body); a.status != http.StatusForbidden {
		t.Errorf("replying with Calendars.Read: %d, want 403", a.status)
	}
}

func TestDeltaPagesByPreferAndRendersInTheZone(t *testing.T) {
	s := newServer(t)
	start := time.Date(2030, 3, 10, 8, 0, 0, 0, time.UTC)
	for i := range 5 {
		if _, err := s.AddEvent(mailbox, graphtest.Event{Subject: fmt.Sprint("Visit ", i), Start: start.Add(time.Duration(i) * time.Hour), End: start.Add(time.Duration(i)*time.Hour + 30*time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	tok := token(t, s)
	header := http.Header{"Prefer": {"odata.maxpagesize=2", `outlook.timezone="W. Europe Standard Time", IdType="ImmutableId"`}}
	a := do(t, s, "GET", "/users/"+mailbox+"/calendarView/delta()?startDateTime=2030-03-10T00:00:00Z&endDateTime=2030-03-11T00:00:00Z", tok, header, nil)
	if a.status != http.StatusOK {
		t.Fatalf("delta: %d %s", a.status, a.rawBody)
	}
	if applied := a.header.Get("Preference-Applied"); !strings.Contains(applied, "odata.maxpagesize=2") || !strings.Contains(applied, "W. Europe Standard Time") {
		t.Errorf("Preference-Applied = %q", applied)
	}
	value := a.body["value"].([]any)
	first := value[0].(map[string]any)
	startField := first["start"].(map[string]any)
	if len(value) != 2 || startField["dateTime"] != "2030-03-10T09:00:00.0000000" || startField["timeZone"] != "W. Europe Standard Time" {
		t.Errorf("first page = %d events, start %v", len(value), startField)
	}
	next, _ := a.body["@odata.nextLink"].(string)
	if !strings.HasPrefix(next, s.GraphURL()+"/users/") || !strings.Contains(next, "/calendarView/delta?$skiptoken=") {
		t.Fatalf("nextLink = %q, want one pointing back at the simulator", next)
	}

	// Without Prefer: default page size, UTC, REST ids (not the immutable ones).
	a = do(t, s, "GET", next, tok, nil, nil)
	value = a.body["value"].([]any)
	second := value[0].(map[string]any)
	if second["start"].(map[string]any)["timeZone"] != "UTC" || second["start"].(map[string]any)["dateTime"] != "2030-03-10T10:00:00.0000000" {
		t.Errorf("without outlook.timezone: %v", second["start"])
	}
	if id, _ := second["id"].(string); strings.HasPrefix(id, "AAkALgAAAAAAHYQDEapmEc2byACqAC") {
		t.Errorf("without IdType=ImmutableId the id %q is the immutable one", id)
	}
	if _, ok := a.body["@odata.deltaLink"].(string); !ok || len(value) != 3 {
		t.Errorf("rest of the round: %d events, deltaLink %v", len(value), a.body["@odata.deltaLink"])
	}
}

func TestRepliesAcceptGzipPascalCaseAndEitherIDForm(t *testing.T) {
	s := newServer(t)
	id, err := s.AddEvent(mailbox, graphtest.Event{Subject: "Visit", Start: time.Now().Add(time.Hour), End: time.Now().Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, s)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Comment":"Visitor registered","SendResponse":true}`))
	zw.Close()
	a := do(t, s, "POST", "/users/"+mailbox+"/events/"+id+"/tentativelyAccept", tok, http.Header{"Content-Encoding": {"gzip"}, "Content-Type": {"application/json"}}, &gz)
	if a.status != http.StatusAccepted || len(a.rawBody) != 0 {
		t.Fatalf("gzip'd reply: %d %s", a.status, a.rawBody)
	}
	r := s.Replies()
	if len(r) != 1 || r[0].Action != "tentativelyAccept" || r[0].Comment != "Visitor registered" || !r[0].Gzip || r[0].EventID != id {
		t.Errorf("replies = %+v", r)
	}
	if ev, _ := s.Event(mailbox, id); ev.Response != "tentativelyAccepted" {
		t.Errorf("response = %q", ev.Response)
	}
	// The REST form of the id, as delta returns it without IdType, works too.
	delta := do(t, s, "GET", "/users/"+mailbox+"/calendarView/delta?startDateTime=2000-01-01T00:00:00Z&endDateTime=2100-01-01T00:00:00Z", tok, nil, nil)
	restID := delta.body["value"].([]any)[0].(map[string]any)["id"].(string)
	if a := do(t, s, "POST", "/users/"+mailbox+"/events/"+restID+"/decline", tok, nil, strings.NewReader(`{"sendResponse":true}`)); a.status != http.StatusAccepted {
		t.Errorf("reply by REST id: %d %s", a.status, errorCode(a))
	}
	a = do(t, s, "POST", "/users/"+mailbox+"/events/"+id+"/accept", tok, nil, strings.NewReader(`{"comment":"hi","sendResponse":false}`))
	if a.status != http.StatusBadRequest {
		t.Errorf("a comment without sendResponse: %d, want 400", a.status)
	}
}

func TestFaultsAndPolicies(t *testing.T) {
	s := newServer(t)
	s.AddMailbox("other@contoso.example")
	tok := token(t, s)
	s.InjectFault(graphtest.Fault{Status: http.StatusNotFound, Code: "ResourceNotFound", Message: "Resource could not be discovered.", Mailbox: "other@contoso.example", Times: 1})
	if a := do(t, s, "GET", "/users/"+mailbox+"/calendar", tok, nil, nil); a.status != http.StatusOK {
		t.Errorf("a fault for another mailbox hit this one: %d", a.status)
	}
	if a := do(t, s, "GET", "/users/other@contoso.example/calendar", tok, nil, nil); a.status != http.StatusNotFound {
		t.Errorf("injected 404: %d", a.status)
	}
	if a := do(t, s, "GET", "/users/other@contoso.example/calendar", tok, nil, nil); a.status != http.StatusOK {
		t.Errorf("a one-time fault answered twice: %d", a.status)
	}
	s.InjectFault(graphtest.Fault{Status: http.StatusServiceUnavailable, Mailbox: "other@contoso.example", After: 2, Times: 1})
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusServiceUnavailable, http.StatusOK} {
		if a := do(t, s, "GET", "/users/other@contoso.example/calendar", tok, nil, nil); a.status != want {
			t.Errorf("request %d with a fault after 2: %d, want %d", i+1, a.status, want)
		}
	}
	s.Throttle(1, 3*time.Second)
	if a := do(t, s, "GET", "/users/"+mailbox+"/calendar", tok, nil, nil); a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "3" {
		t.Errorf("throttle: %d, Retry-After %q", a.status, a.header.Get("Retry-After"))
	}
	s.RestrictAccess(mailbox)
	if a := do(t, s, "GET", "/users/other@contoso.example/calendar", tok, nil, nil); a.status != http.StatusForbidden || !strings.Contains(errorCode(a), "[RAOP]") {
		t.Errorf("outside the access policy: %d %s", a.status, errorCode(a))
	}
	if a := do(t, s, "GET", "/users/nobody@contoso.example/calendar", tok, nil, nil); a.status != http.StatusNotFound || !strings.HasPrefix(errorCode(a), "ErrorInvalidUser") {
		t.Errorf("unknown user: %d %s", a.status, errorCode(a))
	}
}

func TestExpiredDeltaTokensAreGone(t *testing.T) {
	s := newServer(t)
	tok := token(t, s)
	a := do(t, s, "GET", "/users/"+mailbox+"/calendarView/delta?startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z", tok, nil, nil)
	link := a.body["@odata.deltaLink"].(string)
	if a := do(t, s, "GET", link, tok, nil, nil); a.status != http.StatusOK {
		t.Fatalf("deltaLink: %d", a.status)
	}
	s.ExpireDeltaTokens()
	if a := do(t, s, "GET", link, tok, nil, nil); a.status != http.StatusGone || !strings.HasPrefix(errorCode(a), "SyncStateNotFound") {
		t.Errorf("expired deltaLink: %d %s", a.status, errorCode(a))
	}
	if a := do(t, s, "GET", "/users/"+mailbox+"/calendarView/delta", tok, nil, nil); a.status != http.StatusBadRequest {
		t.Errorf("a first request without a window: %d, want 400", a.status)
	}
}

// BenchmarkDeltaRound pages through a 10,000-event calendar, 100 per page.
func BenchmarkDeltaRound(b *testing.B) {
	s := newServer(b)
	start := time.Now().UTC().Truncate(time.Hour)
	for i := range 10000 {
		at := start.Add(time.Duration(i) * 10 * time.Minute)
		if _, err := s.AddEvent(mailbox, graphtest.Event{Subject: "Visit", Organizer: graphtest.Person{Name: "Host", Address: "host@contoso.example"},
			Attendees: []graphtest.Attendee{{Person: graphtest.Person{Name: "Guest", Address: "guest@fabrikam.example"}}},
			Start:     at, End: at.Add(30 * time.Minute)}); err != nil {
			b.Fatal(err)
		}
	}
	tok := token(b, s)
	header := http.Header{"Prefer": {"odata.maxpagesize=100"}}
	first := fmt.Sprintf("/users/%s/calendarView/delta?startDateTime=%s&endDateTime=%s", mailbox,
		start.Format(time.RFC3339), start.AddDate(0, 3, 0).Format(time.RFC3339))
	b.ResetTimer()
	for b.Loop() {
		events, target := 0, first
		for target != "" {
			a := send(b, s, "GET", target, tok, header, nil, false)
			var page struct {
				Value    []json.RawMessage `json:"value"`
				NextLink string            `json:"@odata.nextLink"`
			}
			if err := json.Unmarshal(a.rawBody, &page); err != nil {
				b.Fatal(err)
			}
			events += len(page.Value)
			target = page.NextLink
		}
		if events != 10000 {
			b.Fatalf("round had %d events", events)
		}
	}
}

func TestCalendarViewRefusesBadPaging(t *testing.T) {
	s := newServer(t)
	tok := token(t, s)
	view := "/users/" + mailbox + "/calendarView?startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z"
	for _, q := range []string{"&$top=0", "&$top=x", "&$skip=-1", "&$skip=1.5"} {
		if a := do(t, s, "GET", view+q, tok, nil, nil); a.status != http.StatusBadRequest || !strings.HasPrefix(errorCode(a), "BadRequest: Invalid $") {
			t.Errorf("%s: %d %s, want 400 BadRequest", q, a.status, errorCode(a))
		}
	}
	for _, q := range []string{"", "&$top=1&$skip=0"} {
		if a := do(t, s, "GET", view+q, tok, nil, nil); a.status != http.StatusOK {
			t.Errorf("%q: %d %s, want 200", q, a.status, errorCode(a))
		}
	}
}
