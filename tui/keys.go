package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// keyMap is every key binding of the terminal interface. Views enable the
// bindings that apply to them, and the footer shows the enabled ones.
type keyMap struct {
	Quit     key.Binding
	Back     key.Binding // the previous wizard step
	Open     key.Binding // open the step's page in a browser
	Copy     key.Binding // copy the step-5 commands (OSC 52)
	SaveFile key.Binding // save the step-5 commands as a .ps1 file
	Continue key.Binding // leave a message screen
	// Retry tests and saves again after a failed Save, from the field that
	// fixes it.
	Retry key.Binding
	// ScrollUp and ScrollDown move a text taller than the screen (step 5's
	// commands); ScrollLeft and ScrollRight move lines wider than it (long
	// addresses), which are never broken.
	ScrollUp, ScrollDown, ScrollLeft, ScrollRight key.Binding

	// Dashboard is the dashboard's own bindings; see dashboardKeyMap.
	Dashboard dashboardKeyMap
}

// defaultKeyMap returns the bindings. Wizard keys use Ctrl so they never
// collide with text typed into a field.
func defaultKeyMap() keyMap {
	return keyMap{
		Quit:        key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit (progress kept)")),
		Back:        key.NewBinding(key.WithKeys("ctrl+b"), key.WithHelp("ctrl+b", "previous step")),
		Open:        key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "open in browser")),
		Copy:        key.NewBinding(key.WithKeys("ctrl+y"), key.WithHelp("ctrl+y", "copy commands")),
		SaveFile:    key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save as .ps1")),
		Continue:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
		Retry:       key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "test and save again")),
		ScrollUp:    key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "scroll up")),
		ScrollDown:  key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "scroll down")),
		ScrollLeft:  key.NewBinding(key.WithKeys("shift+left"), key.WithHelp("shift+←", "scroll left")),
		ScrollRight: key.NewBinding(key.WithKeys("shift+right"), key.WithHelp("shift+→", "scroll right")),

		Dashboard: defaultDashboardKeyMap(),
	}
}

var _ help.KeyMap = keyMap{}

// ShortHelp implements help.KeyMap: the enabled bindings, most useful first.
func (k keyMap) ShortHelp() []key.Binding {
	return enabled(k.Retry, k.Continue, k.Open, k.Copy, k.SaveFile, k.ScrollDown, k.ScrollRight, k.Back, k.Quit)
}

// FullHelp implements help.KeyMap.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		enabled(k.Retry, k.Continue, k.Back),
		enabled(k.Open, k.Copy, k.SaveFile, k.ScrollUp, k.ScrollDown, k.ScrollLeft, k.ScrollRight),
		enabled(k.Quit),
	}
}

func enabled(bs ...key.Binding) []key.Binding {
	out := bs[:0:0]
	for _, b := range bs {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}

// dashboardKeyMap is the dashboard's bindings. Single letters are safe here:
// the only text field, the filter, captures keys while it is focused.
type dashboardKeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding

	Details key.Binding // open the selected event
	Back    key.Binding // leave a pane, or clear the filter
	Filter  key.Binding
	Errors  key.Binding // the errors pane
	Order   key.Binding // sort by meeting time or by latest activity
	Log     key.Binding // the log pane
	Level   key.Binding // the log pane's minimum level

	PollNow  key.Binding
	Pause    key.Binding // pause or resume, whichever applies
	Retry    key.Binding // retry failed operations
	Next     key.Binding // next automation
	Previous key.Binding // previous automation

	// Watch turns watch-only on or off: no command reaches a loop.
	Watch key.Binding
	// StartLoops asks to run the loops nobody runs in this process; Yes
	// and No answer the question it asks first.
	StartLoops key.Binding
	Yes, No    key.Binding

	Help key.Binding
	Quit key.Binding
}

// defaultDashboardKeyMap returns the dashboard's bindings.
func defaultDashboardKeyMap() dashboardKeyMap {
	return dashboardKeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),

		Details: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Errors:  key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "errors")),
		Order:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort by meeting time")),
		Log:     key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "log")),
		Level:   key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "level")),

		PollNow:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "poll now")),
		Pause:    key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "pause/resume")),
		Retry:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry failed")),
		Next:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next automation")),
		Previous: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous automation")),

		Watch:      key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "watch only")),
		StartLoops: key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "run the loops here")),
		Yes:        key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes, run them here")),
		No:         key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),

		Help: key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Quit: key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

var _ help.KeyMap = dashboardKeyMap{}

// ShortHelp implements help.KeyMap: the enabled bindings, most useful first.
func (k dashboardKeyMap) ShortHelp() []key.Binding {
	return enabled(k.Yes, k.No, k.Details, k.Back, k.Filter, k.Order, k.PollNow, k.Pause, k.Retry, k.StartLoops, k.Next, k.Errors, k.Log, k.Level, k.Watch, k.Help, k.Quit)
}

// FullHelp implements help.KeyMap.
func (k dashboardKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		enabled(k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom),
		enabled(k.Details, k.Back, k.Filter, k.Order, k.Errors, k.Log, k.Level),
		enabled(k.PollNow, k.Pause, k.Retry, k.Next, k.Previous),
		enabled(k.Watch, k.StartLoops, k.Yes, k.No, k.Help, k.Quit),
	}
}

// keyList is a few bindings as a help.KeyMap, for a footer with no room
// for more.
type keyList []key.Binding

// ShortHelp implements help.KeyMap.
func (l keyList) ShortHelp() []key.Binding { return enabled(l...) }

// FullHelp implements help.KeyMap.
func (l keyList) FullHelp() [][]key.Binding { return [][]key.Binding{enabled(l...)} }

// helpView renders km's help for width: the short help wraps onto more lines
// rather than cutting off its last keys (quit among them), and the full
// help's columns move to a new row when they do not fit beside each other.
func helpView(h help.Model, km help.KeyMap, width int) string {
	h.Width = 0 // the lines are fitted here, not cut
	if h.ShowAll {
		var rows, row []string
		for _, group := range km.FullHelp() {
			if len(group) == 0 {
				continue
			}
			col := h.FullHelpView([][]key.Binding{group})
			if len(row) > 0 && lipgloss.Width(lipgloss.JoinHorizontal(lipgloss.Top, append(row, "    ", col)...)) > width {
				rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
				row = nil
			}
			if len(row) > 0 {
				row = append(row, "    ")
			}
			row = append(row, col)
		}
		if len(row) > 0 {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
		}
		return strings.Join(rows, "\n")
	}
	var lines []string
	var line []key.Binding
	for _, b := range km.ShortHelp() {
		if len(line) > 0 && lipgloss.Width(h.ShortHelpView(append(line, b))) > width {
			lines = append(lines, h.ShortHelpView(line))
			line = nil
		}
		line = append(line, b)
	}
	if len(line) > 0 {
		lines = append(lines, h.ShortHelpView(line))
	}
	return strings.Join(lines, "\n")
}
