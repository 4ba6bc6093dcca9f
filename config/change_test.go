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

var planNow = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

const planIDMKey = "idm-key-0123456789"

// planEnv is a configuration path and its secrets in memory.
func planEnv(t *testing.T) (path string, secrets *config.Secrets, shared *config.MemoryStore) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "config.toml")
	shared = config.NewMemoryStore()
	secrets, _ = config.OpenSecrets(path, shared)
	return path, secrets, shared
}

// newChange is a complete new automation with both secrets given.
func newChange() config.Change {
	c := sampleConfig()
	return config.Change{Automation: c.Automations[0], IDM: c.IDM, ClientSecret: knownSecret, IDMAPIKey: planIDMKey}
}

// fieldsOf lists the fields an Errors names, in order.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v is not config.Errors", err)
	}
	var out []string
	for _, fe := range errs {
		out = append(out, fe.Field)
	}
	return out
}

// TestPlanChangeNeedsEveryFieldTheWizardNeeds takes one field away at a
// time from a new automation: each is refused, alone, by name.
func TestPlanChangeNeedsEveryFieldTheWizardNeeds(t *testing.T) {
	for _, tc := range []struct {
		field  string
		change func(*config.Change)
		want   string
	}{
		{"environment", func(c *config.Change) { c.Automation.Environment = "" }, "required: the Salto IDM environment"},
		{"mailbox", func(c *config.Change) { c.Automation.Mailbox = "" }, "required: the address users will invite"},
		{"time_zone", func(c *config.Change) { c.Automation.TimeZone = "" }, "required: an IANA time zone"},
		{"tenant_id", func(c *config.Change) { c.Automation.TenantID = "" }, "required: a GUID"},
		{"client_id", func(c *config.Change) { c.Automation.ClientID = "" }, "required: a GUID"},
		{config.FieldClientSecret, func(c *config.Change) { c.ClientSecret = "" }, "required: a new automation needs its client secret"},
		{"secret_expires", func(c *config.Change) { c.Automation.SecretExpires = config.Date{} }, "required (YYYY-MM-DD)"},
		{"secret_expires", func(c *config.Change) { c.Automation.SecretExpires = config.Date{Year: 2020, Month: 1, Day: 1} },
			"2020-01-01 has passed: this secret no longer works, create a new one"},
		{"idm.url", func(c *config.Change) { c.IDM.URL = "" }, "required: expected the API base"},
		{config.FieldIDMAPIKey, func(c *config.Change) { c.IDMAPIKey = "" }, "required: the first IDM connection needs its API key"},
		{config.FieldClientSecret, func(c *config.Change) { c.ClientSecret = "9b2c1f0e-1234-4abc-8def-0123456789ab" }, "looks like the Secret ID"},
	} {
		t.Run(tc.field+" "+tc.want, func(t *testing.T) {
			path, secrets, shared := planEnv(t)
			ch := newChange()
			tc.change(&ch)
			p, err := config.PlanChange(path, nil, secrets, ch, planNow)
			if p != nil || err == nil {
				t.Fatalf("PlanChange = %v, %v; want a refusal", p, err)
			}
			if got := fieldsOf(t, err); len(got) != 1 || got[0] != tc.field {
				t.Fatalf("fields %v, want only %s: %v", got, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("message %q lacks %q", err, tc.want)
			}
			if strings.Contains(err.Error(), knownSecret) || strings.Contains(err.Error(), planIDMKey) {
				t.Fatal("the message holds a secret")
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a file was written: %v", err)
			}
			if _, err := shared.Get(secrets.StoreKey(config.IDMAPIKeyKey)); err == nil {
				t.Fatal("a secret was stored")
			}
		})
	}
}

// TestPlanChangeCommitsUnderTheConfigurationsID: a complete automation is
// stored under the configuration's own keyring items, and the file records
// their ID.
func TestPlanChangeCommitsUnderTheConfigurationsID(t *testing.T) {
	path, secrets, shared := planEnv(t)
	p, err := config.PlanChange(path, nil, secrets, newChange(), planNow)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Created || p.ClientSecret != knownSecret || p.IDMAPIKey != planIDMKey || len(p.Notes) != 0 {
		t.Fatalf("plan %+v", p)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != secrets.ID() || c.ID != config.PathID(path) {
		t.Fatalf("saved ID %q, secrets under %q", c.ID, secrets.ID())
	}
	for key, want := range map[string]string{
		c.ID + "/client-secret/Front desk": knownSecret, c.ID + "/idm-api-key": planIDMKey,
	} {
		if v, err := shared.Get(key); v != want || err != nil {
			t.Errorf("%s = %q, %v", key, v, err)
		}
	}
	for _, machineWide := range []string{"client-secret/Front desk", "idm-api-key"} {
		if _, err := shared.Get(machineWide); err == nil {
			t.Errorf("%s was written", machineWide)
		}
	}
}

// TestPlanChangeEdits: an edit changes one field and keeps the stored
// secrets, saying which; the result must still be complete; a second
// automation on the same mailbox is refused with its owner's name; a
// rename moves the client secret.
func TestPlanChangeEdits(t *testing.T) {
	path, secrets, _ := planEnv(t)
	p, err := config.PlanChange(path, nil, secrets, newChange(), planNow)
	if err != nil || p.Commit() != nil {
		t.Fatal(err)
	}
	cur, _ := config.Load(path)
	edit := config.Change{Automation: cur.Automations[0], IDM: cur.IDM, Editing: "Front desk"}
	edit.Automation.Interval = 10 * time.Minute
	p, err = config.PlanChange(path, cur, secrets, edit, planNow)
	if err != nil {
		t.Fatal(err)
	}
	if p.Created || p.ClientSecret != knownSecret || p.IDMAPIKey != planIDMKey || len(p.ToStore()) != 0 {
		t.Fatalf("edit plan %+v", p)
	}
	wantNotes := []string{
		`The client secret of automation "Front desk": not given, so the one stored in the OS keyring (item "` + secrets.ID() + `/client-secret/Front desk") is kept`,
		`The Salto IDM API key: not given, so the one stored in the OS keyring (item "` + secrets.ID() + `/idm-api-key") is kept`,
	}
	if strings.Join(p.Notes, "\n") != strings.Join(wantNotes, "\n") {
		t.Errorf("notes\n%s\nwant\n%s", strings.Join(p.Notes, "\n"), strings.Join(wantNotes, "\n"))
	}

	incomplete := edit
	incomplete.Automation.Environment = ""
	if _, err := config.PlanChange(path, cur, secrets, incomplete, planNow); err == nil || fieldsOf(t, err)[0] != "environment" {
		t.Errorf("an edit that empties the environment: %v", err)
	}

	second := newChange()
	second.Automation.Name = "Back door"
	second.IDMAPIKey = ""
	_, err = config.PlanChange(path, cur, secrets, second, planNow)
	if err == nil || !strings.Contains(err.Error(), `automation "Back door": mailbox: visitors@contoso.com is already watched by automation "Front desk"`) {
		t.Errorf("a second automation on the mailbox: %v", err)
	}

	renamed := edit
	renamed.Automation.Name = "Reception"
	p, err = config.PlanChange(path, cur, secrets, renamed, planNow)
	if err != nil || p.Commit() != nil {
		t.Fatal(err)
	}
	if v, _ := secrets.Get(config.ClientSecretKey("Reception")); v != knownSecret {
		t.Error("the secret did not move to the new name")
	}
	if _, err := secrets.Get(config.ClientSecretKey("Front desk")); !errors.Is(err, config.ErrSecretNotFound) {
		t.Errorf("the old name's secret is still stored: %v", err)
	}
	after, _ := config.Load(path)
	if len(after.Automations) != 1 || after.Automations[0].Name != "Reception" || after.Automations[0].Interval != 10*time.Minute {
		t.Errorf("after the rename: %+v", after.Automations)
	}

	// A stored secret that has gone is not silently missing.
	secrets.Delete(config.ClientSecretKey("Reception"))
	edit = config.Change{Automation: after.Automations[0], IDM: after.IDM, Editing: "Reception"}
	_, err = config.PlanChange(path, after, secrets, edit, planNow)
	if err == nil || !strings.Contains(err.Error(), `client_secret: required: the client secret of automation "Reception" is not stored`) {
		t.Errorf("an edit without a stored secret: %v", err)
	}
}

// TestPlanChangeRefusesSecretsOfAnotherConfiguration: secrets opened for one
// configuration cannot save another that records a different ID.
func TestPlanChangeRefusesSecretsOfAnotherConfiguration(t *testing.T) {
	path, _, shared := planEnv(t)
	cur := sampleConfig()
	cur.ID = "staging"
	other := config.NewSecrets(shared, "production")
	if _, err := config.PlanChange(path, cur, other, newChange(), planNow); err == nil || !strings.Contains(err.Error(), `records the id "staging"`) {
		t.Fatalf("PlanChange = %v", err)
	}
}
