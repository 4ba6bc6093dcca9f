package graphtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The directory: applications (app registrations), their service principals
// (enterprise applications), app role assignments (admin consent for an
// application permission) and password credentials (client secrets), as
// Microsoft Graph serves them under /applications and /servicePrincipals.
//
// Calls need a delegated token (a device-code sign-in, see AddUser) with
// the permission and the directory role Entra asks for, else 403
// Authorization_RequestDenied "Insufficient privileges to complete the
// operation.": reads need Application.Read.All (or ReadWrite); changes to
// applications and service principals need Application.ReadWrite.All and
// Global, Application or Cloud Application Administrator; an app role
// assignment needs AppRoleAssignment.ReadWrite.All with Application.Read.All
// and, for a Microsoft Graph app role, Global or Privileged Role
// Administrator (Application and Cloud Application Administrators may grant
// any other API's roles, never Graph's). Users cannot register applications
// on their own in this tenant, and ownership grants nothing.
//
// Entra is eventually consistent, and the simulator can be too:
// SetReplicationDelay keeps a new application from being referenced by a
// new service principal (400 NoBackingApplicationObject) and a new service
// principal from being granted a role (404 Request_ResourceNotFound) for a
// while; SetPropagationDelay keeps a new app, a new client secret and a new
// role grant from reaching the token endpoint for a while (AADSTS700016,
// AADSTS7000215, a token without the role).

// GraphAppID is Microsoft Graph's application ID, the same in every tenant.
const GraphAppID = "00000003-0000-0000-c000-000000000000"

// Microsoft Graph's permission IDs, the same in every tenant.
const (
	CalendarsReadWriteRoleID = "ef54d2bf-783f-4e0f-bca1-3210c0444d99" // application
	UserReadScopeID          = "e1fe6dd8-ba31-4d61-89e7-88639da4683d" // delegated
)

// graphAppRoles and graphScopes are what Graph's service principal
// publishes (a few of each; the IDs are Microsoft's).
var (
	graphAppRoles = []wireAppRole{
		{AllowedMemberTypes: []string{"Application"}, Description: "Allows the app to create, read, update, and delete events of all calendars without a signed-in user.",
			DisplayName: "Read and write calendars in all mailboxes", ID: CalendarsReadWriteRoleID, IsEnabled: true, Origin: "Application", Value: "Calendars.ReadWrite"},
		{AllowedMemberTypes: []string{"Application"}, Description: "Allows the app to read events of all calendars without a signed-in user.",
			DisplayName: "Read calendars in all mailboxes", ID: "798ee544-9d2d-430c-a058-570e29e34338", IsEnabled: true, Origin: "Application", Value: "Calendars.Read"},
		{AllowedMemberTypes: []string{"Application"}, Description: "Allows the app to read user profiles without a signed in user.",
			DisplayName: "Read all users' full profiles", ID: "df021288-bdef-4463-88db-98f22de89214", IsEnabled: true, Origin: "Application", Value: "User.Read.All"},
	}
	graphScopeList = []wireScope{
		{AdminConsentDescription: "Allows users to sign-in to the app, and allows the app to read the profile of signed-in users.",
			AdminConsentDisplayName: "Sign in and read user profile", ID: UserReadScopeID, IsEnabled: true, Type: "User", Value: "User.Read"},
		{AdminConsentDescription: "Allows the app to create, read, update, and delete events in user calendars.",
			AdminConsentDisplayName: "Have full access to user calendars", ID: "1ec239c2-d7c9-4623-a91a-a9775856bb36", IsEnabled: true, Type: "User", Value: "Calendars.ReadWrite"},
	}
)

// password is one client secret of an app.
type password struct {
	keyID, secret, displayName string
	start, end, created        time.Time
}

// servicePrincipal is an app's enterprise application in the tenant.
type servicePrincipal struct {
	objectID, appID, displayName string
	created                      time.Time
}

// assignment is an app role granted to a service principal.
type assignment struct {
	id, principalID, resourceID, appRoleID string
	created                                time.Time
}

// directory is the tenant's service principals and role grants; the
// applications themselves are the server's apps.
type directory struct {
	graphSP                  servicePrincipal
	sps                      map[string]*servicePrincipal // by object ID
	grants                   []*assignment
	replication, propagation time.Duration
}

func newDirectory() directory {
	g := servicePrincipal{objectID: newGUID(), appID: GraphAppID, displayName: "Microsoft Graph"}
	return directory{graphSP: g, sps: map[string]*servicePrincipal{g.objectID: &g}}
}

// SetReplicationDelay sets how long a new application or service principal
// cannot be referenced by the next object that needs it.
func (s *Server) SetReplicationDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.replication = d
}

// SetPropagationDelay sets how long a new app, client secret or role grant
// takes to reach the token endpoint.
func (s *Server) SetPropagationDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.propagation = d
}

// register puts a into the tenant as an app registration named name with
// its one client secret (App.Secret): the server's own app and RegisterApp's
// are there before any test looks, with a service principal.
func (s *Server) register(a *app, name string) {
	long := time.Now().AddDate(-1, 0, 0)
	a.objectID, a.displayName, a.audience, a.created = newGUID(), name, "AzureADMyOrg", long
	a.passwords = []password{{keyID: a.SecretID, secret: a.Secret, displayName: "graphtest", start: long, end: long.AddDate(100, 0, 0), created: long}}
	sp := &servicePrincipal{objectID: newGUID(), appID: a.ClientID, displayName: name, created: long}
	s.dir.sps[sp.objectID] = sp
	s.apps[strings.ToLower(a.ClientID)] = a
}

// Permission is one entry of an app's required resource access.
type Permission struct {
	ResourceAppID, ID, Type string // Type: Role (application) or Scope (delegated)
}

// Password describes a client secret without its value.
type Password struct {
	KeyID, Hint, DisplayName string
	End                      time.Time
}

// Application is an app registration as a test sees it.
type Application struct {
	ObjectID, AppID, DisplayName, SignInAudience string
	Permissions                                  []Permission
	Passwords                                    []Password
	// ServicePrincipalID is its enterprise application's object ID; "" when none.
	ServicePrincipalID string
	// Consented lists the Graph app roles granted to the service principal.
	Consented []string
}

// Applications returns the tenant's app registrations, oldest first.
func (s *Server) Applications() []Application {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Application
	for _, a := range s.apps {
		x := Application{ObjectID: a.objectID, AppID: a.ClientID, DisplayName: a.displayName, SignInAudience: a.audience}
		for _, r := range a.rra {
			for _, ra := range r.ResourceAccess {
				x.Permissions = append(x.Permissions, Permission{r.ResourceAppID, ra.ID, ra.Type})
			}
		}
		for _, p := range a.passwords {
			x.Passwords = append(x.Passwords, Password{p.keyID, hint(p.secret), p.displayName, p.end})
		}
		if sp := s.spOf(a.ClientID); sp != nil {
			x.ServicePrincipalID = sp.objectID
			x.Consented = s.grantedRoles(sp.objectID, time.Time{})
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b Application) int {
		return s.apps[strings.ToLower(a.AppID)].created.Compare(s.apps[strings.ToLower(b.AppID)].created)
	})
	return out
}

func hint(secret string) string { return secret[:min(3, len(secret))] }

// spOf returns the service principal of appID; nil when it has none.
func (s *Server) spOf(appID string) *servicePrincipal {
	for _, sp := range s.dir.sps {
		if strings.EqualFold(sp.appID, appID) {
			return sp
		}
	}
	return nil
}

// grantedRoles lists the Graph app roles granted to principal; a zero at
// counts every grant, otherwise only those propagated by then.
func (s *Server) grantedRoles(principal string, at time.Time) []string {
	var out []string
	for _, g := range s.dir.grants {
		if g.principalID != principal || g.resourceID != s.dir.graphSP.objectID || (!at.IsZero() && at.Before(g.created.Add(s.dir.propagation))) {
			continue
		}
		for _, r := range graphAppRoles {
			if r.ID == g.appRoleID && !slices.Contains(out, r.Value) {
				out = append(out, r.Value)
			}
		}
	}
	return out
}

// tokenRoles is the roles claim of an app-only token for a issued at now:
// the roles set on it plus the Graph roles granted and propagated.
func (s *Server) tokenRoles(a *app, now time.Time) []string {
	roles := append([]string(nil), a.roles...)
	if sp := s.spOf(a.ClientID); sp != nil {
		for _, r := range s.grantedRoles(sp.objectID, now) {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	return roles
}

// checkSecret says why a client-credentials request for a is refused at
// now ("" when it is not): an unknown or not yet propagated secret is
// AADSTS7000215, an expired one AADSTS7000222.
func (s *Server) checkSecret(a *app, secret string, now time.Time) string {
	expired := a.secretExpired
	for _, p := range a.passwords {
		switch {
		case p.secret != secret || now.Before(p.created.Add(s.dir.propagation)):
		case now.After(p.end) || a.secretExpired:
			expired = true
		default:
			return ""
		}
	}
	if expired {
		return "expired"
	}
	return "invalid"
}

// serveDirectory answers the directory endpoints; false when the path is
// not one of them.
func (s *Server) serveDirectory(w http.ResponseWriter, r *http.Request, at accessToken, segs []string) bool {
	switch {
	case segs[0] == "applications" || strings.HasPrefix(segs[0], "applications("):
		s.serveApplications(w, r, at, segs)
	case segs[0] == "servicePrincipals":
		s.serveServicePrincipals(w, r, at, segs)
	default:
		return false
	}
	return true
}

// Permission sets the directory checks use.
var (
	readScopes   = []string{"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	writeScopes  = []string{"Application.ReadWrite.All"}
	grantScopes  = []string{"AppRoleAssignment.ReadWrite.All"}
	appAdmins    = []string{GlobalAdministrator, ApplicationAdministrator, CloudApplicationAdministrator}
	graphGranter = []string{GlobalAdministrator, PrivilegedRoleAdministrator}
)

// allowed answers 403 Authorization_RequestDenied unless the token holds
// one of scopes (every list given) and, when roles is not nil, its user one
// of roles.
func allowed(w http.ResponseWriter, at accessToken, roles []string, scopes ...[]string) bool {
	ok := at.user != nil
	for _, need := range scopes {
		ok = ok && slices.ContainsFunc(need, func(s string) bool { return slices.Contains(at.scopes, s) })
	}
	if ok && roles != nil {
		ok = slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(at.user.Roles, r) })
	}
	if !ok {
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", 0)
	}
	return ok
}

var appIDKey = regexp.MustCompile(`^applications\(appId='([^']*)'\)$`)

// serveApplications answers /applications, /applications/{id},
// /applications(appId='…') and their addPassword and removePassword.
func (s *Server) serveApplications(w http.ResponseWriter, r *http.Request, at accessToken, segs []string) {
	if len(segs) == 1 && segs[0] == "applications" {
		switch r.Method {
		case http.MethodGet:
			if allowed(w, at, nil, readScopes) {
				s.listApplications(w, r)
			}
		case http.MethodPost:
			if allowed(w, at, appAdmins, writeScopes) {
				s.createApplication(w, r)
			}
		default:
			methodNotAllowed(w)
		}
		return
	}
	s.mu.Lock()
	a := s.appByKey(segs[0], segs[min(1, len(segs)-1)])
	s.mu.Unlock()
	if len(segs) > 1 && segs[0] == "applications" {
		segs = segs[1:]
	}
	action := strings.Join(segs[1:], "/")
	read := r.Method == http.MethodGet && action == ""
	if !(read && allowed(w, at, nil, readScopes) || !read && allowed(w, at, appAdmins, writeScopes)) {
		return
	}
	if a == nil {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", segs[0]), 0)
		return
	}
	switch {
	case read:
		s.mu.Lock()
		body := s.wireApp(a)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, body)
	case r.Method == http.MethodPatch && action == "":
		s.patchApplication(w, r, a)
	case r.Method == http.MethodDelete && action == "":
		s.mu.Lock()
		delete(s.apps, strings.ToLower(a.ClientID))
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && action == "addPassword":
		s.addPassword(w, r, a)
	case r.Method == http.MethodPost && action == "removePassword":
		s.removePassword(w, r, a)
	default:
		graphError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Unsupported request: %s %s.", r.Method, r.URL.Path), 0)
	}
}

// appByKey finds the app addressed by /applications/{objectID} or
// /applications(appId='…'); s.mu is held.
func (s *Server) appByKey(first, second string) *app {
	if m := appIDKey.FindStringSubmatch(first); m != nil {
		return s.apps[strings.ToLower(m[1])]
	}
	for _, a := range s.apps {
		if strings.EqualFold(a.objectID, second) {
			return a
		}
	}
	return nil
}

// filterEq reads the one $filter these endpoints need, "prop eq 'value'"
// for one of props; anything else is answered 400 like Graph does.
func filterEq(w http.ResponseWriter, q url.Values, props ...string) (prop, value string, ok bool) {
	f := q.Get("$filter")
	if f == "" {
		return "", "", true
	}
	name, rest, _ := strings.Cut(strings.TrimSpace(f), " eq ")
	if !slices.Contains(props, name) || len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
		graphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property '"+name+"' of resource 'Application'.", 0)
		return "", "", false
	}
	return name, strings.ReplaceAll(rest[1:len(rest)-1], "''", "'"), true
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request) {
	prop, value, ok := filterEq(w, r.URL.Query(), "displayName", "appId")
	if !ok {
		return
	}
	s.mu.Lock()
	list := []wireApplication{}
	for _, a := range s.apps {
		if prop == "displayName" && a.displayName != value || prop == "appId" && !strings.EqualFold(a.ClientID, value) {
			continue
		}
		list = append(list, s.wireApp(a))
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b wireApplication) int { return strings.Compare(a.CreatedDateTime, b.CreatedDateTime) })
	writeJSON(w, http.StatusOK, wireList[wireApplication]{ODataContext: s.srv.URL + "/v1.0/$metadata#applications", Value: list})
}

// applicationProps are the properties of Graph's application resource a
// request body may carry here; any other is refused, as Graph refuses
// properties its type lacks.
var applicationProps = []string{"displayName", "signInAudience", "requiredResourceAccess", "notes", "description", "tags",
	"web", "publicClient", "spa", "api", "info", "identifierUris", "isFallbackPublicClient"}

// decodeBody reads a JSON object whose keys must be among props.
func decodeBody(w http.ResponseWriter, r *http.Request, props []string) (map[string]json.RawMessage, bool) {
	fields := map[string]json.RawMessage{}
	if err := json.NewDecoder(r.Body).Decode(&fields); err != nil {
		graphError(w, http.StatusBadRequest, "BadRequest", "Empty Payload. JSON content expected.", 0)
		return nil, false
	}
	for k := range fields {
		if !slices.Contains(props, k) && k != "@odata.type" {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Invalid property '%s'.", k), 0)
			return nil, false
		}
	}
	return fields, true
}

var audiences = []string{"AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"}

// applyApp sets the properties fields gives on a; false once it answered 400.
func applyApp(w http.ResponseWriter, a *app, fields map[string]json.RawMessage) bool {
	bad := func(prop string) bool {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Invalid value specified for property '%s' of resource 'Application'.", prop), 0)
		return false
	}
	if raw, ok := fields["displayName"]; ok {
		if json.Unmarshal(raw, &a.displayName) != nil || strings.TrimSpace(a.displayName) == "" {
			return bad("displayName")
		}
	}
	if raw, ok := fields["signInAudience"]; ok {
		if json.Unmarshal(raw, &a.audience) != nil || !slices.Contains(audiences, a.audience) {
			return bad("signInAudience")
		}
	}
	if raw, ok := fields["requiredResourceAccess"]; ok {
		var rra []wireRequiredResourceAccess
		if json.Unmarshal(raw, &rra) != nil {
			return bad("requiredResourceAccess")
		}
		for _, x := range rra {
			if !guidPattern.MatchString(x.ResourceAppID) {
				return bad("requiredResourceAccess")
			}
			for _, ra := range x.ResourceAccess {
				if !guidPattern.MatchString(ra.ID) || ra.Type != "Role" && ra.Type != "Scope" {
					return bad("requiredResourceAccess")
				}
			}
		}
		a.rra = rra
	}
	return true
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// createApplication answers POST /applications. Without a signInAudience
// the app is AzureADandPersonalMicrosoftAccount, as Graph makes it.
func (s *Server) createApplication(w http.ResponseWriter, r *http.Request) {
	fields, ok := decodeBody(w, r, applicationProps)
	if !ok {
		return
	}
	if _, ok := fields["displayName"]; !ok {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "A value is required for property 'displayName' of resource 'Application'.", 0)
		return
	}
	if _, ok := fields["passwordCredentials"]; ok {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Adding passwordCredentials when creating applications is not supported: use addPassword.", 0)
		return
	}
	a := &app{App: App{ClientID: newGUID()}, objectID: newGUID(), audience: "AzureADandPersonalMicrosoftAccount", created: time.Now()}
	if !applyApp(w, a, fields) {
		return
	}
	s.mu.Lock()
	s.apps[strings.ToLower(a.ClientID)] = a
	body := s.wireApp(a)
	s.mu.Unlock()
	body.ODataContext = s.srv.URL + "/v1.0/$metadata#applications/$entity"
	writeJSON(w, http.StatusCreated, body)
}

// patchApplication answers PATCH /applications/{id}.
func (s *Server) patchApplication(w http.ResponseWriter, r *http.Request, a *app) {
	fields, ok := decodeBody(w, r, applicationProps)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := *a
	if applyApp(w, &next, fields) {
		a.displayName, a.audience, a.rra = next.displayName, next.audience, next.rra
		w.WriteHeader(http.StatusNoContent)
	}
}

// addPassword answers POST /applications/{id}/addPassword: a new secret
// whose value only this answer carries.
func (s *Server) addPassword(w http.ResponseWriter, r *http.Request, a *app) {
	fields, ok := decodeBody(w, r, []string{"passwordCredential"})
	if !ok {
		return
	}
	var in struct {
		DisplayName   string `json:"displayName"`
		StartDateTime string `json:"startDateTime"`
		EndDateTime   string `json:"endDateTime"`
		SecretText    string `json:"secretText"`
		KeyID         string `json:"keyId"`
	}
	if raw, ok := fields["passwordCredential"]; ok && json.Unmarshal(raw, &in) != nil || in.SecretText != "" || in.KeyID != "" {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'passwordCredential': secretText and keyId are generated.", 0)
		return
	}
	now := time.Now().UTC()
	p := password{keyID: newGUID(), secret: newSecretValue(), displayName: in.DisplayName, start: now, created: now}
	var err error
	if in.StartDateTime != "" {
		p.start, err = time.Parse(time.RFC3339Nano, in.StartDateTime)
	}
	p.end = p.start.AddDate(2, 0, 0)
	if err == nil && in.EndDateTime != "" {
		p.end, err = time.Parse(time.RFC3339Nano, in.EndDateTime)
	}
	if err != nil || !p.end.After(p.start) {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.", 0)
		return
	}
	s.mu.Lock()
	a.passwords = append(a.passwords, p)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, wirePassword{
		ODataContext: s.srv.URL + "/v1.0/$metadata#microsoft.graph.passwordCredential", DisplayName: p.displayName,
		EndDateTime: p.end.Format(time.RFC3339Nano), Hint: hint(p.secret), KeyID: p.keyID, SecretText: &p.secret,
		StartDateTime: p.start.Format(time.RFC3339Nano),
	})
}

// removePassword answers POST /applications/{id}/removePassword.
func (s *Server) removePassword(w http.ResponseWriter, r *http.Request, a *app) {
	fields, ok := decodeBody(w, r, []string{"keyId"})
	if !ok {
		return
	}
	var keyID string
	if json.Unmarshal(fields["keyId"], &keyID) != nil || !guidPattern.MatchString(keyID) {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'keyId'.", 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(a.passwords, func(p password) bool { return strings.EqualFold(p.keyID, keyID) })
	if i < 0 {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("No password credential found with keyId '%s'.", keyID), 0)
		return
	}
	a.passwords = slices.Delete(a.passwords, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}
