package graphtest

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors the scenario API returns.
var (
	ErrNoMailbox = errors.New("graphtest: no such mailbox")
	ErrNoEvent   = errors.New("graphtest: no such event")
	ErrBadEvent  = errors.New("graphtest: invalid event")
)

// Person is a display name and an email address.
type Person struct {
	Name    string
	Address string
}

// Attendee is one entry of an event's attendee list.
type Attendee struct {
	Person
	Type     string // required (default), optional or resource
	Response string // none (default), accepted, tentativelyAccepted, declined, …
}

// Event is an event in a simulated mailbox's calendar, as scenarios describe
// it. The fields under "set by the server" are ignored on input.
type Event struct {
	ID        string // assigned when empty
	ICalUID   string // assigned when empty
	Subject   string
	Location  string
	Body      string
	Organizer Person
	Attendees []Attendee
	// Start and End bound a timed event. For an all-day event only their
	// dates count: it runs from midnight of Start's date to midnight of End's
	// date (the next day when they are equal) in TimeZone.
	Start, End time.Time
	AllDay     bool
	// TimeZone is the organizer's zone, an IANA or a Windows name: where a
	// timed event's wall clock and a weekly series' weekday are, and what
	// originalStartTimeZone says, verbatim (Outlook-made events carry
	// Windows names such as "Tonga Standard Time"). Default UTC.
	TimeZone            string
	IsOrganizer         bool
	NoResponseRequested bool

	// Set by the server.
	Type           string // singleInstance, seriesMaster, occurrence or exception
	SeriesMasterID string
	Cancelled      bool
	Response       string // the mailbox's own response; notResponded until it replies
	ChangeKey      string
}

// item is a stored event with its change bookkeeping.
type item struct {
	ev       Event
	loc      *time.Location
	created  time.Time
	modified time.Time
	// responded is when the mailbox last answered through a reply; Graph
	// dates responseStatus by the answer, not by later edits.
	responded time.Time
	modSeq    int64
	deleted   bool
	// silent marks a deleted occurrence that delta never reports: only its
	// master changes.
	silent bool
	series
}

// span returns the instants the event covers. An all-day event covers the
// midnights of its dates in the organizer's zone, which is where Exchange
// keeps it; Graph renders it midnight to midnight in the requested zone.
func (it *item) span() (time.Time, time.Time) {
	if !it.ev.AllDay {
		return it.ev.Start, it.ev.End
	}
	start := midnight(it.ev.Start, it.loc)
	end := midnight(it.ev.End, it.loc)
	if !end.After(start) {
		end = start.AddDate(0, 0, 1)
	}
	return start, end
}

func midnight(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

type mailbox struct {
	address    string
	calendarID string
	items      map[string]*item
}

// AddMailbox creates an Exchange Online mailbox with an empty calendar.
func (s *Server) AddMailbox(address string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(address)
	if s.mailboxes[key] == nil {
		s.mailboxes[key] = &mailbox{address: address, calendarID: s.newID(), items: map[string]*item{}}
	}
	delete(s.noMailbox, key)
}

// AddUserWithoutMailbox creates a user that has no Exchange Online mailbox:
// Graph answers 404 MailboxNotEnabledForRESTAPI for its calendar.
func (s *Server) AddUserWithoutMailbox(address string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(address)
	delete(s.mailboxes, key)
	s.noMailbox[key] = true
}

// AddEvent puts a single event into mailbox's calendar and returns its id.
func (s *Server) AddEvent(mailbox string, e Event) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailbox(mailbox)
	if err != nil {
		return "", err
	}
	it, err := s.newItem(mb, e)
	if err != nil {
		return "", err
	}
	it.ev.Type = "singleInstance"
	s.touch(it)
	return it.ev.ID, nil
}

// UpdateEvent applies change to an event; on a series master it applies it to
// the master and to every occurrence, so a time change there should be
// relative (e.Start = e.Start.Add(time.Hour)). On one occurrence it makes
// that occurrence an exception, which keeps its id. The id, type and series
// fields cannot change. AddAttendee, RemoveAttendee, SetAttendeeResponse and
// CancelEvent treat series alike.
func (s *Server) UpdateEvent(mailbox, id string, change func(*Event)) error {
	return s.modify(mailbox, id, func(it *item) error {
		keep := it.ev
		change(&it.ev)
		it.ev.ID, it.ev.Type, it.ev.SeriesMasterID = keep.ID, keep.Type, keep.SeriesMasterID
		it.ev.ChangeKey = keep.ChangeKey
		loc, err := loadZone(it.ev.TimeZone)
		if err != nil {
			it.ev = keep
			return err
		}
		if it.ev.End.Before(it.ev.Start) {
			it.ev = keep
			return fmt.Errorf("%w: end before start", ErrBadEvent)
		}
		it.loc = loc
		return nil
	})
}

// CancelEvent cancels a meeting the way the organizer's cancellation reaches
// an attendee's calendar: the item stays, isCancelled becomes true and the
// subject gets the "Canceled: " prefix. On a series master it cancels every
// occurrence; on one occurrence it makes that occurrence an exception.
func (s *Server) CancelEvent(mailbox, id string) error {
	return s.modify(mailbox, id, func(it *item) error {
		it.ev.Cancelled = true
		if !strings.HasPrefix(it.ev.Subject, "Canceled: ") {
			it.ev.Subject = "Canceled: " + it.ev.Subject
		}
		return nil
	})
}

// DeleteEvent removes an event from the calendar; delta reports it as
// @removed. On a series master it deletes the whole series, each occurrence
// reported as @removed. One occurrence or exception deleted from its series
// is, as Graph does it (microsoft-graph-docs PR #4501), never reported:
// delta sends only its master, changed, and GET and instances no longer
// know the occurrence.
func (s *Server) DeleteEvent(mailbox, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, it, err := s.find(mailbox, id)
	if err != nil {
		return err
	}
	if it.master == nil {
		return s.modifyLocked(it, func(t *item) error {
			t.deleted = true
			return nil
		})
	}
	it.deleted, it.silent = true, true
	s.touch(it)
	s.touch(it.master)
	return nil
}

// AddAttendee adds an attendee (or replaces the one with the same address).
func (s *Server) AddAttendee(mailbox, id string, a Attendee) error {
	return s.modify(mailbox, id, func(it *item) error {
		it.ev.Attendees = append(withoutAttendee(it.ev.Attendees, a.Address), a)
		return nil
	})
}

// RemoveAttendee removes the attendee with that address.
func (s *Server) RemoveAttendee(mailbox, id, address string) error {
	return s.modify(mailbox, id, func(it *item) error {
		it.ev.Attendees = withoutAttendee(it.ev.Attendees, address)
		return nil
	})
}

// SetAttendeeResponse changes an attendee's response as the mailbox sees it
// (accepted, tentativelyAccepted, declined, none).
func (s *Server) SetAttendeeResponse(mailbox, id, address, response string) error {
	return s.modify(mailbox, id, func(it *item) error {
		for i := range it.ev.Attendees {
			if strings.EqualFold(it.ev.Attendees[i].Address, address) {
				it.ev.Attendees[i].Response = response
				return nil
			}
		}
		return fmt.Errorf("%w: no attendee %s", ErrBadEvent, address)
	})
}

// Event returns an event as the server holds it now.
func (s *Server) Event(mailbox, id string) (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, it, err := s.find(mailbox, id)
	if err != nil {
		return Event{}, false
	}
	return cloneEvent(it.ev), true
}

func withoutAttendee(list []Attendee, address string) []Attendee {
	out := make([]Attendee, 0, len(list))
	for _, a := range list {
		if !strings.EqualFold(a.Address, address) {
			out = append(out, a)
		}
	}
	return out
}

func cloneEvent(e Event) Event {
	e.Attendees = append([]Attendee(nil), e.Attendees...)
	return e
}

// modify runs fn on the event and records the change. On a series master
// it runs fn on each live occurrence too: the next delta round carries them
// (stripped) and the master after them. A change to one occurrence makes it
// an exception. Callers must not hold s.mu.
func (s *Server) modify(mailbox, id string, fn func(*item) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, it, err := s.find(mailbox, id)
	if err != nil {
		return err
	}
	return s.modifyLocked(it, fn)
}

// modifyLocked is modify for callers that hold s.mu.
func (s *Server) modifyLocked(it *item, fn func(*item) error) error {
	targets := []*item{}
	for _, occ := range it.occurrences {
		if !occ.deleted {
			targets = append(targets, occ)
		}
	}
	targets = append(targets, it)
	for _, t := range targets {
		keep := t.ev
		if err := fn(t); err != nil {
			t.ev = keep
			return err
		}
	}
	if it.ev.Type == "occurrence" {
		it.ev.Type = "exception"
	}
	for _, t := range targets {
		s.touch(t)
	}
	return nil
}

// find returns mailbox's live event id (either id form). Callers hold s.mu.
func (s *Server) find(mailbox, id string) (*mailbox, *item, error) {
	mb, err := s.mailbox(mailbox)
	if err != nil {
		return nil, nil, err
	}
	it := mb.items[parseID(id)]
	if it == nil || it.deleted {
		return nil, nil, fmt.Errorf("%w: %s", ErrNoEvent, id)
	}
	return mb, it, nil
}

// mailbox finds a mailbox by address. Callers hold s.mu.
func (s *Server) mailbox(address string) (*mailbox, error) {
	mb := s.mailboxes[strings.ToLower(address)]
	if mb == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoMailbox, address)
	}
	return mb, nil
}

// newItem validates e, fills in ids and defaults and stores it. Callers hold s.mu.
func (s *Server) newItem(mb *mailbox, e Event) (*item, error) {
	if e.Start.IsZero() || e.End.IsZero() || e.End.Before(e.Start) {
		return nil, fmt.Errorf("%w: start and end must be set, end not before start", ErrBadEvent)
	}
	if e.ID != "" && mb.items[e.ID] != nil {
		return nil, fmt.Errorf("%w: id %s already exists", ErrBadEvent, e.ID)
	}
	loc, err := loadZone(e.TimeZone)
	if err != nil {
		return nil, err
	}
	e = cloneEvent(e)
	if e.ID == "" {
		e.ID = s.newID()
	}
	if e.ICalUID == "" {
		e.ICalUID = fmt.Sprintf("040000008200E00074C5B7101A82E00800000000%032X", s.nextID())
	}
	if e.Response == "" {
		e.Response = "notResponded"
	}
	if e.IsOrganizer {
		e.Response = "organizer"
	}
	e.Cancelled = false
	now := time.Now().UTC()
	it := &item{ev: e, loc: loc, created: now}
	mb.items[e.ID] = it
	return it, nil
}

// touch records a change to it. Callers hold s.mu.
func (s *Server) touch(it *item) {
	s.seq++
	it.modSeq = s.seq
	it.modified = time.Now().UTC()
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(s.seq))
	binary.BigEndian.PutUint64(b[8:], uint64(it.created.UnixNano()))
	it.ev.ChangeKey = "DwAAABYAAAA" + base64.StdEncoding.EncodeToString(b)
}

func (s *Server) nextID() int64 {
	s.ids++
	return s.ids
}

// Immutable ids and the default (REST) ids Graph uses without
// Prefer: IdType="ImmutableId" differ; both are accepted on input.
const (
	immutablePrefix = "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A"
	restPrefix      = "AAMkAGI2TG93AAAAAAEGAAAHYQDEapmEc2byACqAC-EWg0A"
)

// newID returns a new immutable id. Callers hold s.mu.
func (s *Server) newID() string {
	b := make([]byte, 12)
	binary.BigEndian.PutUint64(b[4:], uint64(s.nextID()))
	copy(b[:4], []byte("gts1"))
	return immutablePrefix + base64.RawURLEncoding.EncodeToString(b)
}

// renderID returns id in the form the request asked for.
func renderID(id string, immutable bool) string {
	if immutable {
		return id
	}
	return restPrefix + strings.TrimPrefix(id, immutablePrefix)
}

// parseID accepts either id form and returns the immutable one.
func parseID(id string) string {
	if rest, ok := strings.CutPrefix(id, restPrefix); ok {
		return immutablePrefix + rest
	}
	return id
}
