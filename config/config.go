// Package config holds invitesync's configuration: the IDM connection and the
// automations (one watched mailbox each), read from and written to a TOML file.
// Secrets never live here; see SecretStore.
package config

import "time"

// Protocol names a calendar protocol. Outlook (Microsoft Graph) is the only one.
const ProtocolOutlook = "outlook"

// Defaults applied when a field is absent.
const (
	DefaultInterval      = 5 * time.Minute
	MinInterval          = time.Minute
	DefaultLookAheadDays = 30
	DefaultDayStart      = "08:00"
	DefaultDayEnd        = "18:00"
)

// Config is the whole configuration file.
type Config struct {
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

	AppName            string `toml:"app_name"`
	EnterpriseObjectID string `toml:"enterprise_object_id"`
	// SecretExpires is the client secret's expiry date, YYYY-MM-DD.
	SecretExpires Date `toml:"secret_expires"`

	// InternalDomains are never visitors; empty means the mailbox's domain.
	InternalDomains []string `toml:"internal_domains"`
	Exclude         []string `toml:"exclude"`
	LookAheadDays   int      `toml:"lookahead_days"`
	// DayStart and DayEnd (HH:MM, local) bound visits for all-day events.
	DayStart string `toml:"day_start"`
	DayEnd   string `toml:"day_end"`
	// Replies: answer the organizer (accept, or decline with the reason).
	Replies bool `toml:"replies"`
}
