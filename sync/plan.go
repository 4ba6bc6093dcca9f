package sync

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/idm"
	"invitesync/internal/text"
	"invitesync/sync/store"
)

// OutcomeUnchanged is the outcome of a decision that changed nothing; it is
// never recorded. Every other decision ends in one of the store's outcomes
// (store.Outcome), which the activity log and the dashboard show.
const OutcomeUnchanged store.Outcome = "unchanged"

// Host is the result of looking up an event's organizer in IDM.
type Host struct {
	Email      string // lower-cased
	Name       string
	EmployeeID string // empty when the organizer is not an employee
}

// PlannedVisit is one visitor's visit as planned: what IDM should hold under Ref.
type PlannedVisit struct {
	Ref            string    `json:"ref"`
	VisitorEmail   string    `json:"visitorEmail"`
	VisitorName    string    `json:"visitorName,omitempty"`
	HostEmail      string    `json:"hostEmail"`
	HostEmployeeID string    `json:"hostEmployeeId"`
	Arrival        time.Time `json:"arrival"`
	Departure      time.Time `json:"departure"`
	Subject        string    `json:"subject,omitempty"`
	Location       string    `json:"location,omitempty"`
	EventID        string    `json:"eventId"`
	ICalUID        string    `json:"iCalUId,omitempty"`
	// Hash is BodyHash as planned; the store keeps it, and so does the
	// operation that sends the visit (absent from operations stored by
	// earlier versions).
	Hash string `json:"hash,omitempty"`
}

// BodyHash is a digest of everything the visit sends to IDM: equal hashes
// mean an unchanged visit that needs no new PUT.
func (v PlannedVisit) BodyHash() string {
	b, _ := json.Marshal(struct {
		Ref, Email, Name, HostEmail, HostID, Subject, Location, EventID, ICalUID string
		Arrival, Departure                                                       string
	}{v.Ref, v.VisitorEmail, v.VisitorName, v.HostEmail, v.HostEmployeeID, v.Subject, v.Location, v.EventID, v.ICalUID,
		v.Arrival.Format(time.RFC3339), v.Departure.Format(time.RFC3339)})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Known is what the store knows of an event from earlier pages and rounds.
type Known struct {
	EventID string
	ICalUID string
	// Occurrence is the key of an occurrence or exception within its
	// series as first planned; it keeps its visits' references when the
	// occurrence moves.
	Occurrence string
	// Visits are the visits the event should have as last planned (whether
	// or not the outbox has delivered them yet).
	Visits []PlannedVisit
	// Outcome and Reason are the last decision recorded for the event.
	Outcome store.Outcome
	Reason  string
	// Reply is the signature of the last reply queued ("" when none); for
	// an occurrence, replies go to its series (see PlanInput.SeriesReply).
	Reply string
}

// OpKind names an outbox operation.
type OpKind string

// Outbox operations.
const (
	OpPut    OpKind = "put"    // create or replace a visit in IDM
	OpDelete OpKind = "delete" // cancel a visit in IDM
	OpReply  OpKind = "reply"  // answer the organizer through Graph
)

// ReplyKind is the mailbox's answer to a meeting request.
type ReplyKind = graph.Response

// Replies to the organizer.
const (
	ReplyAccept    = graph.Accept
	ReplyTentative = graph.Tentative
	ReplyDecline   = graph.Decline
)

// Reply is an answer to the organizer of the event EventID: the event
// itself, or for an occurrence its series master.
type Reply struct {
	EventID string    `json:"eventId"`
	Kind    ReplyKind `json:"kind"`
	Comment string    `json:"comment"`
}

// Op is one operation the outbox must run. Ref is the visit's reference for
// puts and deletes, and the id of the event answered for replies.
type Op struct {
	Kind  OpKind        `json:"kind"`
	Ref   string        `json:"ref"`
	Visit *PlannedVisit `json:"visit,omitempty"`
	Reply *Reply        `json:"reply,omitempty"`
}

// PlanInput is everything a decision about one event depends on.
type PlanInput struct {
	Event  graph.Event
	Known  *Known // nil when the event was never seen
	Host   Host   // the organizer's lookup; see Rules.HostToLookUp
	Window Window // the round's look-ahead window
	Now    time.Time
	// SeriesReply is, for an occurrence, the signature of the last reply
	// queued to its series: an occurrence answers for its whole series, once
	// per change of outcome, as the series master gets it.
	SeriesReply string
}

// Plan is the decision about one event: the visits it should have, the
// operations that take IDM there, and why.
type Plan struct {
	EventID string
	// Key is the event's meeting identity: the base of its visit
	// references. For a single event its iCalUId, else its id; for an
	// occurrence or exception, its key within its series (see eventKey).
	Key     string
	Subject string // sanitized
	Host    string // the organizer's address, sanitized
	Outcome store.Outcome
	Reason  string
	// Visits replaces Known.Visits in the store.
	Visits []PlannedVisit
	Ops    []Op
	// Reply replaces Known.Reply (for an occurrence, its series' reply) in
	// the store.
	Reply string
	// Forget means the event is gone from the calendar: drop it from the store.
	Forget bool
}

// note says why an attendee is not a visitor.
type note struct {
	addr, why string
	// routine marks the mailbox and the organizer: always left out, only
	// worth saying when nobody is left.
	routine bool
}

// candidate is a visitor that passed the filters.
type candidate struct {
	email, name string
}

// screen decides whether an event can have visits at all. It returns the
// reason when it cannot, else the visitors and the notes on those left out.
func (r Rules) screen(ev graph.Event, win Window, now time.Time) (skip string, visitors []candidate, notes []note) {
	switch {
	case ev.IsCancelled:
		return "the meeting was cancelled by its organizer", nil, nil
	case ev.Type == graph.TypeSeriesMaster:
		return "series master: each occurrence is handled on its own", nil, nil
	case ev.IsOrganizer:
		return "organized by the watched mailbox itself, so there is no host", nil, nil
	case !ev.End.After(ev.Start):
		return "it ends before it starts", nil, nil
	case !ev.End.After(now):
		return "the meeting has already ended", nil, nil
	case !ev.Start.Before(win.End):
		return fmt.Sprintf("it starts after the %d-day look-ahead window", r.LookAheadDays), nil, nil
	}
	organizer := strings.ToLower(strings.TrimSpace(ev.Organizer.Email))
	if organizer == "" {
		return "it has no organizer to be the host", nil, nil
	}
	// seen maps an address to its visitor's index, or -1 when left out.
	seen := map[string]int{}
	for _, a := range ev.Attendees {
		addr := strings.ToLower(strings.TrimSpace(a.Email))
		if i, dup := seen[addr]; dup && addr != "" {
			if i >= 0 && visitors[i].name == "" {
				visitors[i].name = clean(a.Name)
			}
			continue // duplicates fold into the first
		}
		shown := clean(addr)
		var why string
		switch {
		case addr == "":
			why = fmt.Sprintf("%q has no address", clean(a.Name))
		case !validAddress(addr):
			why = text.Quote(addr) + " is not an email address" // escaped, not cleaned: what was sent
		case addr == r.Mailbox:
			why = shown + " is the watched mailbox"
		case addr == organizer:
			why = shown + " is the organizer (the host)"
		case a.Type == graph.AttendeeResource:
			why = shown + " is a room or resource"
		case r.isInternal(addr):
			why = shown + " is internal"
		case r.Exclude[addr]:
			why = shown + " is excluded"
		case a.Response == graph.ResponseDeclined:
			why = shown + " declined"
		}
		if why != "" {
			seen[addr] = -1
			notes = append(notes, note{addr, why, addr == r.Mailbox || addr == organizer})
			continue
		}
		seen[addr] = len(visitors)
		visitors = append(visitors, candidate{email: addr, name: clean(a.Name)})
	}
	if len(visitors) == 0 {
		if len(notes) == 0 {
			return "no visitors: the meeting has no other attendees", nil, nil
		}
		whys := make([]string, len(notes))
		for i, n := range notes {
			whys[i] = n.why
		}
		return "no visitors: " + strings.Join(whys, ", "), nil, nil
	}
	return "", visitors, notes
}

// validAddress reports whether addr can be a visitor's address: one bare
// address as net/mail reads it, with a DNS domain, within SMTP's length
// limits (config.ValidateAddress). "a@b@c.example" and "<script>@x.example"
// are not.
func validAddress(addr string) bool { return config.ValidateAddress(addr) == nil }

// HostToLookUp returns the organizer's address when the decision about ev
// depends on whether the organizer is an employee, else "". The engine looks
// it up (I/O, cached) and passes the answer to Plan.
func (r Rules) HostToLookUp(ev graph.Event, win Window, now time.Time) string {
	if ev.Removed {
		return ""
	}
	if skip, _, _ := r.screen(ev, win, now); skip != "" {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(ev.Organizer.Email))
}

// Plan decides what IDM should hold for one event and how to get there. It
// is pure: every input is in the arguments.
func (r Rules) Plan(in PlanInput) Plan {
	ev, known := in.Event, in.Known
	p := Plan{EventID: ev.ID, Key: eventKey(ev, known), Subject: clean(ev.Subject), Host: clean(strings.ToLower(ev.Organizer.Email))}
	switch {
	case replyTarget(ev) != ev.ID:
		p.Reply = in.SeriesReply
	case known != nil:
		p.Reply = known.Reply
	}
	if ev.Removed {
		if known == nil {
			return p.unchanged(nil, "removed from the calendar before it was ever seen")
		}
		p.Forget = true
		p.Subject = ""
		return p.retire(known, in.Now, removalReason(ev.RemovedReason))
	}
	if !ev.End.After(in.Now) {
		// Ended (cancelled or not): its visits are history, left as they are.
		p.Visits = knownVisits(known)
		return p.decide(known, store.OutcomeSkipped, "the meeting has already ended")
	}
	skip, visitors, notes := r.screen(ev, in.Window, in.Now)
	if skip != "" {
		return p.retire(known, in.Now, skip)
	}
	host := in.Host
	if host.EmployeeID == "" {
		reason := fmt.Sprintf("the organizer %s is not an employee in Salto IDM", p.Host)
		p = p.retire(known, in.Now, reason)
		p.reply(r, ev, ReplyTentative, "tentative:host-not-employee",
			fmt.Sprintf("No visitor was registered: the organizer %s is not an employee in Salto IDM. "+
				"Once an administrator adds them as an employee, update the meeting and its visitors will be registered.", p.Host))
		return p
	}
	desired := r.desiredVisits(ev, p.Key, host, visitors, in.Window, in.Now)
	p.diff(known, desired, in.Now)
	changes := len(p.Ops)
	switch {
	case changes == 0 && len(desired) == 0:
		p = p.decide(known, store.OutcomeSkipped, "every day of the meeting is over or beyond the look-ahead window")
	case changes == 0 && known != nil && known.Outcome == store.OutcomeFailed && strings.HasPrefix(known.Reason, readFailure):
		p = p.decide(known, store.OutcomeUpdated, "read again after a failed read; its visits are as they were")
	case changes == 0:
		p = p.decide(known, knownOutcome(known), knownReason(known))
	default:
		p.Outcome, p.Reason = store.OutcomeUpdated, p.changeSummary(known, notes)
		if known == nil || allGone(known.Visits, in.Now) {
			p.Outcome = store.OutcomeCreated
		}
	}
	if len(desired) > 0 {
		names := make([]string, len(visitors))
		emails := make([]string, len(visitors))
		for i, v := range visitors {
			emails[i], names[i] = v.email, v.email
			if v.name != "" {
				names[i] = v.name + " (" + v.email + ")"
			}
		}
		p.reply(r, ev, ReplyAccept, "accept:"+strings.Join(sorted(emails), ","),
			"Registered in Salto IDM as visitors of "+hostName(host)+": "+strings.Join(names, ", ")+".")
	}
	return p
}

// retire plans the cancellation of every visit of the event that has not
// ended yet; visits already over are history and stay.
func (p Plan) retire(known *Known, now time.Time, reason string) Plan {
	p.diff(known, nil, now)
	if !p.Forget {
		p.Visits = pastVisits(knownVisits(known), now)
	}
	deleted := 0
	for _, op := range p.Ops {
		if op.Kind == OpDelete {
			deleted++
		}
	}
	if deleted == 0 {
		if p.Forget {
			return p.unchanged(known, reason)
		}
		return p.decide(known, store.OutcomeSkipped, reason)
	}
	p.Outcome = store.OutcomeCancelled
	p.Reason = fmt.Sprintf("%s; %s cancelled", reason, plural(deleted, "visit"))
	return p
}

// decide records outcome and reason, or "unchanged" when nothing differs
// from the last decision.
func (p Plan) decide(known *Known, outcome store.Outcome, reason string) Plan {
	if len(p.Ops) == 0 && known != nil && known.Outcome == outcome && known.Reason == reason {
		return p.unchanged(known, reason)
	}
	p.Outcome, p.Reason = outcome, reason
	return p
}

// unchanged is a decision that changes nothing, not even the log.
func (p Plan) unchanged(known *Known, reason string) Plan {
	p.Outcome, p.Reason = OutcomeUnchanged, reason
	if p.Visits == nil && !p.Forget {
		p.Visits = knownVisits(known)
	}
	return p
}

// reply queues an answer to the organizer, once per change of outcome.
func (p *Plan) reply(r Rules, ev graph.Event, kind ReplyKind, signature, comment string) {
	if !r.Replies || !ev.ResponseRequested || ev.IsOrganizer || signature == p.Reply {
		return
	}
	p.Reply = signature
	to := replyTarget(ev)
	p.Ops = append(p.Ops, Op{Kind: OpReply, Ref: to, Reply: &Reply{EventID: to, Kind: kind, Comment: comment}})
}

// replyTarget is the event a reply about ev answers: an occurrence answers
// for its series, as the organizer invited the mailbox to the series; an
// exception (an occurrence changed on its own) and any other event answer
// for themselves.
func replyTarget(ev graph.Event) string {
	if ev.Type == graph.TypeOccurrence && ev.SeriesMasterID != "" {
		return ev.SeriesMasterID
	}
	return ev.ID
}

// diff plans the puts and deletes that take known's visits to desired, and
// sets p.Visits. Visits that are over are never cancelled.
func (p *Plan) diff(known *Known, desired []PlannedVisit, now time.Time) {
	old := knownVisits(known)
	byRef := make(map[string]PlannedVisit, len(old))
	for _, v := range old {
		byRef[v.Ref] = v
	}
	want := make(map[string]bool, len(desired))
	for _, v := range desired {
		want[v.Ref] = true
		if prev, ok := byRef[v.Ref]; ok && prev.Hash == v.Hash {
			continue
		}
		p.Ops = append(p.Ops, Op{Kind: OpPut, Ref: v.Ref, Visit: &v})
	}
	p.Visits = append([]PlannedVisit(nil), desired...)
	for _, v := range old {
		if want[v.Ref] {
			continue
		}
		if !v.Departure.After(now) {
			p.Visits = append(p.Visits, v) // history: kept as it is
			continue
		}
		p.Ops = append(p.Ops, Op{Kind: OpDelete, Ref: v.Ref, Visit: &v})
	}
}

// desiredVisits builds one visit per visitor, or for an all-day event one
// per visitor and covered day.
//
// All-day events become one visit per covered day, from the day start to the
// day end, each under its own reference (the event key plus the date). A
// single visit from the first morning to the last evening would be simpler,
// but it would leave the visitor expected — and their credential valid —
// through every night in between; per-day visits keep access to the
// configured hours, and days roll into the look-ahead window like any event.
func (r Rules) desiredVisits(ev graph.Event, key string, host Host, visitors []candidate, win Window, now time.Time) []PlannedVisit {
	type span struct {
		key                string
		arrival, departure time.Time
	}
	var spans []span
	if ev.IsAllDay {
		first := time.Date(ev.Start.Year(), ev.Start.Month(), ev.Start.Day(), 0, 0, 0, 0, time.UTC)
		last := time.Date(ev.End.Year(), ev.End.Month(), ev.End.Day(), 0, 0, 0, 0, time.UTC)
		for d := first; d.Before(last) || d.Equal(first); d = d.AddDate(0, 0, 1) {
			day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, r.Location)
			s := span{key + "/" + d.Format(time.DateOnly), clockOn(day, r.DayStart), clockOn(day, r.DayEnd)}
			if s.departure.After(now) && s.arrival.Before(win.End) {
				spans = append(spans, s)
			}
		}
	} else {
		spans = []span{{key, ev.Start.In(r.Location), ev.End.In(r.Location)}}
	}
	visits := make([]PlannedVisit, 0, len(spans)*len(visitors))
	for _, s := range spans {
		for _, c := range visitors {
			visits = append(visits, PlannedVisit{
				Ref:            idm.Ref(r.Mailbox, s.key, c.email),
				VisitorEmail:   c.email,
				VisitorName:    c.name,
				HostEmail:      host.Email,
				HostEmployeeID: host.EmployeeID,
				Arrival:        s.arrival,
				Departure:      s.departure,
				Subject:        clean(ev.Subject),
				Location:       clean(ev.Location),
				EventID:        ev.ID,
				ICalUID:        ev.ICalUID,
			})
			visits[len(visits)-1].Hash = visits[len(visits)-1].BodyHash()
		}
	}
	return visits
}

// clockOn is the wall-clock time offset after midnight on day, DST-safe:
// time.Date normalizes a time in a spring-forward gap.
func clockOn(day time.Time, offset time.Duration) time.Time {
	h, m := int(offset/time.Hour), int(offset%time.Hour/time.Minute)
	return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, day.Location())
}

// eventKey is the meeting identity of ev, the base of its visit
// references. A single event's is its iCalUId, else its id (also for a
// removal, which carries only the id, through what the store knows).
//
// An occurrence or exception of a series has its own: its series master's
// id and the date (UTC) it was first scheduled on, which Graph keeps when
// the occurrence is moved or edited (originalStart) — occurrences may
// share one iCalUId, so that alone would merge them. Once planned, an
// occurrence keeps its key (Known.Occurrence) whatever Graph says later,
// so its visits keep their references; where Graph omits originalStart (an
// occurrence is where its series put it) its start stands in.
func eventKey(ev graph.Event, known *Known) string {
	switch {
	case known != nil && known.Occurrence != "":
		return known.Occurrence
	case ev.SeriesMasterID != "":
		return occurrenceKey(ev)
	case ev.ICalUID != "":
		return ev.ICalUID
	case known != nil && known.ICalUID != "":
		return known.ICalUID
	}
	return ev.ID
}

// occurrenceKey is the key of an occurrence or exception first planned:
// "series:" + master id + "/" + original date. An all-day occurrence's date
// is its own (its start is a midnight in the automation's zone).
func occurrenceKey(ev graph.Event) string {
	var day string
	switch {
	case !ev.OriginalStart.IsZero():
		day = ev.OriginalStart.UTC().Format(time.DateOnly)
	case ev.IsAllDay:
		day = ev.Start.Format(time.DateOnly)
	default:
		day = ev.Start.UTC().Format(time.DateOnly)
	}
	return "series:" + ev.SeriesMasterID + "/" + day
}

// Reasons for a removal the engine infers, with what the activity log says.
const (
	// removedMissing: a complete fresh round no longer reported the event.
	removedMissing = "invitesync:missing"
	// removedFromSeries: the occurrence is no longer among its series'
	// instances (deleted from the series, which Graph does not report).
	removedFromSeries = "invitesync:not-in-series"
	// removedSeriesGone: the occurrence's series master is gone.
	removedSeriesGone = "invitesync:series-gone"
)

// removalReason says why an event's visits are cancelled when it left the calendar.
func removalReason(removed string) string {
	switch removed {
	case removedMissing:
		return "the meeting is no longer in the calendar (a full resynchronisation did not report it)"
	case removedFromSeries:
		return "this occurrence was deleted from its recurring series"
	case removedSeriesGone:
		return "the recurring series was deleted from the calendar"
	}
	return "the meeting was deleted from the calendar"
}

func knownVisits(k *Known) []PlannedVisit {
	if k == nil {
		return nil
	}
	return append([]PlannedVisit(nil), k.Visits...)
}

func knownOutcome(k *Known) store.Outcome {
	if k == nil {
		return OutcomeUnchanged
	}
	return k.Outcome
}

func knownReason(k *Known) string {
	if k == nil {
		return ""
	}
	return k.Reason
}

// pastVisits keeps the visits that are over.
func pastVisits(vs []PlannedVisit, now time.Time) []PlannedVisit {
	var out []PlannedVisit
	for _, v := range vs {
		if !v.Departure.After(now) {
			out = append(out, v)
		}
	}
	return out
}

// allGone reports whether every visit is over.
func allGone(vs []PlannedVisit, now time.Time) bool { return len(pastVisits(vs, now)) == len(vs) }
