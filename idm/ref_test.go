package idm_test

import (
	"errors"
	"strings"
	"testing"

	"invitesync/idm"
)

// TestRefPinned pins the visit reference scheme. These literals were
// computed outside Go (coreutils sha256sum and base32 over the canonical
// form) and must never change: a different ref for the same visitor at the
// same event would make IDM hold every visit twice.
func TestRefPinned(t *testing.T) {
	const iCalUID = "040000008200E00074C5B7101A82E00800000000D0A4F1B8C7A1DB0100000000000000001000000"
	tests := []struct {
		mailbox, eventKey, visitor string
		want                       string
	}{
		{"visitors@contoso.com", iCalUID, "ann.guest@fabrikam.com", "v1-mivtv6zsum4rqayoxajsgttbqcin65ipdeajjsjnwgimabvr4drq"},
		// Mailbox and visitor address are trimmed and lower-cased.
		{" Visitors@Contoso.com ", iCalUID, "Ann.Guest@FABRIKAM.com\t", "v1-mivtv6zsum4rqayoxajsgttbqcin65ipdeajjsjnwgimabvr4drq"},
		{"visitors@contoso.com", iCalUID, "bob.builder@fabrikam.com", "v1-u7vz7ac7amhbwj5ljzdcxwuszoykxxbuugedezffm7fyc5jbsrhq"},
		// An event id (no iCalUId) works the same way.
		{"visitors@contoso.com", "AAMkAGI2TGuLAAA=", "jan.vanderberg@example.nl", "v1-q7mvkp7i34g7e6f6sxgoyqlyibgazlc5qvy2unftcotwkhjm56ha"},
		{"reception@contoso.com", "AAMkAGI2TGuLAAA=", "jan.vanderberg@example.nl", "v1-xkvspz4egclnscv4mw2izusiv4aixkgvmp6dkyri3lepgkjp62ya"},
		// The event key is case-sensitive: Graph ids are.
		{"visitors@contoso.com", "aamkagi2tgulaaa=", "jan.vanderberg@example.nl", "v1-wxbyqsepvr277eter64j3jk3bpccuj3epu2h2zggcf4ydz7exi2a"},
		// Non-ASCII addresses are lower-cased as Unicode and measured in bytes.
		{"visitors@contoso.com", "AAMkAGI2TGuLAAA=", "ZOË@EXÄMPLE.DE", "v1-wmawyizdlcxa3dkifj6af6wyccbpd72qifbqcgqptb73nnbwuyga"},
		{"", "", "", "v1-wuikrukh2moxjbhev4psnp5qfsnttdzmv4fhntkrlpdr25vcbzbq"},
	}
	for _, tt := range tests {
		got := idm.Ref(tt.mailbox, tt.eventKey, tt.visitor)
		if got != tt.want {
			t.Errorf("Ref(%q, %q, %q) = %q, want %q", tt.mailbox, tt.eventKey, tt.visitor, got, tt.want)
		}
		if err := idm.ValidRef(got); err != nil {
			t.Errorf("Ref(%q, %q, %q) = %q is not a valid ref: %v", tt.mailbox, tt.eventKey, tt.visitor, got, err)
		}
	}
}

// TestRefFieldsDoNotRun checks that moving text from one field to the next
// changes the ref (the fields are length-prefixed, not just concatenated).
func TestRefFieldsDoNotRun(t *testing.T) {
	a := idm.Ref("a@x.com", "bc", "d@y.com")
	b := idm.Ref("a@x.comb", "c", "d@y.com")
	if a == b {
		t.Fatalf("different fields gave the same ref %q", a)
	}
}

func TestValidRef(t *testing.T) {
	valid := []string{"a", "v1-abc", "A.b_c-9", strings.Repeat("x", 128), "..."}
	for _, ref := range valid {
		if err := idm.ValidRef(ref); err != nil {
			t.Errorf("ValidRef(%q) = %v, want nil", ref, err)
		}
	}
	invalid := []string{"", ".", "..", strings.Repeat("x", 129), "a/b", "a b", "a%2F", "é", "a\x00", "a+b", "a:b"}
	for _, ref := range invalid {
		err := idm.ValidRef(ref)
		if !errors.Is(err, idm.ErrInvalidRef) {
			t.Errorf("ValidRef(%q) = %v, want ErrInvalidRef", ref, err)
		}
	}
}
