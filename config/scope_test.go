package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"invitesync/config"
	"invitesync/internal/keyringtest"
)

// TestTwoConfigurationsNeverShareASecret: two files with the same
// automation name and different IDM connections keep apart secrets in one
// store.
func TestTwoConfigurationsNeverShareASecret(t *testing.T) {
	shared := config.NewMemoryStore()
	var paths []string
	for i, key := range []string{"production-key", "staging-key"} {
		path := filepath.Join(t.TempDir(), "config.toml")
		paths = append(paths, path)
		secrets, notes := config.OpenSecrets(path, shared)
		if len(notes) != 0 {
			t.Fatalf("notes for a new file: %v", notes)
		}
		ch := newChange()
		ch.IDMAPIKey, ch.ClientSecret = key, knownSecret+string(rune('a'+i))
		ch.IDM.URL = []string{"https://idm.example.com/api/v1", "https://staging.idm.example.com/api/v1"}[i]
		p, err := config.PlanChange(path, nil, secrets, ch, planNow)
		if err != nil || p.Commit() != nil {
			t.Fatal(err)
		}
	}
	for i, path := range paths {
		secrets, _ := config.OpenSecrets(path, shared)
		if v, _, err := config.IDMAPIKey().Resolve(secrets); err != nil || v != []string{"production-key", "staging-key"}[i] {
			t.Errorf("%s: IDM key %q, %v", path, v, err)
		}
		if v, _ := secrets.Get(config.ClientSecretKey("Front desk")); v != knownSecret+string(rune('a'+i)) {
			t.Errorf("%s: client secret of the other configuration", path)
		}
	}
}

// TestOpenSecretsUsesTheRecordedID: a file keeps its ID wherever it is
// moved; a file without one gets the ID its path gives, which Save writes.
func TestOpenSecretsUsesTheRecordedID(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if s, _ := config.OpenSecrets(path, config.NewMemoryStore()); s.ID() != config.PathID(path) {
		t.Fatalf("no file: ID %q, want %q", s.ID(), config.PathID(path))
	}
	c := sampleConfig()
	if err := config.Save(path, c); err != nil {
		t.Fatal(err)
	}
	if c.ID != "" {
		t.Fatal("Save changed the caller's configuration")
	}
	moved := filepath.Join(dir, "moved.toml")
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	if s, _ := config.OpenSecrets(moved, config.NewMemoryStore()); s.ID() != config.PathID(path) {
		t.Fatalf("moved file: ID %q, want the recorded %q", s.ID(), config.PathID(path))
	}
	// Saving it again, even from a configuration without an ID, keeps it.
	if err := config.Save(moved, sampleConfig()); err != nil {
		t.Fatal(err)
	}
	if again, _ := config.Load(moved); again.ID != config.PathID(path) {
		t.Fatalf("re-saved ID %q", again.ID)
	}
}

// TestOpenSecretsAdoptsMachineWideItems runs against the real keyring: the
// items every configuration used to share are copied to the configuration's
// own, once, with a line saying so; afterwards the old ones are not read.
func TestOpenSecretsAdoptsMachineWideItems(t *testing.T) {
	keyringtest.Require(t)
	t.Setenv(config.EnvClientSecret, "")
	t.Setenv(config.EnvClientSecretFile, "")
	t.Setenv(config.EnvIDMAPIKey, "")
	t.Setenv(config.EnvIDMAPIKeyFile, "")
	kr := config.NewKeyring()
	old := map[string]string{"idm-api-key": "old-idm-key", "client-secret/Front desk": knownSecret}
	for k, v := range old {
		if err := kr.Set(k, v); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { kr.Delete(k) })
	}
	// A file written before configurations had IDs.
	path := filepath.Join(t.TempDir(), "config.toml")
	c := sampleConfig()
	second := c.Automations[0]
	second.Name, second.Mailbox = "Warehouse", "warehouse@contoso.com" // nothing stored for it
	c.Automations = append(c.Automations, second)
	if err := config.Save(path, c); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	legacy := strings.Replace(string(data), `id = "`+config.PathID(path)+`"`+"\n", "", 1)
	if legacy == string(data) {
		t.Fatalf("no id line in:\n%s", data)
	}
	os.WriteFile(path, []byte(legacy), 0o600)
	t.Cleanup(func() {
		s := config.NewSecrets(kr, config.PathID(path))
		s.Delete(config.IDMAPIKeyKey)
		s.Delete(config.ClientSecretKey("Front desk"))
	})

	s, notes := config.OpenSecrets(path, kr)
	want := []string{
		`The Salto IDM API key now has its own keyring item "` + s.ID() + `/idm-api-key", copied from the machine-wide "idm-api-key", which this configuration no longer uses (remove it once no other configuration does)`,
		`The client secret of automation "Front desk" now has its own keyring item "` + s.ID() + `/client-secret/Front desk", copied from the machine-wide "client-secret/Front desk", which this configuration no longer uses (remove it once no other configuration does)`,
	}
	if strings.Join(notes, "\n") != strings.Join(want, "\n") {
		t.Fatalf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
	if _, notes := config.OpenSecrets(path, kr); len(notes) != 0 {
		t.Fatalf("a second opening copies again: %v", notes)
	}
	// The old items no longer count for this configuration.
	if err := kr.Set("idm-api-key", "changed-by-another-configuration"); err != nil {
		t.Fatal(err)
	}
	if err := kr.Delete("client-secret/Front desk"); err != nil {
		t.Fatal(err)
	}
	s, _ = config.OpenSecrets(path, kr)
	if v, _, err := config.IDMAPIKey().Resolve(s); v != "old-idm-key" || err != nil {
		t.Errorf("IDM key after the migration: %q, %v", v, err)
	}
	if v, _, err := config.ClientSecret("Front desk").Resolve(s); v != knownSecret || err != nil {
		t.Errorf("client secret after the migration: %v", err)
	}
	if _, err := s.Get(config.ClientSecretKey("Warehouse")); !errors.Is(err, config.ErrSecretNotFound) {
		t.Errorf("Warehouse: %v", err)
	}
	// The first save writes the ID the items are under.
	cur, _ := config.Read(path)
	if err := config.Save(path, cur); err != nil {
		t.Fatal(err)
	}
	if saved, _ := config.Load(path); saved.ID != s.ID() {
		t.Errorf("saved ID %q, items under %q", saved.ID, s.ID())
	}
}

// TestOpenSecretsLeavesSecretsTheEnvironmentGives: a service that gets its
// secrets from variables does not copy keyring items it never reads.
func TestOpenSecretsLeavesSecretsTheEnvironmentGives(t *testing.T) {
	shared := config.NewMemoryStore()
	shared.Set("idm-api-key", "old")
	shared.Set("client-secret/Front desk", knownSecret)
	t.Setenv(config.EnvIDMAPIKey, "from-env")
	t.Setenv("INVITESYNC_CLIENT_SECRET_FRONT_DESK", knownSecret)
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := config.Overwrite(path, sampleConfig()); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), `id = "`+config.PathID(path)+`"`, "", 1)), 0o600)
	s, notes := config.OpenSecrets(path, shared)
	if len(notes) != 0 {
		t.Fatalf("notes: %v", notes)
	}
	if _, err := shared.Get(s.StoreKey(config.IDMAPIKeyKey)); err == nil {
		t.Fatal("copied a secret the environment gives")
	}
}
