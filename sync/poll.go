package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"invitesync/graph"
	"invitesync/idm"
	"invitesync/sync/store"
)

// Poll runs one delta round to its deltaLink: the rest of an interrupted
// round, the next incremental round, or — with no cursor, after the window
// rolled to a new day, or when Graph expired the link — a fresh round. The
// pages are planned and committed with the next link, a few at a time (see
// roundBatch), in one transaction. It reports the number of events Graph
// returned.
func (e *Engine) Poll(ctx context.Context) (events int, err error) {
	return e.poll(ctx, func() {})
}

// endBatch is how many events the end of a round decides per transaction:
// a few pages' worth, which keeps the memory bounded and the transactions
// few.
const endBatch = 200

// roundBatch is how many events of a round's pages, at least, are decided
// and committed together, unless the round ends first: a transaction
// writes each index page it changes once, and the events of one page touch
// many index pages of a large calendar. A round of one page, the usual
// incremental one, commits as soon as it is read.
const roundBatch = 400

// fetched is a delta page on its way.
type fetched struct {
	page *graph.Page
	err  error
}

// poll is Poll calling committed after each transaction. While pages are
// planned and committed, the next one is already being fetched: a
// read that is simply dropped if the commit fails.
func (e *Engine) poll(ctx context.Context, committed func()) (events int, err error) {
	now := e.now()
	win := e.rules.Window(now)
	var cur store.Cursor
	var ok bool
	var rereads []store.Event
	if err := e.store.View(ctx, func(tx *store.Tx) error {
		if cur, ok, err = tx.Cursor(e.name); err != nil {
			return err
		}
		rereads, err = tx.EventsToReread(e.name)
		return err
	}); err != nil {
		return 0, err
	}
	switch {
	case !ok:
		cur = e.freshCursor(win, now)
	case cur.Complete && !cur.WindowStart.Equal(win.Start):
		e.log.Info("starting a fresh round: the look-ahead window moved to a new day",
			"from", win.Start.Format(time.DateOnly), "to", win.End.Format(time.DateOnly))
		cur = e.freshCursor(win, now)
		if err := e.store.Prune(ctx, now.Add(-store.HistoryKept)); err != nil {
			e.log.Warn("could not delete old history", "error", err)
		}
	}
	fetch := func(c store.Cursor) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			p, err := e.cal.DeltaPage(ctx, graph.Cursor{Link: c.Link, Start: c.WindowStart, End: c.WindowEnd})
			ch <- fetched{p, err}
		}()
		return ch
	}
	incoming := fetch(cur)
	resynced := false
	rs := newRoundSeries(Window{cur.WindowStart, cur.WindowEnd})
	pages := newPageGuard(e.maxPages)
	pages.follow(cur.Link)
	var held []graph.Event // read, not yet committed: see roundBatch
	for {
		f := <-incoming
		if isResync(f.err) && !resynced && cur.Link != "" {
			// The delta link expired: a fresh round replays every event,
			// which planning makes idempotent.
			resynced = true
			e.log.Warn("Graph expired the delta link; starting a fresh round", "error", f.err)
			if err := e.store.Update(ctx, func(tx *store.Tx) error { return tx.ClearCursor(e.name) }); err != nil {
				return events, err
			}
			cur = e.freshCursor(win, e.now())
			rs = newRoundSeries(Window{cur.WindowStart, cur.WindowEnd})
			pages = newPageGuard(e.maxPages)
			held = nil
			incoming = fetch(cur)
			continue
		}
		if f.err != nil {
			return events, f.err
		}
		events += len(f.page.Events)
		next := cur
		switch {
		case f.page.NextLink != "":
			if err := pages.follow(f.page.NextLink); err != nil {
				// The link that loops may be the one saved with the last
				// page: drop it, so that the next poll starts afresh.
				if cerr := e.store.Update(ctx, func(tx *store.Tx) error { return tx.ClearCursor(e.name) }); cerr != nil {
					return events, errors.Join(err, cerr)
				}
				return events, err
			}
			next.Link, next.Complete = f.page.NextLink, false
			incoming = fetch(next)
		case f.page.DeltaLink != "":
			next.Link, next.Complete = f.page.DeltaLink, true
		default:
			return events, errors.New("graph: a delta page carried neither a nextLink nor a deltaLink")
		}
		cur = next
		held = append(held, f.page.Events...)
		if len(held) < e.roundBatch && !cur.Complete {
			continue
		}
		if err := e.apply(ctx, rs, held, cur.RoundStarted, &cur); err != nil {
			return events, err
		}
		held = nil
		committed()
		if cur.Complete {
			break
		}
	}
	// The occurrences that waited for their master are completed; then the
	// events whose last read failed, and that the round did not report
	// again, are read again. A batch at a time, so that memory stays
	// bounded however many there are.
	waiting := rs.takeWaiting()
	for len(waiting) > 0 || len(rereads) > 0 {
		var again []graph.Event
		var err error
		if len(waiting) > 0 {
			n := min(len(waiting), endBatch)
			again, err = e.flush(ctx, rs, waiting[:n])
			waiting = waiting[n:]
		} else {
			n := min(len(rereads), endBatch)
			again, err = e.reread(ctx, rs, rereads[:n])
			rereads = rereads[n:]
		}
		if err != nil {
			return events, err
		}
		if len(again) == 0 {
			continue
		}
		if err := e.apply(ctx, rs, again, cur.RoundStarted, nil); err != nil {
			return events, err
		}
		committed()
	}
	if !e.freshRound.IsZero() && cur.RoundStarted.Equal(e.freshRound) {
		e.freshRound = time.Time{}
		return events, e.reconcile(ctx, cur)
	}
	return events, nil
}

// pollAndDeliver runs Poll while a second goroutine delivers the outbox as
// pages commit, then drains what is due.
func (e *Engine) pollAndDeliver(ctx context.Context) (events int, res DrainResult, pollErr, drainErr error) {
	wake := make(chan struct{}, 1)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			last := false
			select {
			case <-wake:
			case <-stop:
				last = true
			}
			d, err := e.Drain(ctx)
			res.add(d)
			if err != nil {
				drainErr = err
				return
			}
			if last {
				return
			}
		}
	}()
	events, pollErr = e.poll(ctx, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	close(stop)
	<-done
	return events, res, pollErr, drainErr
}

// freshCursor starts a new round over win.
func (e *Engine) freshCursor(win Window, now time.Time) store.Cursor {
	e.freshRound = now.UTC()
	return store.Cursor{WindowStart: win.Start, WindowEnd: win.End, RoundStarted: e.freshRound}
}

// stored is what the store holds about one event.
type stored struct {
	event  store.Event
	visits map[string]store.Visit // by ref, cancelled ones included
	known  *Known
}

// load reads what the store knows of the events with these ids.
func (e *Engine) load(ctx context.Context, ids []string) (map[string]*stored, error) {
	out := make(map[string]*stored, len(ids))
	err := e.store.View(ctx, func(tx *store.Tx) error {
		evs, err := tx.Events(e.name, ids...)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			id := ev.ID
			vs, err := tx.Visits(e.name, id)
			if err != nil {
				return err
			}
			reply, err := tx.Reply(e.name, id)
			if err != nil {
				return err
			}
			s := &stored{event: ev, visits: make(map[string]store.Visit, len(vs))}
			k := &Known{EventID: id, ICalUID: ev.ICalUID, Occurrence: ev.Occurrence, Outcome: store.Outcome(ev.Outcome), Reason: ev.Reason, Reply: reply}
			for _, v := range vs {
				s.visits[v.Ref] = v
				if v.Status == store.VisitCancelled {
					continue
				}
				k.Visits = append(k.Visits, PlannedVisit{
					Ref: v.Ref, VisitorEmail: v.VisitorEmail, VisitorName: v.VisitorName,
					HostEmail: v.HostEmail, HostEmployeeID: v.HostID,
					Arrival: v.Arrival.In(e.rules.Location), Departure: v.Departure.In(e.rules.Location),
					Subject: ev.Subject, Location: ev.Location, EventID: id, ICalUID: ev.ICalUID,
					Hash: v.BodyHash,
				})
			}
			s.known = k
			out[id] = s
		}
		return nil
	})
	return out, err
}

// host looks the organizer up in IDM (cached).
func (e *Engine) host(ctx context.Context, email string) (Host, error) {
	emp, err := e.hosts.FindEmployee(ctx, email)
	switch {
	case errors.Is(err, idm.ErrEmployeeNotFound):
		return Host{Email: email}, nil
	case err != nil:
		return Host{}, fmt.Errorf("looking up the organizer %s in IDM: %w", clean(email), err)
	}
	return Host{Email: email, Name: emp.DisplayName, EmployeeID: emp.ID}, nil
}

// reconcile cancels the visits of events a complete fresh round did not
// report although they lie in its window and have not ended: they left the
// calendar while no delta link could say so (an expired link, a gap). Only a
// complete fresh round reports every event in its window, so only then is
// absence evidence; an event merely not seen yet is never cancelled.
func (e *Engine) reconcile(ctx context.Context, cur store.Cursor) error {
	var missing []store.Event
	if err := e.store.View(ctx, func(tx *store.Tx) error {
		evs, err := tx.EventsNotSeenInRound(e.name, cur.RoundStarted)
		missing = evs
		return err
	}); err != nil {
		return err
	}
	now := e.now()
	var ids []string
	for _, ev := range missing {
		if ev.End.After(now) && ev.Start.Before(cur.WindowEnd) && ev.End.After(cur.WindowStart) {
			ids = append(ids, ev.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	known, err := e.load(ctx, ids)
	if err != nil {
		return err
	}
	var logged []*store.Activity
	err = e.store.Update(ctx, func(tx *store.Tx) error {
		logged = logged[:0]
		w := &planWrites{tx: tx, now: e.now}
		for _, id := range ids {
			s := known[id]
			if s == nil || len(s.known.Visits) == 0 {
				continue
			}
			gone := graph.Event{ID: id, Removed: true, RemovedReason: removedMissing}
			p := e.rules.Plan(PlanInput{Event: gone, Known: s.known, Window: Window{cur.WindowStart, cur.WindowEnd}, Now: now})
			a, err := e.commitPlan(w, gone, p, s, s.event.Round, "")
			if err != nil {
				return err
			}
			if a != nil {
				logged = append(logged, a)
			}
		}
		return w.flush()
	})
	if err != nil {
		return err
	}
	e.announce(logged)
	return nil
}

// announce logs decisions and publishes them on the feed.
func (e *Engine) announce(acts []*store.Activity) {
	for _, a := range acts {
		// What a person reads first comes first: a narrow log pane cuts the rest.
		e.log.Info("event "+string(a.Outcome), "subject", a.Subject, "host", a.Host,
			"visitors", a.Visitors, "reason", a.Reason, "event", a.EventID)
		e.feed.publish(FeedEvent{Automation: e.name, At: a.At, Kind: FeedDecision, Activity: *a})
	}
}
