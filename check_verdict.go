package main

import (
	"fmt"
	"strings"
	"time"

	"invitesync/config"
	"invitesync/internal/text"
	invsync "invitesync/sync"
)

// checkAttention is nil when a passing check run needs nothing more;
// otherwise an exit-3 error (see invsync.NeedsAttention) naming what needs
// attention: the checks that passed with a warning, and the client secrets
// that expire within 14 days.
func checkAttention(r checkReport, autos []config.Automation, now time.Time) error {
	var reasons []string
	for i, a := range r.Automations {
		for _, c := range a.Checks {
			if c.Warning {
				reasons = append(reasons, fmt.Sprintf("%s: %s: %s", text.Clean(a.Name, 100), c.ID, text.Clean(c.Message, 300)))
			}
		}
		if x := invsync.SecretExpiry(autos[i].SecretExpires, now); x.Level >= invsync.Expiry14 {
			reasons = append(reasons, text.Clean(a.Name, 100)+": "+x.Message)
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	h := invsync.NeedsAttention
	return &exitError{h.ExitCode(), fmt.Errorf("%s: %s", h, strings.Join(reasons, " | "))}
}
