package idm

import (
	"net"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// freeMailLabels are providers whose name is the same under many top-level
// domains (hotmail.co.uk, yahoo.fr, gmx.de…).
var freeMailLabels = set(
	"gmail", "googlemail", "hotmail", "outlook", "live", "msn", "windowslive",
	"yahoo", "ymail", "rocketmail", "aol", "icloud", "gmx", "yandex", "protonmail",
	"fastmail", "zohomail", "tutanota", "mail", "hushmail",
)

// freeMailDomains are single-domain providers (registrable domain).
var freeMailDomains = set(
	"me.com", "mac.com", "aim.com", "proton.me", "pm.me", "tuta.io", "tuta.com", "hey.com",
	"web.de", "t-online.de", "freenet.de", "arcor.de", "posteo.de", "mailbox.org",
	"orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "bbox.fr",
	"libero.it", "virgilio.it", "tiscali.it", "alice.it", "seznam.cz", "centrum.cz",
	"wp.pl", "o2.pl", "interia.pl", "onet.pl", "telenet.be", "skynet.be", "bluewin.ch",
	"btinternet.com", "sky.com", "virginmedia.com", "talktalk.net", "ntlworld.com",
	"comcast.net", "verizon.net", "att.net", "sbcglobal.net", "cox.net", "charter.net",
	"earthlink.net", "juno.com", "shaw.ca", "rogers.com", "sympatico.ca",
	"bigpond.com", "optusnet.com.au", "xtra.co.nz",
	"qq.com", "163.com", "126.com", "sina.com", "sohu.com", "naver.com", "daum.net",
	"hanmail.net", "rediffmail.com", "rambler.ru", "ukr.net", "inbox.lv",
	"uol.com.br", "bol.com.br", "terra.com.br",
)

// companyFromDomain guesses a company name from an address's domain: the
// registrable label, capitalised (fabrikam.com and mail.fabrikam.co.uk →
// Fabrikam; labels of up to three letters are acronyms: ibm.com → IBM).
// Free-mail providers, IP addresses and unknown suffixes give "".
func companyFromDomain(domain string) string {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if domain == "" || strings.HasPrefix(domain, "[") || net.ParseIP(domain) != nil {
		return ""
	}
	if ascii, err := idna.Lookup.ToASCII(domain); err == nil {
		domain = ascii
	}
	registrable, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return ""
	}
	label, _, _ := strings.Cut(registrable, ".")
	if freeMailDomains[registrable] || freeMailLabels[label] {
		return ""
	}
	if u, err := idna.Lookup.ToUnicode(label); err == nil {
		label = u
	}
	if utf8.RuneCountInString(label) <= 3 {
		return strings.ToUpper(label)
	}
	return capitalize(label)
}
