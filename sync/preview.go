package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"invitesync/sync/store"
)

// Preview is what the next poll and delivery of an automation would do:
// the visits the outbox would create, update and cancel in IDM and the
// replies it would send, in the order it would send them, and every
// decision with its reason (skips above all). It is made by Engine.Preview.
type Preview struct {
	Automation string `json:"automation"`
	Mailbox    string `json:"mailbox"`
	TimeZone   string `json:"timeZone"`
	// From and Until are the look-ahead window the poll read.
	From      time.Time `json:"from"`
	Until     time.Time `json:"until"`
	Events    int       `json:"events"` // events Graph reported
	Visits    []Planned `json:"visits"`
	Replies   []Planned `json:"replies"`
	Decisions []Decided `json:"decisions"`
	// Beyond counts what Within left out.
	Beyond int `json:"beyond"`
}

// Actions of a planned operation.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionCancel = "cancel"
	ActionReply  = "reply"
)

// Planned is one operation the outbox would run.
type Planned struct {
	Action  string `json:"action"` // create, update, cancel or reply
	Ref     string `json:"ref"`    // the visit's reference; for a reply, the event answered
	EventID string `json:"eventId"`
	Subject string `json:"subject"`
	Host    string `json:"host"` // the organizer's address
	// Visitor, VisitorName, Arrival and Departure describe a visit.
	Visitor     string    `json:"visitor,omitempty"`
	VisitorName string    `json:"visitorName,omitempty"`
	Arrival     time.Time `json:"arrival,omitzero"`
	Departure   time.Time `json:"departure,omitzero"`
	// Reply and Comment describe a reply.
	Reply   ReplyKind `json:"reply,omitempty"`
	Comment string    `json:"comment,omitempty"`
	// Queued marks an operation an earlier poll planned and the outbox has
	// not delivered yet.
	Queued bool `json:"queued"`
}

// Decided is one decision about an event, as the activity log would say it.
type Decided struct {
	EventID  string        `json:"eventId"`
	Subject  string        `json:"subject"`
	Host     string        `json:"host"`
	Visitors string        `json:"visitors"`
	Start    time.Time     `json:"start,omitzero"` // of the meeting, when known
	Outcome  store.Outcome `json:"outcome"`
	Reason   string        `json:"reason"`
}

// ErrNotACopy is Preview's answer on an engine whose store is the state
// database itself rather than a copy of it.
var ErrNotACopy = errors.New("sync: a preview runs on a copy of the state database (store.OpenCopy)")

// Preview runs the engine's own poll — the delta round from the stored
// cursor, series completed from their masters, host lookups, planning and
// the reconciliation of a fresh round — against a copy of the state
// database, and reports what it queued together with what was already
// queued: exactly what the outbox of a `run --once` would then deliver, in
// its order. It writes nothing to IDM and answers no organizer; the engine
// must be built on a store from store.OpenCopy (else ErrNotACopy), so the
// state database and its delta link stay as they were.
func (e *Engine) Preview(ctx context.Context) (Preview, error) {
	if !e.store.IsCopy() {
		return Preview{}, ErrNotACopy
	}
	p := Preview{Automation: e.name, Mailbox: e.rules.Mailbox, TimeZone: e.rules.Location.String()}
	known, err := e.store.VisitStates(ctx, e.name)
	if err != nil {
		return p, err
	}
	earlier, err := e.store.Pending(ctx, e.name)
	if err != nil {
		return p, err
	}
	queued := make(map[int64]bool, len(earlier))
	for _, op := range earlier {
		queued[op.ID] = true
	}
	last, err := e.store.LastActivityID(ctx)
	if err != nil {
		return p, err
	}
	if p.Events, err = e.Poll(ctx); err != nil {
		return p, err
	}
	if err := e.store.View(ctx, func(tx *store.Tx) error {
		c, _, err := tx.Cursor(e.name)
		p.From, p.Until = c.WindowStart.In(e.rules.Location), c.WindowEnd.In(e.rules.Location)
		return err
	}); err != nil {
		return p, err
	}
	ops, err := e.store.Pending(ctx, e.name)
	if err != nil {
		return p, err
	}
	for _, sop := range ops {
		pl, err := e.planned(ctx, sop, known)
		if err != nil {
			return p, err
		}
		pl.Queued = queued[sop.ID]
		if pl.Action == ActionReply {
			p.Replies = append(p.Replies, pl)
		} else {
			p.Visits = append(p.Visits, pl)
		}
	}
	acts, err := e.store.ActivitySince(ctx, e.name, last)
	if err != nil {
		return p, err
	}
	for _, a := range acts {
		p.Decisions = append(p.Decisions, Decided{
			EventID: a.EventID, Subject: clean(a.Subject), Host: clean(a.Host), Visitors: clean(a.Visitors),
			Start: inZone(a.MeetingStart, e.rules.Location), Outcome: a.Outcome, Reason: clean(a.Reason),
		})
	}
	return p, nil
}

// planned describes one pending operation; known holds the visits' status
// before the poll.
func (e *Engine) planned(ctx context.Context, sop store.Op, known map[string]store.VisitStatus) (Planned, error) {
	var op Op
	if err := json.Unmarshal(sop.Payload, &op); err != nil {
		return Planned{}, fmt.Errorf("outbox operation %d: %w", sop.ID, err)
	}
	pl := Planned{Ref: sop.Ref, EventID: sop.EventID}
	switch {
	case sop.Kind == store.OpReply && op.Reply != nil:
		pl.Action, pl.Reply, pl.Comment = ActionReply, op.Reply.Kind, clean(op.Reply.Comment)
		err := e.store.View(ctx, func(tx *store.Tx) error {
			ev, ok, err := tx.Event(e.name, op.Reply.EventID)
			if ok {
				pl.Subject, pl.Host = clean(ev.Subject), clean(ev.OrganizerEmail)
			}
			return err
		})
		return pl, err
	case op.Visit != nil:
		v := op.Visit
		pl.Subject, pl.Host = clean(v.Subject), clean(v.HostEmail)
		pl.Visitor, pl.VisitorName = clean(v.VisitorEmail), clean(v.VisitorName)
		pl.Arrival, pl.Departure = inZone(v.Arrival, e.rules.Location), inZone(v.Departure, e.rules.Location)
	}
	switch {
	case sop.Kind == store.OpDelete:
		pl.Action = ActionCancel
	case known[sop.Ref] == store.VisitActive:
		pl.Action = ActionUpdate
	default:
		pl.Action = ActionCreate
	}
	return pl, nil
}

// inZone is t in loc; the zero time stays zero.
func inZone(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(loc)
}

// Within keeps what concerns meetings that start before until — visits
// arriving before it, replies and decisions about meetings starting before
// it, or whose start is not known — and counts the rest in Beyond.
func (p Preview) Within(until time.Time) Preview {
	keep := func(t time.Time) bool {
		ok := t.IsZero() || t.Before(until)
		if !ok {
			p.Beyond++
		}
		return ok
	}
	starts := map[string]time.Time{}
	for _, d := range p.Decisions {
		starts[d.EventID] = d.Start
	}
	var visits, replies []Planned
	for _, v := range p.Visits {
		if keep(v.Arrival) {
			visits = append(visits, v)
		}
	}
	for _, r := range p.Replies {
		if keep(starts[r.EventID]) {
			replies = append(replies, r)
		}
	}
	var decisions []Decided
	for _, d := range p.Decisions {
		if keep(d.Start) {
			decisions = append(decisions, d)
		}
	}
	p.Visits, p.Replies, p.Decisions = visits, replies, decisions
	return p
}
