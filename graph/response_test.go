package graph_test

import (
	"context"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/graph/graphtest"
)

func TestAnswerOfSaysHowAndWhenTheMailboxAnswered(t *testing.T) {
	s := newSim(t)
	c := newClient(t, s, automationFor(s), optionsFor(s))
	ctx := context.Background()
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	id, err := s.AddEvent(watched, graphtest.Event{Subject: "Visit", Organizer: graphtest.Person{Address: "host@contoso.example"},
		Attendees: []graphtest.Attendee{{Person: graphtest.Person{Address: watched}}}, Start: start, End: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.AnswerOf(ctx, id); err != nil || a.Response != "notResponded" || !a.At.IsZero() {
		t.Fatalf("AnswerOf before a reply = %+v, %v; want notResponded, never", a, err)
	}
	before := time.Now().Add(-time.Second)
	if err := c.Respond(ctx, id, graph.Tentative, "not yet"); err != nil {
		t.Fatal(err)
	}
	a, err := c.AnswerOf(ctx, id)
	if err != nil || a.Response != graph.Responses[graph.Tentative] || a.At.Before(before) || a.At.After(time.Now().Add(time.Second)) {
		t.Fatalf("AnswerOf after a tentative = %+v, %v; want tentativelyAccepted, just now", a, err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := s.UpdateEvent(watched, id, func(e *graphtest.Event) { e.Subject = "Visit (moved room)" }); err != nil {
		t.Fatal(err)
	}
	if later, err := c.AnswerOf(ctx, id); err != nil || !later.At.Equal(a.At) {
		t.Fatalf("AnswerOf after an edit = %+v, %v; want the answer still dated %v, when it was given", later, err, a.At)
	}
	if err := s.DeleteEvent(watched, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AnswerOf(ctx, id); !graph.IsGone(err) {
		t.Fatalf("AnswerOf a deleted event = %v, want IsGone", err)
	}
}
