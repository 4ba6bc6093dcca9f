// Package storetest fills a state database with the history that a long
// use leaves behind, for the benchmarks of the store, `status` and the
// dashboard.
package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"invitesync/sync/store"
)

// History is the use to simulate: one automation, Days days ending at End,
// PerDay new invitations each day.
type History struct {
	Automation string    // default "Reception"
	Days       int       // default 365
	PerDay     int       // default 500
	End        time.Time // default now
}

// Filled is what Fill left: the rows kept after pruning and the file size.
type Filled struct {
	Events, Visits, Ops, Activity int
	Failed                        int   // operations failed for good, kept for an operator
	Bytes                         int64 // the database file and its WAL, once closed
	// Prune is how long the last day's Prune took: the write lock the
	// poll loop holds once a day.
	Prune time.Duration
}

// pageSize is the events of one delta page, committed in one transaction.
const pageSize = 50

// pad makes ids as long as Graph's (about 150 characters).
var pad = strings.Repeat("AAMkAGI2TGuLAAA", 9)

// Fill writes h into a new database at path, the way the engine writes a
// day: each day's new invitations (70 % with 1–3 visitors, the rest
// internal and skipped) for meetings in the next two weeks, in page-sized
// transactions with their visits, operations, accept replies and activity;
// IDM's answers in transactions of their own (one visit in 500 refused
// for good); a tenth of yesterday's meetings moved and one in 33
// cancelled; then the loop's status and, as the engine does when its
// window rolls to a new day, Prune of what is older than HistoryKept.
func Fill(ctx context.Context, path string, h History) (Filled, error) {
	if h.Automation == "" {
		h.Automation = "Reception"
	}
	if h.Days <= 0 {
		h.Days = 365
	}
	if h.PerDay <= 0 {
		h.PerDay = 500
	}
	if h.End.IsZero() {
		h.End = time.Now()
	}
	var now time.Time
	st, err := store.Open(ctx, path, store.WithClock(func() time.Time { return now }))
	if err != nil {
		return Filled{}, err
	}
	defer st.Close()
	f := filler{st: st, h: h}
	var pruned time.Duration
	for d := range h.Days {
		now = h.End.Add(-time.Duration(h.Days-d) * 24 * time.Hour)
		day := now
		for first := 0; first < h.PerDay; first += pageSize {
			now = now.Add(2 * time.Second)
			if err := f.page(ctx, d, first, min(first+pageSize, h.PerDay), day); err != nil {
				return Filled{}, err
			}
		}
		if d > 0 {
			now = now.Add(time.Hour)
			if err := f.changes(ctx, d-1, now); err != nil {
				return Filled{}, err
			}
		}
		if err := st.SetLoopStatus(ctx, store.LoopStatus{Automation: h.Automation, State: "idle",
			LastPoll: now, LastSuccess: now, NextPoll: now.Add(15 * time.Second)}); err != nil {
			return Filled{}, err
		}
		start := time.Now()
		if err := st.Prune(ctx, now.Add(-store.HistoryKept)); err != nil {
			return Filled{}, err
		}
		pruned = time.Since(start)
	}
	now = h.End.Add(-5 * time.Second)
	if err := st.SetLoopStatus(ctx, store.LoopStatus{Automation: h.Automation, State: "idle",
		LastPoll: now, LastSuccess: now, NextPoll: now.Add(15 * time.Second)}); err != nil {
		return Filled{}, err
	}
	if err := st.Close(); err != nil {
		return Filled{}, err
	}
	out, err := count(ctx, path)
	if err != nil {
		return out, err
	}
	out.Prune = pruned
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			out.Bytes += fi.Size()
		}
	}
	return out, nil
}

// filler writes the days of one History.
type filler struct {
	st *store.Store
	h  History
	n  int // visits answered, to refuse one in 500
}

// meeting is one invitation of the simulated mailbox: the i-th first seen
// on day d, which began at day.
type meeting struct {
	id, subject string
	guests      int // 0: an internal meeting
	start, end  time.Time
}

func (f *filler) meeting(d, i int, day time.Time) meeting {
	start := day.Truncate(time.Hour).Add(time.Duration(i%15)*24*time.Hour + time.Duration(i%8)*time.Hour)
	m := meeting{id: fmt.Sprintf("%s%03d%04dAAA=", pad, d, i), start: start, end: start.Add(time.Hour)}
	if i%20 < 14 {
		m.guests = 1 + i%3
		m.subject = fmt.Sprintf("Supplier review %d/%d with Fabrikam", d, i)
	} else {
		m.subject = fmt.Sprintf("Team sync %d/%d", d, i)
	}
	return m
}

func (m meeting) ref(g int) string {
	return fmt.Sprintf("%s-guest%d@fabrikam.com", m.id[len(m.id)-12:], g)
}

// queued is an operation to be answered.
type queued struct {
	id   int64
	ref  string
	kind store.OpKind
}

// page stores the invitations first..last-1 of day d, as one delta page,
// then IDM's and Graph's answers.
func (f *filler) page(ctx context.Context, d, first, last int, day time.Time) error {
	var ops []queued
	err := f.st.Update(ctx, func(tx *store.Tx) error {
		for i := first; i < last; i++ {
			m := f.meeting(d, i, day)
			q, err := f.put(tx, m, store.OutcomeCreated, "visitors registered", true)
			if err != nil {
				return err
			}
			ops = append(ops, q...)
		}
		return tx.SetCursor(f.h.Automation, store.Cursor{Link: fmt.Sprintf("https://graph.microsoft.com/v1.0/me/calendarView/delta?$skiptoken=%s%d", pad, first),
			WindowStart: day, WindowEnd: day.Add(15 * 24 * time.Hour), RoundStarted: day})
	})
	if err != nil {
		return err
	}
	return f.answer(ctx, ops)
}

// changes moves a tenth of day d's meetings with visitors and cancels one
// in 33, each page in one transaction, then answers.
func (f *filler) changes(ctx context.Context, d int, day time.Time) error {
	for first := 0; first < f.h.PerDay; first += pageSize {
		var ops []queued
		err := f.st.Update(ctx, func(tx *store.Tx) error {
			for i := first; i < min(first+pageSize, f.h.PerDay); i++ {
				m := f.meeting(d, i, day.Add(-24*time.Hour))
				if m.guests == 0 {
					continue
				}
				var q []queued
				var err error
				switch {
				case i%33 == 2:
					q, err = f.cancel(tx, m)
				case i%10 == 1:
					m.start, m.end = m.start.Add(time.Hour), m.end.Add(time.Hour)
					q, err = f.put(tx, m, store.OutcomeUpdated, "moved to a new time", false)
				}
				if err != nil {
					return err
				}
				ops = append(ops, q...)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := f.answer(ctx, ops); err != nil {
			return err
		}
	}
	return nil
}

// put records m with outcome o: the event, its visits with their PUTs, an
// accept reply when reply is set, and the activity line.
func (f *filler) put(tx *store.Tx, m meeting, o store.Outcome, reason string, reply bool) ([]queued, error) {
	a := f.h.Automation
	ev := store.Event{Automation: a, ID: m.id, ICalUID: "040000008200E00074C5B7101A82E008" + m.id[len(m.id)-40:],
		ChangeKey: "DwAAABYAAAB" + m.id[len(m.id)-20:], Subject: m.subject, OrganizerName: "Hanna Host",
		OrganizerEmail: "hanna.host@contoso.com", Location: "Building A, meeting room 2", Start: m.start, End: m.end,
		Type: "singleInstance", Outcome: o, Reason: fmt.Sprintf("%d %s", m.guests, reason)}
	if m.guests == 0 {
		ev.Outcome, ev.Reason = store.OutcomeSkipped, "no visitor: every attendee is of the organization"
	}
	if err := tx.PutEvent(ev); err != nil {
		return nil, err
	}
	var ops []queued
	var names []string
	for g := range m.guests {
		ref := m.ref(g)
		visitor := fmt.Sprintf("guest%d@fabrikam.com", g)
		names = append(names, fmt.Sprintf("Guest %d", g))
		if err := tx.PutVisit(store.Visit{Automation: a, Ref: ref, EventID: m.id, VisitorEmail: visitor,
			VisitorName: names[g], HostEmail: ev.OrganizerEmail, HostID: "emp-7", Arrival: m.start, Departure: m.end,
			Status: store.VisitPending, BodyHash: fmt.Sprintf("%064x", m.start.Unix()+int64(g))}); err != nil {
			return nil, err
		}
		q, err := enqueue(tx, a, m.id, ref, store.OpPut, map[string]any{"kind": "put", "ref": ref, "visit": map[string]any{
			"ref": ref, "visitorEmail": visitor, "visitorName": names[g], "hostEmail": ev.OrganizerEmail,
			"hostEmployeeId": "emp-7", "arrival": m.start, "departure": m.end, "subject": m.subject,
			"location": ev.Location, "eventId": m.id, "iCalUId": ev.ICalUID}})
		if err != nil {
			return nil, err
		}
		ops = append(ops, q)
	}
	if reply && m.guests > 0 {
		if err := tx.SetReply(a, m.id, "accept:"+strings.Join(names, ",")); err != nil {
			return nil, err
		}
		q, err := enqueue(tx, a, m.id, m.id, store.OpReply, map[string]any{"kind": "reply", "ref": m.id,
			"reply": map[string]any{"eventId": m.id, "kind": "accept", "comment": "Your visitors are registered at reception."}})
		if err != nil {
			return nil, err
		}
		ops = append(ops, q)
	}
	_, err := tx.AddActivity(store.Activity{Automation: a, EventID: m.id, Subject: m.subject, Host: ev.OrganizerEmail,
		Visitors: strings.Join(names, ", "), Outcome: ev.Outcome, Reason: ev.Reason})
	return ops, err
}

// cancel records m cancelled: its visits cancelled with their DELETEs.
func (f *filler) cancel(tx *store.Tx, m meeting) ([]queued, error) {
	a := f.h.Automation
	ev, ok, err := tx.Event(a, m.id)
	if err != nil || !ok {
		return nil, err
	}
	ev.Outcome, ev.Reason = store.OutcomeCancelled, "the organizer cancelled the meeting"
	if err := tx.PutEvent(ev); err != nil {
		return nil, err
	}
	var ops []queued
	for g := range m.guests {
		ref := m.ref(g)
		if err := tx.SetVisitState(a, ref, store.VisitCancelled, ""); err != nil {
			return nil, err
		}
		q, err := enqueue(tx, a, m.id, ref, store.OpDelete, map[string]any{"kind": "delete", "ref": ref})
		if err != nil {
			return nil, err
		}
		ops = append(ops, q)
	}
	_, err = tx.AddActivity(store.Activity{Automation: a, EventID: m.id, Subject: m.subject, Host: ev.OrganizerEmail,
		Outcome: ev.Outcome, Reason: ev.Reason})
	return ops, err
}

func enqueue(tx *store.Tx, automation, eventID, ref string, kind store.OpKind, payload any) (queued, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return queued{}, err
	}
	id, err := tx.Enqueue(store.Op{Automation: automation, Ref: ref, EventID: eventID, Kind: kind, Payload: b})
	return queued{id: id, ref: ref, kind: kind}, err
}

// answer records the answers to ops in one transaction, as the outbox
// does with a batch: done, or for one visit in 500 refused for good.
func (f *filler) answer(ctx context.Context, ops []queued) error {
	if len(ops) == 0 {
		return nil
	}
	return f.st.Update(ctx, func(tx *store.Tx) error {
		a := f.h.Automation
		for _, q := range ops {
			var err error
			switch {
			case q.kind == store.OpReply:
				err = tx.MarkDone(q.id, store.Result{Code: 202})
			case q.kind == store.OpDelete:
				if err = tx.MarkDone(q.id, store.Result{Code: 204}); err == nil {
					err = tx.SetVisitState(a, q.ref, store.VisitCancelled, "")
				}
			default:
				f.n++
				if f.n%500 == 0 {
					if err = tx.MarkFailed(q.id, "IDM answered 422: the host employee has no access level"); err == nil {
						err = tx.SetVisitState(a, q.ref, store.VisitFailed, "")
					}
					break
				}
				if err = tx.MarkDone(q.id, store.Result{Code: 201, VisitID: "vis-" + q.ref, Status: "expected"}); err == nil {
					err = tx.SetVisitState(a, q.ref, store.VisitActive, "vis-"+q.ref)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// count reads how many rows the history left in the database at path.
func count(ctx context.Context, path string) (Filled, error) {
	var out Filled
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return out, err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM visits),
	(SELECT count(*) FROM outbox), (SELECT count(*) FROM activity), (SELECT count(*) FROM outbox WHERE state = 'failed')`).
		Scan(&out.Events, &out.Visits, &out.Ops, &out.Activity, &out.Failed)
	return out, err
}
