package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Long tokens whole. Addresses, GUIDs and commands are copied from the
// screen, so the wizard never breaks one inside: prose wraps at spaces
// only, a command wraps at spaces outside its quotes and marks each
// continued line with PowerShell's own continuation (a backtick), and a
// token wider than the screen is never wrapped at all: its line is cut at
// the screen's edge with a mark, and shift+←/→ scroll it sideways.

// wrapWords wraps s at spaces to width columns. A line that starts with
// spaces, or with a bullet, continues at the same indentation. A word
// wider than width stays whole on a line of its own.
func wrapWords(s string, width int) string {
	if width < 1 {
		return s
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		out = append(out, wrapLine(line, width)...)
	}
	return strings.Join(out, "\n")
}

// wrapLine is wrapWords for one line.
func wrapLine(line string, width int) []string {
	if ansi.StringWidth(line) <= width {
		return []string{line}
	}
	trimmed := strings.TrimLeft(line, " ")
	indent := line[:len(line)-len(trimmed)]
	hang := indent
	if strings.HasPrefix(trimmed, "• ") {
		hang += "  "
	}
	var out []string
	cur, curWidth := indent, ansi.StringWidth(indent)
	fresh := true // nothing but indentation on cur yet
	for _, word := range strings.Fields(trimmed) {
		w := ansi.StringWidth(word)
		if !fresh && curWidth+1+w > width {
			out = append(out, cur)
			cur, curWidth, fresh = hang, ansi.StringWidth(hang), true
		}
		if !fresh {
			cur += " "
			curWidth++
		}
		cur += word
		curWidth += w
		fresh = false
	}
	return append(out, cur)
}
