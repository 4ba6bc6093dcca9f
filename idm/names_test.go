package idm

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVisitorName(t *testing.T) {
	tests := []struct {
		display, email       string
		first, last, company string
	}{
		// Display names.
		{"Ann Guest", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Guest, Ann", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Mary Ann Smith", "msmith@fabrikam.com", "Mary Ann", "Smith", "Fabrikam"},
		{"Jan van der Berg", "jan@example.nl", "Jan", "van der Berg", "Example"},
		{"Maria de la Cruz", "maria@example.es", "Maria", "de la Cruz", "Example"},
		{"Ludwig Van Beethoven", "lvb@example.at", "Ludwig", "Van Beethoven", "Example"},
		{"Ann Le", "ann.le@example.fr", "Ann", "Le", "Example"},
		{"Siobhán O'Brien", "siobhan.obrien@example.ie", "Siobhán", "O'Brien", "Example"},
		{"Zoë Ångström-Müller", "zoe@example.se", "Zoë", "Ångström-Müller", "Example"},
		{"François-Xavier Lefèvre", "fx@example.fr", "François-Xavier", "Lefèvre", "Example"},
		{"Ann Guest 🚀", "ann@example.com", "Ann Guest", "🚀", "Example"},
		{"🎉 Ann Guest", "ann@example.com", "🎉 Ann", "Guest", "Example"},
		{"山田 太郎", "taro.yamada@example.jp", "太郎", "山田", "Example"},
		{"김 민준", "minjun@example.kr", "민준", "김", "Example"},
		{"王小明", "xiaoming.wang@example.cn", "王小明", "", "Example"},
		{"Dr. Ann Guest", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Guest, Dr. Ann", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Ann Guest, PhD", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Guest, Ann, PhD", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Martin Luther King Jr.", "mlk@example.org", "Martin Luther", "King Jr.", "Example"},
		{"Ann Guest (Fabrikam)", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"[EXT] Ann Guest", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Ann Guest | Fabrikam Ltd", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Ann Guest - Fabrikam", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Anne-Marie Guest", "am@fabrikam.com", "Anne-Marie", "Guest", "Fabrikam"},
		{`"Ann Guest"`, "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Ann Guest <ann.guest@fabrikam.com>", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"  Ann \t Guest \r\n", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"ANN GUEST", "ann.guest@fabrikam.com", "ANN", "GUEST", "Fabrikam"},
		// Single names: the address may complete them.
		{"Ann", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Jan", "jan.van.der.berg@example.nl", "Jan", "van der Berg", "Example"},
		{"Teller", "teller@example.com", "Teller", "", "Example"},
		{"Ann", "bob.builder@fabrikam.com", "Ann", "", "Fabrikam"},
		// The display name is the address, or missing: the local part.
		{"ann.guest@fabrikam.com", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Ann.Guest@Fabrikam.com", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"", "ann.guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"", "ann_guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"", "ann-guest@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"", "aguest@fabrikam.com", "Aguest", "", "Fabrikam"},
		{"", "ANN.GUEST@FABRIKAM.COM", "Ann", "Guest", "Fabrikam"},
		{"", "jean-luc.picard@example.fr", "Jean-Luc", "Picard", "Example"},
		{"", "siobhan.o'brien@example.ie", "Siobhan", "O'Brien", "Example"},
		{"", "mary.ann.smith@example.com", "Mary Ann", "Smith", "Example"},
		{"", "jan.van.der.berg@example.nl", "Jan", "van der Berg", "Example"},
		{"", "ann.guest+visits@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"", "ann.guest2@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"", "4711@fabrikam.com", "4711", "", "Fabrikam"},
		{"", "zoë.müller@example.de", "Zoë", "Müller", "Example"},
		// Companies from domains.
		{"Ann Guest", "ann@mail.fabrikam.co.uk", "Ann", "Guest", "Fabrikam"},
		{"Ann Guest", "ann@ibm.com", "Ann", "Guest", "IBM"},
		{"Ann Guest", "ann@contoso-pharma.de", "Ann", "Guest", "Contoso-Pharma"},
		{"Ann Guest", "ann@xn--mller-kva.de", "Ann", "Guest", "Müller"},
		{"Ann Guest", "ann@gmail.com", "Ann", "Guest", ""},
		{"Ann Guest", "ann@outlook.com", "Ann", "Guest", ""},
		{"Ann Guest", "ann@hotmail.co.uk", "Ann", "Guest", ""},
		{"Ann Guest", "ann@yahoo.fr", "Ann", "Guest", ""},
		{"Ann Guest", "ann@web.de", "Ann", "Guest", ""},
		{"Ann Guest", "ann@[192.0.2.1]", "Ann", "Guest", ""},
		{"Ann Guest", "not-an-address", "Ann", "Guest", ""},
		// Hostile text is cleaned.
		{"\x1b[31mAnn\x1b[0m Gu\u202eest", "ann@fabrikam.com", "Ann", "Guest", "Fabrikam"},
		{"Ann\x1b]0;pwned\x07 Guest\nInjected", "ann@fabrikam.com", "Ann Guest", "Injected", "Fabrikam"},
		{"", "", "", "", ""},
	}
	for _, tt := range tests {
		first, last, company := VisitorName(tt.display, tt.email)
		if first != tt.first || last != tt.last || company != tt.company {
			t.Errorf("VisitorName(%q, %q) = %q, %q, %q; want %q, %q, %q",
				tt.display, tt.email, first, last, company, tt.first, tt.last, tt.company)
		}
	}
}

func TestVisitorNameLengths(t *testing.T) {
	long := strings.Repeat("Bartholomew", 20)
	first, last, company := VisitorName(long+" "+long, "x@"+strings.Repeat("fabrikam", 30)+".com")
	for _, f := range []struct {
		name, value string
		max         int
	}{{"first", first, MaxNameLength}, {"last", last, MaxNameLength}, {"company", company, MaxCompanyLength}} {
		if n := utf8.RuneCountInString(f.value); n == 0 || n > f.max {
			t.Errorf("%s name %q: %d characters, want 1–%d", f.name, f.value, n, f.max)
		}
	}
}

func TestNewVisitor(t *testing.T) {
	v := NewVisitor("Guest, Ann", " Ann.Guest@Fabrikam.com\n")
	want := Visitor{Email: "ann.guest@fabrikam.com", FirstName: "Ann", LastName: "Guest", Company: "Fabrikam"}
	if v != want {
		t.Errorf("NewVisitor = %+v, want %+v", v, want)
	}
}
