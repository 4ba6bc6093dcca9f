package sync

import (
	"errors"
	"time"

	"invitesync/sync/store"
)

// planWrites gathers what the plans of one transaction write to visits,
// the outbox and the activity log, and writes it in few statements
// (flush) rather than a few per event. Writes keep their order: a visit's
// cancellation first writes the visits gathered before it.
type planWrites struct {
	tx     *store.Tx
	visits []store.Visit
	ops    []store.Op
	acts   []*store.Activity // their IDs and times are set by flush
	now    func() time.Time  // the time an announced activity carries
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

// enqueue gathers an operation to queue.
func (w *planWrites) enqueue(op store.Op) { w.ops = append(w.ops, op) }

// addActivity gathers an activity line, stored at the transaction's time;
// flush sets its ID and At.
func (w *planWrites) addActivity(a *store.Activity) { w.acts = append(w.acts, a) }

// flush writes what was gathered: visits, then operations, then activity.
func (w *planWrites) flush() error {
	if err := w.flushVisits(); err != nil {
		return err
	}
	if len(w.ops) > 0 {
		if _, err := w.tx.Enqueue(w.ops...); err != nil {
			return err
		}
		w.ops = w.ops[:0]
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

func (w *planWrites) flushVisits() error {
	if len(w.visits) == 0 {
		return nil
	}
	err := w.tx.PutVisits(w.visits...)
	w.visits = w.visits[:0]
	return err
}
