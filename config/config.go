// Package config holds invitesync's configuration: the IDM connection and the
// automations (one watched mailbox each), read from and written to a TOML file.
// Secrets never live here; see SecretStore.
package config

import (
	"strings"
	"time"
)

// ProtocolOutlook names the Outlook (Microsoft Graph) calendar protocol, the only one.
const ProtocolOutlook = "outlook"

// Defaults applied when a field is absent.
const (
	DefaultInterval      = 5 * time.Minute
	MinInterval          = 15 * time.Second
	DefaultLookAheadDays = 30
	DefaultDayStart      = "08:00"
	DefaultDayEnd        = "18:00"
)

// Config is the whole configuration file.
type Config struct {
	// ID names this configuration's secrets in the OS keyring (see
	// Secrets), so that two configurations never share one. Save writes it
	// on the first save; a file without one gets the ID its path gives.
	ID          string       `toml:"id,omitempty"`
	IDM         IDM          `toml:"idm"`
	Automations []Automation `toml:"automation"`
}

// IDM is the Salto IDM connection. Its API key is a secret (see SecretStore).
type IDM struct {
	// URL is the API base, e.g. https://idm.example.com/api/v1.
	URL string `toml:"url"`
}

// Automation is one watched mailbox and how its invitations become visits:
// the step-6 fields of the set-up procedure plus what steps 3–5 produced.
type Automation struct {
	Name        string        `toml:"name"`
	Environment string        `toml:"environment"`
	Enabled     bool          `toml:"enabled"`
	Interval    time.Duration `toml:"interval"`
	Protocol    string        `toml:"protocol"`
	Mailbox     string        `toml:"mailbox"`
	// TimeZone is an IANA name; Windows names are normalised on load.
	TimeZone string `toml:"time_zone"`
	TenantID string `toml:"tenant_id"`
	ClientID string `toml:"client_id"`

	AppName            string `toml:"app_name,omitempty"`
	EnterpriseObjectID string `toml:"enterprise_object_id,omitempty"`
	// SecretExpires is the client secret's expiry date, YYYY-MM-DD.
	SecretExpires Date `toml:"secret_expires,omitempty"`

	// InternalDomains are never visitors; empty means the mailbox's domain.
	InternalDomains []string `toml:"internal_domains,omitempty"`
	Exclude         []string `toml:"exclude,omitempty"`
	LookAheadDays   int      `toml:"lookahead_days"`
	// DayStart and DayEnd (HH:MM, local) bound visits for all-day events.
	DayStart string `toml:"day_start"`
	DayEnd   string `toml:"day_end"`
	// Replies: answer the organizer (accept, or decline with the reason).
	Replies bool `toml:"replies"`
}

// NewAutomation returns an automation named name with every default applied.
func NewAutomation(name string) Automation {
	return Automation{
		Name:          name,
		Enabled:       true,
		Interval:      DefaultInterval,
		Protocol:      ProtocolOutlook,
		LookAheadDays: DefaultLookAheadDays,
		DayStart:      DefaultDayStart,
		DayEnd:        DefaultDayEnd,
		Replies:       true,
	}
}

// applyDefaults fills the fields a file may leave out. Enabled and Replies
// are handled by the loader, which knows whether they were written.
func (a *Automation) applyDefaults() {
	if a.Interval == 0 {
		a.Interval = DefaultInterval
	}
	if a.Protocol == "" {
		a.Protocol = ProtocolOutlook
	}
	if a.LookAheadDays == 0 {
		a.LookAheadDays = DefaultLookAheadDays
	}
	if a.DayStart == "" {
		a.DayStart = DefaultDayStart
	}
	if a.DayEnd == "" {
		a.DayEnd = DefaultDayEnd
	}
}

// Internal returns the domains whose addresses are never visitors: the
// configured internal domains, or the mailbox's own domain when none are
// configured. Domains are lower-case.
func (a Automation) Internal() []string {
	if len(a.InternalDomains) > 0 {
		out := make([]string, len(a.InternalDomains))
		for i, d := range a.InternalDomains {
			out[i] = strings.ToLower(d)
		}
		return out
	}
	if _, domain, ok := strings.Cut(a.Mailbox, "@"); ok && domain != "" {
		return []string{strings.ToLower(domain)}
	}
	return nil
}

// Automation returns the automation called name and whether there is one.
// The pointer refers into c, so changes through it are kept.
func (c *Config) Automation(name string) (*Automation, bool) {
	for i := range c.Automations {
		if c.Automations[i].Name == name {
			return &c.Automations[i], true
		}
	}
	return nil, false
}

// Upsert replaces the automation with a's name, or appends a when there is none.
func (c *Config) Upsert(a Automation) {
	if cur, ok := c.Automation(a.Name); ok {
		*cur = a
		return
	}
	c.Automations = append(c.Automations, a)
}
