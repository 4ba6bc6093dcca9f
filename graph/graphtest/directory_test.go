package graphtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"invitesync/graph/graphtest"
)

// deviceToken signs upn in by device code for scopes (Graph permission
// names), approving the code as the person would, and returns the token.
func deviceToken(t *testing.T, s *graphtest.Server, upn string, scopes ...string) string {
	t.Helper()
	code := startDeviceCode(t, s, scopes...)
	if err := s.ApproveDeviceCode(code.UserCode, upn); err != nil {
		t.Fatal(err)
	}
	a := pollDeviceCode(t, s, code.deviceCode)
	tok, _ := a.body["access_token"].(string)
	if a.status != http.StatusOK || tok == "" || a.body["id_token"] == nil || a.body["client_info"] == nil {
		t.Fatalf("redeeming an approved code: %d %s", a.status, a.rawBody)
	}
	return tok
}

type issued struct {
	graphtest.DeviceCode
	deviceCode string
}

func startDeviceCode(t *testing.T, s *graphtest.Server, scopes ...string) issued {
	t.Helper()
	var full []string
	for _, sc := range scopes {
		full = append(full, "https://graph.microsoft.com/"+sc)
	}
	form := url.Values{"client_id": {graphtest.GraphCommandLineToolsClientID}, "scope": {strings.Join(append(full, "openid", "offline_access"), " ")}}
	a := send(t, s, "POST", s.URL()+"/organizations/oauth2/v2.0/devicecode", "",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()), true)
	dc, _ := a.body["device_code"].(string)
	uc, _ := a.body["user_code"].(string)
	if a.status != http.StatusOK || dc == "" || uc == "" || a.body["expires_in"] != 900.0 {
		t.Fatalf("devicecode: %d %s", a.status, a.rawBody)
	}
	return issued{graphtest.DeviceCode{UserCode: uc}, dc}
}

func pollDeviceCode(t *testing.T, s *graphtest.Server, deviceCode string) answer {
	t.Helper()
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {graphtest.GraphCommandLineToolsClientID}, "device_code": {deviceCode}}
	return send(t, s, "POST", s.URL()+"/organizations/oauth2/v2.0/token", "",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()), true)
}

func oauthError(a answer) string {
	e, _ := a.body["error"].(string)
	return e
}

func TestDeviceCodeIsPendingThenApprovedOnceOrDeclinedOrExpired(t *testing.T) {
	s := newServer(t)
	s.AddUser("admin@contoso.example", graphtest.GlobalAdministrator)
	code := startDeviceCode(t, s, "Application.ReadWrite.All")
	if a := pollDeviceCode(t, s, code.deviceCode); a.status != http.StatusBadRequest || oauthError(a) != "authorization_pending" {
		t.Errorf("before approval: %d %s", a.status, a.rawBody)
	}
	if err := s.ApproveDeviceCode(code.UserCode, "nobody@contoso.example"); err == nil {
		t.Error("a user who does not exist approved a code")
	}
	if err := s.ApproveDeviceCode(code.UserCode, "admin@contoso.example"); err != nil {
		t.Fatal(err)
	}
	a := pollDeviceCode(t, s, code.deviceCode)
	if a.status != http.StatusOK {
		t.Fatalf("after approval: %d %s", a.status, a.rawBody)
	}
	claims := claimsOf(t, a.body["access_token"].(string))
	if claims["scp"] != "Application.ReadWrite.All" || claims["upn"] != "admin@contoso.example" || claims["tid"] != s.TenantID {
		t.Errorf("claims %v", claims)
	}
	if wids, _ := claims["wids"].([]any); len(wids) != 1 || wids[0] != "62e90394-69f5-4237-9190-012177145e10" {
		t.Errorf("wids %v, want Global Administrator's template ID", claims["wids"])
	}
	if a := pollDeviceCode(t, s, code.deviceCode); oauthError(a) != "invalid_grant" {
		t.Errorf("a code redeemed twice: %d %s", a.status, a.rawBody)
	}

	declined := startDeviceCode(t, s, "Application.ReadWrite.All")
	if err := s.DeclineDeviceCode(declined.UserCode); err != nil {
		t.Fatal(err)
	}
	if a := pollDeviceCode(t, s, declined.deviceCode); oauthError(a) != "authorization_declined" {
		t.Errorf("declined: %d %s", a.status, a.rawBody)
	}

	s.SetDeviceCodeLifetime(time.Millisecond)
	form := url.Values{"client_id": {graphtest.GraphCommandLineToolsClientID}, "scope": {"https://graph.microsoft.com/Application.ReadWrite.All"}}
	a = send(t, s, "POST", s.URL()+"/organizations/oauth2/v2.0/devicecode", "", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()), true)
	time.Sleep(5 * time.Millisecond)
	if p := pollDeviceCode(t, s, a.body["device_code"].(string)); oauthError(p) != "expired_token" {
		t.Errorf("expired: %d %s", p.status, p.rawBody)
	}
	if err := s.ApproveDeviceCode(a.body["user_code"].(string), "admin@contoso.example"); err == nil {
		t.Error("an expired code was approved")
	}
}

// TestDirectoryIsStrictAboutScopesAndRoles: each directory call needs the
// permission in the token and the directory role of its user, else 403
// Authorization_RequestDenied; an app-only token never does.
func TestDirectoryIsStrictAboutScopesAndRoles(t *testing.T) {
	s := newServer(t)
	s.AddUser("global@contoso.example", graphtest.GlobalAdministrator)
	s.AddUser("apps@contoso.example", graphtest.ApplicationAdministrator)
	s.AddUser("roles@contoso.example", graphtest.PrivilegedRoleAdministrator)
	denied := "Authorization_RequestDenied: Insufficient privileges to complete the operation."
	create := func(tok string) answer {
		return do(t, s, "POST", "/applications", tok, http.Header{"Content-Type": {"application/json"}},
			strings.NewReader(`{"displayName":"App","signInAudience":"AzureADMyOrg"}`))
	}
	if a := create(token(t, s)); a.status != http.StatusForbidden || errorCode(a) != denied {
		t.Errorf("app-only token creates an app: %d %s", a.status, a.rawBody)
	}
	if a := create(deviceToken(t, s, "global@contoso.example", "Application.Read.All")); a.status != http.StatusForbidden || errorCode(a) != denied {
		t.Errorf("Application.Read.All creates an app: %d %s", a.status, a.rawBody)
	}
	if a := create(deviceToken(t, s, "roles@contoso.example", "Application.ReadWrite.All")); a.status != http.StatusForbidden || errorCode(a) != denied {
		t.Errorf("a Privileged Role Administrator creates an app: %d %s", a.status, a.rawBody)
	}
	apps := deviceToken(t, s, "apps@contoso.example", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All")
	a := create(apps)
	if a.status != http.StatusCreated || a.body["signInAudience"] != "AzureADMyOrg" {
		t.Fatalf("an Application Administrator creates an app: %d %s", a.status, a.rawBody)
	}
	appID := a.body["appId"].(string)
	sp := do(t, s, "POST", "/servicePrincipals", apps, nil, strings.NewReader(`{"appId":"`+appID+`"}`))
	if sp.status != http.StatusCreated {
		t.Fatalf("service principal: %d %s", sp.status, sp.rawBody)
	}
	graphSP := do(t, s, "GET", "/servicePrincipals?$filter=appId%20eq%20'"+graphtest.GraphAppID+"'", apps, nil, nil)
	list, _ := graphSP.body["value"].([]any)
	if graphSP.status != http.StatusOK || len(list) != 1 {
		t.Fatalf("Graph's service principal: %d %s", graphSP.status, graphSP.rawBody)
	}
	graphID := list[0].(map[string]any)["id"].(string)
	grant := func(tok string) answer {
		return do(t, s, "POST", "/servicePrincipals/"+graphID+"/appRoleAssignedTo", tok, nil, strings.NewReader(
			`{"principalId":"`+sp.body["id"].(string)+`","resourceId":"`+graphID+`","appRoleId":"`+graphtest.CalendarsReadWriteRoleID+`"}`))
	}
	if a := grant(apps); a.status != http.StatusForbidden || errorCode(a) != denied {
		t.Errorf("an Application Administrator grants a Graph app role: %d %s", a.status, a.rawBody)
	}
	if a := grant(deviceToken(t, s, "roles@contoso.example", "AppRoleAssignment.ReadWrite.All")); a.status != http.StatusForbidden {
		t.Errorf("AppRoleAssignment.ReadWrite.All without Application.Read.All grants: %d %s", a.status, a.rawBody)
	}
	if a := grant(deviceToken(t, s, "roles@contoso.example", "AppRoleAssignment.ReadWrite.All", "Application.Read.All")); a.status != http.StatusCreated {
		t.Errorf("a Privileged Role Administrator grants: %d %s", a.status, a.rawBody)
	}
	if a := grant(deviceToken(t, s, "global@contoso.example", "AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All")); a.status != http.StatusBadRequest {
		t.Errorf("a second identical grant: %d %s", a.status, a.rawBody)
	}
}

// TestDirectoryBodiesAndSecrets: bodies are checked as Graph checks them;
// a new app is multi-tenant with personal accounts unless told; a secret's
// value comes once, and the token endpoint takes it (and no other).
func TestDirectoryBodiesAndSecrets(t *testing.T) {
	s := newServer(t)
	s.AddUser("global@contoso.example", graphtest.GlobalAdministrator)
	tok := deviceToken(t, s, "global@contoso.example", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All")
	for body, want := range map[string]string{
		`{"signInAudience":"AzureADMyOrg"}`:           "A value is required for property 'displayName'",
		`{"displayName":"A","colour":"red"}`:          "Invalid property 'colour'.",
		`{"displayName":"A","signInAudience":"Mine"}`: "Invalid value specified for property 'signInAudience'",
		`{"displayName":"A","requiredResourceAccess":[{"resourceAppId":"00000003-0000-0000-c000-000000000000","resourceAccess":[{"id":"x","type":"Role"}]}]}`: "requiredResourceAccess",
	} {
		if a := do(t, s, "POST", "/applications", tok, nil, strings.NewReader(body)); a.status != http.StatusBadRequest || !strings.Contains(errorCode(a), want) {
			t.Errorf("%s: %d %s, want 400 %q", body, a.status, a.rawBody, want)
		}
	}
	a := do(t, s, "POST", "/applications", tok, nil, strings.NewReader(`{"displayName":"Plain"}`))
	if a.status != http.StatusCreated || a.body["signInAudience"] != "AzureADandPersonalMicrosoftAccount" {
		t.Fatalf("default audience: %d %s", a.status, a.rawBody)
	}
	objectID, appID := a.body["id"].(string), a.body["appId"].(string)
	secret := do(t, s, "POST", "/applications/"+objectID+"/addPassword", tok, nil, strings.NewReader(`{"passwordCredential":{"displayName":"one","endDateTime":"2030-01-01T00:00:00Z"}}`))
	value, _ := secret.body["secretText"].(string)
	if secret.status != http.StatusOK || len(value) < 16 || secret.body["hint"] != value[:3] || secret.body["endDateTime"] != "2030-01-01T00:00:00Z" {
		t.Fatalf("addPassword: %d %s", secret.status, secret.rawBody)
	}
	got := do(t, s, "GET", "/applications(appId='"+appID+"')", tok, nil, nil)
	if strings.Contains(string(got.rawBody), value) {
		t.Error("reading the app shows the secret's value")
	}
	clientToken := func(secret string) answer {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret}, "scope": {"https://graph.microsoft.com/.default"}}
		return send(t, s, "POST", s.URL()+"/"+s.TenantID+"/oauth2/v2.0/token", "", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()), true)
	}
	if a := clientToken(value); !strings.Contains(string(a.rawBody), "AADSTS7000229") {
		t.Errorf("an app without a service principal signs in: %d %s", a.status, a.rawBody)
	}
	do(t, s, "POST", "/servicePrincipals", tok, nil, strings.NewReader(`{"appId":"`+appID+`"}`))
	if a := clientToken(value); a.status != http.StatusOK {
		t.Errorf("the new secret: %d %s", a.status, a.rawBody)
	}
	if a := clientToken(s.Secret); a.status != http.StatusUnauthorized {
		t.Errorf("another app's secret: %d %s", a.status, a.rawBody)
	}
	if a := do(t, s, "POST", "/applications/"+objectID+"/removePassword", tok, nil, strings.NewReader(`{"keyId":"`+secret.body["keyId"].(string)+`"}`)); a.status != http.StatusNoContent {
		t.Fatalf("removePassword: %d %s", a.status, a.rawBody)
	}
	if a := clientToken(value); a.status != http.StatusUnauthorized || !strings.Contains(string(a.rawBody), "AADSTS7000215") {
		t.Errorf("a removed secret: %d %s", a.status, a.rawBody)
	}
}

// TestDirectoryLagsLikeEntra: with replication and propagation delays, a
// new app cannot be referenced at once, and a new app, secret and grant
// reach the token endpoint late.
func TestDirectoryLagsLikeEntra(t *testing.T) {
	s := newServer(t)
	s.AddUser("global@contoso.example", graphtest.GlobalAdministrator)
	tok := deviceToken(t, s, "global@contoso.example", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All")
	s.SetReplicationDelay(300 * time.Millisecond)
	s.SetPropagationDelay(300 * time.Millisecond)
	a := do(t, s, "POST", "/applications", tok, nil, strings.NewReader(`{"displayName":"Lagging"}`))
	appID := a.body["appId"].(string)
	if sp := do(t, s, "POST", "/servicePrincipals", tok, nil, strings.NewReader(`{"appId":"`+appID+`"}`)); sp.status != http.StatusBadRequest ||
		!strings.Contains(errorCode(sp), "does not reference a valid application object") {
		t.Errorf("a service principal for a brand-new app: %d %s", sp.status, sp.rawBody)
	}
	time.Sleep(350 * time.Millisecond)
	if sp := do(t, s, "POST", "/servicePrincipals", tok, nil, strings.NewReader(`{"appId":"`+appID+`"}`)); sp.status != http.StatusCreated {
		t.Errorf("after replication: %d %s", sp.status, sp.rawBody)
	}
	secret := do(t, s, "POST", "/applications/"+a.body["id"].(string)+"/addPassword", tok, nil, strings.NewReader(`{}`))
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret.body["secretText"].(string)}, "scope": {"https://graph.microsoft.com/.default"}}
	get := func() answer {
		return send(t, s, "POST", s.URL()+"/"+s.TenantID+"/oauth2/v2.0/token", "", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()), true)
	}
	if a := get(); !strings.Contains(string(a.rawBody), "AADSTS7000215") {
		t.Errorf("a brand-new secret: %d %s", a.status, a.rawBody)
	}
	time.Sleep(350 * time.Millisecond)
	if a := get(); a.status != http.StatusOK {
		t.Errorf("after propagation: %d %s", a.status, a.rawBody)
	}
}
