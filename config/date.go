package config

import (
	"fmt"
	"time"

	"invitesync/internal/text"
)

// Date is a calendar day (no time, no zone), written as YYYY-MM-DD.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%s is not a date: expected YYYY-MM-DD", text.Quote(s))
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String returns YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// In returns midnight at the start of the day in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// DaysUntil counts whole days from now's calendar day to d (negative once past).
func (d Date) DaysUntil(now time.Time) int {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return int(d.In(time.UTC).Sub(today).Hours() / 24)
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalTOML accepts a quoted "YYYY-MM-DD" or a bare TOML local date.
func (d *Date) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		return d.UnmarshalText([]byte(v))
	case time.Time:
		if v.Hour() != 0 || v.Minute() != 0 || v.Second() != 0 || v.Nanosecond() != 0 {
			return fmt.Errorf("%s is not a date: expected YYYY-MM-DD", v.Format(time.RFC3339))
		}
		*d = Date{v.Year(), v.Month(), v.Day()}
		return nil
	default:
		return fmt.Errorf("%v is not a date: expected YYYY-MM-DD", v)
	}
}
