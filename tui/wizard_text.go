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

// Marks of a line that goes on past the screen's edge.
const (
	markMoreRight = "→"
	markMoreLeft  = "←"
)

// wrapCommand wraps one line of a PowerShell script to width columns. A
// command breaks only at spaces outside single quotes, each continued row
// ending in " `" (PowerShell's line continuation, so the rows still run as
// one command when copied) and the next indented; a comment continues as
// a comment. A piece wider than width stays whole.
func wrapCommand(line string, width int) []string {
	if width < 1 || ansi.StringWidth(line) <= width {
		return []string{line}
	}
	if strings.HasPrefix(line, "#") {
		rows := wrapLine(strings.TrimPrefix(line, "#"), width-1)
		for i := range rows {
			rows[i] = "#" + rows[i]
			if i > 0 {
				rows[i] = "# " + strings.TrimLeft(rows[i][1:], " ")
			}
		}
		return rows
	}
	const cont, indent = " `", "    "
	var rows []string
	cur := ""
	for _, piece := range commandPieces(line) {
		switch {
		case cur == "":
			cur = piece
		case ansi.StringWidth(cur)+1+ansi.StringWidth(piece)+len(cont) > width:
			rows = append(rows, cur+cont)
			cur = indent + piece
		default:
			cur += " " + piece
		}
	}
	return append(rows, cur)
}

// commandPieces splits a command at the spaces outside single quotes (a
// doubled quote inside a quoted string toggles twice, so it stays inside).
func commandPieces(line string) []string {
	var pieces []string
	quoted, start := false, 0
	for i, r := range line {
		switch {
		case r == '\'':
			quoted = !quoted
		case r == ' ' && !quoted:
			if i > start {
				pieces = append(pieces, line[start:i])
			}
			start = i + 1
		}
	}
	if start < len(line) {
		pieces = append(pieces, line[start:])
	}
	return pieces
}

// window shows the part of row that starts offset columns in, when row is
// wider than width: cut at the screen's edges, each edge past which it goes
// on marked (→, ←). A row that fits is returned as it is.
func window(row string, width, offset int) string {
	rw := ansi.StringWidth(row)
	if rw <= width || width < 3 {
		return row
	}
	offset = max(min(offset, rw-(width-1)), 0)
	left, right, avail := "", "", width
	if offset > 0 {
		left, avail = markMoreLeft, avail-1
	}
	if offset+avail < rw {
		right, avail = markMoreRight, avail-1
	}
	return left + ansi.Cut(row, offset, offset+avail) + right
}

// wrapWindow wraps s at spaces to width and shows each row still wider
// (one word longer than the screen) at offset (see window); wide says some
// row was.
func wrapWindow(s string, width, offset int) (out string, wide bool) {
	rows := strings.Split(wrapWords(s, width), "\n")
	for i, r := range rows {
		if ansi.StringWidth(r) > width {
			wide = true
			rows[i] = window(r, width, offset)
		}
	}
	return strings.Join(rows, "\n"), wide
}

// hyperlink makes text a link to url (OSC 8) when on; terminals without
// hyperlinks show the text alone.
func hyperlink(on bool, url, text string) string {
	if !on {
		return text
	}
	return ansi.SetHyperlink(url) + text + ansi.ResetHyperlink()
}

// reflow joins the lines of s that continue a sentence (the line before
// ends in neither '.' nor ':') into one, so that wrapWords can fill the
// screen's width; a bullet (•) or an empty line starts afresh. In a script
// only comments ("# …") are joined, a comment line to the one before.
func reflow(s string, script bool) string {
	lines := strings.Split(s, "\n")
	out := lines[:0:0]
	for _, l := range lines {
		if n := len(out); n > 0 && (!script || strings.HasPrefix(l, "#")) && continues(out[n-1], l) {
			if strings.HasPrefix(l, "#") {
				l = strings.TrimPrefix(l, "#")
			}
			out[n-1] += " " + strings.TrimSpace(l)
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// continues reports whether line goes on with the sentence prev ended.
func continues(prev, line string) bool {
	p, l := strings.TrimSpace(prev), strings.TrimSpace(line)
	if strings.HasPrefix(prev, "#") != strings.HasPrefix(line, "#") {
		return false
	}
	p, l = strings.TrimSpace(strings.TrimPrefix(p, "#")), strings.TrimSpace(strings.TrimPrefix(l, "#"))
	return p != "" && l != "" && !strings.HasPrefix(l, "•") && !strings.HasSuffix(p, ".") && !strings.HasSuffix(p, ":")
}
