package store

import (
	"encoding/json"
	"time"
)

// Cursor is where an automation's calendarView delta round stands: the link
// to call next, and the window and time the round was started with.
type Cursor struct {
	// Link is the URL to call next: a nextLink in the middle of a round, or
	// the deltaLink once the round has reached its last page.
	Link string
	// Complete reports that Link is a deltaLink (the round finished).
	Complete bool
	// WindowStart and WindowEnd are the calendarView window of the round.
	WindowStart, WindowEnd time.Time
	// RoundStarted is when the first page of the round was requested.
	RoundStarted time.Time
	// Updated is when the cursor was last written; set by the store.
	Updated time.Time
}

// Outcome is what happened to an event or one of its visits.
type Outcome string

// Outcomes shown in the activity log and counted in the status.
const (
	OutcomeCreated   Outcome = "created"
	OutcomeUpdated   Outcome = "updated"
	OutcomeCancelled Outcome = "cancelled"
	OutcomeSkipped   Outcome = "skipped"
	OutcomeFailed    Outcome = "failed"
)

// Outcomes lists every Outcome in display order.
var Outcomes = []Outcome{OutcomeCreated, OutcomeUpdated, OutcomeCancelled, OutcomeSkipped, OutcomeFailed}

// Event is a calendar event the automation has seen, with a small display
// snapshot. Text is stored as given: sanitizing it is the caller's job.
type Event struct {
	Automation string
	ID         string // Graph's immutable event id in the watched mailbox
	ICalUID    string
	ChangeKey  string

	Subject        string
	OrganizerName  string
	OrganizerEmail string
	Location       string
	Start, End     time.Time
	IsAllDay       bool

	// Type is Graph's event type: singleInstance, occurrence, exception or
	// seriesMaster ("" when not known).
	Type string
	// SeriesID is the series master's id of an occurrence or exception.
	SeriesID string
	// Occurrence is what tells an occurrence or exception apart within its
	// series; kept so that its visits keep their references when it moves.
	Occurrence string
	// Reread marks an event whose last read failed: the engine reads it
	// again in its next round.
	Reread bool

	Outcome Outcome
	Reason  string

	// Round is the RoundStarted of the delta round that last reported the
	// event; see Tx.EventsNotSeenInRound.
	Round time.Time
	// FirstSeen and Updated are set by the store.
	FirstSeen, Updated time.Time
}

// VisitStatus is the state of a visit as invitesync last knew it.
type VisitStatus string

// Visit statuses.
const (
	VisitPending   VisitStatus = "pending"   // an operation is queued for it
	VisitActive    VisitStatus = "active"    // IDM holds the visit
	VisitCancelled VisitStatus = "cancelled" // IDM cancelled it, or it was never needed
	VisitFailed    VisitStatus = "failed"    // its last operation failed permanently
)

// Visit is one visitor of one event, as registered (or to be registered) in IDM.
type Visit struct {
	Automation   string
	Ref          string // the idempotency key sent to IDM
	EventID      string
	VisitorEmail string
	VisitorName  string
	HostEmail    string
	HostID       string // the host's IDM employee id, when known
	Arrival      time.Time
	Departure    time.Time
	IDMID        string // IDM's visit id, once IDM answered
	Status       VisitStatus
	// BodyHash is a hash of the last body sent (or queued) for the visit, so
	// an unchanged visit is not sent again.
	BodyHash string
	Updated  time.Time // set by the store
}

// OpKind is what an outbox operation does.
type OpKind string

// Operation kinds.
const (
	OpPut    OpKind = "put"    // create or replace a visit in IDM
	OpDelete OpKind = "delete" // cancel a visit in IDM
	OpReply  OpKind = "reply"  // answer the meeting organizer through Graph
)

// OpState is where an outbox operation stands.
type OpState string

// Operation states.
const (
	OpPending OpState = "pending" // to be run at NextAttempt
	OpFailed  OpState = "failed"  // failed permanently; an operator may retry it
	OpDone    OpState = "done"    // ran successfully
	// OpSuperseded marks a failed operation made obsolete by a newer
	// operation for the same ref; it is kept for the record and never retried.
	OpSuperseded OpState = "superseded"
)

// Op is one durable outbox operation. Operations that share a Ref run one at a
// time, oldest first.
type Op struct {
	ID          int64
	Automation  string
	Ref         string // ordering key: the visit ref, or a reply's own key
	EventID     string
	Kind        OpKind
	Payload     json.RawMessage
	State       OpState
	Attempts    int
	NextAttempt time.Time
	LastError   string
	// Intent is when a reply was first about to be sent (zero for visits,
	// and for a reply never tried): once set, Graph may have received it.
	Intent  time.Time
	Result  Result
	Created time.Time
	Updated time.Time
}

// Result is the answer recorded when an operation is done, for the details view.
type Result struct {
	Code    int    // HTTP status of the answer
	VisitID string // IDM's visit id, for put operations
	Status  string // IDM's visit status, or another short word
	Message string // anything else worth showing
	// Notice marks a reply sent in place of the planned one: it told the
	// organizer that visits of the meeting could not be registered.
	Notice bool
}

// Activity is one line of the activity log.
type Activity struct {
	ID           int64
	Automation   string
	At           time.Time
	EventID      string
	MeetingStart time.Time // when the meeting starts; zero when unknown
	Subject      string
	Host         string
	Visitors     string // display list, e.g. "Ann Guest, bob@fabrikam.com"
	Outcome      Outcome
	Reason       string
}

// LoopState is the state of an automation's poll loop.
type LoopState string

// Loop states used by the engine and shown by the dashboard.
const (
	LoopIdle      LoopState = "idle"
	LoopPolling   LoopState = "polling"
	LoopPaused    LoopState = "paused"
	LoopThrottled LoopState = "throttled"
	LoopError     LoopState = "error"
	// LoopFailing: the loop polls, but the last operations it ran all
	// failed for good and wait for an operator.
	LoopFailing LoopState = "failing"
	LoopStopped LoopState = "stopped"
)

// LoopStatus is what the poll loop last reported about itself.
type LoopStatus struct {
	Automation     string
	State          LoopState
	LastPoll       time.Time
	LastSuccess    time.Time
	NextPoll       time.Time
	ThrottledUntil time.Time
	LastError      string
	Updated        time.Time // set by the store
}

// Counts are the activity outcomes of an automation since its state began.
type Counts struct {
	Created, Updated, Cancelled, Skipped, Failed int
}

// Status is everything the status command and the dashboard header show for
// one automation.
type Status struct {
	Automation string
	Loop       LoopStatus // zero when the loop never reported
	Counts     Counts
	Pending    int // outbox operations waiting to run
	Failed     int // outbox operations that failed permanently
	// NextAttempt is when the next pending operation is tried; zero when
	// none is pending.
	NextAttempt time.Time
	Lease       Lease
	Leased      bool // a live lease exists: some process runs the loop
}

// EventDetails is one event with everything invitesync did about it.
type EventDetails struct {
	Event    Event
	Visits   []Visit
	Ops      []Op       // oldest first
	Activity []Activity // newest first
	// Reply is the outcome fingerprint of the last reply planned for the
	// event; empty when none was.
	Reply string
}

// ActivityQuery selects rows of the activity log, newest first.
type ActivityQuery struct {
	Automation string // required
	// Filter keeps rows whose subject, host, visitors, outcome, reason or
	// event id contain it, ignoring ASCII case. Empty keeps all.
	Filter string
	Limit  int // at most this many rows; 0 means 100
	Offset int
}

// Lease says which process runs an automation's loop, and until when.
type Lease struct {
	Automation string
	// Mailbox is the (lower-cased) mailbox the loop watches; empty when
	// the lease was taken without one.
	Mailbox  string
	Owner    string
	Acquired time.Time
	Expires  time.Time
}

// Command is an operator request sent to a running loop through the database.
type Command string

// Commands a dashboard can send to the loop that holds an automation's lease.
const (
	CmdPollNow     Command = "poll-now"
	CmdPause       Command = "pause"
	CmdResume      Command = "resume"
	CmdRetryFailed Command = "retry-failed"
	// CmdNudge asks for a poll now, unless the loop is paused: sent by
	// automation (the demo's calendar stream), never by an operator.
	CmdNudge Command = "nudge"
)
