package sync

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"invitesync/graph"
	"invitesync/sync/store"
)

// seriesMasterReason is what the store says of a series master: it is
// never a visit itself.
const seriesMasterReason = "series master: each occurrence is planned on its own"

// readFailure starts the reason recorded for an event that could not be read.
const readFailure = "could not be read from Microsoft Graph: "

// waitingReason is what the store says of an occurrence first seen while it
// waits for its series master, until the end of the round.
const waitingReason = "waiting for its recurring series"

// apply decides a batch of events — a delta page, or at the end of a round
// the occurrences that waited for their master and the events read again
// after a failed read — and commits the decisions, their operations and,
// for a page (next), the next cursor in one transaction, as of the round
// round. Stripped occurrences are completed from their series first
// (resolve); on a page, one whose master has not come yet is recorded as
// waiting. An event that cannot be read is recorded as failed, to be read
// again next round, and the rest goes on. Nothing is committed when a host lookup or
// a series read fails for the whole mailbox: the page is fetched again by
// the next cycle.
func (e *Engine) apply(ctx context.Context, rs *roundSeries, events []graph.Event, round time.Time, next *store.Cursor) error {
	// The last report of an id wins; order is kept.
	index := make(map[string]int, len(events))
	var batch []graph.Event
	for _, ev := range events {
		if ev.ID == "" {
			if ev.Unreadable != "" {
				e.log.Warn("Graph sent an event without an id; it cannot be recorded", "reason", clean(ev.Unreadable))
			}
			continue
		}
		if i, dup := index[ev.ID]; dup {
			batch[i] = ev
			continue
		}
		index[ev.ID] = len(batch)
		batch = append(batch, ev)
	}
	work, err := e.resolve(ctx, rs, batch, next != nil)
	if err != nil {
		return err
	}
	ids := make([]string, len(work))
	for i, ev := range work {
		ids[i] = ev.ID
	}
	known, err := e.load(ctx, ids)
	if err != nil {
		return err
	}
	if err := e.loadSeriesReplies(ctx, rs, work); err != nil {
		return err
	}
	now := e.now()
	plans := make([]Plan, len(work))
	replied := make([]string, len(work)) // the series' reply before each plan
	for i, ev := range work {
		if ev.Unreadable != "" || ev.Partial || ev.Type == graph.TypeSeriesMaster && !ev.Removed {
			continue // recorded as they are, never planned
		}
		var k *Known
		if s := known[ev.ID]; s != nil {
			k = s.known
		}
		var h Host
		if addr := e.rules.HostToLookUp(ev, rs.win, now); addr != "" {
			if h, err = e.host(ctx, addr); err != nil {
				return err
			}
		}
		target := replyTarget(ev)
		replied[i] = rs.replied[target]
		plans[i] = e.rules.Plan(PlanInput{Event: ev, Known: k, Host: h, Window: rs.win, Now: now, SeriesReply: replied[i]})
		if target != ev.ID {
			rs.replied[target] = plans[i].Reply
		}
	}
	var logged []*store.Activity
	var w *planWrites
	err = e.store.Update(ctx, func(tx *store.Tx) error {
		logged = logged[:0]
		w = &planWrites{tx: tx, now: e.now}
		for i, ev := range work {
			var a *store.Activity
			var err error
			switch {
			case ev.Unreadable != "":
				a = e.recordFailure(w, ev, known[ev.ID], round)
			case ev.Partial:
				e.recordWaiting(w, ev, known[ev.ID], round)
			case ev.Type == graph.TypeSeriesMaster && !ev.Removed:
				e.recordMaster(w, ev, known[ev.ID], round)
			default:
				a, err = e.commitPlan(w, ev, plans[i], known[ev.ID], round, replied[i])
			}
			if err != nil {
				return err
			}
			if a != nil {
				logged = append(logged, a)
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		return tx.SetCursor(e.name, *next)
	})
	if err != nil {
		return err
	}
	e.handoff.put(w.queued...)
	for _, ev := range work {
		if !ev.Partial {
			rs.seen[ev.ID] = true
		}
	}
	e.announce(logged)
	return nil
}

// loadSeriesReplies reads the last reply queued for each series of work's
// occurrences that this poll has not read yet.
func (e *Engine) loadSeriesReplies(ctx context.Context, rs *roundSeries, work []graph.Event) error {
	var masters []string
	for _, ev := range work {
		if t := replyTarget(ev); t != ev.ID {
			if _, ok := rs.replied[t]; !ok {
				rs.replied[t] = ""
				masters = append(masters, t)
			}
		}
	}
	if len(masters) == 0 {
		return nil
	}
	return e.store.View(ctx, func(tx *store.Tx) error {
		for _, m := range masters {
			fp, err := tx.Reply(e.name, m)
			if err != nil {
				return err
			}
			rs.replied[m] = fp
		}
		return nil
	})
}

// commitPlan writes one plan in w's transaction: the event and the reply
// fingerprint, and gathers in w its visits, its operations and the
// activity line (returned, when any; its ID is set when w is flushed).
// replied is, for an occurrence, its series' reply before the plan.
func (e *Engine) commitPlan(w *planWrites, ev graph.Event, p Plan, s *stored, round time.Time, replied string) (*store.Activity, error) {
	if s == nil && (ev.Removed || p.Outcome == OutcomeUnchanged) {
		return nil, nil // never seen, nothing to remember
	}
	rec := store.Event{Automation: e.name, ID: ev.ID, Round: round}
	if s != nil {
		rec = s.event
		rec.Round = round
	}
	if !ev.Removed {
		rec.ICalUID, rec.ChangeKey = ev.ICalUID, ev.ChangeKey
		rec.Subject, rec.Location = p.Subject, clean(ev.Location)
		rec.OrganizerName, rec.OrganizerEmail = clean(ev.Organizer.Name), p.Host
		rec.Start, rec.End, rec.IsAllDay = ev.Start, ev.End, ev.IsAllDay
		rec.Type, rec.SeriesID = ev.Type, ev.SeriesMasterID
		if ev.SeriesMasterID != "" {
			rec.Occurrence = p.Key
		}
	}
	rec.Reread = false
	if p.Outcome != OutcomeUnchanged {
		rec.Outcome, rec.Reason = p.Outcome, p.Reason
	}
	if rec.Outcome == "" {
		rec.Outcome, rec.Reason = store.OutcomeSkipped, p.Reason
	}
	w.putEvent(rec)
	if err := e.commitReply(w, ev, p, s, round, replied); err != nil {
		return nil, err
	}
	for _, op := range p.Ops {
		switch op.Kind {
		case OpPut:
			v := op.Visit
			w.putVisit(store.Visit{
				Automation: e.name, Ref: v.Ref, EventID: ev.ID,
				VisitorEmail: v.VisitorEmail, VisitorName: v.VisitorName,
				HostEmail: v.HostEmail, HostID: v.HostEmployeeID,
				Arrival: v.Arrival, Departure: v.Departure,
				Status: store.VisitPending, BodyHash: v.Hash,
			})
		case OpDelete:
			if err := w.cancelVisit(e.name, op.Ref); err != nil {
				return nil, err
			}
		}
		payload, err := json.Marshal(op)
		if err != nil {
			return nil, err
		}
		w.enqueue(op, store.Op{Automation: e.name, Ref: op.Ref, EventID: ev.ID, Kind: store.OpKind(op.Kind), Payload: payload})
	}
	if p.Outcome == OutcomeUnchanged {
		return nil, nil
	}
	a := &store.Activity{
		Automation: e.name, EventID: ev.ID, Subject: rec.Subject, Host: rec.OrganizerEmail,
		Visitors: visitorList(p, s), Outcome: p.Outcome, Reason: p.Reason,
	}
	w.addActivity(a)
	return a, nil
}

// commitReply records a new reply signature: on the event itself, or for an
// occurrence on its series master, whose record is made when the store
// does not hold it yet (delta may send the master after its occurrences).
func (e *Engine) commitReply(w *planWrites, ev graph.Event, p Plan, s *stored, round time.Time, replied string) error {
	target := replyTarget(ev)
	before := replied
	if target == ev.ID {
		before = ""
		if s != nil {
			before = s.known.Reply
		}
	}
	if p.Reply == "" || p.Reply == before {
		return nil
	}
	if target != ev.ID {
		if _, ok, err := w.event(e.name, target); err != nil || !ok {
			if err != nil {
				return err
			}
			w.putEvent(store.Event{Automation: e.name, ID: target, Type: graph.TypeSeriesMaster, Round: round,
				Outcome: store.OutcomeSkipped, Reason: seriesMasterReason})
		}
	}
	return w.tx.SetReply(e.name, target, p.Reply)
}

// recordMaster stores a series master as delta sent it, without times (its
// own are its first occurrence's, however long ago) and without an
// activity line: it is never a visit itself.
func (e *Engine) recordMaster(w *planWrites, ev graph.Event, s *stored, round time.Time) {
	rec := store.Event{Automation: e.name, ID: ev.ID}
	if s != nil {
		rec = s.event
	}
	rec.Round, rec.Type, rec.SeriesID, rec.Occurrence, rec.Reread = round, graph.TypeSeriesMaster, "", "", false
	rec.ICalUID, rec.ChangeKey = ev.ICalUID, ev.ChangeKey
	rec.Subject, rec.Location = clean(ev.Subject), clean(ev.Location)
	rec.OrganizerName, rec.OrganizerEmail = clean(ev.Organizer.Name), clean(strings.ToLower(ev.Organizer.Email))
	rec.Start, rec.End, rec.IsAllDay = time.Time{}, time.Time{}, ev.IsAllDay
	rec.Outcome, rec.Reason = store.OutcomeSkipped, seriesMasterReason
	w.putEvent(rec)
}

// recordWaiting records an occurrence that waits for its series master,
// marked to be read again should the round not end (a crash, an error);
// what the store knew of it stays as it was.
func (e *Engine) recordWaiting(w *planWrites, ev graph.Event, s *stored, round time.Time) {
	rec := store.Event{Automation: e.name, ID: ev.ID, Start: ev.Start, End: ev.End,
		Outcome: store.OutcomeSkipped, Reason: waitingReason}
	if s != nil {
		rec = s.event
	}
	rec.Type, rec.SeriesID, rec.Round, rec.Reread = ev.Type, ev.SeriesMasterID, round, true
	w.putEvent(rec)
}

// recordFailure records an event that could not be read: failed, with the
// reason, marked to be read again next round; what the store knew of it
// (its visits above all) stays as it was. The activity log says so once
// per reason.
func (e *Engine) recordFailure(w *planWrites, ev graph.Event, s *stored, round time.Time) *store.Activity {
	rec := store.Event{Automation: e.name, ID: ev.ID, Start: ev.Start, End: ev.End, IsAllDay: ev.IsAllDay}
	if s != nil {
		rec = s.event
	}
	if rec.Type == "" {
		rec.Type = ev.Type
	}
	if rec.SeriesID == "" {
		rec.SeriesID = ev.SeriesMasterID
	}
	reason := readFailure + clean(ev.Unreadable)
	logged := rec.Outcome == store.OutcomeFailed && rec.Reason == reason
	rec.Round, rec.Reread, rec.Outcome, rec.Reason = round, true, store.OutcomeFailed, reason
	w.putEvent(rec)
	e.log.Warn("cannot read an event; it is read again next round", "event", clean(ev.ID), "reason", clean(ev.Unreadable))
	if logged {
		return nil
	}
	a := &store.Activity{Automation: e.name, EventID: ev.ID, Subject: rec.Subject, Host: rec.OrganizerEmail,
		Outcome: store.OutcomeFailed, Reason: reason}
	w.addActivity(a)
	return a
}

// visitorList names the visitors a decision is about, for the activity log.
func visitorList(p Plan, s *stored) string {
	var names []string
	add := func(name, email string) {
		if name == "" {
			name = email
		}
		names = appendOnce(names, name)
	}
	for _, v := range p.Visits {
		add(v.VisitorName, v.VisitorEmail)
	}
	for _, op := range p.Ops {
		if op.Visit != nil {
			add(op.Visit.VisitorName, op.Visit.VisitorEmail)
		}
	}
	return strings.Join(names, ", ")
}
