package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"

	"invitesync/internal/text"
)

// Secrets is one configuration's secrets in a SecretStore: the keys it is
// asked for (ClientSecretKey, IDMAPIKeyKey) live in the store under the
// configuration's ID, as "<id>/client-secret/<automation>" and
// "<id>/idm-api-key", so two configurations (two files, or a staging and a
// production copy) never read or overwrite each other's.
type Secrets struct {
	store SecretStore
	id    string
}

var _ SecretStore = (*Secrets)(nil)

// NewSecrets returns the secrets of the configuration with the given ID in store.
func NewSecrets(store SecretStore, id string) *Secrets { return &Secrets{store: store, id: id} }

// ID is the configuration ID the secrets are kept under.
func (s *Secrets) ID() string { return s.id }

// StoreKey is the key under which the underlying store keeps key.
func (s *Secrets) StoreKey(key string) string { return s.id + "/" + key }

// Get implements SecretStore.
func (s *Secrets) Get(key string) (string, error) { return s.store.Get(s.StoreKey(key)) }

// Set implements SecretStore.
func (s *Secrets) Set(key, value string) error { return s.store.Set(s.StoreKey(key), value) }

// Delete implements SecretStore.
func (s *Secrets) Delete(key string) error { return s.store.Delete(s.StoreKey(key)) }

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateID checks a configuration ID: 1 to 64 letters, digits, '.', '-'
// or '_', starting with a letter or digit.
func ValidateID(s string) error {
	if !idPattern.MatchString(s) {
		return fmt.Errorf("%s is not a configuration ID: expected 1 to 64 letters, digits, '.', '-' or '_' (it names this configuration's secrets in the OS keyring; delete the line to get a new one)", text.Quote(s))
	}
	return nil
}

// PathID is the ID of a configuration file that records none: derived from
// its absolute path, so every process that reads the file agrees on it
// until Save writes it in.
func PathID(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	sum := sha256.Sum256([]byte(filepath.Clean(path)))
	return hex.EncodeToString(sum[:8])
}

// OpenSecrets returns the secrets of the configuration file at path in
// store: under the ID the file records, or under PathID when it records
// none (or does not exist yet). A file without an ID may have been written
// before configurations had one, when every configuration on the machine
// shared the keyring items "idm-api-key" and "client-secret/<automation>":
// those it names are copied to its own items first, once, unless the
// environment gives that secret. notes says, in one line each, what was
// copied. When store already is a *Secrets it is returned as it is.
func OpenSecrets(path string, store SecretStore) (s *Secrets, notes []string) {
	if s, ok := store.(*Secrets); ok {
		return s, nil
	}
	c, err := Read(path)
	if err == nil && c.ID != "" {
		return NewSecrets(store, c.ID), nil
	}
	s = NewSecrets(store, PathID(path))
	if err != nil {
		return s, nil
	}
	return s, s.adoptShared(c, store)
}

// adoptShared copies the machine-wide items of c's secrets from shared to
// s, skipping those s already holds or the environment gives. It stops at
// the first store error: a keyring that cannot be read is reported when a
// secret is needed.
func (s *Secrets) adoptShared(c *Config, shared SecretStore) []string {
	wanted := []Secret{IDMAPIKey()}
	for _, a := range c.Automations {
		wanted = append(wanted, ClientSecret(a.Name))
	}
	var notes []string
	for _, sec := range wanted {
		if v, _, err := sec.FromEnvironment(); v != "" || err != nil {
			continue
		}
		_, err := s.Get(sec.Key)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrSecretNotFound) {
			break
		}
		v, err := shared.Get(sec.Key)
		if errors.Is(err, ErrSecretNotFound) {
			continue
		}
		if err == nil {
			err = s.Set(sec.Key, v)
		}
		if err != nil {
			break
		}
		notes = append(notes, fmt.Sprintf("%s now has its own keyring item %q, copied from the machine-wide %q, which this configuration no longer uses (remove it once no other configuration does)",
			capitalize(sec.Label), s.StoreKey(sec.Key), sec.Key))
	}
	return notes
}

// capitalize upper-cases an ASCII first letter.
func capitalize(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
