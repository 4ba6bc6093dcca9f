package graphtest

import (
	"fmt"
	"time"
)

// series links the items of a recurring meeting.
type series struct {
	// master is an occurrence's or exception's series master.
	master *item
	// origStart is where an occurrence or exception was before any move:
	// its occurrenceId and originalStart.
	origStart time.Time
	// occurrences are a master's occurrences and exceptions, in order.
	occurrences []*item
}

// AddWeeklySeries adds a recurring meeting that happens count times, weekly,
// starting with first, which may lie years in the past. It returns the
// series master's id and its occurrences' ids. The master carries the
// first occurrence's start and end, as Graph sends it. Each occurrence has
// its own id; they show the master's iCalUId unless
// SetDistinctOccurrenceUIDs(true).
func (s *Server) AddWeeklySeries(mailbox string, first Event, count int) (string, []string, error) {
	if count < 1 {
		return "", nil, fmt.Errorf("%w: count must be at least 1", ErrBadEvent)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailbox(mailbox)
	if err != nil {
		return "", nil, err
	}
	master, err := s.newItem(mb, first)
	if err != nil {
		return "", nil, err
	}
	master.ev.Type = "seriesMaster"
	ids := make([]string, 0, count)
	for i := range count {
		occ := first
		occ.ID, occ.ICalUID = "", ""
		occ.Start = first.Start.AddDate(0, 0, 7*i)
		occ.End = first.End.AddDate(0, 0, 7*i)
		it, err := s.newItem(mb, occ)
		if err != nil {
			return "", nil, err
		}
		it.ev.Type = "occurrence"
		it.ev.SeriesMasterID = master.ev.ID
		it.master, it.origStart = master, occ.Start
		s.touch(it)
		master.occurrences = append(master.occurrences, it)
		ids = append(ids, it.ev.ID)
	}
	s.touch(master)
	return master.ev.ID, ids, nil
}

// SetDistinctOccurrenceUIDs chooses the iCalUId of occurrences and
// exceptions: by default they share their master's, as field reports
// describe (microsoft-graph-docs#17479); true gives each its own, as the
// v1.0 event documentation describes.
func (s *Server) SetDistinctOccurrenceUIDs(distinct bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.distinctUIDs = distinct
}

// seriesSpan returns the instants from a master's first occurrence's start
// to its last occurrence's end, moved ones included: the span a calendar
// view checks a master against. For another item it is its span.
func (it *item) seriesSpan() (time.Time, time.Time) {
	from, to := it.span()
	for _, occ := range it.occurrences {
		if occ.deleted {
			continue
		}
		f, t := occ.span()
		if f.Before(from) {
			from = f
		}
		if t.After(to) {
			to = t
		}
	}
	return from, to
}

// sortStart is where an item sorts in a calendar view: by its start, but a
// master after its last occurrence, so a round never hands a client the
// master before the occurrences it completes (Graph promises no order).
func (it *item) sortStart() time.Time {
	if len(it.occurrences) == 0 {
		from, _ := it.span()
		return from
	}
	last := it.occurrences[len(it.occurrences)-1]
	from, _ := last.span()
	return from.Add(time.Nanosecond)
}
