package graphtest_test

import (
	"net/http"
	"testing"
	"time"

	"invitesync/graph/graphtest"
)

// TestAllDayEventsAreMidnightToMidnightInTheRequestedZone: whatever zone the
// organizer made the event in, start and end carry its dates at midnight in
// the zone the request asked for, and originalStartTimeZone names the
// organizer's zone as given.
func TestAllDayEventsAreMidnightToMidnightInTheRequestedZone(t *testing.T) {
	s := newServer(t)
	day := time.Date(2030, 3, 6, 0, 0, 0, 0, time.UTC)
	zones := []string{"Pacific/Kiritimati", "Tonga Standard Time", "Pacific/Apia", "Hawaiian Standard Time", "UTC"}
	ids := map[string]string{}
	for _, zone := range zones {
		id, err := s.AddEvent(mailbox, graphtest.Event{Subject: zone, Organizer: host, AllDay: true, TimeZone: zone,
			Start: day, End: day.AddDate(0, 0, 2)})
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = zone
	}
	series, occ, err := s.AddWeeklySeries(mailbox, graphtest.Event{Subject: "Fair", Organizer: host, AllDay: true,
		TimeZone: "Tonga Standard Time", Start: day, End: day}, 2)
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, s)
	for _, prefer := range []string{"", "W. Europe Standard Time", "Pacific/Honolulu", "Line Islands Standard Time"} {
		h := http.Header{"Prefer": {`IdType="ImmutableId"`, "odata.maxpagesize=50"}}
		want := "UTC"
		if prefer != "" {
			h.Add("Prefer", `outlook.timezone="`+prefer+`"`)
			want = prefer
		}
		items, _ := deltaRound(t, s, tok, firstDelta(), h)
		got := byID(items)
		for id, zone := range ids {
			e := got[id]
			if e == nil {
				t.Fatalf("%s: the event made in %s is missing", prefer, zone)
			}
			st, en := e["start"].(map[string]any), e["end"].(map[string]any)
			if st["dateTime"] != "2030-03-06T00:00:00.0000000" || en["dateTime"] != "2030-03-08T00:00:00.0000000" || st["timeZone"] != want || en["timeZone"] != want {
				t.Errorf("asked for %q, made in %s: %v – %v, want 6–8 March at midnight in %s", prefer, zone, st, en, want)
			}
			if e["originalStartTimeZone"] != zone || e["isAllDay"] != true {
				t.Errorf("made in %s: originalStartTimeZone %v", zone, e["originalStartTimeZone"])
			}
		}
		for i, id := range occ {
			st := got[id]["start"].(map[string]any)
			if wantDay := day.AddDate(0, 0, 7*i).Format("2006-01-02") + "T00:00:00.0000000"; st["dateTime"] != wantDay || st["timeZone"] != want {
				t.Errorf("asked for %q: occurrence %d starts %v, want %s", prefer, i, st, wantDay)
			}
		}
		if m := got[series]; m["recurrence"].(map[string]any)["range"].(map[string]any)["startDate"] != "2030-03-06" {
			t.Errorf("all-day series recurrence = %v", m["recurrence"])
		}
	}
}
