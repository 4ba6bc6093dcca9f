package graph_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"invitesync/graph"
	"invitesync/graph/graphtest"
)

// TestEventIDsStayOnePathSegment: an event id that holds a slash, a dot
// segment, a query or a fragment, or a percent sign, reaches that event of
// the watched mailbox as one path segment — never another path or another
// mailbox; "." and ".." are refused before any request.
func TestEventIDsStayOnePathSegment(t *testing.T) {
	s := newSim(t)
	c := newClient(t, s, automationFor(s), optionsFor(s))
	ctx := context.Background()
	decoy, err := s.AddEvent(other, graphtest.Event{Subject: "Board meeting", Organizer: host,
		Attendees: []graphtest.Attendee{ann}, Start: day(2, 9, 0), End: day(2, 10, 0)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id string
		refused  bool
	}{
		{name: "slashes up to another mailbox", id: "AAk/../../users/" + other + "/events/" + decoy},
		{name: "a slash", id: "AAk/AAM="},
		{name: "a query and a fragment", id: "AAk?$select=subject&x=1#frag"},
		{name: "an escaped slash", id: "AAk%2F..%2Fx"},
		{name: "a backslash and spaces", id: `AAk\.. x`},
		{name: "dot", id: ".", refused: true},
		{name: "dot dot", id: "..", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.GraphRequests())
			if tt.refused {
				for _, err := range []error{
					func() error { _, err := c.GetEvent(ctx, tt.id); return err }(),
					func() error { _, err := c.AnswerOf(ctx, tt.id); return err }(),
					c.Respond(ctx, tt.id, graph.Accept, ""),
				} {
					if err == nil || !strings.Contains(err.Error(), "is not an event id") {
						t.Errorf("err = %v, want the id refused", err)
					}
				}
				if n := len(s.GraphRequests()) - before; n != 0 {
					t.Errorf("%d requests sent", n)
				}
				return
			}
			if _, err := s.AddEvent(watched, graphtest.Event{ID: tt.id, Subject: "Supplier visit", Organizer: host,
				Attendees: []graphtest.Attendee{ann}, Start: day(3, 9, 0), End: day(3, 10, 0)}); err != nil {
				t.Fatal(err)
			}
			ev, err := c.GetEvent(ctx, tt.id)
			if err != nil || ev.ID != tt.id || ev.Subject != "Supplier visit" {
				t.Fatalf("GetEvent = %q %q, %v", ev.ID, ev.Subject, err)
			}
			if err := c.Respond(ctx, tt.id, graph.Accept, "Visitors registered"); err != nil {
				t.Fatal(err)
			}
			replies := s.Replies()
			if r := replies[len(replies)-1]; r.EventID != tt.id || !strings.EqualFold(r.Mailbox, watched) {
				t.Errorf("the reply went to %s's %q", r.Mailbox, r.EventID)
			}
			if a, err := c.AnswerOf(ctx, tt.id); err != nil || a.Response != "accepted" {
				t.Errorf("AnswerOf = %+v, %v", a, err)
			}
			for _, r := range s.GraphRequests()[before:] {
				segs := strings.Split(strings.TrimPrefix(r.EscapedPath, "/v1.0/"), "/")
				if len(segs) < 4 || segs[0] != "users" || segs[2] != "events" {
					t.Errorf("request %s %s", r.Method, r.EscapedPath)
					continue
				}
				mailbox, _ := url.PathUnescape(segs[1])
				id, _ := url.PathUnescape(segs[3])
				if !strings.EqualFold(mailbox, watched) || id != tt.id {
					t.Errorf("%s %s addresses %q of %s", r.Method, r.EscapedPath, id, mailbox)
				}
			}
		})
	}
	if replies := s.Replies(); len(replies) > 0 {
		for _, r := range replies {
			if strings.EqualFold(r.Mailbox, other) {
				t.Errorf("a reply reached %s", other)
			}
		}
	}
}
