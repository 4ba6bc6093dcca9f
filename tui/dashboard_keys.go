package tui

import (
	"errors"
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"invitesync/internal/text"
	"invitesync/sync/store"
)

// updateKey handles a key: the keys that steer the loop work everywhere,
// the others depend on the pane.
func (d Dashboard) updateKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := d.c.keys.Dashboard
	if d.filtering {
		return d.updateFilter(msg)
	}
	if d.confirming {
		return d.updateConfirm(msg)
	}
	if d.pane == paneLog {
		return d.updateLogKey(msg)
	}
	if key.Matches(msg, k.Log) && !d.ov.filtering {
		d.logFrom, d.pane = d.pane, paneLog
		d.log.back = 0
		d.layout()
		return d, d.log.read()
	}
	if d.overviewing {
		return d.updateOverviewKey(msg)
	}
	if d.watch && anyKey(msg, k.PollNow, k.Pause, k.Retry) {
		// Their bindings are off while watching; the person still hears why.
		return d.request("")
	}
	switch {
	case key.Matches(msg, k.Quit):
		return d, tea.Quit
	case key.Matches(msg, k.Watch):
		return d.toggleWatch()
	case key.Matches(msg, k.StartLoops):
		d.confirming = true
		d.layout()
		return d, nil
	case key.Matches(msg, k.Help):
		d.showHelp = !d.showHelp
		d.layout()
		return d, nil
	case key.Matches(msg, k.PollNow):
		return d.request(store.CmdPollNow)
	case key.Matches(msg, k.Pause):
		cmd := store.CmdPause
		if d.status[d.automation()].Loop.State == store.LoopPaused {
			cmd = store.CmdResume
		}
		return d.request(cmd)
	case key.Matches(msg, k.Retry):
		if s, known := d.status[d.automation()]; known && s.Failed == 0 && !d.watch {
			d.setFlash(d.c.styles.Muted.Render(symbolOK + " nothing to retry: no operation of " +
				text.Clean(d.automation(), 0) + " failed for good"))
			return d, nil
		}
		return d.request(store.CmdRetryFailed)
	case key.Matches(msg, k.Next), key.Matches(msg, k.Previous):
		if len(d.autos) < 2 {
			return d, nil
		}
		step := 1
		if key.Matches(msg, k.Previous) {
			step = len(d.autos) - 1
		}
		d.cur = (d.cur + step) % len(d.autos)
		d.pane = paneTable
		d.table.reset()
		d.filter.SetValue("")
		d.layout()
		return d, d.reloadAll()
	case key.Matches(msg, k.Errors):
		if d.pane == paneErrors {
			d.pane = paneTable
			d.layout()
			return d, nil
		}
		d.pane = paneErrors
		d.errs = newTextPane("Errors of " + text.Clean(d.automation(), 0))
		d.failures = nil
		d.layout()
		return d, readFailures(d.ctx, d.src, d.automation())
	}
	if d.pane != paneTable {
		return d.updatePane(msg)
	}
	switch {
	case key.Matches(msg, k.Back):
		if d.filter.Value() != "" {
			d.filter.SetValue("")
			d.table.reset()
			d.layout()
			return d, d.readRows(loadReset, 0)
		}
		if len(d.autos) > 1 {
			d.overviewing = true
			d.layout()
			return d, readBoards(d.ctx, d.src, d.names())
		}
	case key.Matches(msg, k.Order):
		d.order = 1 - d.order
		d.table.reset()
		d.layout()
		return d, d.readRows(loadReset, 0)
	case key.Matches(msg, k.Filter):
		d.filtering = true
		d.layout()
		return d, d.filter.Focus()
	case key.Matches(msg, k.Details):
		row, ok := d.table.selected()
		if !ok {
			return d, nil
		}
		d.pane = paneDetails
		d.eventID, d.detailAt = row.EventID, row.At
		d.details = newTextPane("Event")
		d.detail = nil
		d.layout()
		if row.EventID == "" {
			d.details.err = errors.New("this line is about no particular event")
			return d, nil
		}
		return d, readDetails(d.ctx, d.src, d.automation(), row.EventID)
	case key.Matches(msg, k.Up):
		d.table.move(-1)
	case key.Matches(msg, k.Down):
		d.table.move(1)
	case key.Matches(msg, k.PageUp):
		d.table.move(-d.table.height)
	case key.Matches(msg, k.PageDown):
		d.table.move(d.table.height)
	case key.Matches(msg, k.Top):
		d.table.home()
	case key.Matches(msg, k.Bottom):
		d.table.end()
	}
	return d, d.readMoreIfNeeded()
}

// toggleWatch switches watch-only on or off.
func (d Dashboard) toggleWatch() (tea.Model, tea.Cmd) {
	d.watch = !d.watch
	if d.watch {
		d.setFlash(d.c.styles.Status.OK.Render(symbolOK + " watch only: no key sends a command now (w steers the loops again)"))
	} else {
		d.setFlash(d.c.styles.Status.OK.Render(symbolOK + " the keys steer the loops again"))
	}
	d.layout()
	return d, nil
}

// anyKey reports whether msg is one of the keys of bs, enabled or not.
func anyKey(msg tea.KeyMsg, bs ...key.Binding) bool {
	for _, b := range bs {
		if slices.Contains(b.Keys(), msg.String()) {
			return true
		}
	}
	return false
}

// updateConfirm answers the question asked before loops start here: y
// starts them, n or esc does not, Ctrl+C quits.
func (d Dashboard) updateConfirm(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := d.c.keys.Dashboard
	switch {
	case msg.Type == tea.KeyCtrlC:
		return d, tea.Quit
	case key.Matches(msg, k.Yes):
		d.confirming = false
		d.layout()
		return d, runLoops(d.startLoops)
	case key.Matches(msg, k.No):
		d.confirming = false
		d.setFlash(d.c.styles.Muted.Render("nothing started"))
		d.layout()
	}
	return d, nil
}

// updatePane handles keys while the details or the errors fill the screen.
func (d Dashboard) updatePane(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if key.Matches(msg, d.c.keys.Dashboard.Back) {
		d.pane = paneTable
		d.layout()
		return d, nil
	}
	var cmd tea.Cmd
	if d.pane == paneDetails {
		d.details.vp, cmd = d.details.vp.Update(msg)
	} else {
		d.errs.vp, cmd = d.errs.vp.Update(msg)
	}
	return d, cmd
}

// updateFilter edits the filter; the table follows as it is typed.
func (d Dashboard) updateFilter(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	changed, quit, cmd := typeFilter(&d.filter, &d.filtering, msg)
	if quit {
		return d, tea.Quit
	}
	d.layout()
	if !changed {
		return d, cmd
	}
	d.table.reset()
	d.layout()
	return d, tea.Batch(cmd, d.readRows(loadReset, 0))
}
