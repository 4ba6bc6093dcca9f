package sync

import (
	"context"
	"errors"

	"invitesync/graph"
	"invitesync/sync/store"
)

// Recurring series as calendarView delta sends them (graph-notes §0): an
// occurrence comes stripped to its id, type, series and times; its master
// comes whole in the same round, in any order; an exception comes whole; a
// change to the series comes as the master and its stripped occurrences,
// and an occurrence deleted from its series may come as nothing but its
// master, changed.
//
// So an occurrence is completed from its series: from its master when delta
// sends it in the same round — an occurrence that comes before its master
// waits, recorded, for the end of the round — else from the series'
// instances in the window, read once per series and round. A master never
// becomes a visit; when it changed, its instances are read again so that
// the whole series follows (a guest added reaches every occurrence) and the
// occurrences no longer among them are cancelled.

// roundSeries is what one poll learned about recurring series and which
// events it decided.
type roundSeries struct {
	win    Window
	series map[string]*seriesState
	// replied is the signature of the last reply queued for each series
	// (by master id), as the store has it or this poll changed it.
	replied map[string]string
	// seen holds the ids of the events decided in this poll.
	seen map[string]bool
	// waiting are the stripped occurrences delta sent before their master,
	// completed at the end of the round (see flush).
	waiting []graph.Event
}

// seriesState is one series within a poll.
type seriesState struct {
	master *graph.Event // whole, as delta sent it in this poll
	read   bool         // its instances were read (or found gone, or failed)
	// instances are its occurrences and exceptions in the window, whole,
	// in Graph's order, and byID indexes them.
	instances []graph.Event
	byID      map[string]int
	gone      bool  // the master is no longer in the mailbox
	err       error // reading the instances failed for this series alone
}

func newRoundSeries(win Window) *roundSeries {
	return &roundSeries{win: win, series: map[string]*seriesState{}, replied: map[string]string{}, seen: map[string]bool{}}
}

func (rs *roundSeries) state(masterID string) *seriesState {
	st := rs.series[masterID]
	if st == nil {
		st = &seriesState{}
		rs.series[masterID] = st
	}
	return st
}

// instance returns the series' instance id, when it was read and lists it.
func (st *seriesState) instance(id string) (graph.Event, bool) {
	i, ok := st.byID[id]
	if !ok {
		return graph.Event{}, false
	}
	return st.instances[i], true
}

// itemFailure reports whether err concerns the item asked for alone (Graph
// refused or garbled this one answer), so the round goes on without it;
// throttling, network, sign-in and timeouts concern the whole mailbox.
func itemFailure(err error) bool {
	var ge *graph.GraphError
	return errors.As(err, &ge) || errors.Is(err, graph.ErrMalformed)
}

// readSeries reads the instances of the series masterID in the round's
// window, once per poll. A series that is gone or that Graph refused is
// recorded in its state; only a failure of the whole mailbox is an error.
func (e *Engine) readSeries(ctx context.Context, rs *roundSeries, masterID string) (*seriesState, error) {
	st := rs.state(masterID)
	if st.read {
		return st, nil
	}
	evs, err := e.cal.Instances(ctx, masterID, rs.win.Start, rs.win.End)
	switch {
	case err == nil:
		st.instances, st.byID = evs, make(map[string]int, len(evs))
		for i, ev := range evs {
			st.byID[ev.ID] = i
		}
	case graph.IsGone(err):
		st.gone = true
	case itemFailure(err):
		st.err = err
		e.log.Warn("cannot read a recurring series", "series", clean(masterID), "error", err)
	default:
		return nil, err
	}
	st.read = true
	return st, nil
}

// removal is the entry for an event the engine found gone, for why.
func removal(id, why string) graph.Event {
	return graph.Event{ID: id, Removed: true, RemovedReason: why}
}

// complete returns a stripped occurrence whole: as its series' instances
// list it when they were read, else from its master when delta sent it in
// this poll, else from its series' instances, read now. An occurrence its
// series no longer lists is gone; one whose series cannot be read (and
// whose master did not come) comes back Unreadable, to be recorded and read
// again next round.
func (e *Engine) complete(ctx context.Context, rs *roundSeries, ev graph.Event) (graph.Event, error) {
	st := rs.state(ev.SeriesMasterID)
	if st.master != nil && (!st.read || st.err != nil) {
		return ev.FromSeries(*st.master, e.rules.Location), nil
	}
	st, err := e.readSeries(ctx, rs, ev.SeriesMasterID)
	switch {
	case err != nil:
		return graph.Event{}, err
	case st.gone:
		return removal(ev.ID, removedSeriesGone), nil
	case st.err != nil:
		ev.Unreadable = "its recurring series could not be read: " + clean(st.err.Error())
		return ev, nil
	}
	if whole, ok := st.instance(ev.ID); ok {
		return whole, nil
	}
	return removal(ev.ID, removedFromSeries), nil
}

// resolve turns what Graph reported into the events to decide: stripped
// occurrences completed from their series; after a master that changed,
// every instance of its series in the window and the cancellation of its
// occurrences no longer among them; after a series' removal, the
// cancellation of its occurrences. What it adds follows evs, once per id.
// With wait, a stripped occurrence whose series this poll knows nothing of
// yet stays Partial, to wait for its master (see flush).
func (e *Engine) resolve(ctx context.Context, rs *roundSeries, evs []graph.Event, wait bool) ([]graph.Event, error) {
	in := make(map[string]bool, len(evs))
	for i, ev := range evs {
		in[ev.ID] = true
		if ev.Type == graph.TypeSeriesMaster && !ev.Removed && ev.Unreadable == "" {
			rs.state(ev.ID).master = &evs[i]
		}
	}
	// Series first: a changed series is read before its occurrences are
	// completed, so that they follow what the read found.
	var more []graph.Event
	failed := map[string]string{}
	for _, ev := range evs {
		var add []graph.Event
		var err error
		switch {
		case ev.Unreadable != "":
		case ev.Removed:
			add, err = e.seriesRemoved(ctx, ev.ID, in)
		case ev.Type == graph.TypeSeriesMaster:
			add, failed[ev.ID], err = e.seriesChanged(ctx, rs, ev, in)
		}
		if err != nil {
			return nil, err
		}
		more = append(more, add...)
	}
	out := make([]graph.Event, 0, len(evs)+len(more))
	for _, ev := range evs {
		switch {
		case ev.Type == graph.TypeSeriesMaster && failed[ev.ID] != "":
			ev.Unreadable = failed[ev.ID]
		case ev.Partial && ev.Unreadable == "":
			if st := rs.state(ev.SeriesMasterID); wait && !st.read && st.master == nil {
				rs.waiting = append(rs.waiting, ev) // stays Partial: recorded as waiting
				break
			}
			full, err := e.complete(ctx, rs, ev)
			if err != nil {
				return nil, err
			}
			ev = full
		}
		out = append(out, ev)
	}
	return append(out, more...), nil
}

// seriesOf reads what the store knows of a series: its master and its
// occurrences and exceptions.
func (e *Engine) seriesOf(ctx context.Context, masterID string) (master store.Event, known bool, occs []store.Event, err error) {
	err = e.store.View(ctx, func(tx *store.Tx) error {
		if master, known, err = tx.Event(e.name, masterID); err != nil {
			return err
		}
		occs, err = tx.SeriesEvents(e.name, masterID)
		return err
	})
	return master, known, occs, err
}

// seriesRemoved cancels, when id was a series master, its occurrences the
// store knows and evs did not report.
func (e *Engine) seriesRemoved(ctx context.Context, id string, in map[string]bool) ([]graph.Event, error) {
	_, _, occs, err := e.seriesOf(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []graph.Event
	for _, o := range occs {
		if !in[o.ID] {
			in[o.ID] = true
			out = append(out, removal(o.ID, removedSeriesGone))
		}
	}
	return out, nil
}

// seriesChanged handles a series master that delta sent. A series the
// store knows whose master changed is read again: every instance in the
// window is decided anew, and the occurrences the store knows that are no
// longer among them are cancelled. A series new to the store needs
// nothing: delta sends its occurrences. failed says why the series could
// not be read; the master is then recorded as failed, to be read again.
func (e *Engine) seriesChanged(ctx context.Context, rs *roundSeries, master graph.Event, in map[string]bool) (more []graph.Event, failed string, err error) {
	stored, known, occs, err := e.seriesOf(ctx, master.ID)
	unchanged := stored.Type == graph.TypeSeriesMaster && stored.ChangeKey == master.ChangeKey && !stored.Reread
	if err != nil || !known || unchanged || len(occs) == 0 {
		return nil, "", err
	}
	st, err := e.readSeries(ctx, rs, master.ID)
	switch {
	case err != nil:
		return nil, "", err
	case st.err != nil:
		return nil, "its occurrences could not be read: " + clean(st.err.Error()), nil
	case st.gone:
		more, err = e.seriesRemoved(ctx, master.ID, in)
		return more, "", err
	}
	// What this poll already decided stands: it was decided from this
	// series as it is now.
	for _, inst := range st.instances {
		if !in[inst.ID] && !rs.seen[inst.ID] {
			in[inst.ID] = true
			more = append(more, inst)
		}
	}
	now := e.now()
	for _, o := range occs {
		if in[o.ID] || rs.seen[o.ID] || !o.End.After(now) || !o.Start.Before(rs.win.End) || !o.End.After(rs.win.Start) {
			continue
		}
		in[o.ID] = true
		if o.Type != graph.TypeException {
			more = append(more, removal(o.ID, removedFromSeries))
			continue
		}
		// Graph has been seen to leave exceptions out of instances: ask.
		ev, err := e.cal.GetEvent(ctx, o.ID)
		switch {
		case err == nil:
			more = append(more, ev)
		case graph.IsGone(err):
			more = append(more, removal(o.ID, removedFromSeries))
		case itemFailure(err):
			e.log.Warn("cannot read an exception of a changed series", "event", clean(o.ID), "error", err)
		default:
			return nil, "", err
		}
	}
	return more, "", nil
}

// takeWaiting returns the occurrences that waited for their master, each
// once (its last report), and forgets them.
func (rs *roundSeries) takeWaiting() []graph.Event {
	last := make(map[string]int, len(rs.waiting))
	for i, ev := range rs.waiting {
		last[ev.ID] = i
	}
	out := make([]graph.Event, 0, len(last))
	for i, ev := range rs.waiting {
		if last[ev.ID] == i {
			out = append(out, ev)
		}
	}
	rs.waiting = nil
	return out
}

// flush completes occurrences that waited for their master, at the end of
// the round: from the master when delta sent it, else from their series'
// instances. Those this poll decided meanwhile (their series changed) are
// left alone.
func (e *Engine) flush(ctx context.Context, rs *roundSeries, waiting []graph.Event) ([]graph.Event, error) {
	var out []graph.Event
	for _, ev := range waiting {
		if rs.seen[ev.ID] {
			continue
		}
		full, err := e.complete(ctx, rs, ev)
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}

// reread reads again the events whose last read failed (or that waited for
// their master when the round stopped) and that this poll did not decide:
// an occurrence through its series, any other event on its own. It returns them (whole, gone, or still unreadable) for
// resolve and apply.
func (e *Engine) reread(ctx context.Context, rs *roundSeries, evs []store.Event) ([]graph.Event, error) {
	var out []graph.Event
	for _, se := range evs {
		if rs.seen[se.ID] {
			continue
		}
		if se.Type == graph.TypeOccurrence && se.SeriesID != "" {
			// An all-day occurrence completed before has the midnights of
			// its dates in the automation's zone; one never completed, the
			// times delta gave (in UTC, as the client asks).
			start, end := se.Start.UTC(), se.End.UTC()
			if se.IsAllDay {
				start, end = se.Start.In(e.rules.Location), se.End.In(e.rules.Location)
			}
			ev := graph.Event{ID: se.ID, Type: se.Type, SeriesMasterID: se.SeriesID, Start: start, End: end,
				IsAllDay: se.IsAllDay, Partial: true}
			full, err := e.complete(ctx, rs, ev)
			if err != nil {
				return nil, err
			}
			out = append(out, full)
			continue
		}
		ev, err := e.cal.GetEvent(ctx, se.ID)
		switch {
		case err == nil:
			if ev.Partial {
				if ev, err = e.complete(ctx, rs, ev); err != nil {
					return nil, err
				}
			}
		case graph.IsGone(err):
			ev = removal(se.ID, "deleted")
		case itemFailure(err):
			ev = graph.Event{ID: se.ID, Type: se.Type, SeriesMasterID: se.SeriesID, Unreadable: clean(err.Error())}
		default:
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}
