// Package text makes untrusted text (calendar subjects, names, locations,
// server messages) safe to show on a terminal, write to a log or send on.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Ellipsis ends text that Clean shortened.
const Ellipsis = "…"

// Clean returns s on one line with terminal escape sequences (CSI, OSC, DCS,
// SOS, PM, APC and two-character ESC sequences, in their 7-bit and C1 forms),
// C0 and C1 control characters, bidirectional overrides and isolates, and
// invalid UTF-8 removed; every run of white space, line breaks included,
// becomes a single space, and the ends are trimmed. When max > 0 and the result
// is longer than max runes, it is cut at a character (grapheme cluster)
// boundary and ends in Ellipsis, max runes in all. max <= 0 means no limit.
func Clean(s string, max int) string {
	if isPlain(s) && (max <= 0 || len(s) <= max) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending between words
	st := ground
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size <= 1 {
			continue // invalid UTF-8: dropped, never guessed at
		}
		switch st {
		case inEscape:
			st = afterEscape(r)
			if st == ground && !isEscapeFinal(r) {
				break // ESC followed by something that is not a sequence: reread it
			}
			continue
		case inEscapeIntermediate:
			if r >= 0x20 && r <= 0x2f {
				continue
			}
			st = ground
			if r >= 0x30 && r <= 0x7e {
				continue
			}
		case inCSI:
			if r >= 0x20 && r <= 0x3f {
				continue // parameter and intermediate bytes
			}
			st = ground
			if r >= 0x40 && r <= 0x7e {
				continue // the final byte
			}
		case inString:
			switch r {
			case 0x07, 0x9c, 0x18, 0x1a: // BEL, ST, CAN, SUB end it
				st = ground
			case 0x1b: // ESC \ (ST) ends it; any other ESC ends it and starts anew
				st = inEscape
			}
			continue
		}
		// Ground state.
		switch {
		case r == 0x1b:
			st = inEscape
		case r == 0x9b:
			st = inCSI
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f:
			st = inString
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case unicode.IsControl(r) || isInvisibleFormat(r):
			// dropped
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return truncate(b.String(), max)
}

// Escape-sequence parser states.
const (
	ground = iota
	inEscape
	inEscapeIntermediate
	inCSI
	inString
)

// afterEscape returns the state after ESC r.
func afterEscape(r rune) int {
	switch {
	case r == '[':
		return inCSI
	case r == ']' || r == 'P' || r == 'X' || r == '^' || r == '_':
		return inString
	case r >= 0x20 && r <= 0x2f:
		return inEscapeIntermediate
	default:
		return ground
	}
}

// isEscapeFinal reports whether r completes a two-character ESC sequence.
func isEscapeFinal(r rune) bool { return r >= 0x30 && r <= 0x7e }

// isInvisibleFormat reports whether r is a bidirectional control or another
// invisible format character that can disguise text. Joiners (U+200C, U+200D)
// and variation selectors stay: emoji and several scripts need them.
func isInvisibleFormat(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x200b, r == 0x2060, r == 0xfeff: // zero-width space, word joiner, BOM
		return true
	case r >= 0xfff9 && r <= 0xfffb: // interlinear annotations
		return true
	}
	return false
}

// isPlain reports whether s is printable ASCII with single inner spaces and
// no space at either end: text that Clean would return unchanged.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return false
		}
		if c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ') {
			return false
		}
	}
	return true
}

// truncate shortens s to at most max runes, Ellipsis included, cutting
// between grapheme clusters so that no accent or emoji is split.
func truncate(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	budget := max - utf8.RuneCountInString(Ellipsis)
	cut, runes := 0, 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		n := utf8.RuneCountInString(g.Str())
		if runes+n > budget {
			break
		}
		runes += n
		_, cut = g.Positions()
	}
	return strings.TrimRight(s[:cut], " ") + Ellipsis
}
