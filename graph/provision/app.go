package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// GraphAppID is Microsoft Graph's application ID, the same in every tenant.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// The permissions the app needs on Microsoft Graph, by value.
const (
	CalendarsRole = "Calendars.ReadWrite" // application: the calendar, without a user
	UserReadScope = "User.Read"           // delegated: the procedure's default
)

// App is an app registration with its enterprise application.
type App struct {
	ObjectID    string // the app registration's Object ID
	AppID       string // Application (client) ID
	DisplayName string
	// ServicePrincipalID is the enterprise application's Object ID (step
	// 4's "Object ID"; Exchange's New-ServicePrincipal -ObjectId); "" when
	// there is none.
	ServicePrincipalID string
	Secrets            []Credential
	access             []wireRRA
}

// Credential is a client secret of an app, without its value.
type Credential struct {
	KeyID       string
	Hint        string // the value's first three characters
	DisplayName string
	End         string // RFC 3339
}

// Result says what Provision found and did.
type Result struct {
	App App
	// Created lists what this run created, in words, oldest first: what a
	// failure leaves behind.
	Created []string
	// Done lists every step as it ended: created, added or already there.
	Done []string
}

// graphPermissions are the IDs of Calendars.ReadWrite (application) and
// User.Read (delegated) and Graph's service principal, read from the tenant.
type graphPermissions struct {
	spID, roleID, scopeID string
}

// Provision makes sure an app registration named name exists and is wired
// for an automation: single tenant, Graph's Calendars.ReadWrite (application)
// and User.Read (delegated) required, a service principal, and admin consent
// for Calendars.ReadWrite. An app of that name is reused and only what it
// lacks is added; two of that name are refused. report is told each step as
// it ends. The result lists what was created even when err is not nil.
func (a *Admin) Provision(ctx context.Context, name string, report func(string)) (*Result, error) {
	res := &Result{}
	step := func(s string, created bool) {
		res.Done = append(res.Done, s)
		if created {
			res.Created = append(res.Created, s)
		}
		if report != nil {
			report(s)
		}
	}
	// Look first, so that a missing role is said before anything is created.
	perms, err := a.graphPermissions(ctx)
	if err != nil {
		return res, err
	}
	app, err := a.FindByName(ctx, name)
	if err != nil {
		return res, err
	}
	granted := false
	if app != nil && app.ServicePrincipalID != "" {
		if granted, err = a.consented(ctx, app.ServicePrincipalID, perms); err != nil {
			return res, err
		}
	}
	consent := "grant admin consent for the Microsoft Graph application permission " + CalendarsRole
	if !granted && !a.Holds(ConsentRoles) {
		return res, &RoleError{User: a.User, Step: consent, Need: ConsentRoles, Holds: a.roles, Known: true}
	}

	if app == nil {
		if app, err = a.createApp(ctx, name, perms); err != nil {
			return res, a.roleOr(err, "create an app registration", AppRoles)
		}
		step(fmt.Sprintf("App registration %q created (Application (client) ID %s, single tenant, no redirect URI)", name, app.AppID), true)
	} else {
		step(fmt.Sprintf("App registration %q already exists (Application (client) ID %s): reused", name, app.AppID), false)
		if missing := app.missing(perms); len(missing) > 0 {
			if err := a.call(ctx, "add the missing permissions to the app registration", http.MethodPatch,
				"/applications/"+app.ObjectID, map[string]any{"requiredResourceAccess": withGraph(app.access, perms)}, nil); err != nil {
				return res, a.roleOr(err, "change an app registration", AppRoles)
			}
			step("Permissions "+strings.Join(missing, " and ")+" added to it", false)
		}
	}
	res.App = *app
	if sp := app.ServicePrincipalID; sp != "" {
		step("Enterprise application already exists (Object ID "+sp+")", false)
	} else {
		if sp, err = a.createServicePrincipal(ctx, app.AppID); err != nil {
			return res, a.roleOr(err, "create an enterprise application", AppRoles)
		}
		res.App.ServicePrincipalID = sp
		step("Enterprise application created (Object ID "+sp+")", true)
	}
	if granted {
		step("Admin consent for "+CalendarsRole+" (application) already granted", false)
		return res, nil
	}
	if err := a.grant(ctx, res.App.ServicePrincipalID, perms); err != nil {
		return res, a.roleOr(err, consent, ConsentRoles)
	}
	step("Admin consent granted for "+CalendarsRole+" (application)", true)
	return res, nil
}

// roleOr turns Graph's refusal for want of a role into a *RoleError.
func (a *Admin) roleOr(err error, step string, need []string) error {
	var ge *Error
	if errors.As(err, &ge) && ge.Denied() {
		return &RoleError{User: a.User, Step: step, Need: need, Holds: a.roles, Known: false}
	}
	return err
}

// graphPermissions reads Graph's service principal for the permission IDs.
func (a *Admin) graphPermissions(ctx context.Context) (graphPermissions, error) {
	var list struct {
		Value []struct {
			ID       string `json:"id"`
			AppRoles []struct {
				ID, Value          string
				AllowedMemberTypes []string
			} `json:"appRoles"`
			Scopes []struct{ ID, Value string } `json:"oauth2PermissionScopes"`
		} `json:"value"`
	}
	if err := a.call(ctx, "read Microsoft Graph's service principal", http.MethodGet,
		"/servicePrincipals?$filter="+query("appId eq "+odataString(GraphAppID))+"&$select=id,appId,appRoles,oauth2PermissionScopes", nil, &list); err != nil {
		return graphPermissions{}, a.roleOr(err, "read the tenant's applications", AppRoles)
	}
	if len(list.Value) != 1 {
		return graphPermissions{}, fmt.Errorf("the tenant has %d service principals for Microsoft Graph (%s), expected one", len(list.Value), GraphAppID)
	}
	g := graphPermissions{spID: list.Value[0].ID}
	for _, r := range list.Value[0].AppRoles {
		if r.Value == CalendarsRole && slices.Contains(r.AllowedMemberTypes, "Application") {
			g.roleID = r.ID
		}
	}
	for _, s := range list.Value[0].Scopes {
		if s.Value == UserReadScope {
			g.scopeID = s.ID
		}
	}
	if g.roleID == "" || g.scopeID == "" {
		return g, fmt.Errorf("Microsoft Graph's service principal in this tenant does not publish %s (application) and %s (delegated)", CalendarsRole, UserReadScope)
	}
	return g, nil
}

// query escapes a query value, spaces as %20.
func query(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }

// wireApp is the part of Graph's application resource used here.
type wireApp struct {
	ID                  string    `json:"id"`
	AppID               string    `json:"appId"`
	DisplayName         string    `json:"displayName"`
	RequiredAccess      []wireRRA `json:"requiredResourceAccess"`
	PasswordCredentials []struct {
		KeyID, Hint, DisplayName, EndDateTime string
	} `json:"passwordCredentials"`
}

type wireRRA struct {
	ResourceAppID  string       `json:"resourceAppId"`
	ResourceAccess []wireAccess `json:"resourceAccess"`
}

type wireAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"` // Role (application) or Scope (delegated)
}

func (w wireApp) app() *App {
	a := &App{ObjectID: w.ID, AppID: w.AppID, DisplayName: w.DisplayName, access: w.RequiredAccess}
	for _, p := range w.PasswordCredentials {
		a.Secrets = append(a.Secrets, Credential{p.KeyID, p.Hint, p.DisplayName, p.EndDateTime})
	}
	return a
}

const appSelect = "&$select=id,appId,displayName,requiredResourceAccess,passwordCredentials"

// FindByName returns the app registration named name; nil when there is
// none, an error when there are several.
func (a *Admin) FindByName(ctx context.Context, name string) (*App, error) {
	return a.findOne(ctx, "displayName", name, "named "+fmt.Sprintf("%q", name))
}

// FindByClientID returns the app registration with Application (client) ID
// clientID; nil when there is none.
func (a *Admin) FindByClientID(ctx context.Context, clientID string) (*App, error) {
	return a.findOne(ctx, "appId", clientID, "with client ID "+clientID)
}

func (a *Admin) findOne(ctx context.Context, prop, value, what string) (*App, error) {
	var list struct {
		Value []wireApp `json:"value"`
	}
	if err := a.call(ctx, "look for the app registration "+what, http.MethodGet,
		"/applications?$filter="+query(prop+" eq "+odataString(value))+appSelect, nil, &list); err != nil {
		return nil, a.roleOr(err, "read the tenant's app registrations", AppRoles)
	}
	switch len(list.Value) {
	case 0:
		return nil, nil
	case 1:
		app := list.Value[0].app()
		sp, err := a.servicePrincipal(ctx, app.AppID)
		app.ServicePrincipalID = sp
		return app, err
	}
	ids := make([]string, len(list.Value))
	for i, v := range list.Value {
		ids[i] = v.AppID
	}
	return nil, fmt.Errorf("the tenant has %d app registrations %s (client IDs %s): give a name no other app registration has (--app-name), or remove the extra ones in the portal",
		len(list.Value), what, strings.Join(ids, ", "))
}

// missing names the Graph permissions app does not ask for yet.
func (app *App) missing(p graphPermissions) []string {
	has := func(id, typ string) bool {
		for _, r := range app.access {
			if strings.EqualFold(r.ResourceAppID, GraphAppID) && slices.ContainsFunc(r.ResourceAccess, func(x wireAccess) bool {
				return strings.EqualFold(x.ID, id) && x.Type == typ
			}) {
				return true
			}
		}
		return false
	}
	var out []string
	if !has(p.roleID, "Role") {
		out = append(out, CalendarsRole+" (application)")
	}
	if !has(p.scopeID, "Scope") {
		out = append(out, UserReadScope+" (delegated)")
	}
	return out
}

// withGraph returns access with Graph's entry holding the two permissions,
// every other permission kept.
func withGraph(access []wireRRA, p graphPermissions) []wireRRA {
	graphAccess := []wireAccess{{p.roleID, "Role"}, {p.scopeID, "Scope"}}
	out := []wireRRA{}
	for _, r := range access {
		list := append([]wireAccess{}, r.ResourceAccess...)
		if strings.EqualFold(r.ResourceAppID, GraphAppID) {
			for _, g := range graphAccess {
				if !slices.ContainsFunc(list, func(e wireAccess) bool { return strings.EqualFold(e.ID, g.ID) && e.Type == g.Type }) {
					list = append(list, g)
				}
			}
			graphAccess = nil
		}
		out = append(out, wireRRA{r.ResourceAppID, list})
	}
	if graphAccess != nil {
		out = append(out, wireRRA{GraphAppID, graphAccess})
	}
	return out
}

// createApp creates the app registration: single tenant (AzureADMyOrg),
// no redirect URI, the two Graph permissions.
func (a *Admin) createApp(ctx context.Context, name string, p graphPermissions) (*App, error) {
	var w wireApp
	err := a.call(ctx, "create the app registration", http.MethodPost, "/applications", map[string]any{
		"displayName":            name,
		"signInAudience":         "AzureADMyOrg",
		"requiredResourceAccess": withGraph(nil, p),
		"notes":                  "Created by invitesync for Salto IDM calendar invitations. One registration per environment.",
	}, &w)
	if err != nil {
		return nil, err
	}
	return w.app(), nil
}

// servicePrincipal returns the object ID of appID's service principal; ""
// when it has none.
func (a *Admin) servicePrincipal(ctx context.Context, appID string) (string, error) {
	var list struct {
		Value []struct{ ID string } `json:"value"`
	}
	if err := a.call(ctx, "look for the enterprise application", http.MethodGet,
		"/servicePrincipals?$filter="+query("appId eq "+odataString(appID))+"&$select=id,appId", nil, &list); err != nil {
		return "", a.roleOr(err, "read the tenant's enterprise applications", AppRoles)
	}
	if len(list.Value) == 0 {
		return "", nil
	}
	return list.Value[0].ID, nil
}

// createServicePrincipal creates appID's enterprise application, waiting
// out the moments before a new app registration can be referenced.
func (a *Admin) createServicePrincipal(ctx context.Context, appID string) (string, error) {
	var sp struct{ ID string }
	err := retrying(ctx, func() error {
		return a.call(ctx, "create the enterprise application", http.MethodPost, "/servicePrincipals", map[string]string{"appId": appID}, &sp)
	}, func(e *Error) bool {
		return e.Status == http.StatusBadRequest && strings.Contains(e.Message, "does not reference a valid application object")
	})
	return sp.ID, err
}

// consented reports whether the service principal sp holds Calendars.ReadWrite.
func (a *Admin) consented(ctx context.Context, sp string, p graphPermissions) (bool, error) {
	var list struct {
		Value []struct{ AppRoleID, ResourceID string } `json:"value"`
	}
	if err := a.call(ctx, "read the enterprise application's granted permissions", http.MethodGet,
		"/servicePrincipals/"+sp+"/appRoleAssignments", nil, &list); err != nil {
		return false, a.roleOr(err, "read the enterprise application's granted permissions", AppRoles)
	}
	return slices.ContainsFunc(list.Value, func(v struct{ AppRoleID, ResourceID string }) bool {
		return strings.EqualFold(v.AppRoleID, p.roleID) && strings.EqualFold(v.ResourceID, p.spID)
	}), nil
}

// grant is the admin consent: an app role assignment of Calendars.ReadWrite
// on Graph to sp, waiting out the moments before a new service principal
// can be referenced.
func (a *Admin) grant(ctx context.Context, sp string, p graphPermissions) error {
	return retrying(ctx, func() error {
		return a.call(ctx, "grant admin consent for Calendars.ReadWrite", http.MethodPost,
			"/servicePrincipals/"+p.spID+"/appRoleAssignedTo",
			map[string]string{"principalId": sp, "resourceId": p.spID, "appRoleId": p.roleID}, nil)
	}, func(e *Error) bool {
		return e.Status == http.StatusNotFound || e.Status == http.StatusBadRequest && strings.Contains(e.Message, "does not exist")
	})
}
