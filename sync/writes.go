package sync

import (
	"errors"
	"time"

	"invitesync/sync/store"
)

// planWrites gathers what the plans of one transaction write to events,
// visits, the outbox and the activity log, and writes it in few statements
// (flush) rather than a few per event. Writes keep their order: a visit's
// cancellation first writes the visits gathered before it, and reading an
// event first writes the events gathered.
type planWrites struct {
	tx     *store.Tx
	events []store.Event
	visits []store.Visit
	ops    []store.Op
	// planned are ops as planned; once queued they are in queued, with
	// their ids, for the handoff to delivery.
	planned []Op
	queued  []queuedOp
	acts    []*store.Activity // their IDs and times are set by flush
	now     func() time.Time  // the time an announced activity carries
}

// putEvent gathers an event to store.
func (w *planWrites) putEvent(e store.Event) { w.events = append(w.events, e) }

// event reads a stored event, as the events gathered so far leave it.
func (w *planWrites) event(automation, id string) (store.Event, bool, error) {
	if err := w.flushEvents(); err != nil {
		return store.Event{}, false, err
	}
	return w.tx.Event(automation, id)
}

// putVisit gathers a visit to store.
func (w *planWrites) putVisit(v store.Visit) { w.visits = append(w.visits, v) }

// cancelVisit marks a stored visit cancelled; a visit that is not stored
// is no error.
func (w *planWrites) cancelVisit(automation, ref string) error {
	if err := w.flushVisits(); err != nil {
		return err
	}
	err := w.tx.SetVisitState(automation, ref, store.VisitCancelled, "")
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// enqueue gathers an operation to queue: op as planned, and as stored.
func (w *planWrites) enqueue(op Op, stored store.Op) {
	w.planned = append(w.planned, op)
	w.ops = append(w.ops, stored)
}

// addActivity gathers an activity line, stored at the transaction's time;
// flush sets its ID and At.
func (w *planWrites) addActivity(a *store.Activity) { w.acts = append(w.acts, a) }

// flush writes what was gathered: events, visits, operations, then
// activity.
func (w *planWrites) flush() error {
	if err := w.flushEvents(); err != nil {
		return err
	}
	if err := w.flushVisits(); err != nil {
		return err
	}
	if len(w.ops) > 0 {
		last, err := w.tx.Enqueue(w.ops...)
		if err != nil {
			return err
		}
		first := last - int64(len(w.ops)) + 1 // one statement's ids follow each other
		for i, op := range w.planned {
			w.queued = append(w.queued, queuedOp{first + int64(i), op})
		}
		w.ops, w.planned = w.ops[:0], w.planned[:0]
	}
	if len(w.acts) == 0 {
		return nil
	}
	acts := make([]store.Activity, len(w.acts))
	for i, a := range w.acts {
		acts[i] = *a
	}
	ids, err := w.tx.AddActivities(acts...)
	if err != nil {
		return err
	}
	for i, a := range w.acts {
		a.ID, a.At = ids[i], w.now()
	}
	w.acts = w.acts[:0]
	return nil
}

func (w *planWrites) flushVisits() error { return flushRows(&w.visits, w.tx.PutVisits) }

func (w *planWrites) flushEvents() error { return flushRows(&w.events, w.tx.PutEvents) }

// flushRows writes the rows gathered with put and empties them.
func flushRows[T any](rows *[]T, put func(...T) error) error {
	if len(*rows) == 0 {
		return nil
	}
	err := put(*rows...)
	*rows = (*rows)[:0]
	return err
}
