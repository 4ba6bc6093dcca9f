// Package tui is invitesync's terminal interface: the set-up wizard and the
// dashboard. Colours, keys and the shared model state live in styles.go,
// keys.go and common.go; the wizard's files are named wizard*.go.
package tui

import (
	"os"

	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
)

// palette is the handful of colours every view draws from. Colour never
// carries meaning alone: each use comes with a symbol or a word.
type palette struct {
	Text     lipgloss.TerminalColor
	Muted    lipgloss.TerminalColor
	Accent   lipgloss.TerminalColor
	Good     lipgloss.TerminalColor
	Warn     lipgloss.TerminalColor
	Bad      lipgloss.TerminalColor
	Subtle   lipgloss.TerminalColor // borders and separators
	Contrast lipgloss.TerminalColor // text on an accent background
}

// defaultPalette returns invitesync's colours, adapted to light and dark
// terminals, or no colours at all when NO_COLOR is set.
func defaultPalette() palette {
	if os.Getenv("NO_COLOR") != "" {
		none := lipgloss.NoColor{}
		return palette{none, none, none, none, none, none, none, none}
	}
	return palette{
		Text:     lipgloss.AdaptiveColor{Light: "235", Dark: "252"},
		Muted:    lipgloss.AdaptiveColor{Light: "243", Dark: "245"},
		Accent:   lipgloss.AdaptiveColor{Light: "#1F5FBF", Dark: "#6CA8FF"},
		Good:     lipgloss.AdaptiveColor{Light: "#02864F", Dark: "#3BD68A"},
		Warn:     lipgloss.AdaptiveColor{Light: "#A05A00", Dark: "#F2B84B"},
		Bad:      lipgloss.AdaptiveColor{Light: "#C4153A", Dark: "#FF6B81"},
		Subtle:   lipgloss.AdaptiveColor{Light: "250", Dark: "238"},
		Contrast: lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#101418"},
	}
}

// Symbols pair every status colour with a mark that survives NO_COLOR.
const (
	symbolOK      = "✓"
	symbolFail    = "✗"
	symbolWarn    = "!"
	symbolPending = "·"
	symbolDone    = "●"
	symbolTodo    = "○"
)

// styleSet is every style the views use, built once from a palette.
type styleSet struct {
	palette palette

	App    lipgloss.Style // outer margin of a screen
	Title  lipgloss.Style // a screen's title
	Header lipgloss.Style // the line above the title (progress)
	Text   lipgloss.Style
	Muted  lipgloss.Style
	Strong lipgloss.Style
	URL    lipgloss.Style // an address to open or copy
	Code   lipgloss.Style // a block of commands
	Footer lipgloss.Style

	Status struct {
		OK, Fail, Warn, Pending lipgloss.Style
	}
	// Banner frames a message that needs attention (a failed check).
	Banner struct {
		Fail, Warn, OK lipgloss.Style
	}
	// Table is a table of rows, such as the dashboard's activity.
	Table struct {
		Header, Cell, Selected lipgloss.Style
	}
	// Tab is one of several names to switch between (the dashboard's automations).
	Tab struct {
		Active, Inactive lipgloss.Style
	}
}

// defaultStyles builds the styleSet from defaultPalette.
func defaultStyles() styleSet { return newStyles(defaultPalette()) }

// newStyles builds the styleSet from p.
func newStyles(p palette) styleSet {
	var s styleSet
	s.palette = p
	s.App = lipgloss.NewStyle().Margin(1, 2)
	s.Title = lipgloss.NewStyle().Bold(true).Foreground(p.Accent)
	s.Header = lipgloss.NewStyle().Foreground(p.Muted)
	s.Text = lipgloss.NewStyle().Foreground(p.Text)
	s.Muted = lipgloss.NewStyle().Foreground(p.Muted)
	s.Strong = lipgloss.NewStyle().Bold(true).Foreground(p.Text)
	s.URL = lipgloss.NewStyle().Underline(true).Foreground(p.Accent)
	s.Code = lipgloss.NewStyle().
		Border(lipgloss.NormalBorder(), false, false, false, true).
		BorderForeground(p.Subtle).
		PaddingLeft(1).
		Foreground(p.Text)
	s.Footer = lipgloss.NewStyle().Foreground(p.Muted)

	s.Status.OK = lipgloss.NewStyle().Foreground(p.Good)
	s.Status.Fail = lipgloss.NewStyle().Foreground(p.Bad).Bold(true)
	s.Status.Warn = lipgloss.NewStyle().Foreground(p.Warn)
	s.Status.Pending = lipgloss.NewStyle().Foreground(p.Muted)

	banner := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	s.Banner.Fail = banner.BorderForeground(p.Bad)
	s.Banner.Warn = banner.BorderForeground(p.Warn)
	s.Banner.OK = banner.BorderForeground(p.Good)

	s.Table.Header = lipgloss.NewStyle().Bold(true).Foreground(p.Muted)
	s.Table.Cell = lipgloss.NewStyle().Foreground(p.Text)
	s.Table.Selected = lipgloss.NewStyle().Bold(true).Foreground(p.Contrast).Background(p.Accent)
	s.Tab.Active = lipgloss.NewStyle().Bold(true).Foreground(p.Contrast).Background(p.Accent).Padding(0, 1)
	s.Tab.Inactive = lipgloss.NewStyle().Foreground(p.Muted).Padding(0, 1)
	return s
}

// HuhTheme returns the form theme built from the same palette, so forms and
// the surrounding screens match.
func (s styleSet) HuhTheme() *huh.Theme {
	p := s.palette
	t := huh.ThemeBase()

	t.Focused.Base = t.Focused.Base.BorderForeground(p.Subtle)
	t.Focused.Card = t.Focused.Base
	t.Focused.Title = t.Focused.Title.Foreground(p.Accent).Bold(true)
	t.Focused.NoteTitle = t.Focused.NoteTitle.Foreground(p.Accent).Bold(true).MarginBottom(1)
	t.Focused.Description = t.Focused.Description.Foreground(p.Muted)
	t.Focused.ErrorIndicator = t.Focused.ErrorIndicator.Foreground(p.Bad)
	t.Focused.ErrorMessage = t.Focused.ErrorMessage.Foreground(p.Bad)
	t.Focused.SelectSelector = t.Focused.SelectSelector.Foreground(p.Accent)
	t.Focused.NextIndicator = t.Focused.NextIndicator.Foreground(p.Accent)
	t.Focused.PrevIndicator = t.Focused.PrevIndicator.Foreground(p.Accent)
	t.Focused.Option = t.Focused.Option.Foreground(p.Text)
	t.Focused.MultiSelectSelector = t.Focused.MultiSelectSelector.Foreground(p.Accent)
	t.Focused.SelectedOption = t.Focused.SelectedOption.Foreground(p.Good)
	t.Focused.SelectedPrefix = t.Focused.SelectedPrefix.Foreground(p.Good).SetString(symbolOK + " ")
	t.Focused.UnselectedOption = t.Focused.UnselectedOption.Foreground(p.Text)
	t.Focused.FocusedButton = t.Focused.FocusedButton.Foreground(p.Contrast).Background(p.Accent)
	t.Focused.Next = t.Focused.FocusedButton
	t.Focused.BlurredButton = t.Focused.BlurredButton.Foreground(p.Text).Background(p.Subtle)
	t.Focused.TextInput.Cursor = t.Focused.TextInput.Cursor.Foreground(p.Accent)
	t.Focused.TextInput.Placeholder = t.Focused.TextInput.Placeholder.Foreground(p.Muted)
	t.Focused.TextInput.Prompt = t.Focused.TextInput.Prompt.Foreground(p.Accent)

	t.Blurred = t.Focused
	t.Blurred.Base = t.Focused.Base.BorderStyle(lipgloss.HiddenBorder())
	t.Blurred.Card = t.Blurred.Base
	t.Blurred.NextIndicator = lipgloss.NewStyle()
	t.Blurred.PrevIndicator = lipgloss.NewStyle()

	t.Group.Title = t.Focused.Title
	t.Group.Description = t.Focused.Description
	return t
}
