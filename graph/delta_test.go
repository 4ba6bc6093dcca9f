package graph_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/graph/graphtest"
)

var (
	host  = graphtest.Person{Name: "Hanna Host", Address: "hanna.host@contoso.example"}
	ann   = graphtest.Attendee{Person: graphtest.Person{Name: "Ann Guest", Address: "ann@fabrikam.example"}}
	bob   = graphtest.Attendee{Person: graphtest.Person{Name: "Bob Visitor", Address: "bob@fabrikam.example"}}
	room  = graphtest.Attendee{Person: graphtest.Person{Name: "Room 1", Address: "room1@contoso.example"}, Type: "resource", Response: "accepted"}
	inbox = graphtest.Attendee{Person: graphtest.Person{Name: "Visitors", Address: watched}, Type: "optional"}
)

// round pages through one delta round and returns its events, the pages'
// sizes and the deltaLink that ends it.
func round(t *testing.T, c *graph.Client, cur graph.Cursor) ([]graph.Event, []int, string) {
	t.Helper()
	var events []graph.Event
	var sizes []int
	for range 100 {
		p, err := c.DeltaPage(context.Background(), cur)
		if err != nil {
			t.Fatalf("DeltaPage(%+v): %v", cur, err)
		}
		events = append(events, p.Events...)
		sizes = append(sizes, len(p.Events))
		if p.DeltaLink != "" {
			return events, sizes, p.DeltaLink
		}
		cur = graph.Cursor{Link: p.NextLink}
	}
	t.Fatal("the round did not end")
	return nil, nil, ""
}

func byID(events []graph.Event) map[string]graph.Event {
	m := map[string]graph.Event{}
	for _, e := range events {
		m[e.ID] = e
	}
	return m
}

func TestDeltaRoundsPageAndReportChanges(t *testing.T) {
	s := newSim(t)
	add := func(e graphtest.Event) string {
		t.Helper()
		id, err := s.AddEvent(watched, e)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	visit := add(graphtest.Event{Subject: "Supplier visit", Location: "Reception", Organizer: host,
		Attendees: []graphtest.Attendee{ann, bob, room, inbox}, Start: day(2, 9, 0), End: day(2, 11, 0)})
	tour := add(graphtest.Event{Subject: "Site tour", Organizer: host, Attendees: []graphtest.Attendee{ann},
		Start: day(3, 13, 0), End: day(3, 14, 0)})
	gone := add(graphtest.Event{Subject: "Audit", Organizer: host, Attendees: []graphtest.Attendee{bob},
		Start: day(4, 8, 0), End: day(4, 9, 0)})
	allDay := add(graphtest.Event{Subject: "Open day", Organizer: host, Attendees: []graphtest.Attendee{ann},
		AllDay: true, TimeZone: "Europe/Berlin", Start: day(5, 0, 0), End: day(6, 0, 0)})
	add(graphtest.Event{Subject: "Far away", Organizer: host, Start: day(60, 9, 0), End: day(60, 10, 0)})
	master, occurrences, err := s.AddWeeklySeries(watched, graphtest.Event{Subject: "Weekly review", Organizer: host,
		Attendees: []graphtest.Attendee{bob}, Start: day(1, 15, 0), End: day(1, 16, 0)}, 8)
	if err != nil {
		t.Fatal(err)
	}

	c := newClient(t, s, automationFor(s), optionsFor(s))
	window := graph.Cursor{Start: day(0, 0, 0), End: day(30, 0, 0)}
	first, sizes, link := round(t, c, window)

	// 4 single events, the 5 occurrences inside 30 days and their master,
	// two per page.
	if len(first) != 10 {
		t.Fatalf("first round has %d events, want 10: %+v", len(first), first)
	}
	if !slices.Equal(sizes, []int{2, 2, 2, 2, 2}) {
		t.Errorf("page sizes = %v, want [2 2 2 2 2]", sizes)
	}
	got := byID(first)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	v := got[visit]
	if v.Subject != "Supplier visit" || v.Location != "Reception" || v.Organizer.Email != host.Address ||
		v.Type != graph.TypeSingleInstance || v.IsCancelled || v.IsOrganizer || !v.ResponseRequested || v.ICalUID == "" || v.ChangeKey == "" {
		t.Errorf("visit = %+v", v)
	}
	if v.Response != "notResponded" || v.Partial || v.Unreadable != "" {
		t.Errorf("visit: response %q, partial %v, unreadable %q", v.Response, v.Partial, v.Unreadable)
	}
	if !v.Start.Equal(day(2, 9, 0)) || !v.End.Equal(day(2, 11, 0)) || v.Start.Location() != time.UTC {
		t.Errorf("visit runs %v – %v, want %v – %v reported in UTC", v.Start, v.End, day(2, 9, 0), day(2, 11, 0))
	}
	wantAttendees := []graph.Attendee{
		{Address: graph.Address{Name: "Ann Guest", Email: ann.Address}, Type: "required", Response: "none"},
		{Address: graph.Address{Name: "Bob Visitor", Email: bob.Address}, Type: "required", Response: "none"},
		{Address: graph.Address{Name: "Room 1", Email: room.Address}, Type: graph.AttendeeResource, Response: "accepted"},
		{Address: graph.Address{Name: "Visitors", Email: watched}, Type: "optional", Response: "none"},
	}
	if !slices.Equal(v.Attendees, wantAttendees) {
		t.Errorf("attendees = %+v, want %+v", v.Attendees, wantAttendees)
	}
	d := got[allDay]
	wantStart := time.Date(day(5, 0, 0).Year(), day(5, 0, 0).Month(), day(5, 0, 0).Day(), 0, 0, 0, 0, berlin)
	if !d.IsAllDay || !d.Start.Equal(wantStart) || !d.End.Equal(wantStart.AddDate(0, 0, 1)) {
		t.Errorf("all-day event runs %v – %v, want midnight to midnight from %v", d.Start, d.End, wantStart)
	}
	// Occurrences come stripped, marked Partial; their master whole.
	for i, id := range occurrences[:5] {
		o, ok := got[id]
		if !ok || o.Type != graph.TypeOccurrence || o.SeriesMasterID != master || !o.Partial ||
			o.Organizer.Email != "" || !o.Start.Equal(day(1+7*i, 15, 0)) || !o.End.Equal(day(1+7*i, 16, 0)) {
			t.Errorf("occurrence %s = %+v, want a partial occurrence of %s at %v", id, o, master, day(1+7*i, 15, 0))
		}
	}
	if m, ok := got[master]; !ok || m.Type != graph.TypeSeriesMaster || m.Partial || m.Subject != "Weekly review" || len(m.Attendees) != 1 {
		t.Errorf("series master = %+v, want it whole", m)
	}

	// An unchanged calendar gives an empty round.
	none, _, link2 := round(t, c, graph.Cursor{Link: link})
	if len(none) != 0 || link2 == "" {
		t.Fatalf("unchanged calendar: %d events, deltaLink %q", len(none), link2)
	}

	// Changes: an update, an attendee, a cancellation, a deletion, a new event,
	// one outside the window, and a whole series cancelled.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.UpdateEvent(watched, visit, func(e *graphtest.Event) {
		e.Subject = "Supplier visit (moved)"
		e.Start, e.End = day(2, 10, 0), day(2, 12, 0)
	}))
	must(s.AddAttendee(watched, tour, bob))
	must(s.CancelEvent(watched, tour))
	must(s.DeleteEvent(watched, gone))
	fresh := add(graphtest.Event{Subject: "New visit", Organizer: host, Attendees: []graphtest.Attendee{ann}, Start: day(7, 9, 0), End: day(7, 10, 0)})
	outside := add(graphtest.Event{Subject: "Next quarter", Organizer: host, Start: day(90, 9, 0), End: day(90, 10, 0)})
	must(s.CancelEvent(watched, master))

	second, _, _ := round(t, c, graph.Cursor{Link: link2})
	changed := byID(second)
	// The cancelled series comes as its master and its occurrences in the
	// window, stripped; Graph also sends @removed for the event that changed
	// outside the window.
	if len(second) != 5+6 {
		t.Errorf("second round has %d entries, want 11 (visit, tour, gone, fresh, outside, 5 occurrences, master): %+v", len(second), second)
	}
	if e := changed[visit]; e.Subject != "Supplier visit (moved)" || !e.Start.Equal(day(2, 10, 0)) || e.ChangeKey == v.ChangeKey {
		t.Errorf("updated visit = %+v", e)
	}
	if e := changed[tour]; !e.IsCancelled || !strings.HasPrefix(e.Subject, "Canceled: ") || len(e.Attendees) != 2 || e.Removed {
		t.Errorf("cancelled tour = %+v, want an update with isCancelled, the prefix and both attendees", e)
	}
	if e := changed[gone]; !e.Removed || e.RemovedReason != "deleted" || e.Subject != "" {
		t.Errorf("deleted event = %+v, want @removed deleted", e)
	}
	if e := changed[fresh]; e.Removed || e.Subject != "New visit" {
		t.Errorf("new event = %+v", e)
	}
	if e := changed[outside]; !e.Removed {
		t.Errorf("an event outside the window = %+v, want @removed as Graph sends it", e)
	}
	for _, id := range occurrences[:5] {
		if e := changed[id]; !e.Partial {
			t.Errorf("occurrence %s of the cancelled series = %+v, want it stripped", id, e)
		}
	}
	if e := changed[master]; !e.IsCancelled {
		t.Errorf("the cancelled series' master = %+v", e)
	}
	if _, ok := changed[allDay]; ok {
		t.Error("the unchanged all-day event came again")
	}
}

func TestDeltaSendsPreferAndAuthorizationOnEveryRequest(t *testing.T) {
	s := newSim(t)
	for i := range 5 {
		if _, err := s.AddEvent(watched, graphtest.Event{Subject: "Visit", Organizer: host, Start: day(i+1, 9, 0), End: day(i+1, 10, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	c := newClient(t, s, automationFor(s), optionsFor(s))
	_, _, link := round(t, c, graph.Cursor{Start: day(0, 0, 0), End: day(30, 0, 0)})
	round(t, c, graph.Cursor{Link: link})

	reqs := s.GraphRequests()
	if len(reqs) != 4 { // 3 pages, then the next round's single page
		t.Fatalf("%d Graph requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		if !strings.HasPrefix(r.Authorization, "Bearer ") {
			t.Errorf("request %d has no bearer token", i)
		}
		prefer := strings.Join(r.Prefer, ", ")
		mustContain(t, "Prefer of "+r.Path+"?"+r.RawQuery, prefer, "odata.maxpagesize=2", `outlook.timezone="UTC"`, `IdType="ImmutableId"`)
	}
	if !strings.HasSuffix(reqs[0].Path, "/calendarView/delta()") || !strings.Contains(reqs[0].RawQuery, "startDateTime=") {
		t.Errorf("first request = %s?%s, want the SDK's delta() with the window", reqs[0].Path, reqs[0].RawQuery)
	}
	for _, r := range reqs[1:] {
		if !strings.HasSuffix(r.Path, "/calendarView/delta") || strings.Contains(r.RawQuery, "startDateTime") {
			t.Errorf("link request = %s?%s, want the link as Graph gave it", r.Path, r.RawQuery)
		}
	}
	if !strings.Contains(reqs[1].RawQuery, "skiptoken") || !strings.Contains(reqs[3].RawQuery, "deltatoken") {
		t.Errorf("next and delta links not followed: %q, %q", reqs[1].RawQuery, reqs[3].RawQuery)
	}
}

func TestDeltaExpiredTokenAsksForAFreshRound(t *testing.T) {
	s := newSim(t)
	if _, err := s.AddEvent(watched, graphtest.Event{Subject: "Visit", Organizer: host, Start: day(1, 9, 0), End: day(1, 10, 0)}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, automationFor(s), optionsFor(s))
	window := graph.Cursor{Start: day(0, 0, 0), End: day(30, 0, 0)}
	_, _, link := round(t, c, window)

	s.ExpireDeltaTokens()
	_, err := c.DeltaPage(context.Background(), graph.Cursor{Link: link})
	var re *graph.ResyncError
	if !errors.Is(err, graph.ErrResyncRequired) || !errors.As(err, &re) || re.Status != http.StatusGone || re.Code != "SyncStateNotFound" {
		t.Fatalf("expired deltaLink: %v, want a *ResyncError for 410 SyncStateNotFound", err)
	}
	if d := graph.Diagnose(err); !strings.Contains(d.Message, "full sync round") {
		t.Errorf("diagnosis = %+v", d)
	}
	events, _, _ := round(t, c, window)
	if len(events) != 1 || events[0].Subject != "Visit" {
		t.Fatalf("fresh round after expiry = %+v", events)
	}
}

func TestDeltaReadsTimesInTheReportedZone(t *testing.T) {
	s := newSim(t)
	if _, err := s.AddEvent(watched, graphtest.Event{Subject: "Visit", Organizer: host, Start: day(1, 9, 0), End: day(1, 10, 0)}); err != nil {
		t.Fatal(err)
	}
	o := optionsFor(s)
	o.TimeZone = "W. Europe Standard Time"
	events, _, _ := round(t, newClient(t, s, automationFor(s), o), window)
	if len(events) != 1 || events[0].Start.Location().String() != "Europe/Berlin" || !events[0].Start.Equal(day(1, 9, 0)) {
		t.Fatalf("events = %+v, want the visit at %v reported in Europe/Berlin", events, day(1, 9, 0))
	}
	for _, r := range s.GraphRequests() {
		mustContain(t, "Prefer", strings.Join(r.Prefer, ", "), `outlook.timezone="W. Europe Standard Time"`)
	}
}

// TestDeltaRefusesAnUnsupportedTimeZone: Graph answers a Prefer
// outlook.timezone outside its list with 400 TimeZoneNotSupportedException;
// it never falls back to UTC.
func TestDeltaRefusesAnUnsupportedTimeZone(t *testing.T) {
	s := newSim(t)
	o := optionsFor(s)
	o.TimeZone = "Australia Eastern Standard Time" // not a Windows name: that is "AUS Eastern Standard Time"
	_, err := newClient(t, s, automationFor(s), o).DeltaPage(context.Background(), window)
	var ge *graph.GraphError
	if !errors.As(err, &ge) || ge.Status != http.StatusBadRequest || ge.Code != "TimeZoneNotSupportedException" {
		t.Fatalf("DeltaPage with an unsupported zone = %v, want 400 TimeZoneNotSupportedException", err)
	}
	mustContain(t, "message", ge.Message, "'Australia Eastern Standard Time'")
}

// TestDeltaKeepsTheDatesOfAllDayEvents: Graph reports an all-day event
// from midnight to midnight of its dates in the zone the request asked for,
// whatever zone the organizer made it in (graph-notes §0). The dates are
// the dates: organizers in UTC+13, UTC+14 and UTC−10 included, and whether
// the client asks for UTC or for another zone.
func TestDeltaKeepsTheDatesOfAllDayEvents(t *testing.T) {
	s := newSim(t)
	zones := []string{"W. Europe Standard Time", "Tonga Standard Time", "Line Islands Standard Time", "Hawaiian Standard Time"}
	for _, zone := range zones {
		if _, err := s.AddEvent(watched, graphtest.Event{Subject: zone, Organizer: host, AllDay: true, TimeZone: zone,
			Start: day(3, 0, 0), End: day(5, 0, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	first, last := day(3, 0, 0), day(5, 0, 0)
	wantStart := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, berlin)
	wantEnd := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, berlin)
	for _, asked := range []string{"UTC", "Tokyo Standard Time", "Hawaiian Standard Time"} {
		o := optionsFor(s)
		o.TimeZone = asked
		events, _, _ := round(t, newClient(t, s, automationFor(s), o), window)
		if len(events) != len(zones) {
			t.Fatalf("asking for %s: %d events, want %d", asked, len(events), len(zones))
		}
		for _, e := range events {
			if !e.IsAllDay || !e.Start.Equal(wantStart) || !e.End.Equal(wantEnd) {
				t.Errorf("made in %s, asked in %s: %v – %v, want %v – %v (midnights in the automation's zone)",
					e.Subject, asked, e.Start, e.End, wantStart, wantEnd)
			}
		}
	}
}

func TestDeltaRefusesMalformedPages(t *testing.T) {
	bodies := map[string]string{
		"not JSON":         `{"value": [`,
		"no links":         `{"value": []}`,
		"link elsewhere":   `{"@odata.deltaLink": "https://graph.microsoft.com/v1.0/users/x/calendarView/delta?$deltatoken=abc", "value": []}`,
		"value not a list": `{"@odata.deltaLink": "LINK", "value": {"id": "a"}}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			s := newSim(t)
			link := s.GraphURL() + "/users/" + watched + "/calendarView/delta?$deltatoken=x"
			s.InjectFault(graphtest.Fault{Body: strings.ReplaceAll(body, "LINK", link), Times: 1})
			p, err := newClient(t, s, automationFor(s), optionsFor(s)).DeltaPage(context.Background(),
				graph.Cursor{Start: day(0, 0, 0), End: day(30, 0, 0)})
			if err == nil {
				t.Fatalf("malformed page accepted: %+v", p)
			}
			if !errors.Is(err, graph.ErrMalformed) {
				t.Errorf("error %v does not match ErrMalformed", err)
			}
			if d := graph.Diagnose(err); d == nil || !strings.Contains(d.Message, "cannot be read") {
				t.Errorf("no diagnosis for %v", err)
			}
		})
	}
}

// TestDeltaReadsEachItemOnItsOwn: an item that cannot be read comes back
// marked, with its reason (a field of the wrong JSON type included), and the
// rest of the page is read.
func TestDeltaReadsEachItemOnItsOwn(t *testing.T) {
	s := newSim(t)
	link := s.GraphURL() + "/users/" + watched + "/calendarView/delta?$deltatoken=x"
	times := `"start": {"dateTime": "2025-03-10T09:00:00.0000000", "timeZone": "UTC"}, "end": {"dateTime": "2025-03-10T10:00:00.0000000", "timeZone": "UTC"}`
	s.InjectFault(graphtest.Fault{Times: 1, Body: `{"@odata.deltaLink": "` + link + `", "value": [
		{"subject": "no id", ` + times + `},
		{"id": "start", "start": {"dateTime": "yesterday", "timeZone": "UTC"}, "end": {"dateTime": "2025-03-10T10:00:00.0000000", "timeZone": "UTC"}},
		{"id": "zone", "type": "occurrence", "seriesMasterId": "M", "start": {"dateTime": "2025-03-10T09:00:00.0000000", "timeZone": "Mars/Olympus"}, "end": {"dateTime": "2025-03-10T10:00:00.0000000", "timeZone": "UTC"}},
		{"id": "backwards", "start": {"dateTime": "2025-03-10T11:00:00.0000000", "timeZone": "UTC"}, "end": {"dateTime": "2025-03-10T10:00:00.0000000", "timeZone": "UTC"}},
		{"id": 5, ` + times + `},
		{"id": "typed", "type": "occurrence", "seriesMasterId": "M", "subject": 7, ` + times + `},
		null,
		{"id": "good", "subject": "Visit", "iCalUId": "U", "organizer": {"emailAddress": {"address": "h@contoso.example"}}, ` + times + `}]}`})
	p, err := newClient(t, s, automationFor(s), optionsFor(s)).DeltaPage(context.Background(), graph.Cursor{Start: day(0, 0, 0), End: day(30, 0, 0)})
	if err != nil {
		t.Fatalf("a page with unreadable items: %v", err)
	}
	want := []struct{ id, reason string }{
		{"", "without an id"}, {"start", `start: "yesterday" is not a date and time`},
		{"zone", `unknown time zone "Mars/Olympus"`}, {"backwards", "ends before it starts"},
		{"", "its id is a JSON number"}, {"typed", "its subject is a JSON number"}, {"", "null entry"}, {"good", ""},
	}
	if len(p.Events) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(p.Events), len(want), p.Events)
	}
	for i, w := range want {
		e := p.Events[i]
		if e.ID != w.id || (w.reason == "") != (e.Unreadable == "") || !strings.Contains(e.Unreadable, w.reason) {
			t.Errorf("item %d = id %q unreadable %q, want id %q and %q", i, e.ID, e.Unreadable, w.id, w.reason)
		}
	}
	if z := p.Events[2]; z.Type != graph.TypeOccurrence || z.SeriesMasterID != "M" {
		t.Errorf("the unreadable occurrence lost its series: %+v", z)
	}
	if z := p.Events[5]; z.Type != graph.TypeOccurrence || z.SeriesMasterID != "M" {
		t.Errorf("the occurrence with a bad field lost its series: %+v", z)
	}
	if g := p.Events[7]; g.Subject != "Visit" || g.Organizer.Email != "h@contoso.example" || !g.Start.Equal(time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("the readable item = %+v", g)
	}
}
