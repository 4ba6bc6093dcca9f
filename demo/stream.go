package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"invitesync/graph/graphtest"
	"invitesync/sync/store"
)

// ChangeKind is what a Stream did to the calendar.
type ChangeKind string

// Kinds of change.
const (
	NewInvitation ChangeKind = "new invitation"
	Moved         ChangeKind = "moved"
	Cancelled     ChangeKind = "cancelled"
	NewGuest      ChangeKind = "new guest"
)

// Change is one change a Stream made.
type Change struct {
	Kind    ChangeKind
	EventID string
	Subject string
}

// rhythm is the order of the stream's changes: mostly new invitations.
var rhythm = []ChangeKind{NewInvitation, NewInvitation, Moved, NewInvitation, NewGuest, Cancelled}

// Stream keeps changing the demo calendar the way a working week does. It
// is not safe for concurrent use; Run drives it from one goroutine.
type Stream struct {
	g    *graphtest.Server
	rnd  *rand.Rand
	now  func() time.Time
	loc  *time.Location
	n    int
	live []string // events the stream created that it may still change
	// series is the week's weekly meeting: a new guest sometimes joins the
	// whole series, which reaches every coming occurrence.
	series string
}

// NewStream returns a stream whose choices follow seed, so a run can be
// repeated.
func (d *Demo) NewStream(seed uint64, now func() time.Time) *Stream {
	if now == nil {
		now = time.Now
	}
	return &Stream{g: d.Graph, rnd: rand.New(rand.NewPCG(seed, seed^0x5eed)), now: now, loc: d.loc, series: d.Week.Series}
}

// Run makes a change every interval until ctx ends, and calls poke after
// each one (the demo asks the loops to poll then, so nobody waits for the
// poll interval: see NudgeLoops). A failed change is reported to fail and
// skipped.
func (s *Stream) Run(ctx context.Context, every time.Duration, poke func(Change), fail func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c, err := s.Step()
			if err != nil {
				fail(err)
				continue
			}
			poke(c)
		}
	}
}

// Requester queues a command for the loop of an automation, whichever
// process runs it; *store.Store is one.
type Requester interface {
	Request(ctx context.Context, automation string, cmd store.Command) error
}

// NudgeLoops returns a poke for Run that asks the loop of each automation
// to poll now rather than at its interval. It sends store.CmdNudge, which a
// paused loop ignores: the stream never polls a paused automation, and a
// pause stays a pause. A request that fails is reported to warn, unless ctx
// has ended.
func NudgeLoops(ctx context.Context, r Requester, automations []string, warn func(error)) func(Change) {
	return func(Change) {
		for _, a := range automations {
			if err := r.Request(ctx, a, store.CmdNudge); err != nil && ctx.Err() == nil {
				warn(fmt.Errorf("demo: cannot ask %q for a poll: %w", a, err))
			}
		}
	}
}

// Step makes the next change.
func (s *Stream) Step() (Change, error) {
	kind := rhythm[s.n%len(rhythm)]
	s.n++
	if kind != NewInvitation && len(s.live) == 0 {
		kind = NewInvitation
	}
	switch kind {
	case Moved:
		return s.move()
	case Cancelled:
		return s.cancel()
	case NewGuest:
		return s.addGuest()
	}
	return s.invite()
}

// companies and people the stream invites.
var (
	companies = []string{"Adatum", "Fabrikam", "Litware", "Northwind", "Tailspin Toys", "Wingtip", "Woodgrove", "Proseware", "Fourth Coffee", "Alpine Ski House"}
	purposes  = []string{"Site visit", "Contract signing", "Quarterly review", "Installation planning", "Workshop", "Lunch meeting", "Product demo", "Maintenance visit"}
	firsts    = []string{"Ada", "Ben", "Chloé", "Diego", "Elif", "Femi", "Greta", "Hiro", "Inés", "Jonas", "Kai", "Lena", "Mateo", "Nora", "Omar", "Priya"}
	lasts     = []string{"Novak", "Silva", "Kim", "Dubois", "Rossi", "Okoye", "Larsen", "Tanaka", "Müller", "Haddad", "Costa", "Nguyen"}
	hosts     = []graphtest.Person{ana, raj, maria, tom}
)

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// newGuest invents a guest from company.
func (s *Stream) newGuest(company string) graphtest.Attendee {
	first, last := pick(s.rnd, firsts), pick(s.rnd, lasts)
	domain := strings.ToLower(strings.ReplaceAll(company, " ", "")) + ".example"
	local := strings.ToLower(asciiOnly(first) + "." + asciiOnly(last))
	return guest(first+" "+last, local+"@"+domain)
}

// asciiOnly spells a name the way an address's local part would: accents
// dropped ("Chloé" → "Chloe"), other non-ASCII letters left out.
func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 {
			return r
		}
		return -1
	}, norm.NFD.String(s))
}

func (s *Stream) invite() (Change, error) {
	company := pick(s.rnd, companies)
	subject := pick(s.rnd, purposes) + " with " + company
	days := workingDays(s.now().In(s.loc), 5)
	start := at(pick(s.rnd, days), 9+s.rnd.IntN(8), 30*s.rnd.IntN(2))
	attendees := []graphtest.Attendee{colleague(mailbox), s.newGuest(company)}
	if s.rnd.IntN(3) == 0 {
		attendees = append(attendees, s.newGuest(company))
	}
	id, err := s.g.AddEvent(Mailbox, graphtest.Event{
		Subject: subject, Organizer: pick(s.rnd, hosts), TimeZone: TimeZone,
		Start: start, End: start.Add(time.Duration(30*(1+s.rnd.IntN(4))) * time.Minute),
		Attendees: attendees,
	})
	if err != nil {
		return Change{}, fmt.Errorf("new invitation %q: %w", subject, err)
	}
	s.live = append(s.live, id)
	return Change{Kind: NewInvitation, EventID: id, Subject: subject}, nil
}

func (s *Stream) move() (Change, error) {
	id := pick(s.rnd, s.live)
	shift := time.Duration(1+s.rnd.IntN(3)) * time.Hour
	if s.rnd.IntN(2) == 0 {
		shift = 24 * time.Hour
	}
	err := s.g.UpdateEvent(Mailbox, id, func(e *graphtest.Event) {
		e.Start, e.End = e.Start.Add(shift), e.End.Add(shift)
	})
	return s.changed(Moved, id, err)
}

func (s *Stream) cancel() (Change, error) {
	i := s.rnd.IntN(len(s.live))
	id := s.live[i]
	s.live = append(s.live[:i], s.live[i+1:]...)
	return s.changed(Cancelled, id, s.g.CancelEvent(Mailbox, id))
}

func (s *Stream) addGuest() (Change, error) {
	id := pick(s.rnd, s.live)
	if s.series != "" && s.rnd.IntN(3) == 0 {
		id = s.series
	}
	company := pick(s.rnd, companies)
	if e, ok := s.g.Event(Mailbox, id); ok {
		if _, name, ok := strings.Cut(e.Subject, " with "); ok {
			company = name
		}
	}
	return s.changed(NewGuest, id, s.g.AddAttendee(Mailbox, id, s.newGuest(company)))
}

// changed reports a change to an existing event.
func (s *Stream) changed(kind ChangeKind, id string, err error) (Change, error) {
	e, _ := s.g.Event(Mailbox, id)
	if err != nil {
		return Change{}, fmt.Errorf("%s %q: %w", kind, e.Subject, err)
	}
	return Change{Kind: kind, EventID: id, Subject: e.Subject}, nil
}
