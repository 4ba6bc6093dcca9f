package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"invitesync/config"
)

func TestValidateSample(t *testing.T) {
	if err := sampleConfig().Validate(); err != nil {
		t.Fatalf("sample is invalid: %v", err)
	}
}

// TestValidateMessages changes one field at a time and checks the exact
// message a person reads.
func TestValidateMessages(t *testing.T) {
	const auto = `automation "Front desk": `
	for _, tc := range []struct {
		name   string
		change func(c *config.Config)
		want   string
	}{
		{"idm url missing", func(c *config.Config) { c.IDM.URL = "" },
			`idm.url: required: expected the API base such as https://idm.example.com/api/v1`},
		{"idm url http", func(c *config.Config) { c.IDM.URL = "http://idm.example.com/api" },
			`idm.url: "http://idm.example.com/api" uses http: expected https (http is accepted only for loopback addresses)`},
		{"idm url not a url", func(c *config.Config) { c.IDM.URL = "idm.example.com" },
			`idm.url: not a URL with a scheme and host (not shown, in case it holds a password or key): expected the API base such as https://idm.example.com/api/v1`},
		{"idm url ftp", func(c *config.Config) { c.IDM.URL = "ftp://idm.example.com" },
			`idm.url: "ftp://idm.example.com" is not an http(s) URL: expected the API base such as https://idm.example.com/api/v1`},
		{"idm url credentials", func(c *config.Config) { c.IDM.URL = "https://admin:pw@idm.example.com" },
			`idm.url: contains a user name or password: expected none, the API key is kept with the secrets`},
		{"idm url query", func(c *config.Config) { c.IDM.URL = "https://idm.example.com/?key=1" },
			`idm.url: "https://idm.example.com/" has a query or fragment: expected the API base such as https://idm.example.com/api/v1`},
		{"name missing", func(c *config.Config) { c.Automations[0].Name = "" },
			`automation #1: name: required: a short name such as "Front desk"`},
		{"name spaces", func(c *config.Config) { c.Automations[0].Name = " Front desk" },
			`automation " Front desk": name: " Front desk" starts or ends with spaces: expected a name without them`},
		{"name control", func(c *config.Config) { c.Automations[0].Name = "Front\x1b[31mdesk" },
			`automation "Front\x1b[31mdesk": name: "Front\x1b[31mdesk" contains control characters: expected plain text`},
		{"name long", func(c *config.Config) { c.Automations[0].Name = strings.Repeat("n", 65) },
			`name: is 65 characters long: expected at most 64`},
		{"name duplicate", func(c *config.Config) {
			b := c.Automations[0]
			b.Name, b.Mailbox = "FRONT DESK", "other@contoso.com"
			c.Automations = append(c.Automations, b)
		}, `automation "FRONT DESK": name: "FRONT DESK" is already the name of automation "Front desk": names must be unique`},
		{"name gives the same secret variable", func(c *config.Config) {
			b := c.Automations[0]
			b.Name, b.Mailbox = "front-desk", "other@contoso.com"
			c.Automations = append(c.Automations, b)
		}, `automation "front-desk": name: "front-desk" gives the same secret variable INVITESYNC_CLIENT_SECRET_FRONT_DESK as automation "Front desk": choose a name that differs in letters or digits`},
		{"name gives another's file variable", func(c *config.Config) {
			b := c.Automations[0]
			b.Name, b.Mailbox = "File front desk", "other@contoso.com"
			c.Automations = append(c.Automations, b)
		}, `automation "File front desk": name: "File front desk" gives the same secret variable INVITESYNC_CLIENT_SECRET_FILE_FRONT_DESK as automation "Front desk": choose a name that differs in letters or digits`},
		{"mailbox watched twice", func(c *config.Config) {
			b := c.Automations[0]
			b.Name, b.Mailbox = "Back door", "Visitors@Contoso.com"
			c.Automations = append(c.Automations, b)
		}, `automation "Back door": mailbox: Visitors@Contoso.com is already watched by automation "Front desk": one mailbox, one automation (give each automation a dedicated mailbox, or edit "Front desk")`},
		{"id", func(c *config.Config) { c.ID = "a/b" },
			`id: "a/b" is not a configuration ID: expected 1 to 64 letters, digits, '.', '-' or '_' (it names this configuration's secrets in the OS keyring; delete the line to get a new one)`},
		{"environment control", func(c *config.Config) { c.Automations[0].Environment = "Prod\n" },
			auto + `environment: "Prod\n" contains control characters: expected plain text`},
		{"interval short", func(c *config.Config) { c.Automations[0].Interval = 10 * time.Second },
			auto + `interval: 10s is too short: expected at least 15s`},
		{"interval long", func(c *config.Config) { c.Automations[0].Interval = 25 * time.Hour },
			auto + `interval: 25h is too long: expected at most 24h`},
		{"protocol", func(c *config.Config) { c.Automations[0].Protocol = "imap" },
			auto + `protocol: "imap" is not supported: expected "outlook"`},
		{"mailbox missing", func(c *config.Config) { c.Automations[0].Mailbox = "" },
			auto + `mailbox: required: the address users will invite, such as visitors@contoso.com`},
		{"mailbox not an address", func(c *config.Config) { c.Automations[0].Mailbox = "visitors" },
			auto + `mailbox: "visitors" is not an email address: expected one such as visitors@contoso.com`},
		{"mailbox with name", func(c *config.Config) { c.Automations[0].Mailbox = "Visitors <visitors@contoso.com>" },
			auto + `mailbox: "Visitors <visitors@contoso.com>" is not a bare address: expected only the address, such as visitors@contoso.com`},
		{"mailbox bad domain", func(c *config.Config) { c.Automations[0].Mailbox = "visitors@localhost" },
			auto + `mailbox: "visitors@localhost": its domain "localhost" is not a domain: expected a name such as contoso.com`},
		{"time zone missing", func(c *config.Config) { c.Automations[0].TimeZone = "" },
			auto + `time_zone: required: an IANA time zone such as Europe/Berlin, or a Windows name such as "W. Europe Standard Time"`},
		{"time zone unknown", func(c *config.Config) { c.Automations[0].TimeZone = "Mars/Olympus" },
			auto + `time_zone: "Mars/Olympus" is not a known time zone: expected an IANA name such as Europe/Berlin, or a Windows name such as "W. Europe Standard Time"`},
		{"tenant not a guid", func(c *config.Config) { c.Automations[0].TenantID = "abc" },
			auto + `tenant_id: "abc" is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`},
		{"tenant missing", func(c *config.Config) { c.Automations[0].TenantID = "" },
			auto + `tenant_id: required: a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`},
		{"client zero guid", func(c *config.Config) { c.Automations[0].ClientID = "00000000-0000-0000-0000-000000000000" },
			auto + `client_id: the all-zero GUID is a placeholder: expected the real ID from the Azure portal`},
		{"client braces", func(c *config.Config) { c.Automations[0].ClientID = "{0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b}" },
			auto + `client_id: "{0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b}" is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`},
		{"enterprise object id", func(c *config.Config) { c.Automations[0].EnterpriseObjectID = "7d1c0f3e" },
			auto + `enterprise_object_id: "7d1c0f3e" is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`},
		{"app name control", func(c *config.Config) { c.Automations[0].AppName = "Salto\x00" },
			auto + `app_name: "Salto\x00" contains control characters: expected plain text`},
		{"internal domain with @", func(c *config.Config) { c.Automations[0].InternalDomains = []string{"contoso.com", "@contoso.de"} },
			auto + `internal_domains: entry 2: "@contoso.de" is not a domain: expected it without the @, such as contoso.de`},
		{"internal domain invalid", func(c *config.Config) { c.Automations[0].InternalDomains = []string{"contoso com"} },
			auto + `internal_domains: entry 1: "contoso com" is not a domain: expected a name such as contoso.com`},
		{"exclude not an address", func(c *config.Config) { c.Automations[0].Exclude = []string{"ceo"} },
			auto + `exclude: entry 1: "ceo" is not an email address: expected one such as visitors@contoso.com`},
		{"lookahead zero", func(c *config.Config) { c.Automations[0].LookAheadDays = 0 },
			auto + `lookahead_days: 0 days is out of range: expected 1 to 365`},
		{"lookahead long", func(c *config.Config) { c.Automations[0].LookAheadDays = 366 },
			auto + `lookahead_days: 366 days is out of range: expected 1 to 365`},
		{"day start format", func(c *config.Config) { c.Automations[0].DayStart = "8:00" },
			auto + `day_start: "8:00" is not a time of day: expected HH:MM between 00:00 and 23:59`},
		{"day end format", func(c *config.Config) { c.Automations[0].DayEnd = "24:00" },
			auto + `day_end: "24:00" is not a time of day: expected HH:MM between 00:00 and 23:59`},
		{"day order", func(c *config.Config) { c.Automations[0].DayStart, c.Automations[0].DayEnd = "18:00", "08:00" },
			auto + `day_end: "08:00" must be later than day_start "18:00"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleConfig()
			tc.change(c)
			err := c.Validate()
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("Validate() = %v; want exactly one field error", err)
			}
			if got := err.Error(); !strings.HasSuffix(got, tc.want) {
				t.Fatalf("message\n got %q\nwant %q", got, tc.want)
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) || fe.Message == "" || fe.Field == "" {
				t.Fatalf("errors.As(*FieldError) = %+v", fe)
			}
		})
	}
}

func TestValidateListsAllProblemsAtOnce(t *testing.T) {
	c := sampleConfig()
	a := &c.Automations[0]
	a.TenantID, a.ClientID, a.Mailbox, a.LookAheadDays = "x", "y", "z", 0
	var errs config.Errors
	if err := c.Validate(); !errors.As(err, &errs) {
		t.Fatalf("Validate() = %v", err)
	}
	var fields []string
	for _, fe := range errs {
		fields = append(fields, fe.Field)
	}
	if got := strings.Join(fields, ","); got != "mailbox,tenant_id,client_id,lookahead_days" {
		t.Fatalf("fields = %s", got)
	}
	if n := strings.Count(errs.Error(), "\n"); n != 3 {
		t.Fatalf("want one line per field, got:\n%v", errs)
	}
}

func TestValidateAcceptsLoopbackHTTP(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8443/api/v1", "http://localhost/api", "http://[::1]:9000", "https://idm.example.com"} {
		if err := config.ValidateIDMURL(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// A URL that is refused is never echoed with a secret it may hold: not
// when it does not parse, nor its user information, query or fragment.
func TestValidateIDMURLNeverEchoesASecret(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://admin:s3cret@idm example.com/api", "not a URL with a scheme and host"},
		{"https://idm.example.com/api\x7f?token=s3cret", "not a URL with a scheme and host"},
		{"https://idm.example.com/api%zz?key=s3cret", "not a URL with a scheme and host"},
		{"idm.example.com/api?token=s3cret", "not a URL with a scheme and host"},
		{"https:/admin:s3cret@idm.example.com/api", "not a URL with a scheme and host"},
		{"https:admin:s3cret@idm.example.com", "not a URL with a scheme and host"},
		{"//admin:s3cret@idm.example.com", "contains a user name or password"},
		{"https://admin:s3cret@idm.example.com/api", "contains a user name or password"},
		{"https://idm.example.com/api?key=s3cret", `"https://idm.example.com/api" has a query or fragment`},
		{"https://idm.example.com/api#s3cret", `"https://idm.example.com/api" has a query or fragment`},
		{"ftp://idm.example.com/api", `"ftp://idm.example.com/api" is not an http(s) URL`},
	} {
		err := config.ValidateIDMURL(tc.url)
		if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), tc.want) ||
			!strings.Contains(err.Error(), "expected") {
			t.Errorf("ValidateIDMURL(%q) = %v; want %q, what is expected and no secret", tc.url, err, tc.want)
		}
	}
}

func TestParseInterval(t *testing.T) {
	for in, want := range map[string]time.Duration{"5m": 5 * time.Minute, "5": 5 * time.Minute, " 1h30m ": 90 * time.Minute} {
		if got, err := config.ParseInterval(in); err != nil || got != want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := config.ParseInterval("often"); err == nil || err.Error() != `"often" is not a duration: expected minutes such as 5m or 1h` {
		t.Errorf("ParseInterval(often) error = %v", err)
	}
}

func TestSaveRefusesInvalidAndWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	c := sampleConfig()
	c.Automations[0].TenantID = "abc"
	err := config.Save(path, c)
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Save = %v, want field errors", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Save wrote a file for an invalid configuration (%v)", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
