// Package screentest reads a terminal screen as a person copying from it
// would: commands continued over rows (PowerShell's " `") as one line, and a
// row wider than the screen (marked → and ←) through its horizontal scroll.
package screentest

import (
	"fmt"
	"strings"
)

// Marks of a row that goes on past the screen's edge, as the wizard draws
// them.
const (
	MoreRight = "→"
	MoreLeft  = "←"
)

// Lines is screen (plain text) as logical lines: each row without its
// margin and a code block's border "│ ", and a row ending in " `" joined to
// the next, as PowerShell reads them.
func Lines(screen string) []string {
	var out []string
	cont := false
	for _, row := range strings.Split(screen, "\n") {
		row = strings.TrimSpace(row)
		row = strings.TrimSpace(strings.TrimPrefix(row, "│"))
		if cont {
			out[len(out)-1] += " " + row
		} else {
			out = append(out, row)
		}
		cont = strings.HasSuffix(out[len(out)-1], " `")
		if cont {
			out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], " `")
		}
	}
	return out
}

// HasLine reports whether line (a script's line) is one of screen's
// logical lines, whole.
func HasLine(screen, line string) bool {
	for _, l := range Lines(screen) {
		if l == strings.TrimSpace(line) {
			return true
		}
	}
	return false
}

// Whole checks that token is on screen unbroken: whole on one logical line
// of the first view, or on one row cut at the screen's edges with marks,
// the successive views (the same screen scrolled right, step by step)
// showing pieces that are one after the other parts of it, from its start
// to its end. It returns what is wrong, or nil.
func Whole(views []string, token string) error {
	if len(views) == 0 {
		return fmt.Errorf("no screen")
	}
	for _, l := range Lines(views[0]) {
		if strings.Contains(l, token) {
			return nil
		}
	}
	// The row that starts with the token, cut at the right edge.
	row := -1
	for i, r := range strings.Split(views[0], "\n") {
		r = strings.TrimSpace(r)
		piece := strings.TrimSuffix(r, MoreRight)
		if piece != r && len(piece) >= 12 && strings.HasPrefix(token, piece) {
			row = i
			break
		}
	}
	if row < 0 {
		return fmt.Errorf("%q is neither whole on the screen nor cut at its edge with a mark", token)
	}
	covered := 0 // how much of token the pieces so far showed
	for n, v := range views {
		rows := strings.Split(v, "\n")
		if row >= len(rows) {
			return fmt.Errorf("view %d has no row %d", n, row)
		}
		r := strings.TrimSpace(rows[row])
		right := strings.HasSuffix(r, MoreRight)
		piece := strings.TrimSuffix(strings.TrimPrefix(r, MoreLeft), MoreRight)
		at := strings.Index(token, piece)
		if at < 0 || at > covered {
			return fmt.Errorf("view %d shows %q, which does not continue %q after its first %d characters", n, piece, token, covered)
		}
		covered = max(covered, at+len(piece))
		if !right {
			break
		}
	}
	if covered != len(token) {
		return fmt.Errorf("scrolling right shows only the first %d characters of %q", covered, token)
	}
	return nil
}
