package graph_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/graph/graphtest"
)

func TestGetEventReadsOneEventWhole(t *testing.T) {
	s := newSim(t)
	id, err := s.AddEvent(watched, graphtest.Event{Subject: "Supplier visit", Location: "Reception", Organizer: host,
		Attendees: []graphtest.Attendee{ann, inbox}, Start: day(2, 9, 0), End: day(2, 11, 0)})
	if err != nil {
		t.Fatal(err)
	}
	master, occurrences, err := s.AddWeeklySeries(watched, graphtest.Event{Subject: "Weekly review", Organizer: host,
		Attendees: []graphtest.Attendee{bob}, Start: day(1, 15, 0), End: day(1, 16, 0)}, 4)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, automationFor(s), optionsFor(s))
	ctx := context.Background()

	ev, err := c.GetEvent(ctx, id)
	if err != nil {
		t.Fatalf("GetEvent: %v", err)
	}
	if ev.ID != id || ev.Subject != "Supplier visit" || ev.Organizer.Email != host.Address || len(ev.Attendees) != 2 ||
		ev.Response != "notResponded" || ev.Partial || !ev.Start.Equal(day(2, 9, 0)) {
		t.Errorf("GetEvent = %+v", ev)
	}
	// The mailbox's own response follows its reply.
	if err := c.Respond(ctx, id, graph.Accept, ""); err != nil {
		t.Fatal(err)
	}
	if ev, err = c.GetEvent(ctx, id); err != nil || ev.Response != "accepted" {
		t.Errorf("after accepting: response %q, %v; want accepted", ev.Response, err)
	}

	// An occurrence read on its own comes whole, with its original start.
	occ, err := c.GetEvent(ctx, occurrences[1])
	if err != nil {
		t.Fatalf("GetEvent(occurrence): %v", err)
	}
	if occ.Type != graph.TypeOccurrence || occ.SeriesMasterID != master || occ.Partial || occ.Subject != "Weekly review" ||
		len(occ.Attendees) != 1 || !occ.OriginalStart.Equal(day(8, 15, 0)) || !occ.Start.Equal(day(8, 15, 0)) {
		t.Errorf("GetEvent(occurrence) = %+v", occ)
	}
	for _, r := range s.GraphRequests() {
		mustContain(t, "Prefer", strings.Join(r.Prefer, ", "), `IdType="ImmutableId"`, `outlook.timezone="UTC"`)
	}

	// Gone: deleted, or never there; a mailbox that does not exist is not
	// an event that is gone.
	if err := s.DeleteEvent(watched, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetEvent(ctx, id); !graph.IsGone(err) {
		t.Errorf("GetEvent of a deleted event: %v, want IsGone", err)
	}
	a := automationFor(s)
	a.Mailbox = "nobody@contoso.example"
	if _, err := newClient(t, s, a, optionsFor(s)).GetEvent(ctx, occurrences[0]); err == nil || graph.IsGone(err) {
		t.Errorf("GetEvent in a mailbox that does not exist: %v, want an error that is not IsGone", err)
	}
	if _, err := c.GetEvent(ctx, ""); err == nil {
		t.Error("GetEvent accepted an empty id")
	}
}

func TestInstancesReadsTheSeriesInTheWindowPageByPage(t *testing.T) {
	s := newSim(t)
	// A series that began two years ago and goes on past the window.
	first := day(-7*104, 15, 0)
	master, occurrences, err := s.AddWeeklySeries(watched, graphtest.Event{Subject: "Weekly review", Organizer: host,
		Attendees: []graphtest.Attendee{bob}, Start: first, End: first.Add(time.Hour)}, 120)
	if err != nil {
		t.Fatal(err)
	}
	var inside []string
	for i, id := range occurrences {
		if at := first.AddDate(0, 0, 7*i); !at.Before(day(0, 0, 0)) && at.Before(day(30, 0, 0)) {
			inside = append(inside, id)
		}
	}
	// One occurrence moved and edited: an exception, still of the series.
	moved := inside[1]
	if err := s.UpdateEvent(watched, moved, func(e *graphtest.Event) {
		e.Start, e.End = e.Start.Add(2*time.Hour), e.End.Add(2*time.Hour)
		e.Attendees = append(e.Attendees, ann)
	}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, automationFor(s), optionsFor(s)) // 2 per page
	s.ResetRequests()
	got, err := c.Instances(context.Background(), master, day(0, 0, 0), day(30, 0, 0))
	if err != nil {
		t.Fatalf("Instances: %v", err)
	}
	if len(got) != len(inside) {
		t.Fatalf("%d instances, want %d", len(got), len(inside))
	}
	if n, want := len(s.GraphRequests()), (len(inside)+1)/2; n != want {
		t.Errorf("%d requests, want %d pages of 2", n, want)
	}
	for i, e := range got {
		if e.ID != inside[i] || e.SeriesMasterID != master || e.Partial || e.Subject != "Weekly review" || e.Organizer.Email != host.Address {
			t.Errorf("instance %d = %+v", i, e)
		}
		if e.ID == moved {
			if e.Type != graph.TypeException || len(e.Attendees) != 2 || e.OriginalStart.Equal(e.Start) {
				t.Errorf("the moved occurrence = %+v, want an exception with both guests and its original start", e)
			}
		} else if e.Type != graph.TypeOccurrence || !e.OriginalStart.Equal(e.Start) {
			t.Errorf("instance %d = %+v, want an occurrence where it was scheduled", i, e)
		}
	}

	if _, err := c.Instances(context.Background(), "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0AZ3RzMQAAAAAAAP__", day(0, 0, 0), day(30, 0, 0)); !graph.IsGone(err) {
		t.Errorf("Instances of a series that is not there: %v, want IsGone", err)
	}
	s.InjectFault(graphtest.Fault{Status: 500, Code: "ErrorInternalServerError", Message: "Something went wrong.", PathContains: "/instances"})
	_, err = c.Instances(context.Background(), master, day(0, 0, 0), day(30, 0, 0))
	var ge *graph.GraphError
	if !errors.As(err, &ge) || ge.Status != 500 || graph.IsGone(err) {
		t.Errorf("Instances answered 500: %v", err)
	}
	if _, err := c.Instances(context.Background(), master, day(1, 0, 0), day(0, 0, 0)); err == nil {
		t.Error("Instances accepted a window that ends before it starts")
	}
}

func TestFromSeriesCompletesAStrippedOccurrence(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	master := graph.Event{ID: "M", ICalUID: "U", Subject: "Open day", Organizer: graph.Address{Email: "h@contoso.example"},
		Attendees: []graph.Attendee{{Address: graph.Address{Email: "ann@fabrikam.example"}}}, IsAllDay: true,
		Type: graph.TypeSeriesMaster, Response: "accepted", ResponseRequested: true,
		Start: time.Date(2020, 1, 1, 0, 0, 0, 0, berlin), End: time.Date(2020, 1, 2, 0, 0, 0, 0, berlin)}
	// Delta reported the occurrence in UTC, midnight to midnight of its date.
	occ := graph.Event{ID: "O", Type: graph.TypeOccurrence, SeriesMasterID: "M", Partial: true,
		Start: time.Date(2030, 3, 4, 0, 0, 0, 0, time.UTC), End: time.Date(2030, 3, 5, 0, 0, 0, 0, time.UTC)}
	got := occ.FromSeries(master, berlin)
	if got.ID != "O" || got.Type != graph.TypeOccurrence || got.SeriesMasterID != "M" || got.Partial ||
		got.Subject != "Open day" || got.ICalUID != "U" || got.Organizer.Email != "h@contoso.example" || got.Response != "accepted" {
		t.Errorf("FromSeries = %+v", got)
	}
	if !got.Start.Equal(time.Date(2030, 3, 4, 0, 0, 0, 0, berlin)) || !got.End.Equal(time.Date(2030, 3, 5, 0, 0, 0, 0, berlin)) {
		t.Errorf("all-day occurrence %v – %v, want the midnights of its dates in Berlin", got.Start, got.End)
	}
	got.Attendees[0].Email = "changed"
	if master.Attendees[0].Email != "ann@fabrikam.example" {
		t.Error("FromSeries shares the master's attendee list")
	}
}
