package config

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"invitesync/internal/text"
	"invitesync/internal/weburl"
)

// Limits on the free-text fields.
const (
	MaxNameLength    = 64
	MaxAppNameLength = 256
	MaxInterval      = 24 * time.Hour
	MaxLookAheadDays = 365
)

// FieldError is one invalid field: which one, and what is wrong with it in
// words that say what was expected.
type FieldError struct {
	// Automation names the automation the field belongs to (or "#N" for one
	// without a name); empty for fields outside any automation.
	Automation string
	// Field is the key in the file: "tenant_id", "idm.url", ….
	Field   string
	Message string
}

// Error returns `automation "Front desk": tenant_id: <message>`.
func (e *FieldError) Error() string {
	if e.Automation != "" {
		return fmt.Sprintf("automation %s: %s: %s", e.Automation, e.Field, e.Message)
	}
	return e.Field + ": " + e.Message
}

// Errors lists every invalid field of a configuration, in file order.
type Errors []*FieldError

// Error returns one line per field.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, fe := range e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the field errors, for errors.As.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, fe := range e {
		out[i] = fe
	}
	return out
}

// Validate checks every field of c and returns all problems at once as
// Errors, or nil.
func (c *Config) Validate() error {
	var errs Errors
	add := func(automation, field string, err error) {
		if err != nil {
			errs = append(errs, &FieldError{Automation: automation, Field: field, Message: err.Error()})
		}
	}
	if c.ID != "" {
		add("", "id", ValidateID(c.ID))
	}
	add("", "idm.url", ValidateIDMURL(c.IDM.URL))
	seen := map[string]string{}
	vars := map[string]string{}    // client-secret variable → automation
	watched := map[string]string{} // mailbox → automation
	for i, a := range c.Automations {
		label := strconv.Quote(a.Name)
		if a.Name == "" {
			label = fmt.Sprintf("#%d", i+1)
		}
		nameErr := ValidateName(a.Name)
		if other, dup := seen[strings.ToLower(a.Name)]; dup && nameErr == nil {
			nameErr = fmt.Errorf("%s is already the name of automation %q: names must be unique", text.Quote(a.Name), other)
		}
		if nameErr == nil {
			nameErr = sharedVariable(vars, a.Name)
		}
		seen[strings.ToLower(a.Name)] = a.Name
		add(label, "name", nameErr)
		add(label, "environment", ValidateEnvironment(a.Environment))
		add(label, "interval", ValidateInterval(a.Interval))
		add(label, "protocol", ValidateProtocol(a.Protocol))
		mailboxErr := ValidateMailbox(a.Mailbox)
		if other, dup := watched[strings.ToLower(a.Mailbox)]; dup && mailboxErr == nil {
			mailboxErr = MailboxTakenError(a.Mailbox, other)
		}
		if _, dup := watched[strings.ToLower(a.Mailbox)]; !dup {
			watched[strings.ToLower(a.Mailbox)] = a.Name
		}
		add(label, "mailbox", mailboxErr)
		add(label, "time_zone", ValidateTimeZone(a.TimeZone))
		add(label, "tenant_id", ValidateGUID(a.TenantID))
		add(label, "client_id", ValidateGUID(a.ClientID))
		add(label, "app_name", ValidateAppName(a.AppName))
		if a.EnterpriseObjectID != "" {
			add(label, "enterprise_object_id", ValidateGUID(a.EnterpriseObjectID))
		}
		for j, d := range a.InternalDomains {
			if err := ValidateDomain(d); err != nil {
				add(label, "internal_domains", fmt.Errorf("entry %d: %w", j+1, err))
			}
		}
		for j, addr := range a.Exclude {
			if err := ValidateAddress(addr); err != nil {
				add(label, "exclude", fmt.Errorf("entry %d: %w", j+1, err))
			}
		}
		add(label, "lookahead_days", ValidateLookAhead(a.LookAheadDays))
		startErr, endErr := ValidateDayTime(a.DayStart), ValidateDayTime(a.DayEnd)
		add(label, "day_start", startErr)
		add(label, "day_end", endErr)
		if startErr == nil && endErr == nil && a.DayStart >= a.DayEnd {
			add(label, "day_end", fmt.Errorf("%s must be later than day_start %s", text.Quote(a.DayEnd), text.Quote(a.DayStart)))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// MailboxTakenError says that automation already watches mailbox: a
// mailbox is dedicated to one automation, or two loops would turn each
// invitation into visits and answer its organizer twice.
func MailboxTakenError(mailbox, automation string) error {
	return fmt.Errorf("%s is already watched by automation %q: one mailbox, one automation (give each automation a dedicated mailbox, or edit %q)", mailbox, automation, automation)
}

// MailboxOwner names the automation of c, other than except, that watches
// mailbox (compared without regard to case); ok is false when none does.
func (c *Config) MailboxOwner(mailbox, except string) (name string, ok bool) {
	for _, a := range c.Automations {
		if a.Name != except && strings.EqualFold(a.Mailbox, mailbox) {
			return a.Name, true
		}
	}
	return "", false
}

// sharedVariable records the variables that give automation name its
// client secret in vars, and says so when another automation's name gives
// one of the same variables ("Front desk" and "front-desk" both read
// INVITESYNC_CLIENT_SECRET_FRONT_DESK).
func sharedVariable(vars map[string]string, name string) error {
	env, fileEnv := clientSecretEnvs(name)
	for _, v := range []string{env, fileEnv} {
		if other, dup := vars[v]; dup && v != "" {
			return fmt.Errorf("%s gives the same secret variable %s as automation %q: choose a name that differs in letters or digits", text.Quote(name), v, other)
		}
	}
	for _, v := range []string{env, fileEnv} {
		if v != "" {
			vars[v] = name
		}
	}
	return nil
}

// ValidateName checks an automation's name: required, at most 64
// characters, printable.
func ValidateName(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("required: a short name such as \"Front desk\"")
	}
	if s != strings.TrimSpace(s) {
		return fmt.Errorf("%s starts or ends with spaces: expected a name without them", text.Quote(s))
	}
	return checkText(s, MaxNameLength)
}

// ValidateEnvironment checks the optional environment label (e.g. Production).
func ValidateEnvironment(s string) error { return checkText(s, MaxNameLength) }

// ValidateAppName checks the optional Entra app display name.
func ValidateAppName(s string) error { return checkText(s, MaxAppNameLength) }

// checkText rejects control characters and over-long text.
func checkText(s string, max int) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("is %d characters long: expected at most %d", n, max)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Errorf("%s contains control characters: expected plain text", text.Quote(s))
	}
	return nil
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidateGUID checks a directory, application or object ID.
func ValidateGUID(s string) error {
	switch {
	case s == "":
		return errors.New("required: a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
	case !guidPattern.MatchString(s):
		return fmt.Errorf("%s is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", text.Quote(s))
	case strings.Trim(s, "0-") == "":
		return errors.New("the all-zero GUID is a placeholder: expected the real ID from the Azure portal")
	}
	return nil
}

// ValidateMailbox checks the watched mailbox's address: required, bare.
func ValidateMailbox(s string) error {
	if s == "" {
		return errors.New("required: the address users will invite, such as visitors@contoso.com")
	}
	return ValidateAddress(s)
}

// Address limits: SMTP allows at most 254 characters in an address, 64 of
// them before the @ (RFC 5321 §4.5.3.1, with RFC 3696's erratum).
const (
	MaxAddressLength   = 254
	MaxLocalPartLength = 64
)

// ValidateAddress checks a bare email address (no display name, no angle
// brackets) with a valid domain, within the standard length limits.
func ValidateAddress(s string) error {
	if len(s) > MaxAddressLength {
		return fmt.Errorf("%s is too long for an email address: expected at most %d characters, %d before the @", text.Quote(s), MaxAddressLength, MaxLocalPartLength)
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("%s is not an email address: expected one such as visitors@contoso.com", text.Quote(s))
	}
	if addr.Name != "" || addr.Address != s {
		return fmt.Errorf("%s is not a bare address: expected only the address, such as %s", text.Quote(s), text.Clean(addr.Address, text.QuoteMax))
	}
	at := strings.LastIndexByte(s, '@')
	if at > MaxLocalPartLength {
		return fmt.Errorf("%s has %d characters before the @: expected at most %d", text.Quote(s), at, MaxLocalPartLength)
	}
	if err := ValidateDomain(s[at+1:]); err != nil {
		return fmt.Errorf("%s: its domain %w", text.Quote(s), err)
	}
	return nil
}

var domainProfile = idna.New(idna.MapForLookup(), idna.VerifyDNSLength(true), idna.BidiRule())

// ValidateDomain checks a DNS domain name such as contoso.com.
func ValidateDomain(s string) error {
	if strings.HasPrefix(s, "@") {
		return fmt.Errorf("%s is not a domain: expected it without the @, such as %s", text.Quote(s), text.Clean(s[1:], text.QuoteMax))
	}
	ascii, err := domainProfile.ToASCII(s)
	if err != nil || !strings.Contains(strings.Trim(ascii, "."), ".") || strings.HasSuffix(ascii, ".") {
		return fmt.Errorf("%s is not a domain: expected a name such as contoso.com", text.Quote(s))
	}
	return nil
}

// ParseInterval reads a poll interval as typed by a person: a Go duration
// ("5m", "1h30m") or a whole number of minutes ("5").
func ParseInterval(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Minute, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration: expected minutes such as 5m or 1h", text.Quote(s))
	}
	return d, nil
}

// ValidateInterval checks the poll interval: 15 seconds to 24 hours.
func ValidateInterval(d time.Duration) error {
	switch {
	case d < MinInterval:
		return fmt.Errorf("%s is too short: expected at least %s", FormatDuration(d), FormatDuration(MinInterval))
	case d > MaxInterval:
		return fmt.Errorf("%s is too long: expected at most %s", FormatDuration(d), FormatDuration(MaxInterval))
	}
	return nil
}

// FormatDuration writes a duration as people do: 5m rather than 5m0s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ValidateProtocol checks the calendar protocol; outlook is the only one.
func ValidateProtocol(s string) error {
	if s != ProtocolOutlook {
		return fmt.Errorf("%s is not supported: expected %q", text.Quote(s), ProtocolOutlook)
	}
	return nil
}

// ValidateTimeZone checks a time-zone name, IANA or Windows.
func ValidateTimeZone(s string) error {
	_, err := NormalizeTimeZone(s)
	return err
}

// ValidateIDMURL checks the Salto IDM API base URL: required, https, or
// http to a loopback address only. A message shows the URL only without
// user information, query and fragment, and not at all when it does not
// parse as one with a host, since a secret may be anywhere in it.
func ValidateIDMURL(s string) error {
	const expected = "expected the API base such as https://idm.example.com/api/v1"
	_, err := weburl.Parse(s)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, weburl.ErrEmpty):
		return errors.New("required: " + expected)
	case errors.Is(err, weburl.ErrUserInfo):
		return errors.New("contains a user name or password: expected none, the API key is kept with the secrets")
	case errors.Is(err, weburl.ErrQuery):
		// Shown without them: a query may carry a key.
		return fmt.Errorf("%s has a query or fragment: %s", text.Quote(weburl.Shown(s)), expected)
	case errors.Is(err, weburl.ErrPlainHTTP):
		return fmt.Errorf("%s uses http: expected https (http is accepted only for loopback addresses)", text.Quote(s))
	case errors.Is(err, weburl.ErrScheme):
		return fmt.Errorf("%s is not an http(s) URL: %s", text.Quote(s), expected)
	}
	shown := "not shown"
	if n := utf8.RuneCountInString(s); n > text.QuoteMax {
		shown = fmt.Sprintf("%d characters, not shown", n)
	}
	return fmt.Errorf("not a URL with a scheme and host (%s, in case it holds a password or key): %s", shown, expected)
}

var dayTimePattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// ValidateDayTime checks a local time of day written HH:MM.
func ValidateDayTime(s string) error {
	if !dayTimePattern.MatchString(s) {
		return fmt.Errorf("%s is not a time of day: expected HH:MM between 00:00 and 23:59", text.Quote(s))
	}
	return nil
}

// ValidateLookAhead checks the look-ahead window in days: 1 to 365.
func ValidateLookAhead(days int) error {
	if days < 1 || days > MaxLookAheadDays {
		return fmt.Errorf("%d days is out of range: expected 1 to %d", days, MaxLookAheadDays)
	}
	return nil
}
