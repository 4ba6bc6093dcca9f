package config

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"invitesync/internal/text"
)

// Fields of a FieldError about a secret (no key in the file holds them).
const (
	FieldClientSecret = "client_secret"
	FieldIDMAPIKey    = "idm.api_key"
)

// Change is one automation to create or edit, as `setup --no-input`, the
// wizard and the demo save it.
type Change struct {
	// Automation is the automation as it is to be saved.
	Automation Automation
	// IDM is the IDM connection as it is to be saved.
	IDM IDM
	// Editing names the automation before the change: "" for a new one; a
	// name other than Automation.Name renames it.
	Editing string
	// ClientSecret and IDMAPIKey are values given with the change; ""
	// keeps the stored one.
	ClientSecret, IDMAPIKey string
	// KeyringOptional saves the configuration even when no OS keyring can
	// store the given secrets (a service that gets them from the
	// environment); see Plan.NotStored.
	KeyringOptional bool
}

// Plan is a Change checked against the configuration it goes into: what
// will be written, and the secrets the automation will use, to test it
// with before Commit.
type Plan struct {
	Path       string
	Config     *Config // the configuration as Commit writes it
	Automation Automation
	Created    bool
	// ClientSecret and IDMAPIKey are the values the automation will use:
	// given with the change or stored. "" when the store could not be read.
	ClientSecret, IDMAPIKey string
	// Notes say which stored secrets the change keeps using, or could not
	// look at: reusing a secret is never silent. They never hold a value.
	Notes []string
	// Stored lists the secrets Commit stored; NotStored says why it stored
	// none (KeyringOptional and no keyring).
	Stored    []Secret
	NotStored error

	secrets         *Secrets
	keyringOptional bool
	clientGiven     bool // the client secret is stored under the new name
	idmGiven        bool
	oldName         string // renamed from: its secret goes once the file is written
}

// PlanChange checks ch against cur, the configuration at path as read (nil
// when there is none yet), with the configuration's secrets: the result
// must be a complete automation, as the wizard asks for it — an
// environment, a mailbox no other automation watches, tenant and client
// IDs, a time zone, a client secret and its expiry date (not past), the IDM
// URL and API key — and the rest of the file must stay valid. A secret not
// given with the change must already be stored (a new automation's client
// secret and a new configuration's IDM API key must be given). The error
// lists every problem as Errors; nothing is stored or written.
func PlanChange(path string, cur *Config, secrets *Secrets, ch Change, now time.Time) (*Plan, error) {
	if cur == nil {
		cur = &Config{}
	}
	if cur.ID != "" && cur.ID != secrets.ID() {
		return nil, fmt.Errorf("%s records the id %q, not %q, which its secrets were opened under: run setup again", path, cur.ID, secrets.ID())
	}
	a := ch.Automation
	next := *cur
	next.ID = secrets.ID()
	next.IDM = ch.IDM
	next.Automations = append([]Automation(nil), cur.Automations...)
	p := &Plan{Path: path, Config: &next, Automation: a, Created: ch.Editing == "", secrets: secrets,
		keyringOptional: ch.KeyringOptional}
	label := strconv.Quote(a.Name)
	var errs Errors
	add := func(field string, err error) {
		if err != nil {
			errs = append(errs, &FieldError{Automation: label, Field: field, Message: err.Error()})
		}
	}

	switch _, exists := cur.Automation(ch.Editing); {
	case ch.Editing == "":
		next.Automations = append(next.Automations, a)
	case !exists:
		return nil, fmt.Errorf("there is no automation %s in %s to edit", text.Quote(ch.Editing), path)
	default:
		for i := range next.Automations {
			if next.Automations[i].Name == ch.Editing {
				next.Automations[i] = a
			}
		}
		if ch.Editing != a.Name {
			p.oldName = ch.Editing
		}
	}
	var fieldErrs Errors
	if errors.As(next.Validate(), &fieldErrs) {
		errs = append(errs, fieldErrs...)
	}
	if a.Environment == "" {
		add("environment", errors.New("required: the Salto IDM environment the visits go to, e.g. Production"))
	}
	add("secret_expires", ValidateSecretExpiry(a.SecretExpires, now))

	p.ClientSecret, p.clientGiven = p.secret(ClientSecret(ch.Editing), ch.ClientSecret, ch.Editing == "", ValidateClientSecret,
		"a new automation needs its client secret", add, FieldClientSecret)
	if p.oldName != "" && p.ClientSecret != "" {
		p.clientGiven = true // moves to the new name
	}
	firstIDM := cur.IDM.URL == ""
	p.IDMAPIKey, p.idmGiven = p.secret(IDMAPIKey(), ch.IDMAPIKey, firstIDM, ValidateAPIKey,
		"the first IDM connection needs its API key", add, FieldIDMAPIKey)
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

// secret settles one secret of the change: the given value, checked, or
// the stored one, said in a note. required refuses to look for a stored
// one, with why.
func (p *Plan) secret(s Secret, given string, required bool, validate func(string) error, why string,
	add func(string, error), field string) (value string, isGiven bool) {
	if given != "" {
		add(field, validate(given))
		return given, true
	}
	if required {
		add(field, errors.New("required: "+why))
		return "", false
	}
	v, err := p.secrets.Get(s.Key)
	switch {
	case err == nil:
		p.Notes = append(p.Notes, fmt.Sprintf("%s: not given, so the one stored in the OS keyring (item %q) is kept", capitalize(s.Label), p.secrets.StoreKey(s.Key)))
		return v, false
	case errors.Is(err, ErrSecretNotFound):
		add(field, fmt.Errorf("required: %s is not stored", s.Label))
	default:
		p.Notes = append(p.Notes, fmt.Sprintf("%s: not given, and the OS keyring could not be read to find the stored one (%v); at run time it must come from %s", capitalize(s.Label), err, s.Variables()))
	}
	return "", false
}

// ValidateSecretExpiry checks the client secret's expiry date: required,
// and not before now's day (the app stops working the day it expires).
func ValidateSecretExpiry(d Date, now time.Time) error {
	switch {
	case d.IsZero():
		return errors.New("required (YYYY-MM-DD): the integration stops the day the secret expires, and invitesync warns you ahead of it")
	case d.DaysUntil(now) < 0:
		return fmt.Errorf("%s has passed: this secret no longer works, create a new one (step 3)", d)
	}
	return nil
}

// ToStore lists the secrets Commit stores: those given with the change,
// and a renamed automation's client secret under its new name.
func (p *Plan) ToStore() []Secret {
	var out []Secret
	if p.clientGiven {
		out = append(out, ClientSecret(p.Automation.Name))
	}
	if p.idmGiven {
		out = append(out, IDMAPIKey())
	}
	return out
}

// Commit stores the given secrets under the configuration's ID, then writes
// the configuration atomically, then removes a renamed automation's old
// secret. Nothing reaches the file unless the secrets were stored first,
// except with KeyringOptional when no OS keyring is available (NotStored
// says so).
func (p *Plan) Commit() error {
	toStore := p.ToStore()
	for i, s := range toStore {
		value := p.IDMAPIKey
		if s.Key != IDMAPIKeyKey {
			value = p.ClientSecret
		}
		err := p.secrets.Set(s.Key, value)
		if err != nil && p.keyringOptional && errors.Is(err, ErrKeyringUnavailable) {
			p.NotStored = err
			break
		}
		if err != nil {
			what := "nothing was saved"
			if i > 0 {
				what += " but " + toStore[0].Label
			}
			return fmt.Errorf("%s: %s could not be stored: %w", what, s.Label, err)
		}
		p.Stored = append(p.Stored, s)
	}
	if err := Save(p.Path, p.Config); err != nil {
		return fmt.Errorf("the configuration was not written: %w", err)
	}
	if p.oldName != "" && p.NotStored == nil {
		if err := p.secrets.Delete(ClientSecretKey(p.oldName)); err != nil && !errors.Is(err, ErrSecretNotFound) {
			return fmt.Errorf("saved, but the old name's secret could not be removed from the keyring: %w", err)
		}
	}
	return nil
}
