package livecheck

import (
	"time"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/internal/text"
	invsync "invitesync/sync"
)

// Attention lists what a passing live test of automation a still leaves to
// act on, each reason led by the automation's name: the checks that passed
// with a warning, and a client secret that expires within 14 days (graded
// by sync.SecretExpiry at now). Empty when nothing needs attention.
func Attention(a config.Automation, results []diag.Result, now time.Time) []string {
	name := text.Clean(a.Name, 100)
	var reasons []string
	for _, r := range results {
		if r.OK && r.Warning {
			reasons = append(reasons, name+": "+r.ID+": "+text.Clean(r.Message, 300))
		}
	}
	if x := invsync.SecretExpiry(a.SecretExpires, now); x.Level >= invsync.Expiry14 {
		reasons = append(reasons, name+": "+x.Message)
	}
	return reasons
}
