package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"plain", "Supplier visit", 0, "Supplier visit"},
		{"empty", "", 10, ""},
		{"only space", " \t\r\n ", 0, ""},
		{"accents", "  Zoë  Ångström-Müller ", 0, "Zoë Ångström-Müller"},
		{"CJK", "山田 太郎", 0, "山田 太郎"},
		{"apostrophe", "Siobhán O'Brien", 0, "Siobhán O'Brien"},
		{"emoji kept whole", "Team 👩‍👩‍👧 lunch 🇪🇸", 0, "Team 👩‍👩‍👧 lunch 🇪🇸"},
		{"newlines collapse", "Line one\r\nLine two\n\n\tthree", 0, "Line one Line two three"},
		{"unicode line separators", "a\u2028b\u2029c\u0085d", 0, "a b c d"},
		{"SGR colour", "\x1b[31mred\x1b[0m text", 0, "red text"},
		{"CSI with private params", "a\x1b[?1049hb\x1b[2J\x1b[Hc", 0, "abc"},
		{"OSC title with BEL", "x\x1b]0;pwned\x07y", 0, "xy"},
		{"OSC hyperlink with ST", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", 0, "click"},
		{"OSC clipboard write", "hi\x1b]52;c;ZWNobyBwd25lZA==\x07!", 0, "hi!"},
		{"DCS", "a\x1bPq#0;2;0;0;0\x1b\\b", 0, "ab"},
		{"APC PM SOS", "1\x1b_apc\x1b\\2\x1b^pm\x1b\\3\x1bXsos\x1b\\4", 0, "1234"},
		{"unterminated OSC swallows the rest", "safe\x1b]0;never ends", 0, "safe"},
		{"OSC ended by a new escape", "a\x1b]0;t\x1b[1mb", 0, "ab"},
		{"two-character escapes", "a\x1bcb\x1b7c\x1b(Bd", 0, "abcd"},
		{"lone ESC at end", "abc\x1b", 0, "abc"},
		{"ESC before non-ASCII", "a\x1bé", 0, "aé"},
		{"C1 CSI", "a\u009b31mb", 0, "ab"},
		{"C1 OSC", "a\u009d0;title\u009cb", 0, "ab"},
		{"C0 controls", "a\x00b\x07c\x08d\x7fe", 0, "abcde"},
		{"C1 controls", "a\u0080b\u008dc", 0, "abc"},
		{"bidi override", "invoice\u202egnp.exe", 0, "invoicegnp.exe"},
		{"bidi isolates and marks", "\u2066a\u2069\u200eb\u200f\u061c", 0, "ab"},
		{"zero width and BOM", "\ufeffa\u200bb", 0, "ab"},
		{"invalid UTF-8", "a\xffb\xc3", 0, "ab"},
		{"truncate ASCII", "abcdefghij", 5, "abcd…"},
		{"no truncation at the limit", "abcde", 5, "abcde"},
		{"truncate on a word gap trims the space", "abc defgh", 5, "abc…"},
		{"truncate keeps accents whole", "e\u0301e\u0301e\u0301e\u0301", 4, "e\u0301…"},
		{"truncate keeps emoji whole", "ab👩‍👩‍👧cd", 6, "ab…"},
		{"truncate CJK", "東京都千代田区丸の内", 4, "東京都…"},
		{"max one", "abc", 1, "…"},
		{"truncate after cleaning", "\x1b[31m" + strings.Repeat("x", 10), 4, "xxx…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Clean(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if tt.max > 0 && utf8.RuneCountInString(got) > tt.max {
				t.Errorf("Clean(%q, %d) = %q: longer than %d runes", tt.in, tt.max, got, tt.max)
			}
		})
	}
}

// FuzzClean checks the promises that hold for every input: valid UTF-8, one
// line, no escape or control character, within the limit, and idempotent.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"Ann Guest", "\x1b[31mx", "a\nb", "\u202e", "\x1b]0;t\x07", "👩‍👩‍👧"} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 300
		got := Clean(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || isInvisibleFormat(r) {
				t.Fatalf("Clean(%q) = %q: contains %U", s, got, r)
			}
		}
		if max > 0 && utf8.RuneCountInString(got) > max {
			t.Fatalf("Clean(%q, %d) = %q: too long", s, max, got)
		}
		if again := Clean(got, 0); again != got {
			t.Fatalf("Clean is not idempotent: %q then %q", got, again)
		}
	})
}

func BenchmarkClean(b *testing.B) {
	subject := "Supplier visit – Fabrikam \x1b[1m(quarterly)\x1b[0m\r\nBuilding A"
	for b.Loop() {
		Clean(subject, 200)
	}
}
