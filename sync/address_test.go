package sync

import (
	"strings"
	"testing"
	"time"

	"invitesync/graph/graphtest"
	"invitesync/internal/text"
)

// TestEngineAttendeesThatAreNotAddresses: attendees whose address is not
// one bare address with a domain, or is longer than SMTP allows, never
// become visitors; the activity lists each with the reason, and the
// attendees with real addresses (apostrophes, plus signs, accents) get
// their visits, through Graph, the engine and IDM.
func TestEngineAttendeesThatAreNotAddresses(t *testing.T) {
	tests := []struct {
		addr    string
		visitor bool
	}{
		{"a@b@c.example", false},
		{"<script>@x.example", false},
		{"ann.guest@", false},
		{"@fabrikam.com", false},
		{"ann guest@fabrikam.com", false},
		{"ann.guest@fabrikam", false},
		{"Ann <ann.guest@fabrikam.com>", false},
		{`"ann guest"@fabrikam.com`, false},
		{"ann.guest@fab rikam.com", false},
		{"ann.guest@fabrikam..com", false},
		{"ann.guest@-fabrikam.com", false},
		{"ann.guest@fabrikam.com.", false},
		{"ann\x00guest@fabrikam.com", false},
		{strings.Repeat("a", 65) + "@fabrikam.com", false},
		{"ann@" + strings.Repeat(strings.Repeat("b", 60)+".", 5) + "com", false},
		{"o'brien@fabrikam.com", true},
		{"ann+visit@fabrikam.com", true},
		{"zoë@bücher.example", true},
		{strings.Repeat("a", 64) + "@fabrikam.com", true},
	}
	h := newHarness(t)
	var guests []graphtest.Attendee
	for _, tt := range tests {
		guests = append(guests, simGuest("", tt.addr))
	}
	h.add(invitation("Strange guests", localDay(2).Add(9*time.Hour), guests...))
	h.cycle()

	visits := h.active()
	var reason string
	for _, a := range h.activity() {
		if a.Subject == "Strange guests" {
			reason = a.Reason
		}
	}
	for _, tt := range tests {
		lower := strings.ToLower(tt.addr)
		if got := len(visits[lower]) == 1; got != tt.visitor {
			t.Errorf("%q: a visit %v, want %v", tt.addr, got, tt.visitor)
		}
		if listed := strings.Contains(reason, text.Quote(lower)+" is not an email address"); !tt.visitor && !listed {
			t.Errorf("%q is not listed as not an email address", tt.addr)
		}
	}
	if n := len(h.idm.Visits()); n != 4 {
		t.Errorf("IDM received %d visits, want 4", n)
	}
	if !strings.Contains(reason, `"ann\x00guest@fabrikam.com" is not an email address`) {
		t.Errorf("the control character is not shown escaped: %s", reason)
	}
}
