package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"invitesync/internal/text"
	"invitesync/sync/store"
)

// activityTable is the scrolling list of processed events, newest first. It
// holds the rows read so far and renders only the visible window, so its
// cost does not grow with the log.
type activityTable struct {
	rows      []store.Activity
	cursor    int  // index of the selected row
	top       int  // index of the first visible row
	height    int  // visible rows
	loaded    bool // a first page arrived
	exhausted bool // no older rows in the store
	loading   bool // a read of older rows is under way
}

// MODEL

// selected returns the selected row.
func (t *activityTable) selected() (store.Activity, bool) {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return store.Activity{}, false
	}
	return t.rows[t.cursor], true
}

// setHeight sets how many rows are visible.
func (t *activityTable) setHeight(h int) {
	t.height = max(h, 1)
	t.clamp()
}

// move moves the selection by n rows (negative: up, towards newer ones).
func (t *activityTable) move(n int) {
	t.cursor += n
	t.clamp()
}

// home selects the newest row; end the oldest one read so far.
func (t *activityTable) home() { t.cursor = 0; t.clamp() }
func (t *activityTable) end()  { t.cursor = len(t.rows) - 1; t.clamp() }

// clamp keeps the cursor on a row and inside the visible window.
func (t *activityTable) clamp() {
	t.cursor = min(max(t.cursor, 0), max(len(t.rows)-1, 0))
	if t.cursor < t.top {
		t.top = t.cursor
	}
	if t.cursor >= t.top+t.height {
		t.top = t.cursor - t.height + 1
	}
	t.top = min(max(t.top, 0), max(len(t.rows)-t.height, 0))
}

// nearEnd reports that the selection is within a screen of the oldest row
// read, so the next page should be read.
func (t *activityTable) nearEnd() bool {
	return t.loaded && !t.exhausted && !t.loading && t.cursor >= len(t.rows)-t.height-1
}

// reset forgets every row (another automation, another filter).
func (t *activityTable) reset() {
	*t = activityTable{height: t.height}
}

// replace shows page, read with limit, as the first rows, keeping the
// selection on the same row when it is still there.
func (t *activityTable) replace(page []store.Activity, limit int) {
	sel, had := t.selected()
	t.rows = append(t.rows[:0:0], page...)
	t.loaded, t.loading = true, false
	t.exhausted = len(page) < limit
	t.cursor = 0
	if had {
		for i, r := range t.rows {
			if r.ID == sel.ID {
				t.cursor = i
				break
			}
		}
	}
	t.clamp()
}

// mergeNewest puts the rows of page that are newer than the newest shown on
// top. A selection on the newest row follows new rows (like tail -f);
// another selection stays on its row. It returns false when the page holds
// nothing known (more arrived than a page), and the caller must replace.
func (t *activityTable) mergeNewest(page []store.Activity) bool {
	if len(t.rows) == 0 {
		t.replace(page, pageSize)
		return true
	}
	newest := t.rows[0].ID
	n := 0
	for n < len(page) && page[n].ID > newest {
		n++
	}
	if n == 0 {
		return true
	}
	if n == len(page) && len(page) == pageSize {
		return false
	}
	t.rows = append(append(make([]store.Activity, 0, n+len(t.rows)), page[:n]...), t.rows...)
	if t.cursor > 0 {
		t.cursor += n
		t.top += n
	}
	t.clamp()
	return true
}

// appendOlder adds a page read below the oldest row shown.
func (t *activityTable) appendOlder(page []store.Activity) {
	t.loading = false
	if len(page) < pageSize {
		t.exhausted = true
	}
	oldest := int64(-1)
	if len(t.rows) > 0 {
		oldest = t.rows[len(t.rows)-1].ID
	}
	for _, r := range page {
		if oldest < 0 || r.ID < oldest {
			t.rows = append(t.rows, r)
		}
	}
	t.clamp()
}

// VIEW

// column is one column of the activity table.
type column struct {
	title string
	width int
	cell  func(r store.Activity, loc *time.Location) string
}

// Fixed widths and flexible weights of the columns, and the widths below
// which the less important ones are left out.
const (
	meetingWidth       = 22  // "Tue 01 Dec 15:30 CEST"
	mediumMeetingWidth = 17  // "01 Dec 15:30 CEST"
	shortMeetingWidth  = 12  // "01 Dec 15:30"
	outcomeWidth       = 11  // "✗ cancelled"
	clockWidth         = 21  // "Mon 01 Dec 15:30 CEST", a clock of the details' history
	gap                = 2   // between columns
	markWidth          = 2   // "› " before the selected row
	widestTable        = 110 // visitors shown
	wideTable          = 90  // host shown
	mediumTable        = 60  // reason shown, and the zone of each time
	narrowTable        = 40  // the meeting's time shown
)

// Formats of the meeting's time, by the room there is: with the zone's
// abbreviation, except on the narrowest tables (the header names the zone).
const (
	meetingFormat       = "Mon 02 Jan 15:04 MST"
	mediumMeetingFormat = "02 Jan 15:04 MST"
	shortMeetingFormat  = "02 Jan 15:04"
)

// meetingColumn is the column of when each row's meeting starts, in loc.
func meetingColumn(width int, format string) column {
	return column{title: "Meeting", width: width, cell: func(r store.Activity, loc *time.Location) string {
		if r.MeetingStart.IsZero() {
			return ""
		}
		return r.MeetingStart.In(loc).Format(format)
	}}
}

// columns lays out the table for a width: fixed widths for the meeting's
// time and the outcome, the rest shared by weight, less important columns
// dropped when narrow.
func columns(width int) []column {
	meeting := meetingColumn(meetingWidth, meetingFormat)
	subject := column{title: "Subject", cell: func(r store.Activity, _ *time.Location) string { return r.Subject }}
	host := column{title: "Host", cell: func(r store.Activity, _ *time.Location) string { return r.Host }}
	visitors := column{title: "Visitors", cell: func(r store.Activity, _ *time.Location) string { return r.Visitors }}
	outcome := column{title: "Outcome", width: outcomeWidth}
	reason := column{title: "Reason", cell: func(r store.Activity, _ *time.Location) string { return r.Reason }}

	var cols []column
	var weights []int
	switch {
	case width >= widestTable:
		cols, weights = []column{meeting, subject, host, visitors, outcome, reason}, []int{0, 5, 2, 3, 0, 4}
	case width >= wideTable:
		cols, weights = []column{meeting, subject, host, outcome, reason}, []int{0, 5, 2, 0, 4}
	case width >= mediumTable:
		cols, weights = []column{meetingColumn(mediumMeetingWidth, mediumMeetingFormat), subject, outcome, reason}, []int{0, 1, 0, 1}
	case width >= narrowTable:
		cols, weights = []column{meetingColumn(shortMeetingWidth, shortMeetingFormat), subject, outcome}, []int{0, 1, 0}
	default:
		cols, weights = []column{subject, outcome}, []int{1, 0}
	}
	free := width - markWidth - gap*(len(cols)-1)
	total := 0
	for i, c := range cols {
		free -= c.width
		total += weights[i]
	}
	free = max(free, len(cols))
	left := free
	for i := range cols {
		if weights[i] == 0 {
			continue
		}
		cols[i].width = max(free*weights[i]/total, 1)
		left -= cols[i].width
	}
	// Whatever integer division left over goes to the last flexible column.
	for i := len(cols) - 1; i >= 0; i-- {
		if weights[i] > 0 {
			cols[i].width += left
			break
		}
	}
	return cols
}

// view renders the header and the visible rows in width.
func (t *activityTable) view(c *common, width int, loc *time.Location) string {
	st := c.styles
	cols := columns(width)
	var b strings.Builder
	titles := make([]string, len(cols))
	for i, col := range cols {
		titles[i] = col.title
	}
	b.WriteString(st.Table.Header.Render(strings.Repeat(" ", markWidth) + joinCells(cols, titles)))
	end := min(t.top+t.height, len(t.rows))
	for i := t.top; i < end; i++ {
		b.WriteByte('\n')
		b.WriteString(t.rowView(st, cols, t.rows[i], i == t.cursor, loc))
	}
	return b.String()
}

// rowView renders one row; its outcome keeps its colour unless selected.
func (t *activityTable) rowView(st styleSet, cols []column, r store.Activity, selected bool, loc *time.Location) string {
	cells := make([]string, len(cols))
	outcomeAt := -1
	for i, col := range cols {
		if col.cell == nil {
			outcomeAt = i
			cells[i] = outcomeLabel(r.Outcome)
			continue
		}
		cells[i] = text.Clean(col.cell(r, loc), 0)
	}
	if selected {
		return st.Table.Selected.Render("› " + joinCells(cols, cells))
	}
	if outcomeAt < 0 {
		return st.Table.Cell.Render("  " + joinCells(cols, cells))
	}
	before := st.Table.Cell.Render("  " + joinCells(cols[:outcomeAt], cells[:outcomeAt]))
	if outcomeAt > 0 {
		before += strings.Repeat(" ", gap)
	}
	out := outcomeStyle(st, r.Outcome).Render(fit(cells[outcomeAt], cols[outcomeAt].width))
	if outcomeAt == len(cols)-1 {
		return before + out
	}
	return before + out + strings.Repeat(" ", gap) +
		st.Table.Cell.Render(joinCells(cols[outcomeAt+1:], cells[outcomeAt+1:]))
}

// joinCells fits each cell to its column and joins them with the gap.
func joinCells(cols []column, cells []string) string {
	var b strings.Builder
	for i, col := range cols {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", gap))
		}
		b.WriteString(fit(cells[i], col.width))
	}
	return b.String()
}

// fit truncates s to width cells (ending in …) or pads it with spaces.
func fit(s string, width int) string {
	s = ansi.Truncate(s, width, text.Ellipsis)
	if w := ansi.StringWidth(s); w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// outcomeLabel pairs an outcome with a symbol, so it reads without colour.
func outcomeLabel(o store.Outcome) string {
	sym := symbolPending
	switch o {
	case store.OutcomeCreated:
		sym = "+"
	case store.OutcomeUpdated:
		sym = "~"
	case store.OutcomeCancelled:
		sym = "-"
	case store.OutcomeFailed:
		sym = symbolFail
	}
	return sym + " " + string(o)
}

// outcomeStyle is an outcome's colour.
func outcomeStyle(st styleSet, o store.Outcome) lipgloss.Style {
	switch o {
	case store.OutcomeCreated, store.OutcomeUpdated:
		return st.Status.OK
	case store.OutcomeCancelled:
		return st.Status.Warn
	case store.OutcomeFailed:
		return st.Status.Fail
	}
	return st.Status.Pending
}
