package tui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"invitesync/config"
	"invitesync/internal/powershell"
)

// Draft is everything the wizard has gathered, as the person typed it. It
// holds no secret, so it can be kept between runs (see progress.go).
type Draft struct {
	// Step is the step to continue at, 1–6.
	Step int `json:"step"`
	// Editing names the automation being edited; empty for a new one.
	Editing string `json:"editing,omitempty"`

	// Steps 1–2.
	AppName        string `json:"app_name"`
	ConsentGranted bool   `json:"consent_granted"`
	// Step 3 (the secret itself is never part of a Draft).
	SecretExpires string `json:"secret_expires"`
	// Step 4.
	TenantID           string `json:"tenant_id"`
	ClientID           string `json:"client_id"`
	EnterpriseObjectID string `json:"enterprise_object_id"`
	Mailbox            string `json:"mailbox"`
	// Step 5.
	Scope       powershell.Scope `json:"scope"`
	PolicyGroup string           `json:"policy_group,omitempty"`
	FullAccess  bool             `json:"full_access,omitempty"` // add the guide's Add-MailboxPermission
	ScriptPath  string           `json:"script_path,omitempty"`
	// Step 6.
	IDMURL          string `json:"idm_url"`
	Environment     string `json:"environment"`
	Name            string `json:"name"`
	Enabled         bool   `json:"enabled"`
	Interval        string `json:"interval"`
	TimeZone        string `json:"time_zone"`
	InternalDomains string `json:"internal_domains,omitempty"` // comma-separated
	Exclude         string `json:"exclude,omitempty"`          // comma-separated
	LookAheadDays   string `json:"lookahead_days"`
	DayStart        string `json:"day_start"`
	DayEnd          string `json:"day_end"`
	Replies         bool   `json:"replies"`
}

// Secrets are the two values the wizard never writes to a file. An empty
// one, when editing, keeps what the secret store already holds.
type Secrets struct {
	ClientSecret string
	IDMAPIKey    string
}

// newDraft returns a draft for a new automation with the defaults filled in.
func newDraft() Draft {
	d := DraftFromAutomation(config.NewAutomation(""), config.IDM{})
	d.Editing = ""
	d.AppName = "Salto-IDM-Calendar-Integration-Production"
	d.Scope = powershell.ScopeNone
	d.ConsentGranted = false
	return d
}

// DraftFromAutomation returns a draft that edits a, starting at step 1.
func DraftFromAutomation(a config.Automation, idm config.IDM) Draft {
	d := Draft{
		Step:               1,
		Editing:            a.Name,
		AppName:            a.AppName,
		ConsentGranted:     a.Name != "",
		SecretExpires:      a.SecretExpires.String(),
		TenantID:           a.TenantID,
		ClientID:           a.ClientID,
		EnterpriseObjectID: a.EnterpriseObjectID,
		Mailbox:            a.Mailbox,
		Scope:              powershell.ScopeNone,
		IDMURL:             idm.URL,
		Environment:        a.Environment,
		Name:               a.Name,
		Enabled:            a.Enabled,
		Interval:           formatInterval(a.Interval),
		TimeZone:           a.TimeZone,
		InternalDomains:    strings.Join(a.InternalDomains, ", "),
		Exclude:            strings.Join(a.Exclude, ", "),
		LookAheadDays:      strconv.Itoa(a.LookAheadDays),
		DayStart:           a.DayStart,
		DayEnd:             a.DayEnd,
		Replies:            a.Replies,
	}
	return d
}

// formatInterval writes 5m rather than 5m0s.
func formatInterval(d time.Duration) string {
	if d == 0 {
		return ""
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// splitList reads a comma- or space-separated list, dropping empty entries.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}

// Automation converts the draft into the automation and IDM settings it
// describes, checking every field with the configuration's validators. The
// error lists each invalid field.
func (d Draft) Automation() (config.Automation, config.IDM, error) {
	a := config.NewAutomation(d.Name)
	var errs []error
	field := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	a.Environment = d.Environment
	a.Enabled = d.Enabled
	a.Mailbox = d.Mailbox
	a.TenantID = d.TenantID
	a.ClientID = d.ClientID
	a.AppName = d.AppName
	a.EnterpriseObjectID = d.EnterpriseObjectID
	a.InternalDomains = splitList(d.InternalDomains)
	a.Exclude = splitList(d.Exclude)
	a.DayStart, a.DayEnd = d.DayStart, d.DayEnd
	a.Replies = d.Replies

	interval, err := config.ParseInterval(d.Interval)
	field("interval", err)
	a.Interval = interval
	tz, err := config.NormalizeTimeZone(d.TimeZone)
	field("time zone", err)
	a.TimeZone = tz
	exp, err := parseExpiry(d.SecretExpires, time.Time{})
	field("secret expiry", err)
	a.SecretExpires = exp
	days, err := strconv.Atoi(strings.TrimSpace(d.LookAheadDays))
	if err != nil {
		field("look-ahead", fmt.Errorf("%q is not a number of days: expected 1 to %d", d.LookAheadDays, config.MaxLookAheadDays))
	}
	a.LookAheadDays = days

	idm := config.IDM{URL: d.IDMURL}
	if len(errs) > 0 {
		return a, idm, errors.Join(errs...)
	}
	c := config.Config{IDM: idm, Automations: []config.Automation{a}}
	if err := c.Validate(); err != nil {
		return a, idm, err
	}
	return a, idm, nil
}

// parseExpiry reads the secret's expiry date. It is required: the app stops
// working the day the secret expires, and invitesync warns ahead of it. With
// a non-zero now, a date already past is refused (config.ValidateSecretExpiry,
// the rule every save applies).
func parseExpiry(s string, now time.Time) (config.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return config.Date{}, config.ValidateSecretExpiry(config.Date{}, now)
	}
	d, err := config.ParseDate(s)
	if err != nil || now.IsZero() {
		return d, err
	}
	return d, config.ValidateSecretExpiry(d, now)
}
