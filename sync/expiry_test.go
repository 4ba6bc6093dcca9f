package sync

import (
	"strings"
	"testing"
	"time"

	"invitesync/config"
)

func TestSecretExpiry(t *testing.T) {
	now := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	day := func(offset int) config.Date {
		d := now.AddDate(0, 0, offset)
		return config.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
	}
	cases := []struct {
		date  config.Date
		level ExpiryLevel
		days  int
		says  string
	}{
		{config.Date{}, ExpiryUnknown, 0, "not recorded"},
		{day(90), ExpiryOK, 90, "expires in 90 days (2026-05-30)"},
		{day(31), ExpiryOK, 31, "expires in 31 days"},
		{day(30), Expiry30, 30, "expires in 30 days (2026-03-31): plan to run `invitesync secret rotate`"},
		{day(15), Expiry30, 15, "expires in 15 days"},
		{day(14), Expiry14, 14, "expires in 14 days"},
		{day(8), Expiry14, 8, "expires in 8 days"},
		{day(7), Expiry7, 7, "expires in 7 days"},
		{day(1), Expiry7, 1, "expires in 1 day (2026-03-02)"},
		{day(0), Expiry7, 0, "expires today (2026-03-01)"},
		{day(-1), ExpiryExpired, -1, "expired on 2026-02-28"},
		{day(-400), ExpiryExpired, -400, "expired on"},
	}
	for _, c := range cases {
		x := SecretExpiry(c.date, now)
		if x.Level != c.level || (c.level != ExpiryUnknown && x.Days != c.days) || !strings.Contains(x.Message, c.says) {
			t.Errorf("SecretExpiry(%s) = level %d, %d days, %q; want level %d, %d days, containing %q", c.date, x.Level, x.Days, x.Message, c.level, c.days, c.says)
		}
		if want := c.level >= Expiry30; x.Warn() != want {
			t.Errorf("SecretExpiry(%s).Warn() = %v, want %v", c.date, x.Warn(), want)
		}
		if x.Level != ExpiryUnknown && x.Level != ExpiryOK && !strings.Contains(x.Message, "setup step 3") {
			t.Errorf("warning %q does not say what to do", x.Message)
		}
	}
}

// TestExpiryThresholds: the named thresholds the wizard quotes are the days
// at which the grade sharpens.
func TestExpiryThresholds(t *testing.T) {
	now := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	day := func(offset int) config.Date {
		d := now.AddDate(0, 0, offset)
		return config.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
	}
	for _, c := range []struct {
		days  int
		level ExpiryLevel
	}{{ExpiryWarnDays, Expiry30}, {ExpiryUrgentDays, Expiry14}, {ExpiryCriticalDays, Expiry7}} {
		if at, before := SecretExpiry(day(c.days), now).Level, SecretExpiry(day(c.days+1), now).Level; at != c.level || before >= c.level {
			t.Errorf("%d days ahead: level %d (a day earlier %d), want %d from that day on", c.days, at, before, c.level)
		}
	}
}
