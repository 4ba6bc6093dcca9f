package graphtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Directory roles the simulator knows, by the names the portal shows.
const (
	GlobalAdministrator           = "Global Administrator"
	PrivilegedRoleAdministrator   = "Privileged Role Administrator"
	ApplicationAdministrator      = "Application Administrator"
	CloudApplicationAdministrator = "Cloud Application Administrator"
	// ExchangeAdministrator grants nothing in the directory; a client that
	// reads a token's roles may not know it.
	ExchangeAdministrator = "Exchange Administrator"
)

// roleTemplateIDs are the directory roles' template IDs, the same in every
// tenant: what a delegated token's wids claim lists.
var roleTemplateIDs = map[string]string{
	GlobalAdministrator:           "62e90394-69f5-4237-9190-012177145e10",
	PrivilegedRoleAdministrator:   "e8611ab8-c189-46e8-94e1-60213ab1f814",
	ApplicationAdministrator:      "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
	CloudApplicationAdministrator: "158c047a-c907-4556-b7ef-446551a6b5f7",
	ExchangeAdministrator:         "29232cdf-9323-42fd-ade2-1d097af3e4de",
}

// Public clients: Microsoft Graph Command Line Tools may ask for any
// delegated Graph permission; the Azure CLI may not (Entra answers
// AADSTS65002: its Graph permissions are preauthorized by Microsoft).
const (
	GraphCommandLineToolsClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
	AzureCLIClientID              = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
)

// DefaultDeviceCodeLifetime is how long Entra keeps a device code (expires_in 900).
const DefaultDeviceCodeLifetime = 15 * time.Minute

// User is a person of the simulated tenant who can approve a device code.
type User struct {
	UPN, ObjectID string
	Roles         []string // directory roles, e.g. GlobalAdministrator
}

// DeviceCode is a device-code sign-in waiting for, or past, its approval.
type DeviceCode struct {
	UserCode string
	ClientID string
	Scopes   []string // the Graph permissions asked for, e.g. Application.ReadWrite.All
	Expires  time.Time
	State    string // pending, approved, declined or redeemed
}

// deviceFlow is one device authorization: DeviceCode plus its secret half
// and the user who approved it.
type deviceFlow struct {
	DeviceCode
	deviceCode string
	user       *User
}

// entra is the simulated tenant's people and device-code sign-ins.
type entra struct {
	users          map[string]*User       // by lower-case UPN
	flows          map[string]*deviceFlow // by device code
	deviceLifetime time.Duration
}

func newEntra() entra {
	return entra{users: map[string]*User{}, flows: map[string]*deviceFlow{}, deviceLifetime: DefaultDeviceCodeLifetime}
}

// AddUser adds a person with these directory roles to the tenant.
func (s *Server) AddUser(upn string, roles ...string) User {
	u := &User{UPN: upn, ObjectID: newGUID(), Roles: append([]string(nil), roles...)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entra.users[strings.ToLower(upn)] = u
	return *u
}

// SetDeviceCodeLifetime sets how long device codes issued from now on stay valid.
func (s *Server) SetDeviceCodeLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entra.deviceLifetime = d
}

// DeviceCodes returns the device codes issued so far, oldest first.
func (s *Server) DeviceCodes() []DeviceCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DeviceCode
	for _, f := range s.entra.flows {
		dc := f.DeviceCode
		if dc.State == "pending" && time.Now().After(dc.Expires) {
			dc.State = "expired"
		}
		out = append(out, dc)
	}
	slices.SortFunc(out, func(a, b DeviceCode) int { return a.Expires.Compare(b.Expires) })
	return out
}

// ApproveDeviceCode does what the person upn does in the browser: enter
// userCode at the verification page, sign in and accept. The next poll of
// the device gets a token for upn with the scopes it asked for.
func (s *Server) ApproveDeviceCode(userCode, upn string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.entra.users[strings.ToLower(upn)]
	if u == nil {
		return fmt.Errorf("graphtest: no user %s (AddUser first)", upn)
	}
	f, err := s.pendingFlow(userCode)
	if err != nil {
		return err
	}
	f.State, f.user = "approved", u
	return nil
}

// DeclineDeviceCode does what a person does who enters userCode and then
// cancels: the device's next poll gets authorization_declined.
func (s *Server) DeclineDeviceCode(userCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.pendingFlow(userCode)
	if err != nil {
		return err
	}
	f.State = "declined"
	return nil
}

func (s *Server) pendingFlow(userCode string) (*deviceFlow, error) {
	for _, f := range s.entra.flows {
		if !strings.EqualFold(f.UserCode, userCode) {
			continue
		}
		switch {
		case f.State != "pending":
			return nil, fmt.Errorf("graphtest: code %s is %s", userCode, f.State)
		case time.Now().After(f.Expires):
			return nil, errors.New("graphtest: that code has expired")
		}
		return f, nil
	}
	return nil, fmt.Errorf("graphtest: no device code %s", userCode)
}

// knownTenant reports whether tenant names the simulated tenant, by ID or
// by one of the aliases a multi-tenant public client signs in through.
func (s *Server) knownTenant(tenant string, aliases bool) bool {
	if strings.EqualFold(tenant, s.TenantID) {
		return true
	}
	return aliases && (strings.EqualFold(tenant, "organizations") || strings.EqualFold(tenant, "common"))
}

// graphScopes turns a request's scope parameter into Graph permission names,
// leaving out openid, profile and offline_access. A scope for another
// resource is returned in bad.
func graphScopes(scope string) (perms []string, bad string) {
	for _, sc := range strings.Fields(scope) {
		switch {
		case sc == "openid" || sc == "profile" || sc == "offline_access" || sc == "email":
		case strings.HasPrefix(sc, "https://graph.microsoft.com/"):
			perms = append(perms, strings.TrimPrefix(sc, "https://graph.microsoft.com/"))
		default:
			return nil, sc
		}
	}
	return perms, ""
}

// serveDeviceCode answers POST /{tenant}/oauth2/v2.0/devicecode.
func (s *Server) serveDeviceCode(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.tokenError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
		return
	}
	clientID := r.PostForm.Get("client_id")
	perms, bad := graphScopes(r.PostForm.Get("scope"))
	switch {
	case strings.EqualFold(clientID, AzureCLIClientID):
		s.tokenError(w, http.StatusBadRequest, "invalid_client", 65002, fmt.Sprintf(
			"Consent between first party application '%s' and first party resource '00000003-0000-0000-c000-000000000000' must be configured via preauthorization - applications owned and operated by Microsoft must get approval from the API owner before requesting tokens for that API.", clientID))
		return
	case !strings.EqualFold(clientID, GraphCommandLineToolsClientID):
		s.tokenError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", clientID))
		return
	case bad != "" || len(perms) == 0:
		s.tokenError(w, http.StatusBadRequest, "invalid_scope", 70011, fmt.Sprintf(
			"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid: '%s'.", bad))
		return
	}
	s.mu.Lock()
	lifetime := s.entra.deviceLifetime
	f := &deviceFlow{deviceCode: newDeviceCode(), DeviceCode: DeviceCode{
		UserCode: newUserCode(), ClientID: clientID, Scopes: perms, Expires: time.Now().Add(lifetime), State: "pending",
	}}
	s.entra.flows[f.deviceCode] = f
	s.mu.Unlock()
	verify := s.srv.URL + "/devicelogin"
	writeJSON(w, http.StatusOK, wireDeviceCode{
		UserCode: f.UserCode, DeviceCode: f.deviceCode, VerificationURI: verify,
		ExpiresIn: int(lifetime / time.Second), Interval: 5,
		Message: fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", verify, f.UserCode),
	})
}

// serveDeviceToken answers the device's poll: grant_type device_code.
func (s *Server) serveDeviceToken(w http.ResponseWriter, tenant string, form map[string][]string) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	s.mu.Lock()
	f := s.entra.flows[get("device_code")]
	var state string
	var user User
	var perms []string
	if f != nil {
		state = f.State
		if state == "pending" && time.Now().After(f.Expires) {
			state = "expired"
		}
		if state == "approved" {
			f.State = "redeemed"
			user, perms = *f.user, f.Scopes
		}
	}
	s.mu.Unlock()
	switch {
	case f == nil || state == "redeemed" || !strings.EqualFold(get("client_id"), f.ClientID):
		s.tokenError(w, http.StatusBadRequest, "invalid_grant", 70000, "The provided value for the 'device_code' is not valid: it was not issued to this client, or it has been used.")
	case state == "expired":
		s.tokenError(w, http.StatusBadRequest, "expired_token", 70019, "Verification code expired.")
	case state == "declined":
		s.tokenError(w, http.StatusBadRequest, "authorization_declined", 65004, "User declined to consent to access the app.")
	case state == "pending":
		s.tokenError(w, http.StatusBadRequest, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
	default:
		s.issueUserToken(w, f.ClientID, user, perms)
	}
}

// issueUserToken answers a redeemed device code: a delegated access token
// for Graph (scp, wids), an ID token and client_info, as MSAL expects.
func (s *Server) issueUserToken(w http.ResponseWriter, clientID string, u User, perms []string) {
	now := time.Now()
	s.mu.Lock()
	lifetime := s.tokenLifetime
	s.mu.Unlock()
	var wids []string
	for _, r := range u.Roles {
		if id := roleTemplateIDs[r]; id != "" {
			wids = append(wids, id)
		}
	}
	enc := base64.RawURLEncoding
	jwt := func(claims any) string {
		header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "kid": "graphtest"})
		body, _ := json.Marshal(claims)
		sig := make([]byte, 64)
		_, _ = rand.Read(sig)
		return enc.EncodeToString(header) + "." + enc.EncodeToString(body) + "." + enc.EncodeToString(sig)
	}
	access := jwt(wireUserClaims{
		Aud: "https://graph.microsoft.com", Iss: "https://sts.windows.net/" + s.TenantID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(lifetime).Unix(), AppID: clientID,
		IDType: "user", OID: u.ObjectID, Scp: strings.Join(perms, " "), Sub: newGUID(), TID: s.TenantID,
		UPN: u.UPN, Wids: wids, Ver: "1.0",
	})
	id := jwt(wireIDToken{
		Aud: clientID, Iss: s.srv.URL + "/" + s.TenantID + "/v2.0", Iat: now.Unix(), Nbf: now.Unix(),
		Exp: now.Add(lifetime).Unix(), Name: u.UPN, OID: u.ObjectID, PreferredUsername: u.UPN,
		Sub: newGUID(), TID: s.TenantID, Ver: "2.0",
	})
	info, _ := json.Marshal(map[string]string{"uid": u.ObjectID, "utid": s.TenantID})
	s.mu.Lock()
	s.accessTokens[access] = accessToken{clientID: clientID, scopes: perms, user: &u, expires: now.Add(lifetime)}
	s.mu.Unlock()
	scopes := make([]string, len(perms))
	for i, p := range perms {
		scopes[i] = "https://graph.microsoft.com/" + p
	}
	secs := int(lifetime / time.Second)
	writeJSON(w, http.StatusOK, wireUserToken{
		TokenType: "Bearer", Scope: strings.Join(append(scopes, "openid", "profile", "offline_access"), " "),
		ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: access, RefreshToken: newDeviceCode(), IDToken: id,
		ClientInfo: enc.EncodeToString(info),
	})
}

// newUserCode is a code like Entra's: nine letters and digits, easy to type.
func newUserCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func newDeviceCode() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// deviceGrant reports whether r is a device's poll for its token: the
// grant type as RFC 8628 names it, or as MSAL sends it.
func deviceGrant(r *http.Request) bool {
	g := r.PostFormValue("grant_type")
	return r.Method == http.MethodPost && (g == "urn:ietf:params:oauth:grant-type:device_code" || g == "device_code")
}
