package tui

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// typeFilter applies a key to a filter being typed, the same on every
// pane: enter keeps the text and ends typing, esc clears it and ends
// typing, ctrl+c asks to quit, and any other key edits it. It reports
// whether the filter's text changed.
func typeFilter(in *textinput.Model, typing *bool, msg tea.KeyMsg) (changed, quit bool, cmd tea.Cmd) {
	before := in.Value()
	switch msg.Type {
	case tea.KeyEnter:
		*typing = false
		in.Blur()
	case tea.KeyEsc:
		*typing = false
		in.Blur()
		in.SetValue("")
	case tea.KeyCtrlC:
		return false, true, nil
	default:
		*in, cmd = in.Update(msg)
	}
	return in.Value() != before, false, cmd
}

// listMove is how many rows a navigation key moves a list of n rows shown
// page at a time (the ends: all of them); ok is false for other keys.
func listMove(k dashboardKeyMap, msg tea.KeyMsg, page, n int) (delta int, ok bool) {
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.Top):
		return -n, true
	case key.Matches(msg, k.Bottom):
		return n, true
	}
	return 0, false
}
