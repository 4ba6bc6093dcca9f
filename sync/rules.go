package sync

import (
	"fmt"
	"strings"
	"time"

	"invitesync/config"
)

// Rules is an automation's planning rules in a ready-to-use form.
type Rules struct {
	// Mailbox is the watched mailbox, lower-cased.
	Mailbox string
	// InternalDomains are lower-cased domains whose addresses (and their
	// subdomains' addresses) are never visitors.
	InternalDomains []string
	// Exclude holds lower-cased addresses that are never visitors.
	Exclude map[string]bool
	// Location is the automation's (the IDM environment's) time zone.
	Location *time.Location
	// DayStart and DayEnd are the all-day visit hours, as offsets from midnight.
	DayStart, DayEnd time.Duration
	// LookAheadDays is how far ahead events are handled.
	LookAheadDays int
	// Replies turns replies to the organizer on.
	Replies bool
}

// NewRules checks an automation's planning fields and prepares its rules.
func NewRules(a config.Automation) (Rules, error) {
	r := Rules{
		Mailbox:       strings.ToLower(strings.TrimSpace(a.Mailbox)),
		Exclude:       map[string]bool{},
		LookAheadDays: a.LookAheadDays,
		Replies:       a.Replies,
	}
	at := strings.LastIndexByte(r.Mailbox, '@')
	if at <= 0 || at == len(r.Mailbox)-1 {
		return Rules{}, fmt.Errorf("mailbox: %q is not an email address", a.Mailbox)
	}
	zone, err := config.NormalizeTimeZone(a.TimeZone)
	if err != nil || a.TimeZone == "" {
		return Rules{}, fmt.Errorf("time_zone: %q is not a time zone: expected an IANA name such as Europe/Madrid or a Windows name such as \"W. Europe Standard Time\"", a.TimeZone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Rules{}, fmt.Errorf("time_zone: %q: %w", a.TimeZone, err)
	}
	r.Location = loc
	for _, d := range a.InternalDomains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d != "" {
			r.InternalDomains = append(r.InternalDomains, d)
		}
	}
	if len(r.InternalDomains) == 0 {
		r.InternalDomains = []string{r.Mailbox[at+1:]}
	}
	for _, e := range a.Exclude {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			r.Exclude[e] = true
		}
	}
	if r.LookAheadDays <= 0 {
		r.LookAheadDays = config.DefaultLookAheadDays
	}
	if r.DayStart, err = clockOffset("day_start", a.DayStart, config.DefaultDayStart); err != nil {
		return Rules{}, err
	}
	if r.DayEnd, err = clockOffset("day_end", a.DayEnd, config.DefaultDayEnd); err != nil {
		return Rules{}, err
	}
	if r.DayEnd <= r.DayStart {
		return Rules{}, fmt.Errorf("day_end: %s is not after day_start %s", a.DayEnd, a.DayStart)
	}
	return r, nil
}

// clockOffset reads HH:MM (or def when empty) as an offset from midnight.
func clockOffset(field, s, def string) (time.Duration, error) {
	if s == "" {
		s = def
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a time of day: expected HH:MM", field, s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Window is the span of calendar time a delta round covers.
type Window struct {
	Start, End time.Time
}

// Window is the look-ahead window for a round started at now: from midnight
// of now's day in the automation's zone, for LookAheadDays days. It changes
// once a day, which is when the loop starts a fresh round.
func (r Rules) Window(now time.Time) Window {
	local := now.In(r.Location)
	start := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, r.Location)
	return Window{Start: start, End: start.AddDate(0, 0, r.LookAheadDays)}
}

// Equal reports whether two windows cover the same span.
func (w Window) Equal(o Window) bool { return w.Start.Equal(o.Start) && w.End.Equal(o.End) }

// isInternal reports whether addr is in one of the internal domains or
// their subdomains.
func (r Rules) isInternal(addr string) bool {
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	for _, d := range r.InternalDomains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}
