package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"unicode"

	"invitesync/internal/text"
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

// Found is a secret's value and where it came from. It is never printed.
type Found struct {
	Value string
	From  string // the variable that gave it, or "keyring"
	// Trimmed names the white space removed from around a value given by
	// a file or a variable ("2 spaces and a tab"); "" when there was none
	// but a file's final line break.
	Trimmed string
}

// Note says, for the log or the terminal, what was removed from around the
// secret described by s; "" when nothing was. It never holds the value.
func (f Found) Note(s Secret) string {
	if f.Trimmed == "" {
		return ""
	}
	return fmt.Sprintf("%s from %s had %s around it, which was removed: a client secret or API key holds no white space",
		s.Label, f.From, f.Trimmed)
}

// Resolve returns the secret's value and where it came from: the
// environment (see FromEnvironment), else the store (from is "keyring").
// White space around a value from a file or variable is removed. Errors
// are *SecretError.
func (s Secret) Resolve(store SecretStore) (value, from string, err error) {
	f, err := s.Lookup(store)
	return f.Value, f.From, err
}

// Lookup is Resolve that also says what white space it removed (see
// Found.Note).
func (s Secret) Lookup(store SecretStore) (Found, error) {
	if f, err := s.Environment(); f.Value != "" || err != nil {
		return f, err
	}
	v, err := store.Get(s.Key)
	if err != nil {
		return Found{}, &SecretError{Secret: s, Err: err}
	}
	return Found{Value: v, From: "keyring"}, nil
}

// FromEnvironment returns the secret from the first variable set of
// OwnFileEnv, OwnEnv, FileEnv and Env (the _FILE ones name a file), and
// which one it used; "" when none is set. White space around the value is
// removed.
func (s Secret) FromEnvironment() (value, from string, err error) {
	f, err := s.Environment()
	return f.Value, f.From, err
}

// Environment is FromEnvironment that also says what white space it
// removed (see Found.Note).
func (s Secret) Environment() (Found, error) {
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
			secret, trimmed, err := ReadSecretFile(val)
			if err != nil {
				return Found{}, &SecretError{Secret: s, Err: fmt.Errorf("%s: %w", v.name, err)}
			}
			return Found{Value: secret, From: v.name, Trimmed: trimmed}, nil
		default:
			secret, trimmed := TrimSecret(val, false)
			if secret == "" {
				return Found{}, &SecretError{Secret: s, Err: fmt.Errorf("%s holds only white space: expected the secret", v.name)}
			}
			return Found{Value: secret, From: v.name, Trimmed: trimmed}, nil
		}
	}
	return Found{}, nil
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

// ReadSecretFile reads a secret from a file and removes the white space
// around it (see TrimSecret); trimmed names what was removed beyond one
// final line break. An empty secret is an error. The error never holds the
// file's content, nor the path when no such file exists: that "path" may
// be the secret itself, given where a file name belongs.
func ReadSecretFile(path string) (value, trimmed string, err error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("no file at the path given: expected the path of a file holding the secret, not the secret itself (%w)", fs.ErrNotExist)
	case errors.Is(err, syscall.ENAMETOOLONG):
		return "", "", fmt.Errorf("the path given is %d characters long, too long for a file name: expected the path of a file holding the secret", len(path))
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return "", "", fmt.Errorf("cannot read %s: %w", text.Quote(path), pe.Err)
	}
	if err != nil {
		return "", "", err
	}
	v, trimmed := TrimSecret(string(data), true)
	if v == "" {
		return "", "", fmt.Errorf("%s is empty: expected the secret on one line", text.Quote(path))
	}
	return v, trimmed, nil
}

// TrimSecret removes the white space around a secret, which an Entra
// client secret or an IDM API key never holds, and names what it removed:
// "2 spaces, a tab and 2 line breaks" (CRLF is one line break). A file's
// one final line break (LF or CRLF) is expected and not named.
func TrimSecret(v string, file bool) (value, trimmed string) {
	rest := strings.TrimLeftFunc(v, unicode.IsSpace)
	value = strings.TrimRightFunc(rest, unicode.IsSpace)
	lead, trail := v[:len(v)-len(rest)], rest[len(value):]
	if file {
		trail = strings.TrimSuffix(strings.TrimSuffix(trail, "\n"), "\r")
	}
	return value, describeSpace(lead + trail)
}

// describeSpace names the white space in s in words: "a space and a tab".
func describeSpace(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var spaces, tabs, breaks, other int
	for _, r := range s {
		switch r {
		case ' ':
			spaces++
		case '\t':
			tabs++
		case '\n', '\r':
			breaks++
		default:
			other++
		}
	}
	var parts []string
	for _, c := range []struct {
		n           int
		one, plural string
	}{{spaces, "a space", "spaces"}, {tabs, "a tab", "tabs"}, {breaks, "a line break", "line breaks"}, {other, "another white-space character", "other white-space characters"}} {
		switch {
		case c.n == 1:
			parts = append(parts, c.one)
		case c.n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.plural))
		}
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
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
