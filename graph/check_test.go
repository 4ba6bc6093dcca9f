package graph_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
)

func TestCheckPassesAgainstAHealthyTenant(t *testing.T) {
	s := newSim(t)
	s.RestrictAccess(watched)
	if _, err := s.AddEvent(watched, graphtest.Event{Subject: "Visit", Start: day(0, 23, 0), End: day(0, 23, 30)}); err != nil {
		t.Fatal(err)
	}
	results := newClient(t, s, automationFor(s), optionsFor(s)).Check(context.Background(), other)

	wantIDs := []string{graph.CheckToken, graph.CheckCalendar, graph.CheckCalendarView, graph.CheckProbe}
	if len(results) != len(wantIDs) {
		t.Fatalf("got %d results, want %d: %+v", len(results), len(wantIDs), results)
	}
	for i, r := range results {
		if r.ID != wantIDs[i] || !r.OK || r.Warning {
			t.Errorf("result %d = %+v, want %s passing without warning", i, r, wantIDs[i])
		}
	}
	mustContain(t, "token message", results[0].Message, s.TenantID, "Calendars.ReadWrite")
	mustContain(t, "probe message", results[3].Message, other, "refused")

	// Only endpoints Calendars.ReadWrite covers were used, each with a token.
	for _, r := range s.GraphRequests() {
		if !strings.HasPrefix(r.Authorization, "Bearer ") {
			t.Errorf("%s %s went without a bearer token", r.Method, r.Path)
		}
		if !strings.HasSuffix(r.Path, "/calendar") && !strings.HasSuffix(r.Path, "/calendarView") {
			t.Errorf("check used %s, which it should not need", r.Path)
		}
	}
}

// TestCheckPassesForAnRBACScopedApp: an app granted only the watched mailbox
// through Exchange RBAC for Applications has no roles in its token, reads
// its mailbox and is refused the other.
func TestCheckPassesForAnRBACScopedApp(t *testing.T) {
	s := newSim(t)
	s.SetRoles()
	s.ScopeApp(s.ClientID, watched)
	results := newClient(t, s, automationFor(s), optionsFor(s)).Check(context.Background(), other)
	for _, r := range results {
		if !r.OK || r.Warning {
			t.Errorf("%s = %+v, want passing without warning", r.ID, r)
		}
	}
	if len(results) != 4 {
		t.Fatalf("got %d results, want 4: %+v", len(results), results)
	}
	mustContain(t, "token message", results[0].Message, "no application permissions", "RBAC for Applications")
	mustContain(t, "probe message", results[3].Message, other, "refused")
}

func TestCheckProbeWarnsWhenTheAppReachesEveryMailbox(t *testing.T) {
	s := newSim(t)
	a := automationFor(s)
	a.EnterpriseObjectID = "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	results := newClient(t, s, a, optionsFor(s)).Check(context.Background(), other)
	probe := results[len(results)-1]
	if probe.ID != graph.CheckProbe || !probe.OK || !probe.Warning || probe.Step != 5 {
		t.Fatalf("probe = %+v, want a passing check with a step-5 warning", probe)
	}
	mustContain(t, "probe message", probe.Message, "every mailbox", other)
	mustContain(t, "probe fix", probe.Fix,
		"New-ManagementScope -Name 'invitesync Reception' -RecipientRestrictionFilter 'PrimarySmtpAddress -eq ''"+watched+"'''",
		"New-ManagementRoleAssignment -App '"+a.EnterpriseObjectID+"' -Role 'Application Calendars.ReadWrite'",
		"Test-ServicePrincipalAuthorization -Identity '"+a.EnterpriseObjectID+"' -Resource '"+watched+"'",
		"New-ApplicationAccessPolicy -AppId '"+s.ClientID+"'",
		"Test-ApplicationAccessPolicy -Identity '"+watched+"' -AppId '"+s.ClientID+"'")
}

// TestCheckDiagnoses produces each failure at the simulator and follows it
// through the real credential and SDK to the diagnosis.
func TestCheckDiagnoses(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(s *graphtest.Server, a *config.Automation, o *graph.Options, secret *string)
		failing  string // id of the failing check
		step     int
		code     string
		message  []string
		fix      []string
		noTokens bool // the token endpoint must not have been asked
	}{
		{name: "secret id instead of value", failing: graph.CheckToken, step: 3, code: "AADSTS7000215",
			setup: func(s *graphtest.Server, _ *config.Automation, _ *graph.Options, secret *string) {
				*secret = s.SecretID
			},
			message: []string{"client secret"}, fix: []string{"Value", "Secret ID"}},
		{name: "expired secret", failing: graph.CheckToken, step: 3, code: "AADSTS7000222",
			setup: func(s *graphtest.Server, a *config.Automation, _ *graph.Options, _ *string) {
				s.ExpireSecret()
				a.SecretExpires = config.Date{Year: 2025, Month: 1, Day: 31}
			},
			message: []string{"expired", "2025-01-31"}, fix: []string{"new client secret"}},
		{name: "unknown application", failing: graph.CheckToken, step: 4, code: "AADSTS700016",
			setup: func(_ *graphtest.Server, a *config.Automation, _ *graph.Options, _ *string) {
				a.ClientID = "11111111-2222-4333-8444-555555555555"
			},
			message: []string{"11111111-2222-4333-8444-555555555555"}, fix: []string{"Application (client) ID"}},
		{name: "unknown tenant", failing: graph.CheckToken, step: 4, code: "AADSTS90002", noTokens: true,
			setup: func(_ *graphtest.Server, a *config.Automation, _ *graph.Options, _ *string) {
				a.TenantID = "99999999-8888-4777-8666-555555555555"
			},
			message: []string{"99999999-8888-4777-8666-555555555555", "not found", "metadata"}, fix: []string{"Directory (tenant) ID"}},
		{name: "malformed tenant id", failing: graph.CheckToken, step: 4, noTokens: true,
			setup: func(_ *graphtest.Server, a *config.Automation, _ *graph.Options, _ *string) {
				a.TenantID = "contoso tenant!"
			},
			message: []string{"not valid"}, fix: []string{"Directory (tenant) ID"}},
		{name: "no roles: admin consent missing or RBAC scope", failing: graph.CheckCalendar, step: 2, code: "ErrorAccessDenied",
			setup:   func(s *graphtest.Server, _ *config.Automation, _ *graph.Options, _ *string) { s.SetRoles() },
			message: []string{"admin consent", "(step 2)", "RBAC for Applications", "up to 2 hours", "(step 5)"},
			fix:     []string{"Grant admin consent", "Test-ServicePrincipalAuthorization -Identity '<Object ID of the enterprise application>'"}},
		{name: "permission missing", failing: graph.CheckCalendar, step: 2, code: "ErrorAccessDenied",
			setup: func(s *graphtest.Server, _ *config.Automation, _ *graph.Options, _ *string) {
				s.SetRoles("User.Read.All")
			},
			message: []string{"User.Read.All", "not Calendars.ReadWrite"}, fix: []string{"Calendars.ReadWrite"}},
		{name: "RBAC scope leaves the mailbox out", failing: graph.CheckCalendar, step: 2, code: "ErrorAccessDenied",
			setup: func(s *graphtest.Server, _ *config.Automation, _ *graph.Options, _ *string) {
				s.SetRoles()
				s.ScopeApp(s.ClientID, other)
			},
			message: []string{"RBAC for Applications", "does not cover " + watched, "up to 2 hours"},
			fix:     []string{"Test-ServicePrincipalAuthorization -Identity '<Object ID of the enterprise application>' -Resource '" + watched + "'", "InScope True"}},
		{name: "access policy excludes the mailbox", failing: graph.CheckCalendar, step: 5, code: "ErrorAccessDenied",
			setup:   func(s *graphtest.Server, _ *config.Automation, _ *graph.Options, _ *string) { s.RestrictAccess(other) },
			message: []string{"access policy", watched}, fix: []string{"Test-ServicePrincipalAuthorization -Identity '<Object ID of the enterprise application>'", "Enterprise applications"}},
		{name: "no such mailbox", failing: graph.CheckCalendar, step: 4, code: "ErrorInvalidUser",
			setup: func(_ *graphtest.Server, a *config.Automation, _ *graph.Options, _ *string) {
				a.Mailbox = "nobody@contoso.example"
			},
			message: []string{"no mailbox nobody@contoso.example", "user principal name (UPN) or object ID", "alias"},
			fix:     []string{"Get-Mailbox 'nobody@contoso.example' | fl UserPrincipalName,ExternalDirectoryObjectId", "(step 4)"}},
		{name: "resource not found", failing: graph.CheckCalendar, step: 4, code: "ResourceNotFound",
			setup: func(s *graphtest.Server, _ *config.Automation, _ *graph.Options, _ *string) {
				s.InjectFault(graphtest.Fault{Status: http.StatusNotFound, Code: "ResourceNotFound", Message: "Resource could not be discovered.", Mailbox: watched})
			},
			message: []string{"no mailbox " + watched}},
		{name: "no Exchange Online mailbox", failing: graph.CheckCalendar, step: 4, code: "MailboxNotEnabledForRESTAPI",
			setup: func(s *graphtest.Server, a *config.Automation, _ *graph.Options, _ *string) {
				s.AddUserWithoutMailbox("unlicensed@contoso.example")
				a.Mailbox = "unlicensed@contoso.example"
			},
			message: []string{"no Exchange Online mailbox"}, fix: []string{"license"}},
		{name: "untrusted certificate", failing: graph.CheckToken, noTokens: true,
			setup: func(_ *graphtest.Server, _ *config.Automation, o *graph.Options, _ *string) {
				o.HTTPClient = &http.Client{}
			},
			message: []string{"sign-in service 127.0.0.1", "authority this machine does not trust"}, fix: []string{"SSL_CERT_FILE"}},
		{name: "sign-in service refuses connections", failing: graph.CheckToken, noTokens: true,
			setup: func(_ *graphtest.Server, _ *config.Automation, o *graph.Options, _ *string) {
				o.AuthorityHost = "https://" + closedPort(t) + "/"
			},
			message: []string{"127.0.0.1", "refused"}, fix: []string{"network"}},
		{name: "sign-in host does not resolve", failing: graph.CheckToken, noTokens: true,
			setup: func(_ *graphtest.Server, _ *config.Automation, o *graph.Options, _ *string) {
				o.AuthorityHost = "https://login.graphtest.invalid/"
			},
			message: []string{"login.graphtest.invalid", "DNS"}, fix: []string{"DNS"}},
		{name: "Graph refuses connections", failing: graph.CheckCalendar,
			setup: func(_ *graphtest.Server, _ *config.Automation, o *graph.Options, _ *string) {
				o.GraphURL = "https://" + closedPort(t) + "/v1.0"
			},
			message: []string{"Microsoft Graph at 127.0.0.1", "refused"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			a, o, secret := automationFor(s), optionsFor(s), s.Secret
			tc.setup(s, &a, &o, &secret)
			results := graph.CheckAutomation(context.Background(), a, secret, o, other)

			if len(results) != 4 {
				t.Fatalf("got %d results, want 4: %+v", len(results), results)
			}
			seen := false
			for _, r := range results {
				switch {
				case r.ID == tc.failing:
					seen = true
					if r.OK || r.Step != tc.step || r.Code != tc.code {
						t.Fatalf("%s = %+v, want failed, step %d, code %q", r.ID, r, tc.step, tc.code)
					}
					mustContain(t, "message", r.Message, tc.message...)
					mustContain(t, "fix", r.Fix, tc.fix...)
					for _, leak := range []string{s.Secret, s.SecretID, "eyJ"} { // eyJ: how a JWT starts
						if strings.Contains(r.Message+r.Fix, leak) {
							t.Errorf("the diagnosis shows a secret or a token: %+v", r)
						}
					}
				case !seen:
					if !r.OK {
						t.Errorf("%s failed before %s: %+v", r.ID, tc.failing, r)
					}
				default:
					if r.OK || !strings.HasPrefix(r.Message, "Not run: ") {
						t.Errorf("%s after the failure = %+v, want not run", r.ID, r)
					}
				}
			}
			if !seen {
				t.Fatalf("no %s result in %+v", tc.failing, results)
			}
			if tc.noTokens {
				for _, r := range s.Requests() {
					if strings.HasSuffix(r.Path, "/token") {
						t.Errorf("the token endpoint was asked: %+v", r)
					}
				}
			}
		})
	}
}

func TestUnknownTenantFailsAtTheMetadataRequest(t *testing.T) {
	s := newSim(t)
	a := automationFor(s)
	a.TenantID = "99999999-8888-4777-8666-555555555555"
	graph.CheckAutomation(context.Background(), a, s.Secret, optionsFor(s), "")
	reqs := s.Requests()
	if len(reqs) != 1 || !strings.HasSuffix(reqs[0].Path, "/v2.0/.well-known/openid-configuration") || reqs[0].Status != http.StatusBadRequest {
		t.Fatalf("requests = %+v, want one refused metadata request", reqs)
	}
}

// TestNoRolesDiagnosisNamesTheEnterpriseObjectID: the commands that fix an
// RBAC scope name the service principal by the enterprise application's
// object ID, never by the client ID, which Exchange would not find there.
func TestNoRolesDiagnosisNamesTheEnterpriseObjectID(t *testing.T) {
	s := newSim(t)
	s.SetRoles()
	a := automationFor(s)
	a.EnterpriseObjectID = "6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	results := graph.CheckAutomation(context.Background(), a, s.Secret, optionsFor(s), "")
	token, cal := results[0], results[1]
	if !token.OK {
		t.Fatalf("a token without roles failed the token check: %+v", token)
	}
	mustContain(t, "token message", token.Message, "no application permissions", "RBAC for Applications")
	if cal.OK || cal.Code != "ErrorAccessDenied" {
		t.Fatalf("calendar = %+v, want ErrorAccessDenied", cal)
	}
	mustContain(t, "fix", cal.Fix,
		"Grant admin consent",
		"New-ManagementRoleAssignment -App '"+a.EnterpriseObjectID+"' -Role 'Application Calendars.ReadWrite'",
		"Test-ServicePrincipalAuthorization -Identity '"+a.EnterpriseObjectID+"' -Resource '"+watched+"'",
		"up to 2 hours")
	if strings.Contains(cal.Message+cal.Fix, s.ClientID) || strings.Contains(cal.Fix, "<Object ID") {
		t.Errorf("the diagnosis names the client ID or a placeholder instead of the known object ID: %+v", cal)
	}
}
