package graphtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestGetEventIsWholeAndOccurrencesShareTheMastersUID(t *testing.T) {
	s := newServer(t)
	master, _, inside := addOldSeries(t, s)
	tok := token(t, s)
	berlin := http.Header{"Prefer": {`outlook.timezone="W. Europe Standard Time"`, `IdType="ImmutableId"`}}
	get := func(id string, h http.Header) map[string]any {
		t.Helper()
		a := do(t, s, "GET", "/users/"+mailbox+"/events/"+id, tok, h, nil)
		if a.status != http.StatusOK {
			t.Fatalf("GET event %s: %d %s", id, a.status, a.rawBody)
		}
		return a.body
	}
	m, o := get(master, berlin), get(inside[0], berlin)
	if o["type"] != "occurrence" || o["subject"] != "Weekly review" || len(o["attendees"].([]any)) != 1 || o["seriesMasterId"] != master || o["id"] != inside[0] {
		t.Errorf("occurrence = %v, want it whole", o)
	}
	if st := o["start"].(map[string]any); st["dateTime"] != "2030-03-04T16:00:00.0000000" || st["timeZone"] != "W. Europe Standard Time" {
		t.Errorf("occurrence start = %v, want 16:00 Berlin time", st)
	}
	if o["iCalUId"] == "" || o["iCalUId"] != m["iCalUId"] || o["recurrence"] != nil || m["recurrence"] == nil {
		t.Errorf("occurrence iCalUId %v, master %v: want them shared by default", o["iCalUId"], m["iCalUId"])
	}
	if o2 := get(inside[1], berlin); o2["iCalUId"] != o["iCalUId"] {
		t.Errorf("two occurrences' iCalUIds differ by default: %v %v", o["iCalUId"], o2["iCalUId"])
	}
	// Without IdType the REST form comes back, and either form is accepted.
	rest := get(inside[0], nil)
	if rest["id"] == inside[0] || rest["start"].(map[string]any)["timeZone"] != "UTC" {
		t.Errorf("without Prefer: id %v start %v", rest["id"], rest["start"])
	}
	if again := get(rest["id"].(string), berlin); again["id"] != inside[0] {
		t.Errorf("GET by the REST id gave %v", again["id"])
	}

	s.SetDistinctOccurrenceUIDs(true)
	a, b := get(inside[0], berlin), get(inside[1], berlin)
	if a["iCalUId"] == m["iCalUId"] || a["iCalUId"] == b["iCalUId"] {
		t.Errorf("with distinct UIDs: %v %v master %v", a["iCalUId"], b["iCalUId"], m["iCalUId"])
	}

	for _, id := range []string{"AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0Aunknown", master} {
		if id == master {
			if err := s.DeleteEvent(mailbox, master); err != nil {
				t.Fatal(err)
			}
		}
		if a := do(t, s, "GET", "/users/"+mailbox+"/events/"+id, tok, nil, nil); a.status != http.StatusNotFound || !strings.HasPrefix(errorCode(a), "ErrorItemNotFound") {
			t.Errorf("GET %s: %d %s, want 404 ErrorItemNotFound", id, a.status, errorCode(a))
		}
	}
}

func TestInstancesArePagedWholeAndRefuseWhatGraphRefuses(t *testing.T) {
	s := newServer(t)
	master, _, inside := addOldSeries(t, s)
	tok := token(t, s)
	ids := instanceIDs(t, s, tok, master, immutable)
	if strings.Join(ids, ",") != strings.Join(inside, ",") {
		t.Errorf("instances by $top=2 = %v, want %v", ids, inside)
	}
	// Prefer odata.maxpagesize pages too, and outlook.timezone applies.
	target := "/users/" + mailbox + "/events/" + master + "/instances?startDateTime=" + url.QueryEscape(winStart.Format(time.RFC3339)) +
		"&endDateTime=" + url.QueryEscape(winEnd.Format(time.RFC3339))
	h := http.Header{"Prefer": {"odata.maxpagesize=3", `outlook.timezone="Pacific/Honolulu"`}}
	a := do(t, s, "GET", target, tok, h, nil)
	value := a.body["value"].([]any)
	next, _ := a.body["@odata.nextLink"].(string)
	if a.status != http.StatusOK || len(value) != 3 || !strings.HasPrefix(next, s.GraphURL()+"/users/") {
		t.Fatalf("first page: %d, %d instances, nextLink %q", a.status, len(value), next)
	}
	if st := value[0].(map[string]any)["start"].(map[string]any); st["dateTime"] != "2030-03-04T05:00:00.0000000" || st["timeZone"] != "Pacific/Honolulu" {
		t.Errorf("start in Honolulu = %v", st)
	}
	if a := do(t, s, "GET", next, tok, h, nil); a.status != http.StatusOK || len(a.body["value"].([]any)) != 1 || a.body["@odata.nextLink"] != nil {
		t.Errorf("second page: %d %v", a.status, a.body)
	}

	single, _ := s.AddEvent(mailbox, addOne(winStart))
	for name, c := range map[string]struct {
		target string
		status int
		code   string
	}{
		"no window":      {"/users/" + mailbox + "/events/" + master + "/instances", 400, "ErrorInvalidParameter"},
		"empty window":   {"/users/" + mailbox + "/events/" + master + "/instances?endDateTime=&startDateTime=", 400, "ErrorInvalidParameter"},
		"unknown master": {strings.Replace(target, master, "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0Aunknown", 1), 404, "ErrorItemNotFound"},
		"a single event": {strings.Replace(target, master, single, 1), 400, "ErrorInvalidRequest"},
	} {
		if a := do(t, s, "GET", c.target, tok, nil, nil); a.status != c.status || !strings.HasPrefix(errorCode(a), c.code) {
			t.Errorf("%s: %d %s, want %d %s", name, a.status, errorCode(a), c.status, c.code)
		}
	}
	if err := s.DeleteEvent(mailbox, master); err != nil {
		t.Fatal(err)
	}
	if a := do(t, s, "GET", target, tok, nil, nil); a.status != http.StatusNotFound {
		t.Errorf("instances of a deleted series: %d, want 404", a.status)
	}
}
