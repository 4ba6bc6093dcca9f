package tui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"invitesync/config"
	"invitesync/setup"
)

// Validators. Each names what is expected; the configuration's validators
// check the values the file will hold.

func validateAppName(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("required: the app registration's name, e.g. Salto-IDM-Calendar-Integration-Production")
	}
	return config.ValidateAppName(s)
}

func validateConsent(granted bool) error {
	if !granted {
		return errors.New("grant admin consent first: without it Microsoft Graph refuses every calendar request (403)")
	}
	return nil
}

// looksLikeSecretID reports whether s has the shape of a Secret ID (a GUID)
// rather than a secret's Value.
func looksLikeSecretID(s string) bool { return config.ValidateGUID(strings.TrimSpace(s)) == nil }

func (f *fields) validateSecret(s string) error {
	if s == "" {
		if f.editing {
			return nil
		}
		return errors.New("required: the secret's Value from Certificates & secrets")
	}
	if strings.TrimSpace(s) != s {
		return errors.New("starts or ends with spaces: paste only the Value")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return errors.New("contains spaces or control characters: paste only the Value")
	}
	return nil
}

func (f *fields) validateExpiry(s string) error {
	_, err := parseExpiry(s, f.now)
	return err
}

func (f *fields) validateObjectID(s string) error {
	if err := config.ValidateGUID(s); err != nil {
		return err
	}
	return setup.CheckObjectID(s, f.d.ClientID, f.d.TenantID)
}

func validateScriptPath(s string) error {
	if s == "" {
		return nil
	}
	if !strings.EqualFold(filepath.Ext(s), ".ps1") {
		return fmt.Errorf("%q does not end in .ps1: PowerShell runs only .ps1 scripts", s)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return errors.New("contains control characters: expected a file name")
	}
	return nil
}

func (f *fields) validateAPIKey(s string) error {
	if s == "" {
		if f.editing {
			return nil
		}
		return errors.New("required: the API key from Salto IDM")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return errors.New("contains spaces or control characters: paste only the key")
	}
	return nil
}

func validateEnvironment(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("required: the Salto IDM environment, e.g. Production")
	}
	return config.ValidateEnvironment(s)
}

func (f *fields) validateName(s string) error {
	if err := config.ValidateName(s); err != nil {
		return err
	}
	for _, t := range f.taken {
		if strings.EqualFold(t, s) {
			return fmt.Errorf("%q is already the name of another automation: choose another", s)
		}
	}
	return nil
}

func validateInterval(s string) error {
	d, err := config.ParseInterval(s)
	if err != nil {
		return err
	}
	return config.ValidateInterval(d)
}

func validateDomains(s string) error {
	for _, d := range splitList(s) {
		if err := config.ValidateDomain(d); err != nil {
			return err
		}
	}
	return nil
}

func validateAddresses(s string) error {
	for _, a := range splitList(s) {
		if err := config.ValidateAddress(a); err != nil {
			return err
		}
	}
	return nil
}

func validateLookAhead(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a number of days: expected 1 to %d", s, config.MaxLookAheadDays)
	}
	return config.ValidateLookAhead(n)
}

func (f *fields) validateDayEnd(s string) error {
	if err := config.ValidateDayTime(s); err != nil {
		return err
	}
	if config.ValidateDayTime(f.d.DayStart) == nil && s <= f.d.DayStart {
		return fmt.Errorf("%s must be later than the start, %s", s, f.d.DayStart)
	}
	return nil
}
