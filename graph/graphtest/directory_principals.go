package graphtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Service principals (enterprise applications) and their app role
// assignments under /servicePrincipals, and the wire forms of the directory's
// objects: see directory.go.

// serveServicePrincipals answers /servicePrincipals, /servicePrincipals/{id},
// …/appRoleAssignments and …/appRoleAssignedTo.
func (s *Server) serveServicePrincipals(w http.ResponseWriter, r *http.Request, at accessToken, segs []string) {
	if len(segs) == 1 {
		switch r.Method {
		case http.MethodGet:
			if allowed(w, at, nil, readScopes) {
				s.listServicePrincipals(w, r)
			}
		case http.MethodPost:
			if allowed(w, at, appAdmins, writeScopes) {
				s.createServicePrincipal(w, r)
			}
		default:
			methodNotAllowed(w)
		}
		return
	}
	s.mu.Lock()
	sp := s.dir.sps[strings.ToLower(segs[1])]
	s.mu.Unlock()
	action := strings.Join(segs[2:], "/")
	notFound := func() {
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", segs[1]), 0)
	}
	switch {
	case r.Method == http.MethodGet && (action == "" || action == "appRoleAssignments"):
		if !allowed(w, at, nil, readScopes) {
			return
		}
		if sp == nil {
			notFound()
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if action == "" {
			writeJSON(w, http.StatusOK, s.wireSP(sp))
			return
		}
		list := []wireAssignment{}
		for _, g := range s.dir.grants {
			if g.principalID == sp.objectID {
				list = append(list, s.wireGrant(g))
			}
		}
		writeJSON(w, http.StatusOK, wireList[wireAssignment]{ODataContext: s.srv.URL + "/v1.0/$metadata#servicePrincipals('" + sp.objectID + "')/appRoleAssignments", Value: list})
	case r.Method == http.MethodDelete && action == "":
		if !allowed(w, at, appAdmins, writeScopes) {
			return
		}
		if sp == nil || sp.appID == GraphAppID {
			notFound()
			return
		}
		s.mu.Lock()
		delete(s.dir.sps, sp.objectID)
		s.dir.grants = slices.DeleteFunc(s.dir.grants, func(g *assignment) bool { return g.principalID == sp.objectID })
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && action == "appRoleAssignedTo":
		granters := slices.Concat(appAdmins, []string{PrivilegedRoleAdministrator})
		if sp != nil && sp.appID == GraphAppID {
			granters = graphGranter
		}
		if !allowed(w, at, granters, grantScopes, readScopes) {
			return
		}
		if sp == nil {
			notFound()
			return
		}
		s.grantRole(w, r, sp)
	default:
		graphError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Unsupported request: %s %s.", r.Method, r.URL.Path), 0)
	}
}

func (s *Server) listServicePrincipals(w http.ResponseWriter, r *http.Request) {
	prop, value, ok := filterEq(w, r.URL.Query(), "appId", "displayName")
	if !ok {
		return
	}
	s.mu.Lock()
	list := []wireServicePrincipal{}
	for _, sp := range s.dir.sps {
		if prop == "appId" && !strings.EqualFold(sp.appID, value) || prop == "displayName" && sp.displayName != value {
			continue
		}
		list = append(list, s.wireSP(sp))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, wireList[wireServicePrincipal]{ODataContext: s.srv.URL + "/v1.0/$metadata#servicePrincipals", Value: list})
}

// createServicePrincipal answers POST /servicePrincipals {"appId": …}.
func (s *Server) createServicePrincipal(w http.ResponseWriter, r *http.Request) {
	fields, ok := decodeBody(w, r, []string{"appId", "tags", "notes", "description", "accountEnabled"})
	if !ok {
		return
	}
	var appID string
	if json.Unmarshal(fields["appId"], &appID) != nil || appID == "" {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "A value is required for property 'appId' of resource 'ServicePrincipal'.", 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[strings.ToLower(appID)]
	switch {
	case a == nil || time.Now().Before(a.created.Add(s.dir.replication)):
		graphError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("The appId '%s' of the service principal does not reference a valid application object.", appID), 0)
	case s.spOf(appID) != nil:
		graphError(w, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue", "The service principal cannot be created, updated, or restored because the service principal name "+appID+" is already in use.", 0)
	default:
		sp := &servicePrincipal{objectID: newGUID(), appID: a.ClientID, displayName: a.displayName, created: time.Now()}
		s.dir.sps[sp.objectID] = sp
		body := s.wireSP(sp)
		body.ODataContext = s.srv.URL + "/v1.0/$metadata#servicePrincipals/$entity"
		writeJSON(w, http.StatusCreated, body)
	}
}

// grantRole answers POST /servicePrincipals/{resource}/appRoleAssignedTo.
func (s *Server) grantRole(w http.ResponseWriter, r *http.Request, resource *servicePrincipal) {
	fields, ok := decodeBody(w, r, []string{"principalId", "resourceId", "appRoleId"})
	if !ok {
		return
	}
	var g assignment
	if json.Unmarshal(fields["principalId"], &g.principalID) != nil || json.Unmarshal(fields["resourceId"], &g.resourceID) != nil ||
		json.Unmarshal(fields["appRoleId"], &g.appRoleID) != nil || !guidPattern.MatchString(g.principalID) || !guidPattern.MatchString(g.appRoleID) {
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "principalId, resourceId and appRoleId are required GUIDs.", 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	principal := s.dir.sps[strings.ToLower(g.principalID)]
	known := resource.appID == GraphAppID && slices.ContainsFunc(graphAppRoles, func(r wireAppRole) bool { return r.ID == g.appRoleID })
	switch {
	case !strings.EqualFold(g.resourceID, resource.objectID):
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "The resourceId must be the service principal in the request's path.", 0)
	case principal == nil || time.Now().Before(principal.created.Add(s.dir.replication)):
		graphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", g.principalID), 0)
	case !known:
		graphError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Permission being assigned was not found on application '%s'.", resource.appID), 0)
	case slices.ContainsFunc(s.dir.grants, func(x *assignment) bool {
		return x.principalID == principal.objectID && x.resourceID == resource.objectID && x.appRoleID == g.appRoleID
	}):
		graphError(w, http.StatusBadRequest, "Request_BadRequest", "Permission being assigned already exists on the object", 0)
	default:
		g.id, g.principalID, g.resourceID, g.created = newGUID(), principal.objectID, resource.objectID, time.Now()
		s.dir.grants = append(s.dir.grants, &g)
		body := s.wireGrant(&g)
		body.ODataContext = s.srv.URL + "/v1.0/$metadata#servicePrincipals('" + resource.objectID + "')/appRoleAssignedTo/$entity"
		writeJSON(w, http.StatusCreated, body)
	}
}

func methodNotAllowed(w http.ResponseWriter) {
	graphError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "The HTTP method is not allowed for this resource.", 0)
}

// wireApp renders a; s.mu is held.
func (s *Server) wireApp(a *app) wireApplication {
	out := wireApplication{ID: a.objectID, AppID: a.ClientID, DisplayName: a.displayName, SignInAudience: a.audience,
		CreatedDateTime: a.created.UTC().Format(time.RFC3339Nano), PublisherDomain: "contoso.onmicrosoft.com",
		RequiredResourceAccess: a.rra, PasswordCredentials: []wirePassword{}, IdentifierURIs: []string{}, Tags: []string{}}
	if out.RequiredResourceAccess == nil {
		out.RequiredResourceAccess = []wireRequiredResourceAccess{}
	}
	for _, p := range a.passwords {
		out.PasswordCredentials = append(out.PasswordCredentials, wirePassword{DisplayName: p.displayName,
			EndDateTime: p.end.UTC().Format(time.RFC3339Nano), Hint: hint(p.secret), KeyID: p.keyID,
			StartDateTime: p.start.UTC().Format(time.RFC3339Nano)})
	}
	return out
}

// wireSP renders sp; s.mu is held.
func (s *Server) wireSP(sp *servicePrincipal) wireServicePrincipal {
	out := wireServicePrincipal{ID: sp.objectID, AccountEnabled: true, AppID: sp.appID, AppDisplayName: sp.displayName,
		DisplayName: sp.displayName, AppOwnerOrganizationID: s.TenantID, ServicePrincipalType: "Application",
		ServicePrincipalNames: []string{sp.appID}, AppRoles: []wireAppRole{}, OAuth2PermissionScopes: []wireScope{}, Tags: []string{}}
	if sp.appID == GraphAppID {
		out.AppRoles, out.OAuth2PermissionScopes = graphAppRoles, graphScopeList
		out.AppOwnerOrganizationID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	}
	return out
}

// wireGrant renders g; s.mu is held.
func (s *Server) wireGrant(g *assignment) wireAssignment {
	name := func(id string) string {
		if sp := s.dir.sps[id]; sp != nil {
			return sp.displayName
		}
		return ""
	}
	return wireAssignment{ID: g.id, AppRoleID: g.appRoleID, CreatedDateTime: g.created.UTC().Format(time.RFC3339Nano),
		PrincipalDisplayName: name(g.principalID), PrincipalID: g.principalID, PrincipalType: "ServicePrincipal",
		ResourceDisplayName: name(g.resourceID), ResourceID: g.resourceID}
}
