package setup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/internal/keyringtest"
)

func TestMain(m *testing.M) { os.Exit(keyringtest.Main(m)) }

const (
	tenant = "3f9a2c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"
	client = "0e9f8a7b-6c5d-4e3f-2a1b-0c9d8e7f6a5b"
	secret = "Xq8~kT3.vNw_7Lr2-Hs9pQz4YbC6mJd1Fg0eRt5U"
	apiKey = "idm-7f3c9a1e5b2d8f4a6c0e9b1d3f5a7c9e"
)

var today = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

func request(t *testing.T) Request {
	t.Helper()
	keyringtest.Require(t)
	path := filepath.Join(t.TempDir(), "config.toml")
	secrets, _ := config.OpenSecrets(path, config.NewKeyring())
	a := config.NewAutomation("Front desk")
	a.Environment, a.Mailbox, a.TimeZone = "Production", "visitors@contoso.com", "Europe/Berlin"
	a.TenantID, a.ClientID, a.EnterpriseObjectID = tenant, client, "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
	a.SecretExpires = config.Date{Year: 2027, Month: 5, Day: 31}
	return Request{ConfigPath: path, Secrets: secrets, Now: today, Change: config.Change{
		Automation: a, IDM: config.IDM{URL: "https://idm.example.com/api/v1"}, ClientSecret: secret, IDMAPIKey: apiKey}}
}

func pass(context.Context, *config.Plan) []diag.Result {
	return []diag.Result{{ID: "token", OK: true}, {ID: "idm-health", OK: true, Warning: true}}
}

// A passing test is told before the secrets are stored and the file is
// written; the automation is then in the file and its secrets in the store.
func TestSaveTestsThenStoresAndWrites(t *testing.T) {
	req := request(t)
	var wroteBeforeTested bool
	req.Test = func(ctx context.Context, p *config.Plan) []diag.Result {
		if p.ClientSecret != secret || p.IDMAPIKey != apiKey {
			t.Errorf("the test got other secrets than it would save")
		}
		return pass(ctx, p)
	}
	req.Tested = func() {
		_, err := os.Stat(req.ConfigPath)
		wroteBeforeTested = err == nil
	}
	p, results, err := Save(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if wroteBeforeTested {
		t.Error("the file was written before the test passed")
	}
	if len(results) != 2 || p.Automation.Name != "Front desk" {
		t.Errorf("results %v, plan %+v", results, p)
	}
	c, err := config.Load(req.ConfigPath)
	if err != nil || len(c.Automations) != 1 {
		t.Fatalf("saved %+v, %v", c, err)
	}
	if v, err := req.Secrets.Get(config.ClientSecretKey("Front desk")); err != nil || v != secret {
		t.Errorf("client secret stored: %v", err)
	}
}

// A failing test, or one that ran no check, saves nothing.
func TestSaveAfterAFailedTestWritesNothing(t *testing.T) {
	for _, results := range [][]diag.Result{
		{{ID: "token", OK: true}, {ID: "calendar", Diagnosis: diag.Diagnosis{Step: 5, Message: "403"}}},
		nil,
	} {
		req := request(t)
		req.Test = func(context.Context, *config.Plan) []diag.Result { return results }
		req.Tested = func() { t.Error("told the test passed") }
		_, _, err := Save(context.Background(), req)
		var failed *TestFailedError
		if !errors.As(err, &failed) || (results != nil && (failed.Failed == nil || failed.Failed.ID != "calendar")) {
			t.Errorf("error %v", err)
		}
		if _, err := os.Stat(req.ConfigPath); !os.IsNotExist(err) {
			t.Errorf("the configuration was written: %v", err)
		}
		if _, err := req.Secrets.Get(config.ClientSecretKey("Front desk")); err == nil {
			t.Error("the secret was stored")
		}
	}
}

// The enterprise Object ID copied from the client or tenant ID's line is
// refused on every path, as a field error, before any test.
func TestPlanRefusesTheWrongObjectID(t *testing.T) {
	for _, id := range []string{client, strings.ToUpper(tenant)} {
		req := request(t)
		req.Change.Automation.EnterpriseObjectID = id
		req.Test = func(context.Context, *config.Plan) []diag.Result { t.Error("tested"); return nil }
		_, _, err := Save(context.Background(), req)
		var errs config.Errors
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != "enterprise_object_id" {
			t.Errorf("object ID %s: %v", id, err)
		}
	}
}

// Leaving while the test runs saves nothing, even when the test passed.
func TestSaveAfterLeavingWritesNothing(t *testing.T) {
	req := request(t)
	ctx, cancel := context.WithCancel(context.Background())
	req.Test = func(ctx context.Context, p *config.Plan) []diag.Result { cancel(); return pass(ctx, p) }
	if _, _, err := Save(ctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v", err)
	}
	if _, err := os.Stat(req.ConfigPath); !os.IsNotExist(err) {
		t.Errorf("the configuration was written: %v", err)
	}
}
