package demo

import (
	"time"

	"invitesync/graph/graphtest"
)

// Week is the calendar the demo starts with: the ids of its meetings.
type Week struct {
	// External is a meeting with two guests from another company: two visits.
	External string
	// Internal has colleagues only: skipped, with the reason.
	Internal string
	// Series is a weekly meeting with a supplier that began ten weeks ago and
	// runs three more: one visit per occurrence still to come. Occurrences
	// are its four in the coming month; Moved, the second, was moved an hour
	// later (an exception: its visit follows it), and CancelledOccurrence,
	// the third, was cancelled by the organizer (no visit).
	Series              string
	Occurrences         []string
	Moved               string
	CancelledOccurrence string
	// AllDay is a training day, booked by a host working in Tonga time
	// (UTC+13): a visit during the working hours of its date, not the day
	// before.
	AllDay string
	// UnknownHost is organised by someone IDM does not know as an employee:
	// no visit, and a reply to the organizer saying why.
	UnknownHost string
	// Cancelled was cancelled by its organizer before the first poll.
	Cancelled string
	// Interview has a guest and a meeting room: one visit, the room is no visitor.
	Interview string
}

// people of the demo.
var (
	mailbox = graphtest.Person{Name: "Reception", Address: Mailbox}
	ana     = graphtest.Person{Name: "Ana García", Address: "ana.garcia@contoso.com"}
	raj     = graphtest.Person{Name: "Raj Patel", Address: "raj.patel@contoso.com"}
	maria   = graphtest.Person{Name: "Maria Rossi", Address: "maria.rossi@contoso.com"}
	tom     = graphtest.Person{Name: "Tom Berg", Address: "tom.berg@contoso.com"}
	// temp is at contoso.com but not an employee in IDM.
	temp = graphtest.Person{Name: "Sam Temp", Address: "sam.temp@contoso.com"}
	room = graphtest.Person{Name: "Meeting room Alhambra", Address: "room.alhambra@contoso.com"}
)

func guest(name, address string) graphtest.Attendee {
	return graphtest.Attendee{Person: graphtest.Person{Name: name, Address: address}}
}

func colleague(p graphtest.Person) graphtest.Attendee { return graphtest.Attendee{Person: p} }

// workingDays returns the next n working days after now's day, at midnight in loc.
func workingDays(now time.Time, n int) []time.Time {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	var out []time.Time
	for len(out) < n {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, day)
		}
	}
	return out
}

// at is hh:mm on day.
func at(day time.Time, hour, minute int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, day.Location())
}

// addWeek puts the week's meetings into the demo mailbox's calendar.
func addWeek(g *graphtest.Server, now time.Time) (Week, error) {
	days := workingDays(now, 5)
	var w Week
	add := func(id *string, e graphtest.Event) error {
		if e.TimeZone == "" {
			e.TimeZone = TimeZone
		}
		var err error
		*id, err = g.AddEvent(Mailbox, e)
		return err
	}
	steps := []func() error{
		func() error {
			return add(&w.External, graphtest.Event{
				Subject: "Kick-off with Fabrikam", Location: "Meeting room Alhambra", Organizer: ana,
				Start: at(days[0], 10, 0), End: at(days[0], 11, 30),
				Attendees: []graphtest.Attendee{colleague(mailbox), colleague(raj),
					guest("Bob Kowalski", "bob.kowalski@fabrikam.com"), guest("Eve Martin", "eve.martin@fabrikam.com")},
			})
		},
		func() error {
			return add(&w.Internal, graphtest.Event{
				Subject: "Team stand-up", Organizer: raj,
				Start: at(days[0], 9, 0), End: at(days[0], 9, 15),
				Attendees: []graphtest.Attendee{colleague(mailbox), colleague(ana), colleague(maria), colleague(tom)},
			})
		},
		func() error { return addSeries(g, &w, days[1]) },
		func() error {
			return add(&w.AllDay, graphtest.Event{
				Subject: "Partner training day (Litware)", Organizer: tom, AllDay: true, TimeZone: "Tonga Standard Time",
				Start: days[2], End: days[2],
				Attendees: []graphtest.Attendee{colleague(mailbox), guest("Dan Okafor", "dan.okafor@litware.com")},
			})
		},
		func() error {
			return add(&w.UnknownHost, graphtest.Event{
				Subject: "Audit by Woodgrove Bank", Organizer: temp,
				Start: at(days[3], 11, 0), End: at(days[3], 13, 0),
				Attendees: []graphtest.Attendee{colleague(mailbox), guest("Frank Lindqvist", "frank.lindqvist@woodgrove.com")},
			})
		},
		func() error {
			if err := add(&w.Cancelled, graphtest.Event{
				Subject: "Budget review with Contoso Pharma", Organizer: maria,
				Start: at(days[1], 12, 0), End: at(days[1], 13, 0),
				Attendees: []graphtest.Attendee{colleague(mailbox), guest("Henry Adeyemi", "henry.adeyemi@contosopharma.com")},
			}); err != nil {
				return err
			}
			return g.CancelEvent(Mailbox, w.Cancelled)
		},
		func() error {
			return add(&w.Interview, graphtest.Event{
				Subject: "Interview: senior locksmith", Organizer: raj,
				Start: at(days[4], 9, 30), End: at(days[4], 10, 30),
				Attendees: []graphtest.Attendee{colleague(mailbox), colleague(ana),
					{Person: room, Type: "resource"}, guest("Grace Moreau", "grace.moreau@example.org")},
			})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return Week{}, err
		}
	}
	return w, nil
}

// seriesWeeks are how many weeks the supplier review has run before day,
// and how many more it runs.
const seriesWeeksBefore, seriesWeeksAfter = 10, 4

// addSeries adds the weekly supplier review, whose first meeting lies ten
// weeks before day, with one coming occurrence moved and one cancelled.
func addSeries(g *graphtest.Server, w *Week, day time.Time) error {
	first := day.AddDate(0, 0, -7*seriesWeeksBefore)
	e := graphtest.Event{
		Subject: "Supplier review with Northwind", Organizer: maria, TimeZone: TimeZone,
		Start: at(first, 15, 0), End: at(first, 16, 0),
		Attendees: []graphtest.Attendee{colleague(mailbox), guest("Carol Jensen", "carol.jensen@northwind.com")},
	}
	var all []string
	var err error
	if w.Series, all, err = g.AddWeeklySeries(Mailbox, e, seriesWeeksBefore+seriesWeeksAfter); err != nil {
		return err
	}
	w.Occurrences = all[seriesWeeksBefore:]
	w.Moved, w.CancelledOccurrence = w.Occurrences[1], w.Occurrences[2]
	if err := g.UpdateEvent(Mailbox, w.Moved, func(e *graphtest.Event) {
		e.Start, e.End = e.Start.Add(time.Hour), e.End.Add(time.Hour)
	}); err != nil {
		return err
	}
	return g.CancelEvent(Mailbox, w.CancelledOccurrence)
}
