package tui

import (
	"context"
	"errors"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/sync/store"
)

// Source is the dashboard's window on the state database: it reads what the
// poll loops recorded and queues the operator's commands for whichever
// process runs each loop. The dashboard reads and steers only through it, so
// a dashboard that runs the loops itself and one attached to a service
// behave the same.
type Source interface {
	// Board is an automation's loop status, counts of events and of
	// operations, latest failure and lease.
	Board(ctx context.Context, automation string) (store.Board, error)
	// Boards are the Boards of automations, in their order.
	Boards(ctx context.Context, automations []string) ([]store.Board, error)
	// Activity is a page of the activity log, newest first.
	Activity(ctx context.Context, q store.ActivityQuery) ([]store.Activity, error)
	// ActivityByMeeting is a page of the activity log in the order of the
	// meetings: coming ones soonest first, then past ones latest first.
	ActivityByMeeting(ctx context.Context, q store.ActivityQuery) ([]store.Activity, error)
	// EventDetails is one event with its visits, operations and history.
	EventDetails(ctx context.Context, automation, eventID string) (store.EventDetails, error)
	// Failures are an automation's operations that failed for good, newest
	// first, with their meetings.
	Failures(ctx context.Context, automation string, limit int) ([]store.Failure, error)
	// Request queues cmd for the loop that runs automation.
	Request(ctx context.Context, automation string, cmd store.Command) error
	// ChangeMarker changes whenever any process commits to the database.
	ChangeMarker(ctx context.Context) (int64, error)
}

// The state database is the dashboard's source.
var _ Source = (*store.Store)(nil)

// errWatchOnly is what a watch-only dashboard's Source answers to a command.
var errWatchOnly = errors.New("the dashboard only watches: it sends no command")

// watchOnly is a Source that refuses every command, so a watch-only
// dashboard cannot steer a loop even by mistake.
type watchOnly struct{ Source }

// Request implements Source: it sends nothing.
func (watchOnly) Request(context.Context, string, store.Command) error { return errWatchOnly }

// ioTimeout bounds every read and write the dashboard makes.
const ioTimeout = 5 * time.Second

// pageSize is how many activity rows one read fetches.
const pageSize = 200

// MSG

// tickMsg drives the countdowns and the change check.
type tickMsg time.Time

// changedMsg says the in-process engine did something: read the store now.
type changedMsg struct{}

// markerMsg carries the database's change marker.
type markerMsg struct {
	marker int64
	err    error
}

// statusMsg carries one automation's status.
type statusMsg struct {
	automation string
	status     store.Board
	err        error
}

// loadKind says which part of the activity log a read fetched.
type loadKind int

const (
	loadReset  loadKind = iota // the newest page, replacing what is shown
	loadNewest                 // the newest page, merged above what is shown
	loadOlder                  // the page below the oldest row shown
)

// order is how the activity rows are sorted.
type order int

const (
	byActivity order = iota // the latest activity first
	byMeeting               // coming meetings soonest first, then past ones
)

// rowsQuery is which activity rows a read fetches.
type rowsQuery struct {
	automation, filter string
	order              order
	kind               loadKind
	offset, limit      int
}

// activityMsg carries a page of the activity log.
type activityMsg struct {
	rowsQuery
	rows []store.Activity
	err  error
}

// detailsMsg carries one event's details.
type detailsMsg struct {
	automation, eventID string
	details             store.EventDetails
	err                 error
}

// failuresMsg carries an automation's failed operations.
type failuresMsg struct {
	automation string
	failures   []store.Failure
	err        error
}

// sentMsg reports a command queued (or not) for a loop.
type sentMsg struct {
	automation string
	cmd        store.Command
	err        error
}

// loopsStartedMsg reports the loops started here (or why not).
type loopsStartedMsg struct{ err error }

// COMMANDS

// runLoops runs start off the screen's goroutine: starting loops reads
// secrets and the database.
func runLoops(start func() error) tea.Cmd {
	return func() tea.Msg { return loopsStartedMsg{err: start()} }
}

func tick(every time.Duration) tea.Cmd {
	return tea.Tick(every, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// waitForChange returns the next nudge from the engine, or nil when the
// channel is closed (the engine stopped).
func waitForChange(ch <-chan struct{}) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		if _, ok := <-ch; !ok {
			return nil
		}
		return changedMsg{}
	}
}

func readMarker(ctx context.Context, src Source) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, ioTimeout)
		defer cancel()
		m, err := src.ChangeMarker(ctx)
		return markerMsg{marker: m, err: err}
	}
}

func readStatus(ctx context.Context, src Source, automation string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, ioTimeout)
		defer cancel()
		st, err := src.Board(ctx, automation)
		return statusMsg{automation: automation, status: st, err: err}
	}
}

func readActivity(ctx context.Context, src Source, q rowsQuery) tea.Cmd {
	if q.limit <= 0 {
		q.limit = pageSize
	}
	read := src.Activity
	if q.order == byMeeting {
		read = src.ActivityByMeeting
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, ioTimeout)
		defer cancel()
		rows, err := read(ctx, store.ActivityQuery{
			Automation: q.automation, Filter: q.filter, Limit: q.limit, Offset: q.offset,
		})
		return activityMsg{rowsQuery: q, rows: rows, err: err}
	}
}

func readDetails(ctx context.Context, src Source, automation, eventID string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, ioTimeout)
		defer cancel()
		d, err := src.EventDetails(ctx, automation, eventID)
		return detailsMsg{automation: automation, eventID: eventID, details: d, err: err}
	}
}

// maxFailures is how many failed operations the errors pane reads.
const maxFailures = 500

func readFailures(ctx context.Context, src Source, automation string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, ioTimeout)
		defer cancel()
		fs, err := src.Failures(ctx, automation, maxFailures)
		return failuresMsg{automation: automation, failures: fs, err: err}
	}
}

func send(ctx context.Context, src Source, automation string, cmd store.Command) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, ioTimeout)
		defer cancel()
		return sentMsg{automation: automation, cmd: cmd, err: src.Request(ctx, automation, cmd)}
	}
}
