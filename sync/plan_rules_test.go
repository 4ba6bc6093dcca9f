package sync

import (
	"slices"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/sync/store"
)

func allDay(id string, from, to time.Time, attendees ...graph.Attendee) graph.Event {
	ev := meeting(id, from, attendees...)
	ev.IsAllDay, ev.Start, ev.End = true, from, to
	return ev
}

func TestPlanAllDay(t *testing.T) {
	r := testRules(t, func(a *config.Automation) { a.DayStart, a.DayEnd = "08:30", "17:00" })
	// Graph reports all-day events midnight to midnight.
	ev := allDay("fair", time.Date(2026, 3, 25, 0, 0, 0, 0, madrid), time.Date(2026, 3, 27, 0, 0, 0, 0, madrid), ann, bob)
	p := plan(r, ev, nil, employee)
	if p.Outcome != store.OutcomeCreated || len(p.Visits) != 4 {
		t.Fatalf("plan = %s, %d visits, want 2 days × 2 visitors", p.Outcome, len(p.Visits))
	}
	var spans []string
	refs := map[string]bool{}
	for _, v := range p.Visits {
		if v.VisitorEmail == ann.Email {
			spans = append(spans, v.Arrival.Format(time.RFC3339)+" "+v.Departure.Format(time.RFC3339))
		}
		refs[v.Ref] = true
	}
	want := []string{"2026-03-25T08:30:00+01:00 2026-03-25T17:00:00+01:00", "2026-03-26T08:30:00+01:00 2026-03-26T17:00:00+01:00"}
	if !slices.Equal(spans, want) {
		t.Errorf("Ann's visits = %v, want %v", spans, want)
	}
	if len(refs) != 4 {
		t.Errorf("%d distinct refs, want one per visitor and day", len(refs))
	}
	// Default hours, reported in UTC by Graph: the dates count, not the instants.
	r2 := testRules(t)
	single := allDay("one", day(2026, 3, 24), day(2026, 3, 25), ann)
	p2 := plan(r2, single, nil, employee)
	if len(p2.Visits) != 1 || p2.Visits[0].Arrival.Format(time.RFC3339) != "2026-03-24T08:00:00+01:00" ||
		p2.Visits[0].Departure.Format(time.RFC3339) != "2026-03-24T18:00:00+01:00" {
		t.Fatalf("default all-day hours: %+v", p2.Visits)
	}
	// Days that are over are never cancelled; the remaining ones are.
	known := remember(ev, p)
	secondMorning := time.Date(2026, 3, 26, 7, 0, 0, 0, time.UTC)
	gone := planAt(r, graph.Event{ID: "fair", Removed: true}, known, Host{}, secondMorning)
	if got := opsOf(gone); !slices.Equal(got, []string{"delete:ann.guest@fabrikam.com", "delete:bob.visitor@fabrikam.com"}) {
		t.Fatalf("deleted on day two: ops %v, want only day two's visits cancelled", got)
	}
	for _, op := range gone.Ops {
		if op.Visit.Arrival.Day() != 26 {
			t.Errorf("cancelled the visit of day %d, want only day 26", op.Visit.Arrival.Day())
		}
	}
	// Replanned on day two, day one is kept as history and day two is unchanged.
	if p := planAt(r, ev, known, employee, secondMorning); p.Outcome != OutcomeUnchanged || len(p.Visits) != 4 {
		t.Errorf("replanned on day two: %s %v, %d visits, want unchanged with all 4 kept", p.Outcome, opsOf(p), len(p.Visits))
	}
}

func TestPlanDaylightSavingTime(t *testing.T) {
	r := testRules(t)
	cases := []struct {
		name               string
		ev                 graph.Event
		arrival, departure string
	}{
		{"before spring change", meeting("a", day(2026, 3, 27), ann), "2026-03-27T10:00:00+01:00", "2026-03-27T12:00:00+01:00"},
		{"after spring change", meeting("b", day(2026, 3, 30), ann), "2026-03-30T11:00:00+02:00", "2026-03-30T13:00:00+02:00"},
		{"across the spring change", func() graph.Event {
			e := meeting("c", day(2026, 3, 29), ann)
			e.Start, e.End = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
			return e
		}(), "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"},
		{"all day on the spring change", allDay("d", day(2026, 3, 29), day(2026, 3, 30), ann), "2026-03-29T08:00:00+02:00", "2026-03-29T18:00:00+02:00"},
		{"before autumn change", meeting("e", day(2026, 10, 24), ann), "2026-10-24T11:00:00+02:00", "2026-10-24T13:00:00+02:00"},
		{"all day on the autumn change", allDay("f", day(2026, 10, 25), day(2026, 10, 26), ann), "2026-10-25T08:00:00+01:00", "2026-10-25T18:00:00+01:00"},
		{"after autumn change", meeting("g", day(2026, 10, 26), ann), "2026-10-26T10:00:00+01:00", "2026-10-26T12:00:00+01:00"},
		{"zone given by Graph", func() graph.Event {
			e := meeting("h", day(2026, 10, 26), ann)
			ny := mustZone("America/New_York")
			e.Start, e.End = time.Date(2026, 10, 26, 9, 0, 0, 0, ny), time.Date(2026, 10, 26, 10, 0, 0, 0, ny)
			return e
		}(), "2026-10-26T14:00:00+01:00", "2026-10-26T15:00:00+01:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := c.ev.Start.AddDate(0, 0, -3)
			p := planAt(r, c.ev, nil, employee, now)
			if len(p.Visits) != 1 {
				t.Fatalf("plan = %s %q, want one visit", p.Outcome, p.Reason)
			}
			v := p.Visits[0]
			if got := v.Arrival.Format(time.RFC3339); got != c.arrival {
				t.Errorf("arrival = %s, want %s", got, c.arrival)
			}
			if got := v.Departure.Format(time.RFC3339); got != c.departure {
				t.Errorf("departure = %s, want %s", got, c.departure)
			}
		})
	}
}

func TestPlanHostNotEmployee(t *testing.T) {
	r := testRules(t)
	ev := meeting("e1", day(2026, 3, 24), ann, reception)
	ev.Organizer = graph.Address{Name: "Olga Outsider", Email: "olga@contoso.com"}
	if got := r.HostToLookUp(ev, r.Window(planNow), planNow); got != "olga@contoso.com" {
		t.Fatalf("HostToLookUp = %q", got)
	}
	p := plan(r, ev, nil, Host{Email: "olga@contoso.com"})
	if p.Outcome != store.OutcomeSkipped || len(p.Visits) != 0 {
		t.Fatalf("plan = %s, %d visits, want skipped with none", p.Outcome, len(p.Visits))
	}
	if p.Reason != "the organizer olga@contoso.com is not an employee in Salto IDM" {
		t.Errorf("reason = %q", p.Reason)
	}
	if !slices.Equal(opsOf(p), []string{"reply:tentative"}) || !strings.Contains(p.Ops[0].Reply.Comment, "olga@contoso.com is not an employee") {
		t.Fatalf("ops = %v, want a tentative reply saying why", opsOf(p))
	}
	// Seen again: no second reply, nothing to log.
	again := plan(r, ev, remember(ev, p), Host{Email: "olga@contoso.com"})
	if again.Outcome != OutcomeUnchanged || len(again.Ops) != 0 {
		t.Fatalf("replay = %s %v, want unchanged without a reply", again.Outcome, opsOf(again))
	}
	// Olga becomes an employee and the meeting changes: visits, and an accept.
	ev.Subject = "Updated"
	now := plan(r, ev, remember(ev, p), Host{Email: "olga@contoso.com", EmployeeID: "emp-9"})
	if now.Outcome != store.OutcomeCreated || !slices.Equal(opsOf(now), []string{"put:ann.guest@fabrikam.com", "reply:accept"}) {
		t.Fatalf("after registration: %s %v", now.Outcome, opsOf(now))
	}
}

func TestPlanReplyConditions(t *testing.T) {
	cases := []struct {
		name  string
		rules func(*config.Automation)
		edit  func(*graph.Event)
		reply bool
	}{
		{"requested", nil, nil, true},
		{"replies off", func(a *config.Automation) { a.Replies = false }, nil, false},
		{"no response requested", nil, func(e *graph.Event) { e.ResponseRequested = false }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var edits []func(*config.Automation)
			if c.rules != nil {
				edits = append(edits, c.rules)
			}
			r := testRules(t, edits...)
			ev := meeting("e1", day(2026, 3, 24), ann)
			if c.edit != nil {
				c.edit(&ev)
			}
			p := plan(r, ev, nil, employee)
			if got := slices.Contains(opsOf(p), "reply:accept"); got != c.reply {
				t.Errorf("reply = %v, want %v (ops %v)", got, c.reply, opsOf(p))
			}
		})
	}
	// Organized by the mailbox itself: no host, no visits, no reply.
	r := testRules(t)
	ev := meeting("e1", day(2026, 3, 24), ann)
	ev.IsOrganizer, ev.Organizer = true, graph.Address{Email: mailbox}
	if p := plan(r, ev, nil, Host{}); p.Outcome != store.OutcomeSkipped || len(p.Ops) != 0 {
		t.Errorf("organized by the mailbox: %s %v", p.Outcome, opsOf(p))
	}
}

func TestPlanSanitizesCalendarText(t *testing.T) {
	r := testRules(t)
	ev := meeting("e1", day(2026, 3, 24), guest("Ann\x1b[31m Guest", "ann.guest@fabrikam.com"))
	ev.Subject = "Visit\x1b]0;pwned\x07 today\r\nreally"
	ev.Location = "Hall\x00 B"
	p := plan(r, ev, nil, employee)
	v := p.Visits[0]
	for _, s := range []string{v.Subject, v.Location, v.VisitorName, p.Subject, p.Reason, p.Ops[1].Reply.Comment} {
		if strings.ContainsAny(s, "\x1b\x07\x00\r\n") {
			t.Errorf("%q still holds control characters", s)
		}
	}
	if v.Subject != "Visit today really" || v.VisitorName != "Ann Guest" {
		t.Errorf("subject %q name %q", v.Subject, v.VisitorName)
	}
}

func TestNewRules(t *testing.T) {
	r := testRules(t)
	if !slices.Equal(r.InternalDomains, []string{"contoso.com"}) || r.DayStart != 8*time.Hour || r.DayEnd != 18*time.Hour || !r.Exclude["auditor@partner.example"] {
		t.Errorf("defaults: %+v", r)
	}
	w := r.Window(time.Date(2026, 3, 20, 23, 30, 0, 0, time.UTC)) // already the 21st in Madrid
	if w.Start.Format(time.RFC3339) != "2026-03-21T00:00:00+01:00" || w.End.Format(time.RFC3339) != "2026-04-20T00:00:00+02:00" {
		t.Errorf("window = %s – %s", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
	}
	bad := []struct {
		edit  func(*config.Automation)
		field string
	}{
		{func(a *config.Automation) { a.TimeZone = "Mars/Olympus" }, "time_zone"},
		{func(a *config.Automation) { a.TimeZone = "" }, "time_zone"},
		{func(a *config.Automation) { a.Mailbox = "nobody" }, "mailbox"},
		{func(a *config.Automation) { a.DayStart = "8am" }, "day_start"},
		{func(a *config.Automation) { a.DayStart, a.DayEnd = "18:00", "08:00" }, "day_end"},
	}
	for _, b := range bad {
		a := testAutomation()
		b.edit(&a)
		if _, err := NewRules(a); err == nil || !strings.HasPrefix(err.Error(), b.field+":") {
			t.Errorf("error = %v, want one naming %s", err, b.field)
		}
	}
}
