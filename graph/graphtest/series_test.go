package graphtest_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"invitesync/graph/graphtest"
)

var (
	host  = graphtest.Person{Name: "Hanna Host", Address: "hanna@contoso.example"}
	guest = graphtest.Attendee{Person: graphtest.Person{Name: "Ann Guest", Address: "ann@fabrikam.example"}}
	later = graphtest.Attendee{Person: graphtest.Person{Name: "Bob Later", Address: "bob@fabrikam.example"}}
)

// strippedKeys are all an occurrence carries in delta.
var strippedKeys = []string{"@odata.etag", "@odata.type", "end", "id", "seriesMasterId", "start", "type"}

// window is the delta window of these tests: 28 days from a fixed Monday.
var (
	winStart = time.Date(2030, 3, 4, 0, 0, 0, 0, time.UTC)
	winEnd   = winStart.AddDate(0, 0, 28)
)

// deltaRound follows a round from target to its deltaLink and returns the
// items in order, and the deltaLink.
func deltaRound(t *testing.T, s *graphtest.Server, tok, target string, header http.Header) ([]map[string]any, string) {
	t.Helper()
	var items []map[string]any
	for {
		a := do(t, s, "GET", target, tok, header, nil)
		if a.status != http.StatusOK {
			t.Fatalf("delta %s: %d %s", target, a.status, a.rawBody)
		}
		for _, v := range a.body["value"].([]any) {
			items = append(items, v.(map[string]any))
		}
		if next, ok := a.body["@odata.nextLink"].(string); ok {
			target = next
			continue
		}
		return items, a.body["@odata.deltaLink"].(string)
	}
}

func firstDelta() string {
	return "/users/" + mailbox + "/calendarView/delta?startDateTime=" + winStart.Format(time.RFC3339) + "&endDateTime=" + winEnd.Format(time.RFC3339)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func byID(items []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, it := range items {
		out[it["id"].(string)] = it
	}
	return out
}

// addOldSeries adds a weekly series whose first occurrence is three years
// before the window and which runs on past it; it returns the master's id
// and the ids of the occurrences inside the window.
func addOldSeries(t *testing.T, s *graphtest.Server) (string, []string, []string) {
	t.Helper()
	first := time.Date(2027, 3, 1, 15, 0, 0, 0, time.UTC) // a Monday
	master, occ, err := s.AddWeeklySeries(mailbox, graphtest.Event{Subject: "Weekly review", Organizer: host,
		Attendees: []graphtest.Attendee{guest}, Start: first, End: first.Add(time.Hour)}, 200)
	if err != nil {
		t.Fatal(err)
	}
	var inside []string
	for i, id := range occ {
		if at := first.AddDate(0, 0, 7*i); !at.Before(winStart) && at.Before(winEnd) {
			inside = append(inside, id)
		}
	}
	if len(inside) != 4 {
		t.Fatalf("%d occurrences inside the window, want 4", len(inside))
	}
	return master, occ, inside
}

// ids lists the ids of items in the form IdType=ImmutableId gives.
var immutable = http.Header{"Prefer": {`IdType="ImmutableId"`, "odata.maxpagesize=3"}}

func TestDeltaStripsOccurrencesAndSendsTheirMasterWhole(t *testing.T) {
	s := newServer(t)
	master, _, inside := addOldSeries(t, s)
	single, err := s.AddEvent(mailbox, graphtest.Event{Subject: "Site tour", Organizer: host,
		Attendees: []graphtest.Attendee{guest}, Start: winStart.Add(50 * time.Hour), End: winStart.Add(51 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	items, _ := deltaRound(t, s, token(t, s), firstDelta(), immutable)
	got := byID(items)
	if len(items) != 6 {
		t.Fatalf("round has %d items, want 4 occurrences, their master and the single event: %v", len(items), keys(got))
	}
	for _, id := range inside {
		o := got[id]
		if !slices.Equal(keys(o), strippedKeys) || o["type"] != "occurrence" || o["seriesMasterId"] != master {
			t.Errorf("occurrence %s = %v, want only %v", id, o, strippedKeys)
		}
		if st := o["start"].(map[string]any); !strings.HasSuffix(st["dateTime"].(string), "T15:00:00.0000000") || st["timeZone"] != "UTC" {
			t.Errorf("occurrence start = %v", st)
		}
	}
	m := got[master]
	if m["type"] != "seriesMaster" || m["subject"] != "Weekly review" || m["recurrence"] == nil || len(m["attendees"].([]any)) != 1 {
		t.Errorf("master = %v, want it whole with its recurrence", m)
	}
	if st := m["start"].(map[string]any)["dateTime"]; st != "2027-03-01T15:00:00.0000000" {
		t.Errorf("master starts %v, want the first occurrence's start, years before the window", st)
	}
	rec := m["recurrence"].(map[string]any)
	if p := rec["pattern"].(map[string]any); p["type"] != "weekly" || !slices.Equal(p["daysOfWeek"].([]any), []any{"monday"}) {
		t.Errorf("recurrence = %v", rec)
	}
	masterAt := slices.IndexFunc(items, func(it map[string]any) bool { return it["id"] == master })
	for _, id := range inside {
		if slices.IndexFunc(items, func(it map[string]any) bool { return it["id"] == id }) > masterAt {
			t.Errorf("occurrence %s comes after its master: a round promises no order, the simulator sends the master last", id)
		}
	}
	if e := got[single]; e["subject"] != "Site tour" || e["iCalUId"] == "" || e["organizer"] == nil {
		t.Errorf("single event = %v, want it whole", e)
	}

	// calendarView (not delta) sends occurrences whole and no master.
	a := do(t, s, "GET", "/users/"+mailbox+"/calendarView?startDateTime="+winStart.Format(time.RFC3339)+"&endDateTime="+winEnd.Format(time.RFC3339), token(t, s), immutable, nil)
	for _, v := range a.body["value"].([]any) {
		e := v.(map[string]any)
		if e["type"] == "seriesMaster" || e["subject"] == nil {
			t.Errorf("calendarView item %v, want whole occurrences and no master", e["id"])
		}
	}
}

func TestASeriesChangeAndADeletedOccurrence(t *testing.T) {
	s := newServer(t)
	master, _, inside := addOldSeries(t, s)
	tok := token(t, s)
	_, link := deltaRound(t, s, tok, firstDelta(), immutable)

	// A guest added to the series: the master whole and its stripped occurrences.
	if err := s.AddAttendee(mailbox, master, later); err != nil {
		t.Fatal(err)
	}
	items, link := deltaRound(t, s, tok, link, immutable)
	got := byID(items)
	if len(items) != 5 || got[master]["type"] != "seriesMaster" || len(got[master]["attendees"].([]any)) != 2 {
		t.Fatalf("after a guest joined the series: %d items, master %v", len(items), got[master])
	}
	for _, id := range inside {
		if !slices.Equal(keys(got[id]), strippedKeys) {
			t.Errorf("occurrence %s after the series changed = %v, want it stripped", id, got[id])
		}
	}
	if items[len(items)-1]["id"] != master {
		t.Error("the master does not come after its occurrences")
	}

	// One occurrence deleted: no @removed, only the master changes.
	if err := s.DeleteEvent(mailbox, inside[1]); err != nil {
		t.Fatal(err)
	}
	items, _ = deltaRound(t, s, tok, link, immutable)
	if len(items) != 1 || items[0]["id"] != master || items[0]["@removed"] != nil {
		t.Errorf("after an occurrence was deleted: %v, want only the master", items)
	}
	if a := do(t, s, "GET", "/users/"+mailbox+"/events/"+inside[1], tok, nil, nil); a.status != http.StatusNotFound || !strings.HasPrefix(errorCode(a), "ErrorItemNotFound") {
		t.Errorf("GET a deleted occurrence: %d %s", a.status, errorCode(a))
	}
	instances := instanceIDs(t, s, tok, master, immutable)
	if want := []string{inside[0], inside[2], inside[3]}; !slices.Equal(instances, want) {
		t.Errorf("instances = %v, want %v", instances, want)
	}
}

func TestAnEditedOccurrenceBecomesAWholeException(t *testing.T) {
	s := newServer(t)
	master, _, inside := addOldSeries(t, s)
	tok := token(t, s)
	_, link := deltaRound(t, s, tok, firstDelta(), immutable)
	if err := s.UpdateEvent(mailbox, inside[0], func(e *graphtest.Event) {
		e.Start, e.End = e.Start.Add(2*time.Hour), e.End.Add(2*time.Hour)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.CancelEvent(mailbox, inside[2]); err != nil {
		t.Fatal(err)
	}
	items, _ := deltaRound(t, s, tok, link, immutable)
	got := byID(items)
	if len(items) != 2 {
		t.Fatalf("round after two occurrence edits: %d items %v", len(items), keys(got))
	}
	moved, cancelled := got[inside[0]], got[inside[2]]
	if moved["type"] != "exception" || moved["seriesMasterId"] != master || moved["subject"] != "Weekly review" ||
		moved["start"].(map[string]any)["dateTime"] != "2030-03-04T17:00:00.0000000" || moved["originalStart"] != "2030-03-04T15:00:00Z" {
		t.Errorf("moved occurrence = %v, want a whole exception at 17:00 keeping its id", moved)
	}
	if cancelled["type"] != "exception" || cancelled["isCancelled"] != true || len(cancelled["attendees"].([]any)) != 1 {
		t.Errorf("cancelled occurrence = %v, want a whole cancelled exception", cancelled)
	}
	if moved["occurrenceId"] != "OID."+master+".2030-03-04" {
		t.Errorf("occurrenceId = %v, want the original date", moved["occurrenceId"])
	}
	if e, _ := s.Event(mailbox, inside[0]); e.Type != "exception" {
		t.Errorf("Event reports type %q", e.Type)
	}
}

// instanceIDs pages through a series' instances inside the window, two
// per page, and returns their ids.
func instanceIDs(t *testing.T, s *graphtest.Server, tok, master string, header http.Header) []string {
	t.Helper()
	target := "/users/" + mailbox + "/events/" + master + "/instances?startDateTime=" + url.QueryEscape(winStart.Format(time.RFC3339)) +
		"&endDateTime=" + url.QueryEscape(winEnd.Format(time.RFC3339)) + "&$top=2"
	var ids []string
	for target != "" {
		a := do(t, s, "GET", target, tok, header, nil)
		if a.status != http.StatusOK {
			t.Fatalf("instances: %d %s", a.status, a.rawBody)
		}
		for _, v := range a.body["value"].([]any) {
			e := v.(map[string]any)
			if e["subject"] == nil || e["organizer"] == nil {
				t.Errorf("instance %v is not whole", e["id"])
			}
			ids = append(ids, e["id"].(string))
		}
		target, _ = a.body["@odata.nextLink"].(string)
		if target != "" && !strings.HasPrefix(target, s.GraphURL()+"/users/") {
			t.Fatalf("nextLink %q does not point back at the simulator", target)
		}
	}
	return ids
}

// addOne is a one-hour single meeting with a guest at start.
func addOne(start time.Time) graphtest.Event {
	return graphtest.Event{Subject: "Visit", Organizer: host, Attendees: []graphtest.Attendee{guest}, Start: start, End: start.Add(time.Hour)}
}
