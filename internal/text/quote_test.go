package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("a", 120_000)
	tests := []struct {
		name, in, want string
	}{
		{"short", "contoso.com", `"contoso.com"`},
		{"empty", "", `""`},
		{"control characters escaped", "a\x1b[2Jb\n", `"a\x1b[2Jb\n"`},
		{"exactly the limit", strings.Repeat("b", QuoteMax), `"` + strings.Repeat("b", QuoteMax) + `"`},
		{"one past the limit", strings.Repeat("c", QuoteMax+1), `"` + strings.Repeat("c", QuoteMax-1) + `…" (81 characters)`},
		{"huge", long, `"` + strings.Repeat("a", QuoteMax-1) + `…" (120000 characters)`},
		{"huge address", long + "@contoso.com", `"` + strings.Repeat("a", QuoteMax-1) + `…" (120012 characters)`},
		{"counted in characters", strings.Repeat("é", 100), `"` + strings.Repeat("é", QuoteMax-1) + `…" (100 characters)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Quote(tt.in)
			if got != tt.want {
				t.Errorf("Quote = %s, want %s", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > QuoteMax+40 {
				t.Errorf("Quote is %d characters long", n)
			}
		})
	}
}
