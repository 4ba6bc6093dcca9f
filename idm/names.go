package idm

import (
	"regexp"
	"strings"
	"unicode"

	"invitesync/internal/text"
)

// NewVisitor returns the visitor for an attendee: the address cleaned and
// lower-cased, the names and company from VisitorName.
func NewVisitor(displayName, email string) Visitor {
	first, last, company := VisitorName(displayName, email)
	return Visitor{
		Email:     strings.ToLower(text.Clean(email, MaxEmailLength)),
		FirstName: first,
		LastName:  last,
		Company:   company,
	}
}

// VisitorName derives a visitor's first and last name from an attendee's
// display name — "Ann Guest", "Guest, Ann", "Jan van der Berg" (particles
// stay with the last name), a single name — or, when the display name is
// empty or an address, from the address's local part (ann.guest, ann_guest,
// jean-luc.picard). Bracketed tags such as "(Fabrikam)" or "[EXT]", what
// follows " | " or " - " ("Ann Guest | Fabrikam"), honorifics and suffixes
// are left out of the split. company comes from the
// address's domain (fabrikam.co.uk → Fabrikam), empty for free-mail
// providers. All three are clean text within the Max…Length limits.
func VisitorName(displayName, email string) (first, last, company string) {
	local, domain := splitAddress(email)
	first, last = fromDisplayName(displayName)
	if first != "" && last == "" {
		// A single name: the address may know the rest (Ann, ann.guest@).
		if lw := localWords(local); len(lw) > 1 && strings.EqualFold(lw[0], first) {
			_, last = splitWords(lw)
		}
	}
	if first == "" && last == "" {
		first, last = splitWords(localWords(local))
	}
	if first == "" && last == "" {
		first = local // nothing name-like, e.g. 4711@
	}
	return text.Clean(first, MaxNameLength), text.Clean(last, MaxNameLength),
		text.Clean(companyFromDomain(domain), MaxCompanyLength)
}

// splitAddress returns an address's local part (without a +tag) and its
// lower-cased domain.
func splitAddress(email string) (local, domain string) {
	email = strings.Trim(text.Clean(email, MaxEmailLength), "<> ")
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return email, ""
	}
	local, domain = email[:at], strings.ToLower(email[at+1:])
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	return local, domain
}

var (
	bracketed  = regexp.MustCompile(`[(\[{][^)\]}]*[)\]}]`)
	angleAddr  = regexp.MustCompile(`<[^>]*@[^>]*>`)
	honorifics = set("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "sra", "srta", "mme", "mlle")
	suffixes   = set("jr", "sr", "ii", "iii", "iv", "phd", "md", "mba", "esq", "msc", "bsc", "dds", "cpa")
	particles  = set("van", "von", "der", "den", "de", "del", "della", "delle", "di", "da", "das", "dos", "do", "du", "la", "le", "ten", "ter", "zu", "bin", "binti", "ibn", "al", "el", "af", "av", "ap")
)

// maxRawName bounds the untrusted text that names are derived from.
const maxRawName = 1000

// nameQuotes are trimmed from both ends of a display name.
const nameQuotes = "\"“”„«»‘’ "

// fromDisplayName splits a display name into first and last name; both are
// empty when the display name is empty or an address.
func fromDisplayName(displayName string) (first, last string) {
	name := text.Clean(displayName, maxRawName)
	if strings.ContainsRune(name, '<') { // the expressions cost more than the test
		name = angleAddr.ReplaceAllString(name, " ")
	}
	if strings.ContainsAny(name, "([{") {
		name = bracketed.ReplaceAllString(name, " ")
	}
	for _, sep := range []string{" | ", " / ", " - ", " – ", " — "} {
		name, _, _ = strings.Cut(name, sep) // "Ann Guest | Fabrikam"
	}
	name = strings.Trim(name, nameQuotes)
	if strings.Contains(name, "@") {
		return "", "" // an address, not a name
	}
	if before, after, ok := strings.Cut(name, ","); ok {
		after, _, _ = strings.Cut(after, ",") // "Guest, Ann, PhD"
		before, after = strings.TrimSpace(before), strings.TrimSpace(after)
		switch {
		case after == "" || suffixes[fold(after)]:
			name = before // "Ann Guest, PhD"
		case before == "":
			name = after
		default: // "Guest, Ann"
			return strings.Join(dropHonorifics(strings.Fields(after)), " "), strings.Join(strings.Fields(before), " ")
		}
	}
	return splitWords(dropHonorifics(strings.Fields(name)))
}

// dropHonorifics removes leading titles (Dr., Mrs…) while a name remains.
func dropHonorifics(words []string) []string {
	for len(words) > 1 && honorifics[fold(words[0])] {
		words = words[1:]
	}
	return words
}

// splitWords splits a name's words into first and last name: East Asian
// script family name first; a particle (van, de, al…) starts the last name;
// otherwise the last word (with a suffix such as Jr. kept on it) is the last
// name.
func splitWords(words []string) (first, last string) {
	n := len(words)
	switch {
	case n == 0:
		return "", ""
	case n == 1:
		return words[0], ""
	case eastAsian(words):
		return strings.Join(words[1:], " "), words[0]
	}
	for i := 1; i < n-1; i++ {
		if particles[fold(words[i])] {
			return strings.Join(words[:i], " "), strings.Join(words[i:], " ")
		}
	}
	cut := n - 1
	if n > 2 && suffixes[fold(words[n-1])] {
		cut = n - 2
	}
	return strings.Join(words[:cut], " "), strings.Join(words[cut:], " ")
}

// localWords turns an address's local part into capitalised name words:
// ann.guest, ann_guest → Ann Guest; jean-luc.picard → Jean-Luc Picard;
// ann-guest → Ann Guest; digits are dropped and particles stay lower-case.
func localWords(local string) []string {
	local = text.Clean(local, maxRawName)
	sep := func(r rune) bool { return r == '.' || r == '_' }
	if !strings.ContainsAny(local, "._") {
		sep = func(r rune) bool { return r == '-' }
	}
	var words []string
	for _, part := range strings.FieldsFunc(local, sep) {
		part = strings.Trim(strings.Map(dropDigit, part), "-'")
		if part == "" || !strings.ContainsFunc(part, unicode.IsLetter) {
			continue
		}
		if len(words) > 0 && particles[fold(part)] {
			words = append(words, strings.ToLower(part))
			continue
		}
		words = append(words, capitalize(part))
	}
	return words
}

func dropDigit(r rune) rune {
	if unicode.IsDigit(r) {
		return -1
	}
	return r
}

// capitalize upper-cases the first letter of s and each letter after a
// hyphen or apostrophe (o'brien → O'Brien), lower-casing the rest.
func capitalize(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if up {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		up = r == '-' || r == '\''
	}
	return b.String()
}

// eastAsian reports whether every letter of the name is Han, Hiragana,
// Katakana or Hangul, whose names are written family name first.
func eastAsian(words []string) bool {
	letters := 0
	for _, w := range words {
		for _, r := range w {
			if !unicode.IsLetter(r) {
				continue
			}
			if !unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
				return false
			}
			letters++
		}
	}
	return letters > 0
}

// fold lower-cases a word and drops its dots, for matching against the
// word sets: "Dr." → "dr", "Ph.D." → "phd".
func fold(w string) string {
	return strings.ToLower(strings.ReplaceAll(w, ".", ""))
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
