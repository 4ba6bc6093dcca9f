package tui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"
	"invitesync/internal/text"
	"invitesync/sync/store"
)

// DashboardOptions is what the dashboard shows and where it reads it.
type DashboardOptions struct {
	// Context bounds every read and write; the caller cancels it on exit.
	Context context.Context
	// Source is the state database. Required.
	Source Source
	// Automations are the automations to show, in order. At least one.
	Automations []config.Automation
	// RunsHere reports whether this process runs the automation's loop, so
	// the header can tell "running here" from "attached to …" another
	// process. Nil: this process runs no loop.
	RunsHere func(automation string) bool
	// Changes, when set, nudges the dashboard to read the store at once
	// (the in-process engine's activity feed); without it the dashboard
	// notices changes on its next refresh.
	Changes <-chan struct{}
	// Refresh is how often the countdowns move and the store's change marker
	// is checked. Zero means one second.
	Refresh time.Duration
	// Watch makes the dashboard watch-only for good: it follows the state
	// database and never sends a command to a loop (the Source's Request is
	// never called), and the person cannot switch it off.
	Watch bool
	// StartLoops, when set, runs in this process the loops of the
	// automations that no process runs. The dashboard calls it (off the
	// screen's goroutine) only after the person asked and confirmed. Nil:
	// the dashboard offers no way to run loops.
	StartLoops func() error
	// LogFile is the log the log pane follows: slog's text format, as
	// `invitesync run` writes it. Empty: the pane says there is none.
	LogFile string
	// Now and Location are the clock and the zone times are shown in; the
	// defaults are time.Now and the current automation's time zone.
	Now      func() time.Time
	Location *time.Location
	Logger   *slog.Logger
}

// pane is what fills the space under the header.
type pane int

const (
	paneTable pane = iota
	paneDetails
	paneErrors
	paneLog
)

// flashFor is how long a confirmation stays in the footer.
const flashFor = 4 * time.Second

// shortTerminal is the height below which the footer names only ? and q.
const shortTerminal = 20

// Dashboard is the keyboard dashboard of the poll loops: per automation a
// header with the loop's state, a table of processed events that scrolls
// and filters, the details of one event, and the errors.
type Dashboard struct {
	c       *common
	ctx     context.Context
	src     Source
	autos   []config.Automation
	cur     int
	here    func(automation string) bool
	changes <-chan struct{}
	refresh time.Duration
	now     func() time.Time
	loc     *time.Location
	zones   []*time.Location // each automation's time zone, loaded once

	status    map[string]store.Board
	statusErr error
	marker    int64
	haveMark  bool

	pane      pane
	order     order
	table     activityTable
	tableErr  error
	filter    textinput.Model
	filtering bool
	details   textPane
	eventID   string              // the event the details pane shows
	detail    *store.EventDetails // its details, once read
	detailAt  time.Time           // when the row it was opened from was processed
	failures  []store.Failure
	errs      textPane
	showHelp  bool

	flash      string
	flashUntil time.Time

	// watch is watch-only: no command is sent. watchLocked: it was asked
	// for on the command line and stays on.
	watch, watchLocked bool
	// startLoops runs the loops here (see DashboardOptions.StartLoops);
	// confirming is the question asked before; loopsStarted once it did.
	startLoops   func() error
	confirming   bool
	loopsStarted bool
	// compactHeader cuts the header's warnings to a line each, on a
	// terminal too short for them and a few rows of the table.
	compactHeader bool

	// overviewing shows the overview of every automation (ov) instead of
	// one automation; ticks counts refreshes, for the slower re-reads.
	overviewing bool
	ov          overview
	ticks       int

	// log is the log pane; logFrom the pane it was opened from.
	log     logPane
	logFrom pane

	// queue holds the commands for the loops not yet sent; they are sent
	// one at a time so that they reach the loop in the order given.
	queue   []control
	sending bool
}

// control is a command for an automation's loop.
type control struct {
	automation string
	cmd        store.Command
}

var _ tea.Model = Dashboard{}

// RunDashboard runs the dashboard full screen on in and out until the person
// quits or ctx ends.
func RunDashboard(opts DashboardOptions, in io.Reader, out io.Writer) error {
	d, err := NewDashboard(opts)
	if err != nil {
		return err
	}
	p := tea.NewProgram(d, tea.WithContext(d.ctx), tea.WithAltScreen(), tea.WithInput(in), tea.WithOutput(out))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return err
	}
	return nil
}

// errNoAutomation is returned by NewDashboard when there is nothing to show.
var errNoAutomation = errors.New("no automation to show: add one with `invitesync setup`")

// NewDashboard returns the dashboard for opts.
func NewDashboard(opts DashboardOptions) (Dashboard, error) {
	if opts.Source == nil {
		return Dashboard{}, errors.New("dashboard: no state database")
	}
	if len(opts.Automations) == 0 {
		return Dashboard{}, errNoAutomation
	}
	d := Dashboard{
		c:       newCommon(opts.Logger),
		ctx:     opts.Context,
		src:     opts.Source,
		autos:   opts.Automations,
		here:    opts.RunsHere,
		changes: opts.Changes,
		refresh: opts.Refresh,
		now:     opts.Now,
		loc:     opts.Location,
		status:  map[string]store.Board{},

		watch:       opts.Watch,
		watchLocked: opts.Watch,
		startLoops:  opts.StartLoops,
	}
	if opts.Watch {
		d.src = watchOnly{opts.Source}
		d.startLoops = nil
	}
	if d.here == nil {
		d.here = func(string) bool { return false }
	}
	for _, a := range d.autos {
		d.zones = append(d.zones, a.Location())
	}
	if d.ctx == nil {
		d.ctx = context.Background()
	}
	if d.refresh <= 0 {
		d.refresh = time.Second
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.filter = textinput.New()
	d.filter.Prompt = "/"
	d.filter.Placeholder = "subject, host, visitor, outcome or reason"
	d.filter.CharLimit = 100
	d.filter.Cursor.SetMode(cursor.CursorStatic)
	d.filter.PromptStyle = d.c.styles.Title
	d.ov = newOverview(d.c.styles, len(d.autos))
	d.log = newLogPane(d.c.styles, opts.LogFile)
	d.overviewing = len(d.autos) > 1
	d.table.setHeight(1)
	d.layout()
	return d, nil
}

// Init implements tea.Model.
func (d Dashboard) Init() tea.Cmd {
	return tea.Batch(d.reloadAll(), tick(d.refresh), waitForChange(d.changes))
}

func (d Dashboard) automation() string { return d.autos[d.cur].Name }

// names are the names of every automation, in order.
func (d Dashboard) names() []string {
	out := make([]string, len(d.autos))
	for i, a := range d.autos {
		out[i] = a.Name
	}
	return out
}

// rereadEvery is every how many refreshes the status is read again though
// the database did not change.
const rereadEvery = 5

// statusCmd reads the status shown: every automation's on the overview,
// else the current one's.
func (d Dashboard) statusCmd() tea.Cmd {
	if d.overviewing {
		return readBoards(d.ctx, d.src, d.names())
	}
	return readStatus(d.ctx, d.src, d.automation())
}

// request queues cmd for the current automation's loop, unless the
// dashboard only watches or no loop runs the automation: a command queued
// then would wait for whichever loop starts next, and surprise.
func (d Dashboard) request(cmd store.Command) (Dashboard, tea.Cmd) {
	st := d.c.styles
	a := d.automation()
	switch {
	case d.watch:
		why := "w steers the loops again"
		if d.watchLocked {
			why = "started with --watch"
		}
		d.setFlash(st.Status.Warn.Render(symbolWarn + " watch only: nothing was sent (" + why + ")"))
		return d, nil
	case !d.running(a):
		d.setFlash(st.Status.Warn.Render(symbolWarn + " nothing was sent: " + d.notRunningText(a)))
		return d, nil
	}
	d.queue = append(d.queue, control{a, cmd})
	return d.sendNext()
}

// running reports whether some process runs the automation's loop, this
// one or another; false while its status is not known yet.
func (d Dashboard) running(automation string) bool {
	s, known := d.status[automation]
	return known && (s.Leased || d.here(automation))
}

// notRunningText says that no loop runs the automation, and how to start one.
func (d Dashboard) notRunningText(automation string) string {
	s := "not running: start `invitesync run`"
	if d.startLoops != nil && !d.loopsStarted && !d.watch {
		s += ", or S to run it here"
	}
	return s
}

// sendNext sends the oldest queued command unless one is on its way.
func (d Dashboard) sendNext() (Dashboard, tea.Cmd) {
	if d.sending || len(d.queue) == 0 {
		return d, nil
	}
	d.sending = true
	c := d.queue[0]
	return d, send(d.ctx, d.src, c.automation, c.cmd)
}

// zone is where times are shown: the Location option when set, else the
// current automation's time zone, the clock of the site it serves.
func (d Dashboard) zone() *time.Location {
	if d.loc != nil {
		return d.loc
	}
	return d.zones[d.cur]
}

// reloadAll reads the current automation's status and newest activity.
func (d Dashboard) reloadAll() tea.Cmd {
	if d.overviewing {
		return tea.Batch(readBoards(d.ctx, d.src, d.names()), readMarker(d.ctx, d.src))
	}
	a := d.automation()
	return tea.Batch(
		readStatus(d.ctx, d.src, a),
		d.readRows(loadReset, 0),
		readMarker(d.ctx, d.src),
	)
}

// refreshCmds reads what may have changed: status, newest rows, and the open pane.
func (d Dashboard) refreshCmds() tea.Cmd {
	if d.overviewing {
		return readBoards(d.ctx, d.src, d.names())
	}
	a := d.automation()
	rows := d.readRows(loadNewest, 0)
	if d.order == byMeeting {
		// New rows may belong anywhere: read again all the rows shown.
		rows = d.readRows(loadReset, 0)
	}
	cmds := []tea.Cmd{readStatus(d.ctx, d.src, a), rows}
	switch d.pane {
	case paneDetails:
		cmds = append(cmds, readDetails(d.ctx, d.src, a, d.eventID))
	case paneErrors:
		cmds = append(cmds, readFailures(d.ctx, d.src, a))
	}
	return tea.Batch(cmds...)
}

// UPDATE

// Update implements tea.Model.
func (d Dashboard) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		d.c.setSize(msg.Width, msg.Height)
		d.layout()
		d.renderPanes()
		return d, nil
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			return d.updateBurst(msg.Runes)
		}
		return d.updateKey(msg)
	case tickMsg:
		if !d.flashUntil.IsZero() && d.now().After(d.flashUntil) {
			d.flash, d.flashUntil = "", time.Time{}
		}
		// A lease runs out without a write: the status is read again now
		// and then even when nothing changed in the database.
		d.ticks++
		cmds := []tea.Cmd{tick(d.refresh), readMarker(d.ctx, d.src)}
		if d.ticks%rereadEvery == 0 {
			cmds = append(cmds, d.statusCmd())
		}
		if d.pane == paneLog {
			cmds = append(cmds, d.log.read())
		}
		return d, tea.Batch(cmds...)
	case changedMsg:
		return d, tea.Batch(d.refreshCmds(), waitForChange(d.changes))
	case markerMsg:
		if msg.err != nil {
			d.statusErr = msg.err
			return d, nil
		}
		changed := !d.haveMark || msg.marker != d.marker
		d.marker, d.haveMark = msg.marker, true
		if changed {
			return d, d.refreshCmds()
		}
		return d, nil
	case statusMsg:
		if msg.automation == d.automation() {
			d.statusErr = msg.err
		}
		if msg.err == nil {
			d.status[msg.automation] = msg.status
			d.layout()
			if d.pane == paneErrors && msg.automation == d.automation() {
				d.renderPanes()
			}
		}
		return d, nil
	case logReadMsg:
		d.log.take(msg)
		return d, nil
	case boardsMsg:
		d.takeBoards(msg)
		d.layout()
		return d, nil
	case activityMsg:
		return d.updateActivity(msg)
	case detailsMsg:
		if d.pane == paneDetails && msg.automation == d.automation() && msg.eventID == d.eventID {
			if msg.err != nil {
				d.details.err = msg.err
				return d, nil
			}
			d.detail = &msg.details
			d.renderPanes()
		}
		return d, nil
	case failuresMsg:
		if d.pane == paneErrors && msg.automation == d.automation() {
			if msg.err != nil {
				d.errs.err = msg.err
				return d, nil
			}
			d.failures = msg.failures
			d.renderPanes()
		}
		return d, nil
	case loopsStartedMsg:
		if msg.err != nil {
			d.setFlash(d.c.styles.Status.Fail.Render(symbolFail + " the loops did not start: " + text.Clean(msg.err.Error(), 0)))
			return d, nil
		}
		d.loopsStarted = true
		d.layout()
		d.setFlash(d.c.styles.Status.OK.Render(symbolOK + " the loops nobody ran now run here, until you quit"))
		return d, d.reloadAll()
	case sentMsg:
		d.setFlash(sentText(d.c.styles, msg, d.status[msg.automation].Loop.State == store.LoopPaused))
		if len(d.queue) > 0 {
			d.queue = d.queue[1:]
		}
		d.sending = false
		d, next := d.sendNext()
		if msg.err == nil {
			return d, tea.Batch(readStatus(d.ctx, d.src, msg.automation), next)
		}
		return d, next
	}
	return d, nil
}

// updateBurst handles keys typed faster than the terminal is read (they
// arrive as one message) one by one, so "/fab" opens the filter and types
// "fab" into it.
func (d Dashboard) updateBurst(runes []rune) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	var m tea.Model = d
	for _, r := range runes {
		var cmd tea.Cmd
		m, cmd = m.(Dashboard).updateKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(cmds...)
}

// updateActivity takes a page of the activity log into the table.
func (d Dashboard) updateActivity(msg activityMsg) (tea.Model, tea.Cmd) {
	if msg.automation != d.automation() || msg.filter != d.filter.Value() || msg.order != d.order {
		return d, nil // an answer to a question no longer asked
	}
	d.tableErr = msg.err
	if msg.err != nil {
		d.table.loading = false
		return d, nil
	}
	switch msg.kind {
	case loadReset:
		d.table.replace(msg.rows, msg.limit)
	case loadNewest:
		if !d.table.mergeNewest(msg.rows) {
			d.table.replace(msg.rows, msg.limit)
		}
	case loadOlder:
		if msg.offset != len(d.table.rows) {
			d.table.loading = false // rows arrived meanwhile; read again
			break
		}
		d.table.appendOlder(msg.rows)
	}
	return d, d.readMoreIfNeeded()
}

// readMoreIfNeeded reads the next older page when the selection nears the
// oldest row read.
func (d *Dashboard) readMoreIfNeeded() tea.Cmd {
	if !d.table.nearEnd() {
		return nil
	}
	d.table.loading = true
	return d.readRows(loadOlder, len(d.table.rows))
}

// readRows reads activity rows of the current automation, filter and
// order. A reset reads at least as many rows as are shown, so the
// selection keeps its row.
func (d Dashboard) readRows(kind loadKind, offset int) tea.Cmd {
	limit := pageSize
	if kind == loadReset {
		limit = max(pageSize, (len(d.table.rows)+pageSize-1)/pageSize*pageSize)
	}
	return readActivity(d.ctx, d.src, rowsQuery{automation: d.automation(), filter: d.filter.Value(),
		order: d.order, kind: kind, offset: offset, limit: limit})
}

func (d *Dashboard) setFlash(s string) {
	d.flash, d.flashUntil = s, d.now().Add(flashFor)
}

// sentText confirms a command, or says why it could not be sent. A poll
// asked of a paused loop is one poll: the loop stays paused, and says so.
func sentText(st styleSet, m sentMsg, paused bool) string {
	if m.err != nil {
		return st.Status.Fail.Render(symbolFail + " could not send " + string(m.cmd) + ": " + text.Clean(m.err.Error(), 0))
	}
	what := map[store.Command]string{
		store.CmdPollNow:     "poll requested",
		store.CmdPause:       "pause requested",
		store.CmdResume:      "resume requested",
		store.CmdRetryFailed: "retry of failed operations requested",
	}[m.cmd]
	if m.cmd == store.CmdPollNow && paused {
		return st.Status.OK.Render(symbolOK+" one poll requested for "+text.Clean(m.automation, 0)) +
			st.Status.Warn.Render("; it stays paused (space resumes)")
	}
	return st.Status.OK.Render(symbolOK + " " + what + " for " + text.Clean(m.automation, 0))
}
