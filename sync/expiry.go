package sync

import (
	"fmt"
	"time"

	"invitesync/config"
)

// ExpiryLevel grades how soon an automation's client secret expires.
type ExpiryLevel int

// Expiry levels, from harmless to stopped. Warnings start ExpiryWarnDays
// ahead and sharpen at ExpiryUrgentDays and ExpiryCriticalDays.
const (
	ExpiryUnknown ExpiryLevel = iota // no expiry date configured
	ExpiryOK                         // more than ExpiryWarnDays left
	Expiry30                         // ExpiryWarnDays (30) or fewer
	Expiry14                         // ExpiryUrgentDays (14) or fewer
	Expiry7                          // ExpiryCriticalDays (7) or fewer
	ExpiryExpired                    // past its expiry date: Graph refuses it (AADSTS7000222)
)

// The days before a client secret's expiry date at which its warnings start
// (ExpiryWarnDays) and sharpen: every command, log and view grades it with
// SecretExpiry, and the wizard names them, so these are the only thresholds.
const (
	ExpiryWarnDays     = 30
	ExpiryUrgentDays   = 14
	ExpiryCriticalDays = 7
)

// Expiry is what to say about a client secret's expiry.
type Expiry struct {
	Level ExpiryLevel
	// Days until the expiry date (0: today; negative once past). Meaningless
	// when Level is ExpiryUnknown.
	Days    int
	Date    config.Date
	Message string
}

// Warn reports whether the expiry deserves a warning (ExpiryWarnDays or fewer, or expired).
func (x Expiry) Warn() bool { return x.Level >= Expiry30 }

// SecretExpiry grades the client secret that expires on date, seen at now.
// It is shared by status, the logs and the dashboard so they all say the
// same thing.
func SecretExpiry(date config.Date, now time.Time) Expiry {
	if date.IsZero() {
		return Expiry{Level: ExpiryUnknown,
			Message: "the client secret's expiry date is not recorded; add it (setup step 3) to be warned before it expires"}
	}
	days := date.DaysUntil(now)
	x := Expiry{Days: days, Date: date}
	const renew = "run `invitesync secret rotate` (or create a new client secret in the app registration, setup step 3, and update it here)"
	switch {
	case days < 0:
		x.Level = ExpiryExpired
		x.Message = fmt.Sprintf("the client secret expired on %s: Microsoft Graph refuses it and no invitation is processed; %s", date, renew)
	case days == 0:
		x.Level = Expiry7
		x.Message = fmt.Sprintf("the client secret expires today (%s): %s", date, renew)
	case days <= ExpiryCriticalDays:
		x.Level = Expiry7
		x.Message = fmt.Sprintf("the client secret expires in %s (%s): %s", plural(days, "day"), date, renew)
	case days <= ExpiryUrgentDays:
		x.Level = Expiry14
		x.Message = fmt.Sprintf("the client secret expires in %d days (%s): %s", days, date, renew)
	case days <= ExpiryWarnDays:
		x.Level = Expiry30
		x.Message = fmt.Sprintf("the client secret expires in %d days (%s): plan to %s", days, date, renew)
	default:
		x.Level = ExpiryOK
		x.Message = fmt.Sprintf("the client secret expires in %d days (%s)", days, date)
	}
	return x
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// logExpiry logs the secret-expiry warning when its level changes (and at
// start), so a running service reminds the operator at 30, 14 and 7 days.
func (e *Engine) logExpiry() {
	x := SecretExpiry(e.auto.SecretExpires, e.now())
	e.statusMu.Lock()
	changed := x.Level != e.expiryLogged
	e.expiryLogged = x.Level
	e.statusMu.Unlock()
	if !changed || !x.Warn() {
		return
	}
	if x.Level == ExpiryExpired {
		e.log.Error(x.Message, "secret_expires", x.Date.String())
		return
	}
	e.log.Warn(x.Message, "secret_expires", x.Date.String(), "days", x.Days)
}
