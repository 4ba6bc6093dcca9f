package provision_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"invitesync/diag"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/graph/provision"
)

const mailbox = "visitors@contoso.com"

// opts points a sign-in at s, in its tenant unless tenant says otherwise.
func opts(s *graphtest.Server, tenant string, prompt func(provision.DeviceCode)) provision.Options {
	return provision.Options{
		Graph:    graph.Options{AuthorityHost: s.AuthorityHost(), GraphURL: s.GraphURL(), HTTPClient: s.Client(), Timeout: 10 * time.Second},
		TenantID: tenant, Prompt: prompt,
	}
}

// signIn signs in as upn: the prompt's code is approved the way the person
// would in the browser. It returns the prompt shown.
func signIn(t *testing.T, s *graphtest.Server, upn string, perms []string) (*provision.Admin, provision.DeviceCode) {
	t.Helper()
	var shown provision.DeviceCode
	o := opts(s, "", func(dc provision.DeviceCode) {
		shown = dc
		if err := s.ApproveDeviceCode(dc.UserCode, upn); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := provision.SignIn(ctx, o, perms)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	return admin, shown
}

func TestSignInByDeviceCodeShowsTheCodeAndItsExpiry(t *testing.T) {
	s := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	defer s.Close()
	s.AddUser("admin@contoso.com", graphtest.GlobalAdministrator)
	s.SetDeviceCodeLifetime(7 * time.Minute)
	admin, dc := signIn(t, s, "admin@contoso.com", provision.ScopesCreate)
	if admin.TenantID != s.TenantID || admin.User != "admin@contoso.com" {
		t.Errorf("signed in to %q as %q, want %q as admin@contoso.com", admin.TenantID, admin.User, s.TenantID)
	}
	if dc.UserCode == "" || !strings.HasPrefix(dc.URL, "https://") || !strings.Contains(dc.Message, dc.UserCode) {
		t.Errorf("prompt %+v", dc)
	}
	if left := time.Until(dc.Expires); left < 6*time.Minute || left > 7*time.Minute {
		t.Errorf("the code expires in %s, want about 7m", left)
	}
	roles, known := admin.Roles()
	if !known || !slices.Equal(roles, []string{provision.GlobalAdministrator}) {
		t.Errorf("roles %v (known %v)", roles, known)
	}
	codes := s.DeviceCodes()
	if len(codes) != 1 || !slices.Equal(codes[0].Scopes, provision.ScopesCreate) || codes[0].ClientID != provision.DefaultAdminClientID {
		t.Errorf("device codes %+v: want one for the Graph tools app asking exactly %v", codes, provision.ScopesCreate)
	}
}

func TestSignInEndsWhenDeclinedExpiredOrCancelled(t *testing.T) {
	s := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	defer s.Close()
	ctx := context.Background()
	_, err := provision.SignIn(ctx, opts(s, "", func(dc provision.DeviceCode) {
		if err := s.DeclineDeviceCode(dc.UserCode); err != nil {
			t.Error(err)
		}
	}), provision.ScopesManage)
	if !errors.Is(err, provision.ErrDeclined) {
		t.Errorf("declined: %v", err)
	}

	s.SetDeviceCodeLifetime(2 * time.Second)
	_, err = provision.SignIn(ctx, opts(s, "", nil), provision.ScopesManage)
	if !errors.Is(err, provision.ErrExpired) {
		t.Errorf("expired: %v", err)
	}

	s.SetDeviceCodeLifetime(time.Minute)
	cctx, cancel := context.WithCancel(ctx)
	start := time.Now()
	_, err = provision.SignIn(cctx, opts(s, "", func(provision.DeviceCode) { time.AfterFunc(300*time.Millisecond, cancel) }), provision.ScopesManage)
	if !errors.Is(err, provision.ErrCancelled) || time.Since(start) > 10*time.Second {
		t.Errorf("cancelled: %v after %s", err, time.Since(start))
	}

	o := opts(s, "", nil)
	o.AdminClientID = graphtest.AzureCLIClientID
	_, err = provision.SignIn(ctx, o, provision.ScopesManage)
	if err == nil || !strings.Contains(err.Error(), "AADSTS65002") {
		t.Errorf("the Azure CLI's app: %v, want Entra's AADSTS65002", err)
	}
}

func TestProvisionCreatesThenReuses(t *testing.T) {
	s := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	defer s.Close()
	s.AddUser("admin@contoso.com", graphtest.GlobalAdministrator)
	s.SetReplicationDelay(1500 * time.Millisecond)
	admin, _ := signIn(t, s, "admin@contoso.com", provision.ScopesCreate)
	ctx := context.Background()
	const name = "Salto-IDM-Calendar-Integration-Production"

	var steps []string
	res, err := admin.Provision(ctx, name, func(s string) { steps = append(steps, s) })
	if err != nil {
		t.Fatalf("provision: %v\nsteps: %q", err, steps)
	}
	if len(res.Created) != 3 || len(steps) != 3 {
		t.Errorf("created %q, steps %q: want the app, its enterprise application and the consent", res.Created, steps)
	}
	app := findApp(t, s, name)
	if app.AppID != res.App.AppID || app.SignInAudience != "AzureADMyOrg" || app.ServicePrincipalID != res.App.ServicePrincipalID ||
		!slices.Equal(app.Consented, []string{"Calendars.ReadWrite"}) {
		t.Errorf("in the tenant: %+v\nresult: %+v", app, res.App)
	}
	want := []graphtest.Permission{
		{ResourceAppID: graphtest.GraphAppID, ID: graphtest.CalendarsReadWriteRoleID, Type: "Role"},
		{ResourceAppID: graphtest.GraphAppID, ID: graphtest.UserReadScopeID, Type: "Scope"},
	}
	if !slices.Equal(app.Permissions, want) {
		t.Errorf("permissions %v, want %v", app.Permissions, want)
	}

	again, err := admin.Provision(ctx, name, nil)
	if err != nil || len(again.Created) != 0 || again.App.AppID != res.App.AppID {
		t.Fatalf("rerun: %v, created %q, app %s (want %s reused)", err, again.Created, again.App.AppID, res.App.AppID)
	}
	if n := len(s.Applications()); n != 2 { // the server's own and ours
		t.Errorf("%d apps after the rerun, want 2", n)
	}

	sec, err := admin.AddSecret(ctx, res.App.ObjectID, "invitesync: test", time.Now().AddDate(0, 12, 0))
	if err != nil {
		t.Fatal(err)
	}
	app = findApp(t, s, name)
	if len(app.Passwords) != 1 || app.Passwords[0].KeyID != sec.KeyID || app.Passwords[0].Hint != sec.Value[:3] {
		t.Errorf("passwords %+v after adding %s", app.Passwords, sec.KeyID)
	}
	removed, err := admin.Delete(ctx, &again.App)
	if err != nil || len(removed) != 2 {
		t.Fatalf("delete: %v %q", err, removed)
	}
	if n := len(s.Applications()); n != 1 {
		t.Errorf("%d apps after delete, want 1", n)
	}
}

func TestProvisionNamesTheMissingRole(t *testing.T) {
	s := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	defer s.Close()
	s.AddUser("appadmin@contoso.com", graphtest.ApplicationAdministrator)
	admin, _ := signIn(t, s, "appadmin@contoso.com", provision.ScopesCreate)
	res, err := admin.Provision(context.Background(), "X", nil)
	var re *provision.RoleError
	if !errors.As(err, &re) || !re.Known || len(res.Created) != 0 {
		t.Fatalf("err %v, created %q", err, res.Created)
	}
	for _, want := range []string{"appadmin@contoso.com may not grant admin consent", "Global Administrator or Privileged Role Administrator", "holds only Application Administrator"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if n := len(s.Applications()); n != 1 {
		t.Errorf("%d apps, want nothing created", n)
	}
}

func findApp(t *testing.T, s *graphtest.Server, name string) graphtest.Application {
	t.Helper()
	for _, a := range s.Applications() {
		if a.DisplayName == name {
			return a
		}
	}
	t.Fatalf("no app %q in %+v", name, s.Applications())
	return graphtest.Application{}
}

// TestProvisionAddsOnlyWhatIsMissing: an app registration of that name made
// by hand without the calendar permission, enterprise application or
// consent gets exactly those; two of that name are refused.
func TestProvisionAddsOnlyWhatIsMissing(t *testing.T) {
	s := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	defer s.Close()
	s.AddUser("admin@contoso.com", graphtest.GlobalAdministrator)
	admin, _ := signIn(t, s, "admin@contoso.com", provision.ScopesCreate)
	ctx := context.Background()
	const name = "Made by hand"
	var partial struct{ ID, AppID string }
	if err := call(t, s, admin, "POST", "/applications", `{"displayName":"`+name+`","signInAudience":"AzureADMyOrg","requiredResourceAccess":[
		{"resourceAppId":"00000002-0000-0ff1-ce00-000000000000","resourceAccess":[{"id":"dc890d15-9560-4a4c-9b7f-a736ec74ec40","type":"Role"}]},
		{"resourceAppId":"`+graphtest.GraphAppID+`","resourceAccess":[{"id":"`+graphtest.UserReadScopeID+`","type":"Scope"}]}]}`, &partial); err != nil {
		t.Fatal(err)
	}
	var steps []string
	res, err := admin.Provision(ctx, name, func(s string) { steps = append(steps, s) })
	if err != nil {
		t.Fatal(err)
	}
	if res.App.AppID != partial.AppID || len(res.Created) != 2 || !strings.Contains(steps[1], "Permissions Calendars.ReadWrite (application) added") {
		t.Errorf("result %+v, steps %q", res, steps)
	}
	app := findApp(t, s, name)
	if len(app.Permissions) != 3 || !slices.Contains(app.Permissions, graphtest.Permission{ResourceAppID: graphtest.GraphAppID, ID: graphtest.CalendarsReadWriteRoleID, Type: "Role"}) ||
		app.Permissions[0].ResourceAppID != "00000002-0000-0ff1-ce00-000000000000" {
		t.Errorf("permissions %+v: want Exchange's kept, User.Read kept, Calendars.ReadWrite added", app.Permissions)
	}

	if err := call(t, s, admin, "POST", "/applications", `{"displayName":"`+name+`"}`, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Provision(ctx, name, nil); err == nil || !strings.Contains(err.Error(), "the tenant has 2 app registrations named") {
		t.Errorf("two of that name: %v", err)
	}
}

// call sends one Graph request with the administrator's token, as someone
// working in the portal would change the tenant.
func call(t *testing.T, s *graphtest.Server, admin *provision.Admin, method, path, body string, out any) error {
	t.Helper()
	tok, err := admin.AccessToken(context.Background())
	if err != nil {
		return err
	}
	req, _ := http.NewRequest(method, s.GraphURL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := s.Client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func TestPendingTellsLagFromFailure(t *testing.T) {
	r := func(id, code string, ok bool) diag.Result {
		return diag.Result{ID: id, OK: ok, Diagnosis: diag.Diagnosis{Code: code}}
	}
	for _, tc := range []struct {
		results []diag.Result
		pending bool
	}{
		{[]diag.Result{r(graph.CheckToken, "AADSTS700016", false)}, true},
		{[]diag.Result{r(graph.CheckToken, "AADSTS7000215", false)}, true},
		{[]diag.Result{r(graph.CheckToken, "AADSTS7000229", false)}, true},
		{[]diag.Result{r(graph.CheckToken, "", true), r(graph.CheckCalendar, "ErrorAccessDenied", false)}, true},
		{[]diag.Result{r(graph.CheckToken, "AADSTS7000222", false)}, false},
		{[]diag.Result{r(graph.CheckToken, "", true), r(graph.CheckCalendar, "ErrorInvalidUser", false)}, false},
		{[]diag.Result{r(graph.CheckToken, "", true), r(graph.CheckCalendar, "", true), r("idm-health", "", false)}, false},
		{[]diag.Result{r(graph.CheckToken, "", true)}, false},
	} {
		if _, got := provision.Pending(tc.results); got != tc.pending {
			t.Errorf("%+v: pending %v, want %v", tc.results, got, tc.pending)
		}
	}
}

func TestWaitLiveStopsAtItsBound(t *testing.T) {
	lagging := []diag.Result{{ID: graph.CheckToken, Diagnosis: diag.Diagnosis{Code: "AADSTS7000215"}}}
	var ticks []provision.Tick
	runs := 0
	start := time.Now()
	got := provision.WaitLive(context.Background(), 2500*time.Millisecond, func(context.Context) []diag.Result {
		runs++
		return lagging
	}, func(tk provision.Tick) { ticks = append(ticks, tk) })
	if took := time.Since(start); took < 2500*time.Millisecond || took > 4*time.Second || runs != 3 || len(ticks) != 2 || len(got) != 1 {
		t.Errorf("took %s, %d runs, ticks %+v", took, runs, ticks)
	}
	if ticks[0].Next != 2*time.Second || ticks[1].Next > 500*time.Millisecond || ticks[0].Why == "" {
		t.Errorf("ticks %+v: want 2s, then what is left of the bound", ticks)
	}
}
