package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// KeyMap is every key binding of the terminal interface. Views enable the
// bindings that apply to them, and the footer shows the enabled ones.
type KeyMap struct {
	Quit     key.Binding
	Back     key.Binding // the previous wizard step
	Open     key.Binding // open the step's page in a browser
	Copy     key.Binding // copy the step-5 commands (OSC 52)
	SaveFile key.Binding // save the step-5 commands as a .ps1 file
	Continue key.Binding // leave a message screen
}

// DefaultKeyMap returns the bindings. Wizard keys use Ctrl so they never
// collide with text typed into a field.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit (progress kept)")),
		Back:     key.NewBinding(key.WithKeys("ctrl+b"), key.WithHelp("ctrl+b", "previous step")),
		Open:     key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "open in browser")),
		Copy:     key.NewBinding(key.WithKeys("ctrl+y"), key.WithHelp("ctrl+y", "copy commands")),
		SaveFile: key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save as .ps1")),
		Continue: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
	}
}

var _ help.KeyMap = KeyMap{}

// ShortHelp implements help.KeyMap: the enabled bindings, most useful first.
func (k KeyMap) ShortHelp() []key.Binding {
	return enabled(k.Continue, k.Open, k.Copy, k.SaveFile, k.Back, k.Quit)
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		enabled(k.Continue, k.Back),
		enabled(k.Open, k.Copy, k.SaveFile),
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
