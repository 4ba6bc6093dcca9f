package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"invitesync/config"
	"invitesync/internal/text"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

// overview is the list of every automation, enabled or not, one line each:
// its verdict, state, polls, counts, operations, secret and last error. It
// is the dashboard's first screen when there are several automations;
// enter opens one. Like the activity table it renders only the visible
// lines, so 200 automations cost what 20 do.
type overview struct {
	filter    textinput.Model
	filtering bool
	shown     []int // indexes of the automations that pass the filter, in order
	cursor    int   // index into shown
	top       int   // first visible index into shown
	height    int
	// verdicts are each automation's verdict as of the last boards read,
	// by index; loaded once one arrived.
	verdicts []invsync.Verdict
	loaded   bool
}

func newOverview(st styleSet, n int) overview {
	f := textinput.New()
	f.Prompt = "/"
	f.Placeholder = "name, mailbox, state, verdict or error"
	f.CharLimit = 100
	f.Cursor.SetMode(cursor.CursorStatic)
	f.PromptStyle = st.Title
	o := overview{filter: f, verdicts: make([]invsync.Verdict, n), height: 1}
	for i := range n {
		o.shown = append(o.shown, i)
	}
	return o
}

// MSG

// boardsMsg carries the boards of every automation, in their order.
type boardsMsg struct {
	boards []store.Board
	err    error
}

// COMMANDS

func readBoards(ctx context.Context, src Source, automations []string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, ioTimeout)
		defer cancel()
		bs, err := src.Boards(ctx, automations)
		return boardsMsg{boards: bs, err: err}
	}
}

// UPDATE

// takeBoards keeps the boards read and judges each automation.
func (d *Dashboard) takeBoards(msg boardsMsg) {
	d.statusErr = msg.err
	if msg.err != nil {
		return
	}
	now := d.now()
	for i, b := range msg.boards {
		if i >= len(d.autos) {
			break
		}
		d.status[d.autos[i].Name] = b
		d.ov.verdicts[i] = invsync.Judge(d.autos[i], b, now)
	}
	d.ov.loaded = true
	d.applyOverviewFilter()
}

// applyOverviewFilter keeps the automations whose name, mailbox, state,
// verdict or last error contain the filter, ignoring case, and keeps the
// selection on the same automation when it still shows.
func (d *Dashboard) applyOverviewFilter() {
	o := &d.ov
	sel := -1
	if o.cursor < len(o.shown) {
		sel = o.shown[o.cursor]
	}
	q := strings.ToLower(o.filter.Value())
	o.shown = o.shown[:0]
	for i, a := range d.autos {
		if q == "" || strings.Contains(strings.ToLower(d.overviewText(i, a)), q) {
			o.shown = append(o.shown, i)
		}
	}
	o.cursor = 0
	for j, i := range o.shown {
		if i == sel {
			o.cursor = j
		}
	}
	o.clamp()
}

// overviewText is what the overview's filter searches in.
func (d Dashboard) overviewText(i int, a config.Automation) string {
	b := d.status[a.Name]
	return strings.Join([]string{a.Name, a.Mailbox, string(b.Loop.State), d.stateWord(i), d.ov.verdicts[i].Health.String(),
		b.Loop.LastError, b.LatestFailure}, "\n")
}

func (o *overview) move(n int) { o.cursor += n; o.clamp() }

func (o *overview) clamp() {
	o.cursor = min(max(o.cursor, 0), max(len(o.shown)-1, 0))
	o.height = max(o.height, 1)
	if o.cursor < o.top {
		o.top = o.cursor
	}
	if o.cursor >= o.top+o.height {
		o.top = o.cursor - o.height + 1
	}
	o.top = min(max(o.top, 0), max(len(o.shown)-o.height, 0))
}

// openSelected leaves the overview for the selected automation.
func (d Dashboard) openSelected() (Dashboard, tea.Cmd) {
	if len(d.ov.shown) == 0 {
		return d, nil
	}
	d.cur = d.ov.shown[d.ov.cursor]
	d.overviewing = false
	d.pane = paneTable
	d.table.reset()
	d.filter.SetValue("")
	d.layout()
	return d, d.reloadAll()
}

// updateOverviewKey handles a key on the overview.
func (d Dashboard) updateOverviewKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := d.c.keys.Dashboard
	o := &d.ov
	if o.filtering {
		changed, quit, cmd := typeFilter(&o.filter, &o.filtering, msg)
		if quit {
			return d, tea.Quit
		}
		if changed {
			d.applyOverviewFilter()
		}
		d.layout()
		return d, cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		return d, tea.Quit
	case key.Matches(msg, k.Help):
		d.showHelp = !d.showHelp
	case key.Matches(msg, k.Watch):
		return d.toggleWatch()
	case key.Matches(msg, k.StartLoops):
		d.confirming = true
	case key.Matches(msg, k.Details):
		return d.openSelected()
	case key.Matches(msg, k.Filter):
		o.filtering = true
		d.layout()
		return d, o.filter.Focus()
	case key.Matches(msg, k.Back):
		o.filter.SetValue("")
		d.applyOverviewFilter()
	default:
		if delta, ok := listMove(k, msg, o.height, len(o.shown)); ok {
			o.move(delta)
		}
	}
	d.layout()
	return d, nil
}

// LAYOUT

// layoutOverview enables the overview's keys and sizes its list.
func (d *Dashboard) layoutOverview() {
	k := &d.c.keys.Dashboard
	o := &d.ov
	typing := o.filtering || d.confirming
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom, &k.Filter, &k.Help} {
		b.SetEnabled(!typing)
	}
	for _, b := range []*key.Binding{&k.PollNow, &k.Pause, &k.Retry, &k.Errors, &k.Order, &k.Next, &k.Previous} {
		b.SetEnabled(false)
	}
	k.Details.SetEnabled(!d.confirming)
	k.Details.SetHelp("enter", "open")
	k.Back.SetEnabled(o.filtering || o.filter.Value() != "")
	k.Back.SetHelp("esc", "clear filter")
	if o.filtering {
		k.Details.SetHelp("enter", "apply filter")
	}
	k.Top.SetHelp("g/home", "first")
	k.Watch.SetEnabled(!typing && !d.watchLocked)
	notRunning := false
	for _, a := range d.autos {
		if _, known := d.status[a.Name]; known && a.Enabled && !d.running(a.Name) {
			notRunning = true
		}
	}
	k.StartLoops.SetEnabled(!typing && !d.watch && d.startLoops != nil && !d.loopsStarted && notRunning)
	used := lipgloss.Height(d.overviewHeader(d.width())) + 1 + lipgloss.Height(d.footerView(d.width())) + 1
	if o.filtering || o.filter.Value() != "" {
		used++
	}
	o.height = max(d.c.height-used, 1)
	o.clamp()
}

// VIEW

// overviewHeader sums up every automation: how many, and their verdicts.
func (d Dashboard) overviewHeader(width int) string {
	st := d.c.styles
	title := st.Title.Render("invitesync")
	if d.watch {
		title += " " + st.Status.Warn.Render(symbolDone+" watch only")
	}
	enabled := 0
	var count [3]int
	for i, a := range d.autos {
		if a.Enabled {
			enabled++
		}
		count[d.ov.verdicts[i].Health]++
	}
	parts := []string{title + "  " + st.Strong.Render(plural(len(d.autos), "automation")) + st.Muted.Render(fmt.Sprintf(", %d enabled", enabled))}
	if !d.ov.loaded {
		parts = append(parts, st.Muted.Render(symbolPending+" reading…"))
	} else {
		parts = append(parts,
			healthStyle(st, invsync.Failing).Render(fmt.Sprintf("%s %d failing", symbolFail, count[invsync.Failing])),
			healthStyle(st, invsync.NeedsAttention).Render(fmt.Sprintf("%s %d need attention", symbolWarn, count[invsync.NeedsAttention])),
			healthStyle(st, invsync.Healthy).Render(fmt.Sprintf("%s %d healthy", symbolOK, count[invsync.Healthy])))
	}
	parts = append(parts, st.Muted.Render("times in each automation's zone"))
	lines := wrapParts(width, " · ", parts...)
	if d.statusErr != nil {
		lines = append(lines, st.Status.Fail.Render(symbolFail+" cannot read the state database: ")+st.Text.Render(text.Clean(d.statusErr.Error(), 0)))
	}
	return strings.Join(lines, "\n")
}

// healthStyle is a verdict's colour.
func healthStyle(st styleSet, h invsync.Health) lipgloss.Style {
	switch h {
	case invsync.Failing:
		return st.Status.Fail
	case invsync.NeedsAttention:
		return st.Status.Warn
	}
	return st.Status.OK
}

// healthLabel pairs a verdict with its symbol.
func healthLabel(h invsync.Health) string {
	switch h {
	case invsync.Failing:
		return symbolFail + " failing"
	case invsync.NeedsAttention:
		return symbolWarn + " attention"
	}
	return symbolOK + " healthy"
}

// stateWord is an automation's loop state in a word or two, for the overview.
func (d Dashboard) stateWord(i int) string {
	a := d.autos[i]
	b, known := d.status[a.Name]
	switch {
	case !a.Enabled:
		return "disabled"
	case !known:
		return "…"
	case !d.running(a.Name):
		return "not running"
	case b.Failed > 0 && (b.Loop.State == store.LoopIdle || b.Loop.State == store.LoopFailing):
		return "failing"
	case b.Loop.State == store.LoopThrottled:
		return "throttled"
	case b.Loop.State == "":
		return "starting"
	}
	return string(b.Loop.State)
}

// Widths of the overview's columns; the automation's name and the last
// error share the rest.
const (
	ovVerdictWidth = 11 // "! attention"
	ovStateWidth   = 11 // "not running"
	ovPollWidth    = 20 // "Mon 01 Dec 15:30 CET"
	ovNextWidth    = 12 // "when resumed"
	ovEventsWidth  = 9  // "12 ✗3"
	ovOpsWidth     = 13 // "3 ✗23"
	ovSecretWidth  = 10 // "expired" or "213 days"
)

// ovColumn is one column of the overview.
type ovColumn struct {
	title  string
	width  int
	weight int
	cell   func(d Dashboard, i int, now time.Time) string
}

// overviewColumns lays the overview out for width, leaving out the less
// important columns when narrow.
func overviewColumns(width int) []ovColumn {
	verdict := ovColumn{title: "Verdict", width: ovVerdictWidth, cell: func(d Dashboard, i int, _ time.Time) string {
		if !d.ov.loaded {
			return symbolPending
		}
		return healthLabel(d.ov.verdicts[i].Health)
	}}
	name := ovColumn{title: "Automation", weight: 3, cell: func(d Dashboard, i int, _ time.Time) string { return d.autos[i].Name }}
	state := ovColumn{title: "State", width: ovStateWidth, cell: func(d Dashboard, i int, _ time.Time) string { return d.stateWord(i) }}
	last := ovColumn{title: "Last poll", width: ovPollWidth, cell: func(d Dashboard, i int, now time.Time) string {
		return clock(d.status[d.autos[i].Name].Loop.LastPoll, now, d.zones[i])
	}}
	next := ovColumn{title: "Next poll", width: ovNextWidth, cell: func(d Dashboard, i int, now time.Time) string {
		if !d.autos[i].Enabled || !d.running(d.autos[i].Name) {
			return "—"
		}
		return d.nextView(d.status[d.autos[i].Name], now)
	}}
	events := ovColumn{title: "Events", width: ovEventsWidth, cell: func(d Dashboard, i int, _ time.Time) string {
		e := d.status[d.autos[i].Name].Events
		return fmt.Sprintf("%d %s%d", e.Created+e.Updated+e.Cancelled+e.Skipped+e.Failed, symbolFail, e.Failed)
	}}
	ops := ovColumn{title: "Operations", width: ovOpsWidth, cell: func(d Dashboard, i int, _ time.Time) string {
		b := d.status[d.autos[i].Name]
		return fmt.Sprintf("%d %s%d", b.Pending, symbolFail, b.Failed)
	}}
	secret := ovColumn{title: "Secret", width: ovSecretWidth, cell: func(d Dashboard, i int, now time.Time) string {
		x := invsync.SecretExpiry(d.autos[i].SecretExpires, now)
		switch x.Level {
		case invsync.ExpiryUnknown:
			return "unknown"
		case invsync.ExpiryExpired:
			return "expired"
		}
		return plural(x.Days, "day")
	}}
	lastErr := ovColumn{title: "Last error", weight: 4, cell: func(d Dashboard, i int, _ time.Time) string {
		b := d.status[d.autos[i].Name]
		if b.Failed > 0 && b.LatestFailure != "" {
			return b.LatestFailure
		}
		return b.Loop.LastError
	}}
	var cols []ovColumn
	switch {
	case width >= 150:
		cols = []ovColumn{verdict, name, state, last, next, events, ops, secret, lastErr}
	case width >= 110:
		cols = []ovColumn{verdict, name, state, last, ops, secret, lastErr}
	case width >= 70:
		cols = []ovColumn{verdict, name, state, ops, lastErr}
	default:
		cols = []ovColumn{verdict, name, state}
	}
	free, total := width-markWidth-gap*(len(cols)-1), 0
	for _, c := range cols {
		free -= c.width
		total += c.weight
	}
	free = max(free, len(cols))
	left := free
	for i := range cols {
		if cols[i].weight > 0 {
			cols[i].width = max(free*cols[i].weight/total, 1)
			left -= cols[i].width
		}
	}
	for i := len(cols) - 1; i >= 0; i-- {
		if cols[i].weight > 0 {
			cols[i].width += left
			break
		}
	}
	return cols
}

// overviewView renders the column titles and the visible automations.
func (d Dashboard) overviewView(width int) string {
	st := d.c.styles
	o := d.ov
	var b strings.Builder
	if o.filtering {
		b.WriteString(o.filter.View() + "\n")
	} else if o.filter.Value() != "" {
		b.WriteString(st.Muted.Render("filter: ") + st.Strong.Render(text.Clean(o.filter.Value(), 0)) + st.Muted.Render("  (esc clears, / edits)") + "\n")
	}
	cols := overviewColumns(width)
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = fit(c.title, c.width)
	}
	b.WriteString(st.Table.Header.Render(strings.Repeat(" ", markWidth) + strings.Join(cells, strings.Repeat(" ", gap))))
	now := d.now()
	end := min(o.top+o.height, len(o.shown))
	for j := o.top; j < end; j++ {
		i := o.shown[j]
		for c, col := range cols {
			cells[c] = fit(text.Clean(col.cell(d, i, now), 0), col.width)
		}
		line := strings.Join(cells, strings.Repeat(" ", gap))
		b.WriteByte('\n')
		switch {
		case j == o.cursor:
			b.WriteString(st.Table.Selected.Render("› " + line))
		case !d.autos[i].Enabled:
			b.WriteString(st.Muted.Render("  " + line))
		default:
			// The verdict keeps its colour; it is the first column.
			b.WriteString("  " + healthStyle(st, o.verdicts[i].Health).Render(cells[0]) +
				st.Table.Cell.Render(line[len(cells[0]):]))
		}
	}
	if len(o.shown) == 0 {
		b.WriteString("\n" + st.Muted.Render("No automation matches the filter."))
	}
	return b.String()
}
