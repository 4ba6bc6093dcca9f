package graphtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// App is an application registered in the simulated tenant: the client ID
// and secret its token requests carry. SecretID is the secret's ID, which
// is not a secret value: a client that sends it gets AADSTS7000215.
type App struct {
	ClientID, Secret, SecretID string
}

// app is an App with its grants and its share of Graph's concurrency limit.
type app struct {
	App
	roles         []string        // application roles consented in Entra ID
	scope         map[string]bool // RBAC for Applications: mailboxes in scope; nil: no assignment
	secretExpired bool
	inFlight      int
	maxInFlight   int

	// The app registration (see directory.go).
	objectID, displayName, audience string
	created                         time.Time
	rra                             []wireRequiredResourceAccess
	passwords                       []password
}

type accessToken struct {
	clientID string
	roles    []string
	expires  time.Time
	scopes   []string // delegated permissions (scp) of a user's token
	user     *User    // the signed-in user of a delegated token; nil: app-only
}

// RegisterApp registers another application in the tenant, with admin
// consent for Calendars.ReadWrite, as a second app on the same server
// would be: its tokens, grants and concurrency limit are its own.
func (s *Server) RegisterApp() App {
	a := &app{App: App{ClientID: newGUID(), Secret: newSecretValue(), SecretID: newGUID()}, roles: []string{Role}}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.register(a, fmt.Sprintf("graphtest app %d", len(s.apps)+1))
	return a.App
}

// SetRoles sets the application roles of the tokens issued from now on to
// the server's own app. No roles is what a token looks like when admin
// consent was never granted, and when the only grant is RBAC for
// Applications (see ScopeApp).
func (s *Server) SetRoles(roles ...string) { s.SetAppRoles(s.ClientID, roles...) }

// SetAppRoles is SetRoles for the app clientID.
func (s *Server) SetAppRoles(clientID string, roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[strings.ToLower(clientID)]; a != nil {
		a.roles = append([]string(nil), roles...)
	}
}

// ScopeApp gives the app clientID Exchange's "Application
// Calendars.ReadWrite" role over these mailboxes only, as RBAC for
// Applications does (New-ManagementRoleAssignment -App …
// -CustomResourceScope …). The grant lives in Exchange, not in the token:
// a token without roles then reads and writes those mailboxes, and gets
// 403 ErrorAccessDenied for any other. No mailboxes removes the assignment.
func (s *Server) ScopeApp(clientID string, mailboxes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[strings.ToLower(clientID)]
	if a == nil {
		return
	}
	a.scope = nil
	if len(mailboxes) > 0 {
		a.scope = map[string]bool{}
		for _, m := range mailboxes {
			a.scope[strings.ToLower(m)] = true
		}
	}
}

// ExpireSecret makes the token endpoint answer AADSTS7000222 (expired
// secret) to the server's own app's right secret.
func (s *Server) ExpireSecret() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[strings.ToLower(s.ClientID)].secretExpired = true
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.tokenError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	form := r.PostForm
	now := time.Now()
	s.mu.Lock()
	a := s.apps[strings.ToLower(form.Get("client_id"))]
	var refused string
	if a != nil && now.Before(a.created.Add(s.dir.propagation)) {
		a = nil // not yet known to the token endpoint
	}
	if a != nil {
		refused = s.checkSecret(a, form.Get("client_secret"), now)
	}
	s.mu.Unlock()
	switch {
	case form.Get("grant_type") != "client_credentials":
		s.tokenError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+form.Get("grant_type")+"'.")
		return
	case a == nil:
		s.tokenError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", form.Get("client_id")))
		return
	case refused == "invalid":
		s.tokenError(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", a.ClientID))
		return
	case !strings.Contains(" "+form.Get("scope")+" ", " "+graphScope+" "):
		s.tokenError(w, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope '"+form.Get("scope")+"' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	if refused == "expired" {
		s.tokenError(w, http.StatusUnauthorized, "invalid_client", 7000222, fmt.Sprintf(
			"The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", a.ClientID))
		return
	}
	s.mu.Lock()
	if s.spOf(a.ClientID) == nil {
		s.mu.Unlock()
		s.tokenError(w, http.StatusBadRequest, "invalid_client", 7000229, fmt.Sprintf(
			"The client application %s is missing service principal in the tenant %s.", a.ClientID, s.TenantID))
		return
	}
	lifetime := s.tokenLifetime
	roles := s.tokenRoles(a, now)
	token := s.newAccessToken(now, lifetime, a.ClientID, roles)
	s.accessTokens[token] = accessToken{clientID: a.ClientID, roles: roles, expires: now.Add(lifetime)}
	s.mu.Unlock()
	secs := int(lifetime / time.Second)
	writeJSON(w, http.StatusOK, wireToken{TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: token})
}

// newAccessToken builds a JWT-shaped token: header, claims, random signature.
func (s *Server) newAccessToken(now time.Time, lifetime time.Duration, clientID string, roles []string) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "kid": "graphtest"})
	claims, _ := json.Marshal(wireClaims{
		Aud: "https://graph.microsoft.com", Iss: "https://sts.windows.net/" + s.TenantID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(lifetime).Unix(),
		AppID: clientID, AppDisplayName: "invitesync (simulated)", IDType: "app",
		OID: newGUID(), Roles: roles, Sub: newGUID(), TID: s.TenantID, Ver: "1.0", XmsCC: []string{"CP1"},
	})
	sig := make([]byte, 64)
	_, _ = rand.Read(sig)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig)
}

// bearer returns the request's bearer token, or "".
func bearer(r *http.Request) string {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return token
}

// authenticate checks the bearer token and returns what it stands for.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (accessToken, bool) {
	token := bearer(r)
	if token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.", 0)
		return accessToken{}, false
	}
	s.mu.Lock()
	at, known := s.accessTokens[token]
	s.mu.Unlock()
	switch {
	case !known:
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", 0)
		return accessToken{}, false
	case time.Now().After(at.expires):
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", 0)
		return accessToken{}, false
	}
	return at, true
}

// permitted answers 403 unless the token's roles, or failing them the
// app's RBAC scope, cover this call on user's calendar. viaRoles reports
// that the roles did: only then does an application access policy apply.
func (s *Server) permitted(w http.ResponseWriter, at accessToken, user string, write bool) (viaRoles, ok bool) {
	if slices.Contains(at.roles, Role) || (!write && slices.Contains(at.roles, "Calendars.Read")) {
		return true, true
	}
	s.mu.Lock()
	a := s.apps[strings.ToLower(at.clientID)]
	inScope := a != nil && a.scope[strings.ToLower(user)]
	s.mu.Unlock()
	if !inScope {
		// No consent, or a mailbox outside the app's RBAC scope: Graph
		// documents no other body for either.
		graphError(w, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again.", 0)
		return false, false
	}
	return false, true
}
