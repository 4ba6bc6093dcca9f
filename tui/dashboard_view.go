package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"invitesync/internal/text"
	"invitesync/sync/store"
)

// LAYOUT

// layout sizes the table and panes to what the header and footer leave.
func (d *Dashboard) layout() {
	k := &d.c.keys.Dashboard
	onTable := d.pane == paneTable && !d.filtering
	k.Up.SetEnabled(onTable)
	k.Down.SetEnabled(onTable)
	k.Details.SetEnabled(onTable || d.filtering)
	k.Filter.SetEnabled(onTable)
	k.Back.SetEnabled(d.pane != paneTable || d.filter.Value() != "" || d.filtering || len(d.autos) > 1)
	// While the filter is typed, letters go into it: only Enter, Esc and
	// Ctrl+C keep their meaning, and the help says so.
	for _, b := range []*key.Binding{&k.PollNow, &k.Pause, &k.Retry, &k.Errors, &k.Help} {
		b.SetEnabled(!d.filtering)
	}
	k.Next.SetEnabled(len(d.autos) > 1 && !d.filtering)
	k.Previous.SetEnabled(len(d.autos) > 1 && !d.filtering)
	for _, b := range []*key.Binding{&k.PollNow, &k.Pause, &k.Retry} {
		b.SetEnabled(!d.filtering && !d.watch)
	}
	k.Watch.SetEnabled(!d.filtering && !d.watchLocked)
	if d.watch {
		k.Watch.SetHelp("w", "steer the loops")
	} else {
		k.Watch.SetHelp("w", "watch only")
	}
	_, known := d.status[d.automation()]
	k.StartLoops.SetEnabled(!d.filtering && !d.watch && d.startLoops != nil && !d.loopsStarted &&
		known && !d.running(d.automation()))
	k.Yes.SetEnabled(d.confirming)
	k.No.SetEnabled(d.confirming)
	if d.confirming {
		// Only the answer, and Ctrl+C, count while the question is asked.
		for _, b := range []*key.Binding{&k.Up, &k.Down, &k.Details, &k.Back, &k.Filter, &k.Errors, &k.PollNow,
			&k.Pause, &k.Retry, &k.Next, &k.Previous, &k.Watch, &k.StartLoops, &k.Help} {
			b.SetEnabled(false)
		}
	}
	if d.filtering || d.confirming {
		k.Quit.SetHelp("ctrl+c", "quit")
	} else {
		k.Quit.SetHelp("q", "quit")
	}
	if d.filtering {
		k.Details.SetHelp("enter", "apply filter")
		k.Back.SetHelp("esc", "clear filter")
	} else {
		k.Details.SetHelp("enter", "details")
		k.Back.SetHelp("esc", "back")
		if d.pane == paneTable && d.filter.Value() == "" {
			k.Back.SetHelp("esc", "all automations")
		}
	}
	k.Top.SetHelp("g/home", "first")
	if d.status[d.automation()].Loop.State == store.LoopPaused {
		k.Pause.SetHelp("space", "resume")
	} else {
		k.Pause.SetHelp("space", "pause")
	}
	k.Order.SetEnabled(onTable)
	if d.order == byMeeting {
		k.Order.SetHelp("o", "sort by latest activity")
	} else {
		k.Order.SetHelp("o", "sort by meeting time")
	}
	if d.showHelp {
		k.Help.SetHelp("?", "fewer keys")
	} else {
		k.Help.SetHelp("?", "more keys")
	}
	d.c.help.ShowAll = d.showHelp
	k.Log.SetEnabled(!d.filtering && !d.ov.filtering && !d.confirming)
	k.Log.SetHelp("l", "log")
	k.Level.SetEnabled(false)
	if d.pane == paneLog {
		d.layoutLog()
		return
	}
	if d.overviewing {
		d.layoutOverview()
		return
	}

	w := d.width()
	d.compactHeader = false
	used := d.bodyStart(w)
	if d.c.height-used < minRows+1 {
		d.compactHeader = true
		used = d.bodyStart(w)
	}
	rest := max(d.c.height-used, 2)
	d.table.setHeight(rest - 1) // the column titles
	d.details.setSize(w, rest-1)
	d.errs.setSize(w, rest-1)
	d.filter.Width = max(w-4, 10)
}

// minRows is how many rows of the table the header leaves room for at the
// least, cutting its warnings to a line each when it must.
const minRows = 3

// bodyStart is how many lines the header, the footer and the filter take.
func (d Dashboard) bodyStart(w int) int {
	used := lipgloss.Height(d.headerView(w)) + 1 + lipgloss.Height(d.footerView(w))
	if d.filtering || d.filter.Value() != "" {
		used++
	}
	return used
}

// renderPanes rebuilds the open pane's text for the current width and data.
func (d *Dashboard) renderPanes() {
	switch {
	case d.pane == paneErrors:
		d.errs.setContent(errorsContent(d.c.styles, d.status[d.automation()], d.failures, d.now(), d.zone(), d.errs.vp.Width))
	case d.pane == paneDetails && d.detail != nil:
		d.details.setContent(detailsContent(d.c.styles, *d.detail, d.detailAt, d.now(), d.zone(), d.details.vp.Width))
	}
}

// width is the usable width: the screen less a one-column margin each side.
func (d Dashboard) width() int { return max(d.c.width-2, 10) }

// VIEW

// View implements tea.Model. It costs the same however long the log is:
// only the visible rows are rendered.
func (d Dashboard) View() string {
	w := d.width()
	var b strings.Builder
	if d.overviewing {
		b.WriteString(d.overviewHeader(w))
	} else {
		b.WriteString(d.headerView(w))
	}
	b.WriteString("\n\n")
	switch {
	case d.pane == paneLog:
		b.WriteString(d.log.view(d.c, w, d.zone()))
	case d.overviewing:
		b.WriteString(d.overviewView(w))
	case d.pane == paneDetails:
		b.WriteString(d.details.view(d.c))
	case d.pane == paneErrors:
		b.WriteString(d.errs.view(d.c))
	default:
		if d.filtering || d.filter.Value() != "" {
			b.WriteString(d.filterView(w) + "\n")
		}
		b.WriteString(d.tableView(w))
	}
	footer := strings.Split(d.footerView(w), "\n")
	room := d.c.height - len(footer)
	if room < 1 { // a tiny terminal: the body matters more than the keys
		footer, room = nil, max(d.c.height, 1)
	}
	body := strings.Split(b.String(), "\n")
	if len(body) > room {
		body = body[:room]
	}
	for len(body) < room {
		body = append(body, "")
	}
	lines := append(body, footer...)
	for i, l := range lines {
		// Every part is laid out to fit; this catches the narrowest terminals.
		lines[i] = ansi.Truncate(" "+l, d.c.width, "")
	}
	return strings.Join(lines, "\n")
}

func (d Dashboard) filterView(w int) string {
	if d.filtering {
		return d.filter.View()
	}
	st := d.c.styles
	return st.Muted.Render("filter: ") + st.Strong.Render(text.Clean(d.filter.Value(), 0)) + st.Muted.Render("  (esc clears, / edits)")
}

func (d Dashboard) tableView(w int) string {
	st := d.c.styles
	out := d.table.view(d.c, w, d.zone())
	switch {
	case d.tableErr != nil:
		out += "\n" + st.Status.Fail.Render(symbolFail+" cannot read the activity: "+text.Clean(d.tableErr.Error(), 0))
	case len(d.table.rows) > 0:
	case !d.table.loaded:
		out += "\n" + st.Muted.Render(symbolPending+" reading the activity…")
	case d.filter.Value() != "":
		out += "\n" + st.Muted.Render("No processed event matches the filter.")
	default:
		out += "\n" + st.Muted.Render("No event processed yet: new invitations appear here after the next poll.")
	}
	return out
}

func (d Dashboard) footerView(w int) string {
	st := d.c.styles
	var lines []string
	if d.confirming {
		lines = append(lines, st.Status.Warn.Render(symbolWarn+" Run the loops nobody runs in this dashboard? ")+
			st.Text.Render("They poll the mailboxes, write visits to Salto IDM and answer organizers until you quit."))
	} else if d.flash != "" {
		lines = append(lines, d.flash)
	}
	switch {
	case d.pane == paneLog:
	case d.overviewing && len(d.ov.shown) > 0:
		lines = append(lines, st.Muted.Render(fmt.Sprintf("automation %d of %d", d.ov.cursor+1, len(d.ov.shown))))
	case !d.overviewing && d.pane == paneTable && len(d.table.rows) > 0:
		lines = append(lines, st.Muted.Render(positionText(d.table)+" · "+orderText[d.order]))
	}
	var km help.KeyMap = d.c.keys.Dashboard
	if d.c.height < shortTerminal && !d.showHelp && !d.confirming && !d.filtering && !d.ov.filtering && !d.log.filtering {
		km = keyList{d.c.keys.Dashboard.Help, d.c.keys.Dashboard.Quit}
	}
	lines = append(lines, helpView(d.c.help, km, w))
	for i, l := range lines {
		lines[i] = truncateLines(l, w)
	}
	return strings.Join(lines, "\n")
}

// orderText says how the rows are sorted.
var orderText = map[order]string{
	byActivity: "latest activity first",
	byMeeting:  "by meeting time: coming first",
}

// positionText is "row 3 of 200" with a "+" while older rows remain unread.
func positionText(t activityTable) string {
	more := ""
	if !t.exhausted {
		more = "+"
	}
	return "row " + strconv.Itoa(t.cursor+1) + " of " + strconv.Itoa(len(t.rows)) + more
}

// truncateLines cuts every line of s to width.
func truncateLines(s string, width int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, text.Ellipsis)
	}
	return strings.Join(lines, "\n")
}
