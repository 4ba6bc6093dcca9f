package tui

import (
	"log/slog"

	"github.com/charmbracelet/bubbles/help"

	"invitesync/internal/text"
)

// common is what every view shares: the terminal size, styles, keys and the
// logger. The root model owns it and hands it to its children explicitly.
type common struct {
	width, height int
	styles        styleSet
	keys          keyMap
	help          help.Model
	log           *slog.Logger
}

func newCommon(log *slog.Logger) *common {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := defaultStyles()
	h := help.New()
	h.Styles.ShortKey = st.Strong
	h.Styles.ShortDesc = st.Muted
	h.Styles.ShortSeparator = st.Muted
	h.Styles.FullKey = st.Strong
	h.Styles.FullDesc = st.Muted
	h.Styles.FullSeparator = st.Muted
	return &common{width: 80, height: 24, styles: st, keys: defaultKeyMap(), help: h, log: log}
}

// setSize records a new terminal size.
func (c *common) setSize(w, h int) {
	c.width, c.height = w, h
	c.help.Width = w
}

// contentWidth is the width inside the screen margins, never below 20.
func (c *common) contentWidth() int {
	return max(c.width-c.styles.App.GetHorizontalFrameSize(), 20)
}

// sanitize makes untrusted text safe to show: on one line, with terminal
// escape sequences and control characters removed (see text.Clean).
func sanitize(s string) string { return text.Clean(s, 0) }
