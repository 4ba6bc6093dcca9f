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

const (
	mailbox   = "visitors@contoso.com"
	hostEmail = "hanna.host@contoso.com"
)

var (
	madrid   = mustZone("Europe/Madrid")
	employee = Host{Email: hostEmail, Name: "Hanna Host", EmployeeID: "emp-7"}
	// planNow is a Friday morning in Madrid, before the spring DST change.
	planNow = time.Date(2026, 3, 20, 8, 0, 0, 0, time.UTC)
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func testAutomation() config.Automation {
	return config.Automation{
		Name: "Reception", Mailbox: mailbox, TimeZone: "Europe/Madrid",
		LookAheadDays: 30, Replies: true, Exclude: []string{"Auditor@Partner.example"},
	}
}

func testRules(t *testing.T, edit ...func(*config.Automation)) Rules {
	t.Helper()
	a := testAutomation()
	for _, e := range edit {
		e(&a)
	}
	r, err := NewRules(a)
	if err != nil {
		t.Fatalf("NewRules: %v", err)
	}
	return r
}

func guest(name, addr string) graph.Attendee {
	return graph.Attendee{Address: graph.Address{Name: name, Email: addr}, Type: "required", Response: "none"}
}

func withType(a graph.Attendee, typ string) graph.Attendee { a.Type = typ; return a }

func withResponse(a graph.Attendee, resp string) graph.Attendee { a.Response = resp; return a }

var (
	ann       = guest("Ann Guest", "ann.guest@fabrikam.com")
	bob       = guest("Bob Visitor", "bob.visitor@fabrikam.com")
	reception = withType(guest("Visitors Reception", mailbox), "optional")
)

// meeting is an invitation in the watched mailbox: 09:00–11:00 UTC on day.
func meeting(id string, day time.Time, attendees ...graph.Attendee) graph.Event {
	return graph.Event{
		ID: id, ICalUID: "uid-" + id, ChangeKey: "ck1", Subject: "Supplier visit", Location: "Building A",
		Organizer: graph.Address{Name: "Hanna Host", Email: "Hanna.Host@contoso.com"},
		Attendees: attendees,
		Start:     day.Add(9 * time.Hour), End: day.Add(11 * time.Hour),
		ResponseRequested: true, Type: graph.TypeSingleInstance,
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// plan runs Rules.Plan at planNow with the window of planNow.
func plan(r Rules, ev graph.Event, known *Known, host Host) Plan {
	return planAt(r, ev, known, host, planNow)
}

func planAt(r Rules, ev graph.Event, known *Known, host Host, now time.Time) Plan {
	return r.Plan(PlanInput{Event: ev, Known: known, Host: host, Window: r.Window(now), Now: now})
}

// remember is what the store keeps of a plan.
func remember(ev graph.Event, p Plan) *Known {
	if p.Forget {
		return nil
	}
	return &Known{EventID: ev.ID, ICalUID: p.Key, Visits: p.Visits, Outcome: p.Outcome, Reason: p.Reason, Reply: p.Reply}
}

// opsOf lists the operations as "kind:visitor" (or "reply:kind").
func opsOf(p Plan) []string {
	var out []string
	for _, op := range p.Ops {
		switch op.Kind {
		case OpReply:
			out = append(out, "reply:"+string(op.Reply.Kind))
		default:
			out = append(out, string(op.Kind)+":"+op.Visit.VisitorEmail)
		}
	}
	return out
}

func visitorsOf(vs []PlannedVisit) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.VisitorEmail)
	}
	return out
}

func TestPlanNewMeetingTwoGuests(t *testing.T) {
	r := testRules(t)
	ev := meeting("e1", day(2026, 3, 24), ann, bob, reception)
	p := plan(r, ev, nil, employee)
	if p.Outcome != store.OutcomeCreated {
		t.Fatalf("outcome = %s (%s), want created", p.Outcome, p.Reason)
	}
	if got, want := opsOf(p), []string{"put:ann.guest@fabrikam.com", "put:bob.visitor@fabrikam.com", "reply:accept"}; !slices.Equal(got, want) {
		t.Fatalf("ops = %v, want %v", got, want)
	}
	for _, v := range p.Visits {
		if v.HostEmployeeID != "emp-7" || v.HostEmail != hostEmail {
			t.Errorf("visit %s host = %s/%s, want emp-7/%s", v.VisitorEmail, v.HostEmployeeID, v.HostEmail, hostEmail)
		}
		if got := v.Arrival.Format(time.RFC3339); got != "2026-03-24T10:00:00+01:00" {
			t.Errorf("arrival = %s, want 2026-03-24T10:00:00+01:00 (Madrid)", got)
		}
		if got := v.Departure.Format(time.RFC3339); got != "2026-03-24T12:00:00+01:00" {
			t.Errorf("departure = %s, want 2026-03-24T12:00:00+01:00", got)
		}
		if v.Arrival.Location().String() != madrid.String() {
			t.Errorf("arrival zone = %v, want Europe/Madrid", v.Arrival.Location())
		}
		if v.Subject != "Supplier visit" || v.Location != "Building A" || v.EventID != "e1" || v.ICalUID != "uid-e1" {
			t.Errorf("visit details = %+v", v)
		}
	}
	if p.Visits[0].Ref == p.Visits[1].Ref {
		t.Errorf("two visitors share ref %s", p.Visits[0].Ref)
	}
	if !strings.Contains(p.Reason, "2 visits") || !strings.Contains(p.Reason, "ann.guest@fabrikam.com") {
		t.Errorf("reason = %q, want the visits and visitors named", p.Reason)
	}
	reply := p.Ops[2].Reply
	if reply.EventID != "e1" || !strings.Contains(reply.Comment, "Ann Guest (ann.guest@fabrikam.com)") ||
		!strings.Contains(reply.Comment, "Bob Visitor") || !strings.Contains(reply.Comment, "Hanna Host") {
		t.Errorf("reply = %+v, want an accept for e1 listing both visitors and the host", reply)
	}
}

func TestPlanVisitorFiltering(t *testing.T) {
	r := testRules(t)
	ev := meeting("e1", day(2026, 3, 24),
		guest("Hanna Host", hostEmail), // the organizer
		withType(guest("Room 1", "room1@rooms.example"), "resource"),
		guest("Colleague", "colleague@contoso.com"), // internal
		guest("Sub", "someone@eu.contoso.com"),      // internal subdomain
		guest("Auditor", "auditor@partner.example"), // excluded (case-insensitive)
		withResponse(guest("Dan", "dan@fabrikam.com"), "declined"),
		guest("", "not-an-address"),
		reception,
		guest("Ann Guest", "ann.guest@fabrikam.com"),
		guest("ANN", "Ann.Guest@Fabrikam.com"), // duplicate, folded
		guest("", "carl@northwind.example"),
		guest("Carl North", "CARL@northwind.example"), // duplicate supplies the name
	)
	p := plan(r, ev, nil, employee)
	if got, want := visitorsOf(p.Visits), []string{"ann.guest@fabrikam.com", "carl@northwind.example"}; !slices.Equal(got, want) {
		t.Fatalf("visitors = %v, want %v", got, want)
	}
	if p.Visits[1].VisitorName != "Carl North" {
		t.Errorf("folded duplicate name = %q, want Carl North", p.Visits[1].VisitorName)
	}
	for _, want := range []string{
		"room1@rooms.example is a room or resource",
		"colleague@contoso.com is internal", "someone@eu.contoso.com is internal",
		"auditor@partner.example is excluded", "dan@fabrikam.com declined",
		`"not-an-address" is not an email address`,
	} {
		if !strings.Contains(p.Reason, want) {
			t.Errorf("reason %q lacks %q", p.Reason, want)
		}
	}
	// The organizer and the mailbox go unmentioned unless nobody is left.
	if strings.Contains(p.Reason, "organizer") || strings.Contains(p.Reason, "watched mailbox") {
		t.Errorf("reason %q mentions the routine exclusions", p.Reason)
	}
	alone := plan(r, meeting("e2", day(2026, 3, 24), guest("Hanna Host", hostEmail), reception), nil, employee)
	if want := "no visitors: hanna.host@contoso.com is the organizer (the host), visitors@contoso.com is the watched mailbox"; alone.Reason != want {
		t.Errorf("reason = %q, want %q", alone.Reason, want)
	}
}

func TestPlanInternalOnlyMeetingIsSkipped(t *testing.T) {
	r := testRules(t)
	ev := meeting("e1", day(2026, 3, 24), guest("Colleague", "colleague@contoso.com"), reception)
	p := plan(r, ev, nil, employee)
	if p.Outcome != store.OutcomeSkipped || len(p.Ops) != 0 {
		t.Fatalf("plan = %s %v, want skipped with no operations", p.Outcome, opsOf(p))
	}
	if want := "no visitors: colleague@contoso.com is internal, visitors@contoso.com is the watched mailbox"; p.Reason != want {
		t.Errorf("reason = %q, want %q", p.Reason, want)
	}
	if host := r.HostToLookUp(ev, r.Window(planNow), planNow); host != "" {
		t.Errorf("HostToLookUp = %q, want no lookup for a meeting without visitors", host)
	}
	// Seen again unchanged: nothing to log.
	if again := plan(r, ev, remember(ev, p), Host{}); again.Outcome != OutcomeUnchanged {
		t.Errorf("replay outcome = %s, want unchanged", again.Outcome)
	}
	// Configured internal domains replace the default.
	r2 := testRules(t, func(a *config.Automation) { a.InternalDomains = []string{"fabrikam.com"} })
	p2 := plan(r2, meeting("e2", day(2026, 3, 24), ann, guest("Colleague", "colleague@contoso.com")), nil, employee)
	if got := visitorsOf(p2.Visits); !slices.Equal(got, []string{"colleague@contoso.com"}) {
		t.Errorf("with internal domain fabrikam.com, visitors = %v, want colleague@contoso.com", got)
	}
}

func TestPlanDistributionListInvitation(t *testing.T) {
	r := testRules(t)
	// The mailbox was reached through a list: it is not among the attendees.
	ev := meeting("e1", day(2026, 3, 24), ann, guest("Visitors list", "visitors-list@contoso.com"))
	if host := r.HostToLookUp(ev, r.Window(planNow), planNow); host != hostEmail {
		t.Fatalf("HostToLookUp = %q, want %s", host, hostEmail)
	}
	p := plan(r, ev, nil, employee)
	if p.Outcome != store.OutcomeCreated || !slices.Equal(visitorsOf(p.Visits), []string{"ann.guest@fabrikam.com"}) {
		t.Fatalf("plan = %s %v, want a visit for Ann", p.Outcome, visitorsOf(p.Visits))
	}
}

func TestPlanChanges(t *testing.T) {
	r := testRules(t)
	ev := meeting("e1", day(2026, 3, 24), ann, bob, reception)
	first := plan(r, ev, nil, employee)
	known := remember(ev, first)
	refs := map[string]string{}
	for _, v := range first.Visits {
		refs[v.VisitorEmail] = v.Ref
	}

	t.Run("replay", func(t *testing.T) {
		ev := ev
		ev.ChangeKey = "ck2" // e.g. our own reply changed the mailbox copy
		p := plan(r, ev, known, employee)
		if p.Outcome != OutcomeUnchanged || len(p.Ops) != 0 {
			t.Fatalf("plan = %s %v, want unchanged, no operations", p.Outcome, opsOf(p))
		}
	})
	t.Run("time", func(t *testing.T) {
		ev := ev
		ev.Start, ev.End = ev.Start.Add(time.Hour), ev.End.Add(2*time.Hour)
		p := plan(r, ev, known, employee)
		if p.Outcome != store.OutcomeUpdated || !slices.Equal(opsOf(p), []string{"put:ann.guest@fabrikam.com", "put:bob.visitor@fabrikam.com"}) {
			t.Fatalf("plan = %s %v, want updated with two puts and no new reply", p.Outcome, opsOf(p))
		}
		for _, op := range p.Ops {
			if op.Ref != refs[op.Visit.VisitorEmail] {
				t.Errorf("%s: ref %s, want the same ref %s", op.Visit.VisitorEmail, op.Ref, refs[op.Visit.VisitorEmail])
			}
			if got := op.Visit.Departure.Format(time.RFC3339); got != "2026-03-24T14:00:00+01:00" {
				t.Errorf("departure = %s, want 2026-03-24T14:00:00+01:00", got)
			}
		}
		if p.Reason != "time changed" {
			t.Errorf("reason = %q, want %q", p.Reason, "time changed")
		}
	})
	t.Run("location and subject", func(t *testing.T) {
		ev := ev
		ev.Location, ev.Subject = "Building B", "Quarterly review"
		p := plan(r, ev, known, employee)
		if p.Outcome != store.OutcomeUpdated || len(p.Ops) != 2 || p.Reason != "location, subject changed" {
			t.Fatalf("plan = %s %v %q, want updated: location, subject changed", p.Outcome, opsOf(p), p.Reason)
		}
	})
	t.Run("guest removed", func(t *testing.T) {
		ev := ev
		ev.Attendees = []graph.Attendee{ann, reception}
		p := plan(r, ev, known, employee)
		if !slices.Equal(opsOf(p), []string{"delete:bob.visitor@fabrikam.com", "reply:accept"}) || p.Outcome != store.OutcomeUpdated {
			t.Fatalf("plan = %s %v, want Bob's visit cancelled and a new accept", p.Outcome, opsOf(p))
		}
		if p.Ops[0].Ref != refs["bob.visitor@fabrikam.com"] || p.Reason != "cancelled bob.visitor@fabrikam.com" {
			t.Errorf("delete ref %s reason %q", p.Ops[0].Ref, p.Reason)
		}
		if strings.Contains(p.Ops[1].Reply.Comment, "Bob") {
			t.Errorf("new reply %q still lists Bob", p.Ops[1].Reply.Comment)
		}
	})
	t.Run("guest declined", func(t *testing.T) {
		ev := ev
		ev.Attendees = []graph.Attendee{ann, withResponse(bob, "declined"), reception}
		p := plan(r, ev, known, employee)
		if !slices.Equal(opsOf(p), []string{"delete:bob.visitor@fabrikam.com", "reply:accept"}) {
			t.Fatalf("ops = %v, want Bob's visit cancelled", opsOf(p))
		}
		if p.Reason != "cancelled bob.visitor@fabrikam.com declined" {
			t.Errorf("reason = %q, want the decline named", p.Reason)
		}
	})
	t.Run("guest added", func(t *testing.T) {
		ev := ev
		ev.Attendees = append(slices.Clone(ev.Attendees), guest("Carl", "carl@northwind.example"))
		p := plan(r, ev, known, employee)
		if !slices.Equal(opsOf(p), []string{"put:carl@northwind.example", "reply:accept"}) || p.Reason != "added carl@northwind.example" {
			t.Fatalf("plan = %v %q, want Carl added", opsOf(p), p.Reason)
		}
	})
	t.Run("every guest gone", func(t *testing.T) {
		ev := ev
		ev.Attendees = []graph.Attendee{reception}
		p := plan(r, ev, known, employee)
		if p.Outcome != store.OutcomeCancelled || len(p.Ops) != 2 || len(p.Visits) != 0 {
			t.Fatalf("plan = %s %v, want both visits cancelled", p.Outcome, opsOf(p))
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ev := ev
		ev.IsCancelled, ev.Subject = true, "Canceled: Supplier visit"
		p := plan(r, ev, known, employee)
		if p.Outcome != store.OutcomeCancelled || !slices.Equal(opsOf(p), []string{"delete:ann.guest@fabrikam.com", "delete:bob.visitor@fabrikam.com"}) {
			t.Fatalf("plan = %s %v, want every visit cancelled and no reply", p.Outcome, opsOf(p))
		}
		if p.Reason != "the meeting was cancelled by its organizer; 2 visits cancelled" {
			t.Errorf("reason = %q", p.Reason)
		}
		if r.HostToLookUp(ev, r.Window(planNow), planNow) != "" {
			t.Errorf("a cancelled meeting needs no host lookup")
		}
	})
	t.Run("deleted", func(t *testing.T) {
		p := plan(r, graph.Event{ID: "e1", Removed: true, RemovedReason: "deleted"}, known, Host{})
		if p.Outcome != store.OutcomeCancelled || !p.Forget || len(p.Ops) != 2 {
			t.Fatalf("plan = %s forget=%v %v, want both visits cancelled and the event forgotten", p.Outcome, p.Forget, opsOf(p))
		}
		for _, op := range p.Ops {
			if op.Ref != refs[op.Visit.VisitorEmail] {
				t.Errorf("delete ref %s, want %s", op.Ref, refs[op.Visit.VisitorEmail])
			}
		}
		if p.Key != "uid-e1" {
			t.Errorf("key = %q, want the known iCalUId", p.Key)
		}
	})
	t.Run("host no longer an employee", func(t *testing.T) {
		p := plan(r, ev, known, Host{Email: hostEmail})
		if p.Outcome != store.OutcomeCancelled || !slices.Equal(opsOf(p)[:2], []string{"delete:ann.guest@fabrikam.com", "delete:bob.visitor@fabrikam.com"}) {
			t.Fatalf("plan = %s %v, want visits cancelled", p.Outcome, opsOf(p))
		}
	})
}

func TestPlanRemovedUnknownIsIgnored(t *testing.T) {
	p := plan(testRules(t), graph.Event{ID: "never-seen", Removed: true}, nil, Host{})
	if p.Outcome != OutcomeUnchanged || len(p.Ops) != 0 || p.Forget {
		t.Fatalf("plan = %s %v forget=%v, want nothing at all", p.Outcome, opsOf(p), p.Forget)
	}
}

func TestPlanEndedAndOutOfWindow(t *testing.T) {
	r := testRules(t)
	ended := meeting("old", day(2026, 3, 19), ann)
	p := plan(r, ended, nil, employee)
	if p.Outcome != store.OutcomeSkipped || len(p.Ops) != 0 || p.Reason != "the meeting has already ended" {
		t.Fatalf("ended: %s %v %q", p.Outcome, opsOf(p), p.Reason)
	}
	// An ended meeting's visits are history: even a cancellation leaves them.
	ev := meeting("e1", day(2026, 3, 24), ann)
	known := remember(ev, plan(r, ev, nil, employee))
	later := time.Date(2026, 3, 25, 0, 0, 0, 0, time.UTC)
	ev.IsCancelled = true
	if p := planAt(r, ev, known, employee, later); len(p.Ops) != 0 || len(p.Visits) != 1 {
		t.Fatalf("ended and cancelled: %v visits=%d, want no operation and the visit kept", opsOf(p), len(p.Visits))
	}
	if p := planAt(r, graph.Event{ID: "e1", Removed: true}, known, employee, later); len(p.Ops) != 0 || !p.Forget {
		t.Fatalf("ended and deleted: %v forget=%v, want no operation", opsOf(p), p.Forget)
	}

	far := meeting("far", day(2026, 4, 19), ann) // the window ends at midnight of 19 April, Madrid
	if p := plan(r, far, nil, employee); p.Outcome != store.OutcomeSkipped || p.Reason != "it starts after the 30-day look-ahead window" {
		t.Fatalf("beyond window: %s %q", p.Outcome, p.Reason)
	}
	near := meeting("near", day(2026, 4, 18), ann)
	if p := plan(r, near, nil, employee); p.Outcome != store.OutcomeCreated {
		t.Fatalf("last day of the window: %s %q, want created", p.Outcome, p.Reason)
	}
	// A meeting in progress is still handled.
	running := meeting("now", day(2026, 3, 20), ann) // 09:00–11:00 UTC, planNow is 08:00 UTC
	if p := planAt(r, running, nil, employee, planNow.Add(90*time.Minute)); p.Outcome != store.OutcomeCreated {
		t.Fatalf("in progress: %s %q, want created", p.Outcome, p.Reason)
	}
}

func TestPlanRecurringOccurrences(t *testing.T) {
	r := testRules(t)
	refs := map[string]bool{}
	for week := 0; week < 4; week++ {
		ev := meeting("occ", day(2026, 3, 23).AddDate(0, 0, 7*week), ann)
		ev.ID, ev.ICalUID = ev.ID+string(rune('0'+week)), ev.ICalUID+string(rune('0'+week))
		ev.Type, ev.SeriesMasterID = graph.TypeOccurrence, "master"
		p := plan(r, ev, nil, employee)
		if p.Outcome != store.OutcomeCreated || len(p.Visits) != 1 {
			t.Fatalf("week %d: %s %q", week, p.Outcome, p.Reason)
		}
		refs[p.Visits[0].Ref] = true
	}
	if len(refs) != 4 {
		t.Errorf("4 occurrences gave %d distinct refs, want 4", len(refs))
	}
	master := meeting("master", day(2026, 3, 23), ann)
	master.Type = graph.TypeSeriesMaster
	if p := plan(r, master, nil, employee); p.Outcome != store.OutcomeSkipped || len(p.Ops) != 0 {
		t.Errorf("series master: %s %v, want skipped", p.Outcome, opsOf(p))
	}
}
