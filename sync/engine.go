package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	stdsync "sync"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/idm"
	"invitesync/sync/store"
)

// Calendar is the Graph side of one automation: the watched mailbox's
// calendarView delta, whole events and series, and replies to organizers;
// *graph.Client implements it.
type Calendar interface {
	// DeltaPage fetches one page of a delta round; an expired link answers
	// an error for which isResync is true.
	DeltaPage(ctx context.Context, cur graph.Cursor) (*graph.Page, error)
	// GetEvent reads one event of the mailbox whole, the mailbox's own
	// response included; an event no longer there answers an error for
	// which graph.IsGone is true.
	GetEvent(ctx context.Context, id string) (graph.Event, error)
	// Instances reads the occurrences and exceptions of a series that
	// overlap [start, end), whole; a series no longer there answers an
	// error for which graph.IsGone is true.
	Instances(ctx context.Context, masterID string, start, end time.Time) ([]graph.Event, error)
	// Respond answers the organizer of the mailbox's copy of an event.
	Respond(ctx context.Context, eventID string, r graph.Response, comment string) error
	// AnswerOf reads how and when the mailbox last answered an event.
	AnswerOf(ctx context.Context, id string) (graph.Answer, error)
}

var _ Calendar = (*graph.Client)(nil)

// Directory is the IDM side of one automation; *idm.Client implements it.
type Directory interface {
	idm.EmployeeFinder
	ResolveEnvironment(ctx context.Context, name string) (idm.Environment, error)
	PutVisit(ctx context.Context, ref string, v idm.Visit) (idm.StoredVisit, bool, error)
	DeleteVisit(ctx context.Context, ref string) error
}

var _ Directory = (*idm.Client)(nil)

// Options builds an Engine.
type Options struct {
	Automation config.Automation
	Store      *store.Store
	Calendar   Calendar
	IDM        Directory
	// Logger receives the engine's records; nil discards them.
	Logger *slog.Logger
	// Feed receives activity as it happens; nil publishes nowhere.
	Feed *Feed
	// Policy is the outbox retry policy; zero means DefaultPolicy.
	Policy Policy
	// Owner names this process in the loop lease; empty means "pid N on HOST".
	Owner string
	// LeaseTTL is how long the loop lease lasts unless renewed; zero means
	// LeaseTTL.
	LeaseTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxRoundPages is the most pages a delta round may take; zero means
	// defaultMaxRoundPages.
	MaxRoundPages int
}

// Engine runs one automation: it polls the calendar, plans, commits the plan
// with the delta link, and delivers the outbox.
type Engine struct {
	name   string
	auto   config.Automation
	rules  Rules
	store  *store.Store
	cal    Calendar
	dir    Directory
	hosts  *idm.EmployeeCache
	log    *slog.Logger
	feed   *Feed
	policy Policy
	owner  string
	ttl    time.Duration // of the loop lease
	now    func() time.Time
	// maxPages is the most pages a delta round may take.
	maxPages int
	// roundBatch is how many events of a round's pages are committed
	// together, at least (see the constant).
	roundBatch int

	// freshRound is the RoundStarted of a fresh round this process began;
	// only such a round, once complete, may reconcile absent events.
	freshRound time.Time

	// handoff passes the operations polls queue to their delivery.
	handoff handoff

	envMu stdsync.Mutex
	env   *idmEnvironment // resolved on first use

	statusMu stdsync.Mutex
	status   store.LoopStatus
	paused   bool
	failures int    // consecutive failed cycles
	lastErr  string // failureKey of the last cycle error logged, to log repeats once
	// expiryLogged is the secret-expiry level last logged.
	expiryLogged ExpiryLevel
	// repeats logs the loop's recurring troubles once per change.
	repeats repeats
	// drainFailures counts delivery passes between polls that failed in a
	// row; drainHold is when the next may run. Only Run's goroutine uses them.
	drainFailures int
	drainHold     time.Time
	// dueAt is when the outbox's next operation falls due (zero: none), as
	// read at dueRead. Only Run's goroutine uses them.
	dueAt, dueRead time.Time
	// slot is when the loop polls (see jitterShare); renewer renews its
	// lease with the other loops of its supervisor (nil: on its own).
	slot    slot
	renewer *renewals
}

// NewEngine checks the automation and builds its engine.
func NewEngine(o Options) (*Engine, error) {
	rules, err := NewRules(o.Automation)
	if err != nil {
		return nil, fmt.Errorf("automation %q: %w", o.Automation.Name, err)
	}
	if o.Store == nil || o.Calendar == nil || o.IDM == nil {
		return nil, errors.New("sync: NewEngine needs a store, a calendar and an IDM client")
	}
	e := &Engine{
		name: o.Automation.Name, auto: o.Automation, rules: rules,
		store: o.Store, cal: o.Calendar, dir: o.IDM,
		hosts:  idm.NewEmployeeCache(o.IDM, idm.DefaultEmployeeTTL),
		log:    o.Logger,
		feed:   o.Feed,
		policy: o.Policy,
		owner:  o.Owner,
		ttl:    o.LeaseTTL,
		now:    o.Now,
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.log = e.log.With("automation", e.name)
	if e.policy == (Policy{}) {
		e.policy = DefaultPolicy
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.ttl <= 0 {
		e.ttl = LeaseTTL
	}
	e.roundBatch = roundBatch
	if e.maxPages = o.MaxRoundPages; e.maxPages <= 0 {
		e.maxPages = defaultMaxRoundPages
	}
	if e.owner == "" {
		e.owner = processOwner(os.Getpid())
	}
	e.status = store.LoopStatus{Automation: e.name, State: store.LoopIdle}
	e.slot = slot{epoch: e.now()}
	return e, nil
}

// Name is the automation's name.
func (e *Engine) Name() string { return e.name }

// jitter returns a random fraction in [0, 1) for the retry policy.
func jitter() float64 { return rand.Float64() }

// idmEnvironment is the IDM environment visits go to: its id, and the
// zone whose UTC offset their times carry.
type idmEnvironment struct {
	id  string
	loc *time.Location
}

// environment returns the IDM environment, resolving it once. Visit times
// travel with the environment's UTC offset, as IDM expects them; the
// automation's zone stands in when IDM names none it can be read in.
func (e *Engine) environment(ctx context.Context) (idmEnvironment, error) {
	e.envMu.Lock()
	defer e.envMu.Unlock()
	if e.env != nil {
		return *e.env, nil
	}
	env, err := e.dir.ResolveEnvironment(ctx, e.auto.Environment)
	if err != nil {
		return idmEnvironment{}, err
	}
	resolved := idmEnvironment{id: env.ID, loc: e.rules.Location}
	if loc, err := time.LoadLocation(env.TimeZone); env.TimeZone != "" && err == nil {
		resolved.loc = loc
	}
	e.env = &resolved
	return resolved, nil
}
