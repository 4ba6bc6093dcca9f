package text

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// QuoteMax is how many characters of a value Quote shows.
const QuoteMax = 80

// Quote returns s quoted as %q quotes it, for a message about a bad value.
// A value longer than QuoteMax characters shows only its first ones,
// followed by its length: `"aaaa…" (120000 characters)`, so that a huge
// value never floods a terminal, a log or the activity feed.
func Quote(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= QuoteMax {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s (%d characters)", strconv.Quote(truncate(s, QuoteMax)), n)
}
