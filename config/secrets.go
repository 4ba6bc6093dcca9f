package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"unicode"
)

// SecretStore keeps secrets by key: the OS keyring (Keyring) in production,
// MemoryStore in the demo and in unit tests.
type SecretStore interface {
	// Get returns the secret stored under key; an error matching
	// ErrSecretNotFound when there is none.
	Get(key string) (string, error)
	// Set stores value under key, replacing any previous value.
	Set(key, value string) error
	// Delete removes the secret under key; an error matching
	// ErrSecretNotFound when there was none.
	Delete(key string) error
}

// Environment variables that give secrets to a service; when set they win
// over the keyring. The _FILE forms name a file holding the secret (a
// systemd credential, for example). EnvClientSecret and EnvClientSecretFile
// serve every automation; followed by "_" and an automation's EnvName they
// serve that automation alone, and win over the shared ones.
const (
	EnvClientSecret     = "INVITESYNC_CLIENT_SECRET"
	EnvClientSecretFile = "INVITESYNC_CLIENT_SECRET_FILE"
	EnvIDMAPIKey        = "INVITESYNC_IDM_API_KEY"
	EnvIDMAPIKeyFile    = "INVITESYNC_IDM_API_KEY_FILE"
)

// EnvName is an automation's name as environment variables carry it:
// upper-cased, every character other than A–Z and 0–9 written as "_"
// ("Front desk" is FRONT_DESK).
func EnvName(automation string) string {
	return strings.Map(func(r rune) rune {
		r = unicode.ToUpper(r)
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, automation)
}

// clientSecretEnvs are the variables that give automation's client secret
// to it alone: INVITESYNC_CLIENT_SECRET_FILE_<NAME> and
// INVITESYNC_CLIENT_SECRET_<NAME>. The latter is left out when it is
// the shared file variable (an automation called "File").
func clientSecretEnvs(automation string) (env, fileEnv string) {
	name := EnvName(automation)
	env, fileEnv = EnvClientSecret+"_"+name, EnvClientSecretFile+"_"+name
	if env == EnvClientSecretFile {
		env = ""
	}
	return env, fileEnv
}

// IDMAPIKeyKey is the store key of the Salto IDM API key.
const IDMAPIKeyKey = "idm-api-key"

// ClientSecretKey is the store key of an automation's client secret.
func ClientSecretKey(automation string) string { return "client-secret/" + automation }

// ErrSecretNotFound means the store works but holds no such secret.
var ErrSecretNotFound = errors.New("secret not found")

// Secret describes one secret: where it is kept, how else it can be given,
// and what to call it in messages. Its value is never part of it.
type Secret struct {
	Key     string // store key
	Label   string // e.g. `the client secret of automation "Front desk"`
	Env     string // variable holding the value
	FileEnv string // variable naming a file that holds the value
	// OwnEnv and OwnFileEnv, when set, are the variables of this secret
	// alone (one automation's), which win over Env and FileEnv.
	OwnEnv, OwnFileEnv string
	Hint               string // how to store it, e.g. the setup command
}

// ClientSecret describes the Entra client secret of the named automation.
func ClientSecret(automation string) Secret {
	env, fileEnv := clientSecretEnvs(automation)
	return Secret{
		Key:        ClientSecretKey(automation),
		Label:      fmt.Sprintf("the client secret of automation %q", automation),
		Env:        EnvClientSecret,
		FileEnv:    EnvClientSecretFile,
		OwnEnv:     env,
		OwnFileEnv: fileEnv,
		Hint:       fmt.Sprintf("invitesync setup --no-input --name %q --client-secret-file PATH", automation),
	}
}

// Variables says which variables give the secret at run time, for messages:
// "INVITESYNC_CLIENT_SECRET_FILE_FRONT_DESK to a file holding it (or …)".
func (s Secret) Variables() string {
	if s.OwnFileEnv == "" {
		return fmt.Sprintf("%s to a file holding it (or %s to the value)", s.FileEnv, s.Env)
	}
	value := ""
	if s.OwnEnv != "" {
		value = s.OwnEnv + " to the value, or "
	}
	return fmt.Sprintf("%s to a file holding it (or %s%s or %s for every automation)", s.OwnFileEnv, value, s.FileEnv, s.Env)
}

// IDMAPIKey describes the Salto IDM API key.
func IDMAPIKey() Secret {
	return Secret{
		Key:     IDMAPIKeyKey,
		Label:   "the Salto IDM API key",
		Env:     EnvIDMAPIKey,
		FileEnv: EnvIDMAPIKeyFile,
		Hint:    "invitesync setup --no-input --name NAME --idm-api-key-file PATH",
	}
}

// SecretError says which secret could not be had, why, and what to do.
// It never contains the secret.
type SecretError struct {
	Secret Secret
	Err    error // matches ErrSecretNotFound or ErrKeyringUnavailable, or a file error
}

// Error explains the failure and the ways to provide the secret.
func (e *SecretError) Error() string {
	s := e.Secret
	orEnv := "set " + s.Variables()
	var ku *KeyringUnavailableError
	switch {
	case errors.Is(e.Err, ErrSecretNotFound):
		return fmt.Sprintf("%s is not in the keyring: store it with %q, or %s", s.Label, s.Hint, orEnv)
	case errors.As(e.Err, &ku):
		return fmt.Sprintf("cannot read %s: no OS keyring is available: %s; %s, or %s (detail: %v)", s.Label, ku.Reason, ku.Fix, orEnv, ku.Err)
	default:
		return fmt.Sprintf("cannot read %s: %v", s.Label, e.Err)
	}
}

// Unwrap returns the cause.
func (e *SecretError) Unwrap() error { return e.Err }

// Resolve returns the secret's value and where it came from: the
// environment (see FromEnvironment), else the store (from is "keyring").
// A file's trailing newline is dropped. Errors are *SecretError.
func (s Secret) Resolve(store SecretStore) (value, from string, err error) {
	if v, from, err := s.FromEnvironment(); v != "" || err != nil {
		return v, from, err
	}
	v, err := store.Get(s.Key)
	if err != nil {
		return "", "", &SecretError{Secret: s, Err: err}
	}
	return v, "keyring", nil
}

// FromEnvironment returns the secret from the first variable set of
// OwnFileEnv, OwnEnv, FileEnv and Env (the _FILE ones name a file), and
// which one it used; "" when none is set.
func (s Secret) FromEnvironment() (value, from string, err error) {
	for _, v := range []struct {
		name string
		file bool
	}{{s.OwnFileEnv, true}, {s.OwnEnv, false}, {s.FileEnv, true}, {s.Env, false}} {
		val := ""
		if v.name != "" {
			val = os.Getenv(v.name)
		}
		switch {
		case val == "":
		case v.file:
			secret, err := ReadSecretFile(val)
			if err != nil {
				return "", "", &SecretError{Secret: s, Err: fmt.Errorf("%s: %w", v.name, err)}
			}
			return secret, v.name, nil
		default:
			return val, v.name, nil
		}
	}
	return "", "", nil
}

// ValidateClientSecret checks that v looks like an Entra client secret's
// Value: one line, no spaces, and not the Secret ID (a GUID) that the portal
// shows beside it. The message never repeats the secret.
func ValidateClientSecret(v string) error {
	switch {
	case v == "":
		return errors.New("required: the client secret's Value from Certificates & secrets")
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return errors.New("contains spaces, line breaks or control characters: expected the secret's Value on one line")
	case guidPattern.MatchString(v):
		return errors.New("looks like the Secret ID (a GUID): expected the secret's Value, shown once next to it")
	}
	return nil
}

// ValidateAPIKey checks that v can be an IDM API key: one line, printable.
// The message never repeats the key.
func ValidateAPIKey(v string) error {
	switch {
	case v == "":
		return errors.New("required: the Salto IDM API key")
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return errors.New("contains spaces, line breaks or control characters: expected the key on one line")
	}
	return nil
}

// ReadSecretFile reads a secret from a file, dropping one trailing newline
// (LF or CRLF). An empty secret is an error. The error never holds the
// file's content, nor the path when no such file exists: that "path" may be
// the secret itself, given where a file name belongs.
func ReadSecretFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no file at the path given: expected the path of a file holding the secret, not the secret itself (%w)", fs.ErrNotExist)
	}
	if err != nil {
		return "", err
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("%s is empty: expected the secret on one line", path)
	}
	return v, nil
}

// MemoryStore is a SecretStore in memory, for the demo and unit tests.
type MemoryStore struct {
	mu      sync.Mutex
	secrets map[string]string
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{secrets: map[string]string{}} }

// Get implements SecretStore.
func (m *MemoryStore) Get(key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.secrets[key]
	if !ok {
		return "", fmt.Errorf("%q: %w", key, ErrSecretNotFound)
	}
	return v, nil
}

// Set implements SecretStore.
func (m *MemoryStore) Set(key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.secrets[key] = value
	return nil
}

// Delete implements SecretStore.
func (m *MemoryStore) Delete(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.secrets[key]; !ok {
		return fmt.Errorf("%q: %w", key, ErrSecretNotFound)
	}
	delete(m.secrets, key)
	return nil
}

var _ SecretStore = (*MemoryStore)(nil)
