package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"invitesync/config"
)

const knownSecret = "Xq8~kT3.vNw_7Lr2-Hs9pQz4YbC6mJd1Fg0eRt5U"

func TestMemoryStore(t *testing.T) {
	s := config.NewMemoryStore()
	if _, err := s.Get("a"); !errors.Is(err, config.ErrSecretNotFound) {
		t.Fatalf("Get on empty store: %v", err)
	}
	s.Set("a", "one")
	s.Set("a", "two")
	if v, err := s.Get("a"); v != "two" || err != nil {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("a"); !errors.Is(err, config.ErrSecretNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
}

func TestKeysAreDistinct(t *testing.T) {
	keys := map[string]bool{config.IDMAPIKeyKey: true}
	for _, name := range []string{"Front desk", "Back office", "idm-api-key"} {
		k := config.ClientSecretKey(name)
		if keys[k] {
			t.Fatalf("key %q used twice", k)
		}
		keys[k] = true
	}
}

func TestResolvePrefersEnvironment(t *testing.T) {
	store := config.NewMemoryStore()
	store.Set(config.ClientSecretKey("Front desk"), "from-store")
	secret := config.ClientSecret("Front desk")

	t.Setenv(config.EnvClientSecret, "")
	t.Setenv(config.EnvClientSecretFile, "")
	if v, from, err := secret.Resolve(store); v != "from-store" || from != "keyring" || err != nil {
		t.Fatalf("no variables: %q from %q, %v", v, from, err)
	}

	t.Setenv(config.EnvClientSecret, "from-env")
	if v, from, err := secret.Resolve(store); v != "from-env" || from != config.EnvClientSecret || err != nil {
		t.Fatalf("variable set: %q from %q, %v", v, from, err)
	}

	file := filepath.Join(t.TempDir(), "client-secret")
	os.WriteFile(file, []byte(knownSecret+"\r\n"), 0o600)
	t.Setenv(config.EnvClientSecretFile, file)
	if v, from, err := secret.Resolve(store); v != knownSecret || from != config.EnvClientSecretFile || err != nil {
		t.Fatalf("file set: %q from %q, %v", v, from, err)
	}

	// The IDM key has its own variables.
	t.Setenv(config.EnvIDMAPIKey, "idm-key")
	if v, _, err := config.IDMAPIKey().Resolve(store); v != "idm-key" || err != nil {
		t.Fatalf("IDM key = %q, %v", v, err)
	}
}

// TestResolvePerAutomationVariables: INVITESYNC_CLIENT_SECRET(_FILE)_<NAME>
// gives one automation its own secret and wins over the shared variables;
// another automation keeps reading the shared ones.
func TestResolvePerAutomationVariables(t *testing.T) {
	store := config.NewMemoryStore()
	file := filepath.Join(t.TempDir(), "warehouse-secret")
	os.WriteFile(file, []byte("from-warehouse-file\n"), 0o600)
	t.Setenv(config.EnvClientSecret, "shared")
	t.Setenv(config.EnvClientSecretFile, "")
	t.Setenv("INVITESYNC_CLIENT_SECRET_FRONT_DESK", "front-desk-own")
	t.Setenv("INVITESYNC_CLIENT_SECRET_FILE_WAREHOUSE_GATE_2", file)
	for name, want := range map[string][2]string{
		"Front desk":       {"front-desk-own", "INVITESYNC_CLIENT_SECRET_FRONT_DESK"},
		"Warehouse gate 2": {"from-warehouse-file", "INVITESYNC_CLIENT_SECRET_FILE_WAREHOUSE_GATE_2"},
		"Back office":      {"shared", config.EnvClientSecret},
	} {
		v, from, err := config.ClientSecret(name).Resolve(store)
		if v != want[0] || from != want[1] || err != nil {
			t.Errorf("%s: %q from %s, %v; want %q from %s", name, v, from, err, want[0], want[1])
		}
	}
	if got := config.EnvName("Empfang München/Süd"); got != "EMPFANG_M_NCHEN_S_D" {
		t.Errorf("EnvName = %q", got)
	}
	// An automation called "File" would read the shared file variable as
	// its value: only its _FILE_ variable is its own.
	if s := config.ClientSecret("File"); s.OwnEnv != "" || s.OwnFileEnv != "INVITESYNC_CLIENT_SECRET_FILE_FILE" {
		t.Errorf("automation File: %+v", s)
	}
}

func TestResolveFileErrorsHideTheSecret(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	for name, path := range map[string]string{"missing": filepath.Join(dir, "nope"), "empty": empty} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(config.EnvIDMAPIKeyFile, path)
			_, _, err := config.IDMAPIKey().Resolve(config.NewMemoryStore())
			var se *config.SecretError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
			for _, want := range []string{"the Salto IDM API key", config.EnvIDMAPIKeyFile} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q lacks %q", err, want)
				}
			}
			// An existing file's path is shown; a missing one's is not (below).
			if name == "empty" && !strings.Contains(err.Error(), path) {
				t.Errorf("%q lacks the path %q", err, path)
			}
		})
	}
}

// TestSecretPastedAsPathIsNotRepeated: a secret given where a file name
// belongs (INVITESYNC_CLIENT_SECRET_FILE=<the secret>, or --client-secret-file
// <the secret>) names no file; the error says what is expected without
// repeating what was given.
func TestSecretPastedAsPathIsNotRepeated(t *testing.T) {
	t.Setenv(config.EnvClientSecretFile, knownSecret)
	_, _, err := config.ClientSecret("Front desk").Resolve(config.NewMemoryStore())
	if err == nil {
		t.Fatal("no error for a missing file")
	}
	if strings.Contains(err.Error(), knownSecret) {
		t.Fatalf("the error repeats the secret: %v", err)
	}
	for _, want := range []string{config.EnvClientSecretFile, "no file at the path given: expected the path of a file holding the secret"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v does not match fs.ErrNotExist", err)
	}
	if _, _, err := config.ReadSecretFile(knownSecret); err == nil || strings.Contains(err.Error(), knownSecret) {
		t.Errorf("ReadSecretFile(secret) = %v", err)
	}
}

func TestResolveNotFoundSaysHowToSetIt(t *testing.T) {
	t.Setenv(config.EnvClientSecret, "")
	t.Setenv(config.EnvClientSecretFile, "")
	_, _, err := config.ClientSecret("Front desk").Resolve(config.NewMemoryStore())
	if !errors.Is(err, config.ErrSecretNotFound) {
		t.Fatalf("err = %v", err)
	}
	want := `the client secret of automation "Front desk" is not in the keyring: store it with ` +
		`"invitesync setup --no-input --name \"Front desk\" --client-secret-file PATH", ` +
		`or set INVITESYNC_CLIENT_SECRET_FILE_FRONT_DESK to a file holding it (or INVITESYNC_CLIENT_SECRET_FRONT_DESK to the value, ` +
		`or INVITESYNC_CLIENT_SECRET_FILE or INVITESYNC_CLIENT_SECRET for every automation)`
	if err.Error() != want {
		t.Fatalf("message\n got %s\nwant %s", err, want)
	}
}

// TestSecretWhiteSpaceIsTrimmed: white space around a secret in a file or
// a variable is removed for both secrets, and the note names it without
// the value; a file's one final line break goes without a note.
func TestSecretWhiteSpaceIsTrimmed(t *testing.T) {
	const v = "Abc8Q~secret.value"
	tests := []struct {
		name, content, trimmed string
	}{
		{"plain", v, ""},
		{"final LF", v + "\n", ""},
		{"final CRLF", v + "\r\n", ""},
		{"two final LFs", v + "\n\n", "a line break"},
		{"two final CRLFs", v + "\r\n\r\n", "a line break"},
		{"spaces around", "  " + v + " \n", "3 spaces"},
		{"a tab before", "\t" + v + "\n", "a tab"},
		{"everything", " \t\r\n" + v + "\t \r\n\r\n", "2 spaces, 2 tabs and 2 line breaks"},
		{"no-break space", "\u00a0" + v, "another white-space character"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "secret")
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, trimmed, err := config.ReadSecretFile(p)
			if got != v || trimmed != tt.trimmed || err != nil {
				t.Errorf("ReadSecretFile = %q, %q, %v; want %q, %q", got, trimmed, err, v, tt.trimmed)
			}
			for _, secret := range []config.Secret{config.ClientSecret("Front desk"), config.IDMAPIKey()} {
				for _, name := range []string{secret.Env, secret.OwnEnv, secret.OwnFileEnv} {
					if name != "" {
						t.Setenv(name, "")
					}
				}
				t.Setenv(secret.FileEnv, p)
				f, err := secret.Lookup(config.NewMemoryStore())
				if err != nil || f.Value != v || f.From != secret.FileEnv || f.Trimmed != tt.trimmed {
					t.Errorf("%s from a file: %+v, %v", secret.Label, f.Trimmed, err)
				}
				note := f.Note(secret)
				if (note == "") != (tt.trimmed == "") || strings.Contains(note, v) {
					t.Errorf("note %q", note)
				}
				if tt.trimmed != "" && (!strings.Contains(note, tt.trimmed) || !strings.Contains(note, secret.FileEnv)) {
					t.Errorf("note %q does not name %q and %s", note, tt.trimmed, secret.FileEnv)
				}
				// The same content in the variable itself; only a file's
				// final line break goes without a note.
				t.Setenv(secret.FileEnv, "")
				t.Setenv(secret.Env, tt.content)
				f, err = secret.Lookup(config.NewMemoryStore())
				if err != nil || f.Value != v || f.From != secret.Env || (f.Trimmed == "") != (strings.TrimSpace(tt.content) == tt.content) {
					t.Errorf("%s from a variable: trimmed %q, %v", secret.Label, f.Trimmed, err)
				}
			}
		})
	}
	t.Run("only white space", func(t *testing.T) {
		p := filepath.Join(dir, "blank")
		os.WriteFile(p, []byte(" \t\r\n"), 0o600)
		if _, _, err := config.ReadSecretFile(p); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("ReadSecretFile(blank) = %v", err)
		}
		t.Setenv(config.EnvIDMAPIKeyFile, "")
		t.Setenv(config.EnvIDMAPIKey, " \t ")
		if _, err := config.IDMAPIKey().Lookup(config.NewMemoryStore()); err == nil || !strings.Contains(err.Error(), "only white space") {
			t.Errorf("a blank variable: %v", err)
		}
	})
}

func TestValidateClientSecret(t *testing.T) {
	if err := config.ValidateClientSecret(knownSecret); err != nil {
		t.Fatalf("a real-looking secret: %v", err)
	}
	for in, want := range map[string]string{
		"":                                     "required: the client secret's Value from Certificates & secrets",
		"abc def":                              "contains spaces, line breaks or control characters: expected the secret's Value on one line",
		"9b2c1f0e-1234-4abc-8def-0123456789ab": "looks like the Secret ID (a GUID): expected the secret's Value, shown once next to it",
	} {
		err := config.ValidateClientSecret(in)
		if err == nil || err.Error() != want {
			t.Errorf("ValidateClientSecret(%q) = %v; want %q", in, err, want)
		}
		if in != "" && err != nil && strings.Contains(err.Error(), in) {
			t.Errorf("the message repeats the secret: %v", err)
		}
	}
	if err := config.ValidateAPIKey("key with\nnewline"); err == nil || strings.Contains(err.Error(), "newline") {
		t.Errorf("ValidateAPIKey = %v", err)
	}
}
