package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"invitesync/config"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "invitesync", "config.toml")
	want := sampleConfig()
	second := config.NewAutomation("Back office")
	second.Enabled = false
	second.Replies = false
	second.Interval = 90 * time.Second
	second.Mailbox = "backoffice@fabrikam.com"
	second.TimeZone = "America/New_York"
	second.TenantID = "11111111-2222-4333-8444-555555555555"
	second.ClientID = "66666666-7777-4888-9999-aaaaaaaaaaaa"
	second.LookAheadDays = 365
	second.DayStart, second.DayEnd = "00:00", "23:59"
	want.Upsert(second)

	if err := config.Save(path, want); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := config.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	// The first save writes the ID the file's path gives.
	if got.ID != config.PathID(path) || got.ID == "" {
		t.Fatalf("saved ID %q, want %q", got.ID, config.PathID(path))
	}
	want.ID = got.ID
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the configuration:\n got %+v\nwant %+v", got, want)
	}
	// Saving what was loaded writes the same bytes: nothing drifts.
	first, _ := os.ReadFile(path)
	if err := config.Save(path, got); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(path)
	if string(first) != string(again) {
		t.Fatalf("second save differs:\n%s\n---\n%s", first, again)
	}
}

func TestSavePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "invitesync")
	path := filepath.Join(dir, "config.toml")
	if err := config.Save(path, sampleConfig()); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700 | os.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
}

func TestDefaultsForAbsentKeys(t *testing.T) {
	path := writeFile(t, `
[idm]
url = "https://idm.example.com/api/v1"

[[automation]]
name = "Front desk"
mailbox = "visitors@contoso.com"
time_zone = "Europe/Madrid"
tenant_id = "3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"
client_id = "0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b"

[[automation]]
name = "Quiet"
enabled = false
replies = false
interval = "15m"
mailbox = "quiet@fabrikam.com"
time_zone = "Europe/Madrid"
tenant_id = "3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"
client_id = "0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b"
secret_expires = 2027-01-15
`)
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Automations[0]
	want := config.NewAutomation("Front desk")
	want.Mailbox, want.TimeZone = a.Mailbox, a.TimeZone
	want.TenantID, want.ClientID = a.TenantID, a.ClientID
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", a, want)
	}
	if got := a.Internal(); !reflect.DeepEqual(got, []string{"contoso.com"}) {
		t.Errorf("Internal() = %v, want the mailbox's domain", got)
	}
	q := c.Automations[1]
	if q.Enabled || q.Replies || q.Interval != 15*time.Minute {
		t.Errorf("written values lost: enabled=%v replies=%v interval=%v", q.Enabled, q.Replies, q.Interval)
	}
	if q.SecretExpires != (config.Date{Year: 2027, Month: time.January, Day: 15}) {
		t.Errorf("a bare TOML date: secret_expires = %v", q.SecretExpires)
	}
}

func TestInternalDomainsWhenSet(t *testing.T) {
	a := config.NewAutomation("x")
	a.Mailbox = "visitors@contoso.com"
	a.InternalDomains = []string{"Contoso.COM", "contoso.de"}
	if got := a.Internal(); !reflect.DeepEqual(got, []string{"contoso.com", "contoso.de"}) {
		t.Fatalf("Internal() = %v", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.toml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want os.ErrNotExist", err)
	}
	if errors.Is(err, config.ErrCorrupt) {
		t.Fatal("a missing file is not a corrupt one")
	}
}

func TestLoadDirectoryOrUnreadable(t *testing.T) {
	dir := t.TempDir()
	_, err := config.Load(dir)
	if err == nil || !strings.Contains(err.Error(), dir+" is a directory: expected the path of the configuration file, such as "+filepath.Join(dir, "config.toml")) {
		t.Fatalf("Load(directory) = %v", err)
	}
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a directory reads as a missing file: %v", err)
	}
	if _, err := config.Load(filepath.Join(dir, "nope.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing file: %v, want os.ErrNotExist", err)
	}
}

func TestLoadBrokenFileNamesTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		want       string
	}{
		{"syntax", "[idm]\nurl = \"https://idm.example.com\"\n\n[[automation]]\nname = \"Front desk\nmailbox = \"x@y.z\"\n", 5, "strings cannot contain newlines"},
		{"wrong type", "[[automation]]\nname = \"Front desk\"\nlookahead_days = \"thirty\"\n", 3, "incompatible types"},
		{"bad duration", "[[automation]]\nname = \"Front desk\"\n\ninterval = \"often\"\n", 4, "often"},
		{"bad date", "[[automation]]\nname = \"Front desk\"\nsecret_expires = \"31/05/2027\"\n", 3, "expected YYYY-MM-DD"},
		{"unknown key", "[idm]\nurl = \"https://idm.example.com\"\n\n[[automation]]\nname = \"Front desk\"\ncolour = \"blue\"\n", 6, `unknown key "automation.colour"`},
		{"unknown table", "[idm]\nurl = \"https://idm.example.com\"\n[proxy]\nhost = \"p\"\n", 3, `unknown key "proxy"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.text)
			_, err := config.Load(path)
			var fe *config.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a *FileError", err, err)
			}
			if !errors.Is(err, config.ErrCorrupt) {
				t.Error("not ErrCorrupt")
			}
			if fe.Line != tc.line {
				t.Errorf("line = %d, want %d (%v)", fe.Line, tc.line, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+":") || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q: want the path and %q", msg, tc.want)
			}
		})
	}
}

func TestLoadReportsEveryUnknownKey(t *testing.T) {
	path := writeFile(t, "[idm]\nurl = \"https://idm.example.com\"\nproxy = \"x\"\n[[automation]]\nname = \"a\"\ncolour = \"blue\"\n")
	_, err := config.Load(path)
	for _, want := range []string{path + `:3: unknown key "idm.proxy"`, path + `:6: unknown key "automation.colour"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v; want it to contain %q", err, want)
		}
	}
}

func TestLoadNormalisesWindowsTimeZone(t *testing.T) {
	c := sampleConfig()
	c.Automations[0].TimeZone = "W. Europe Standard Time"
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := config.Save(path, c); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), `time_zone = "Europe/Berlin"`) {
		t.Errorf("the file does not hold the IANA name:\n%s", data)
	}
	if c.Automations[0].TimeZone != "W. Europe Standard Time" {
		t.Error("Save changed the caller's configuration")
	}
	// A hand-written Windows name is normalised on load.
	os.WriteFile(path, []byte(strings.Replace(string(must(os.ReadFile(path))), "Europe/Berlin", "Romance Standard Time", 1)), 0o600)
	got, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if tz := got.Automations[0].TimeZone; tz != "Europe/Paris" {
		t.Fatalf("time_zone = %q, want Europe/Paris", tz)
	}
	if loc := got.Automations[0].Location(); loc.String() != "Europe/Paris" {
		t.Fatalf("Location() = %v", loc)
	}
}

func TestLoadInvalidFieldsListsEach(t *testing.T) {
	c := sampleConfig()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := config.Save(path, c); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	text := strings.Replace(string(data), c.Automations[0].TenantID, "abc", 1)
	text = strings.Replace(text, `"visitors@contoso.com"`, `"Visitors <visitors@contoso.com>"`, 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path)
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("err = %v, want two field errors", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("%q does not name the file", err)
	}
	// Read still returns it, for an editor to fix.
	got, err := config.Read(path)
	if err != nil || got.Automations[0].TenantID != "abc" {
		t.Fatalf("Read = %+v, %v", got, err)
	}
}

func TestAutomationAndUpsert(t *testing.T) {
	c := sampleConfig()
	a, ok := c.Automation("Front desk")
	if !ok {
		t.Fatal("Front desk not found")
	}
	a.Environment = "Staging"
	if c.Automations[0].Environment != "Staging" {
		t.Error("Automation does not point into the configuration")
	}
	if _, ok := c.Automation("front desk"); ok {
		t.Error("names are matched exactly")
	}
	edited := c.Automations[0]
	edited.LookAheadDays = 7
	c.Upsert(edited)
	c.Upsert(config.NewAutomation("Second"))
	if len(c.Automations) != 2 || c.Automations[0].LookAheadDays != 7 || c.Automations[1].Name != "Second" {
		t.Fatalf("after Upsert: %+v", c.Automations)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
