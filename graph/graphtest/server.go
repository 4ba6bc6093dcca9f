// Package graphtest is a local simulator of Entra ID (OpenID metadata and the
// client-credentials token endpoint) and of the Microsoft Graph calendar
// endpoints invitesync uses, served over TLS on loopback by one server.
//
// It follows Graph's wire behaviour, and where the real service is harsher
// than its documentation it is as harsh: full event payloads, calendarView
// delta rounds paged by Prefer odata.maxpagesize with opaque tokens and links
// that point back at the simulator, @removed entries, cancellations as
// updates, times rendered in the Prefer outlook.timezone zone, and replies
// with gzip'd PascalCase bodies.
//
// Recurring series: in delta an occurrence is stripped to @odata.type,
// @odata.etag, seriesMasterId, type, id, start and end; its series master
// comes whole in the same round (after its occurrences, with its recurrence
// and the first occurrence's start and end, however long ago); an exception
// (an occurrence moved, edited or cancelled through UpdateEvent,
// CancelEvent, AddAttendee… on its id; it keeps the id) comes whole. A
// change to a whole series (on the master's id) comes as the master plus its
// stripped occurrences; an occurrence deleted from its series comes as its
// master changed, with no @removed. GET /users/{id}/events/{id} and
// GET …/events/{master}/instances?startDateTime&endDateTime (paged by $top,
// $skip or odata.maxpagesize) send occurrences whole. Occurrences show
// their master's iCalUId (SetDistinctOccurrenceUIDs gives each its own).
//
// Switches inject the errors Microsoft returns, throttling, slow answers and
// delta-token expiry; a scenario API changes the calendar. It is safe for
// concurrent use.
package graphtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"
)

// Role is the application permission the simulator checks on calendar calls.
const Role = "Calendars.ReadWrite"

// graphScope is the scope a client-credentials request for Graph carries.
const graphScope = "https://graph.microsoft.com/.default"

// Server is a running simulator. Create it with NewServer and Close it when done.
type Server struct {
	// TenantID, ClientID and Secret are the credentials the token endpoint
	// accepts. SecretID is the secret's ID, which is not a secret value: a
	// client that sends it gets AADSTS7000215, as from Entra.
	TenantID, ClientID, Secret, SecretID string

	srv *httptest.Server

	mu            sync.Mutex
	roles         []string
	tokenLifetime time.Duration
	secretExpired bool
	accessTokens  map[string]accessToken
	mailboxes     map[string]*mailbox // by lower-case address
	noMailbox     map[string]bool     // users without an Exchange Online mailbox
	policy        map[string]bool     // application access policy scope; nil = none
	seq           int64               // change sequence; every change takes the next value
	ids           int64               // id counter
	tokens        tokenCache
	faults        []*fault
	latency       time.Duration
	requests      []Request
	replies       []Reply
	distinctUIDs  bool // occurrences carry their own iCalUId
	inFlight      int  // Graph requests being served
	maxInFlight   int
}

type accessToken struct {
	roles   []string
	expires time.Time
}

// NewServer starts a simulator on a loopback TLS port with the given
// mailboxes (addresses) and random tenant, client and secret values. Tokens
// carry the Calendars.ReadWrite role until SetRoles says otherwise.
func NewServer(mailboxes ...string) *Server {
	s := &Server{
		TenantID:      newGUID(),
		ClientID:      newGUID(),
		SecretID:      newGUID(),
		Secret:        newSecretValue(),
		roles:         []string{Role},
		tokenLifetime: time.Hour,
		accessTokens:  map[string]accessToken{},
		mailboxes:     map[string]*mailbox{},
		noMailbox:     map[string]bool{},
		tokens:        newTokenCache(defaultTokenCapacity),
	}
	for _, m := range mailboxes {
		s.AddMailbox(m)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are part of some tests
	s.srv.StartTLS()
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// URL is the server's base URL, https://127.0.0.1:PORT.
func (s *Server) URL() string { return s.srv.URL }

// AuthorityHost is the value for INVITESYNC_AUTHORITY_HOST.
func (s *Server) AuthorityHost() string { return s.srv.URL + "/" }

// GraphURL is the value for INVITESYNC_GRAPH_URL.
func (s *Server) GraphURL() string { return s.srv.URL + "/v1.0" }

// Client returns an *http.Client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CACertPEM returns the server's certificate, which is its own CA, in PEM form.
func (s *Server) CACertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// WriteCACert writes the server's CA certificate to path (mode 0644), for
// SSL_CERT_FILE in a subprocess.
func (s *Server) WriteCACert(path string) error {
	return os.WriteFile(path, s.CACertPEM(), 0o644)
}

// Request is one request the server served.
type Request struct {
	Time            time.Time
	Method          string
	Path            string // decoded path, e.g. /v1.0/users/a@b/calendarView/delta()
	RawQuery        string
	Graph           bool // a Graph request (under /v1.0), not an Entra one
	Authorization   string
	Prefer          []string // every Prefer value, one per header line
	ContentEncoding string
	RetryAttempt    string
	Status          int
}

// Requests returns a copy of the requests served so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// GraphRequests returns the Graph requests served so far, oldest first.
func (s *Server) GraphRequests() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Graph {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the recorded requests and the in-flight maximum.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.maxInFlight = s.inFlight
}

// MaxInFlight is the largest number of Graph requests served at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// SetRoles sets the application roles of the tokens issued from now on. No
// roles is what a token looks like when admin consent was never granted.
func (s *Server) SetRoles(roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles = append([]string(nil), roles...)
}

// SetTokenLifetime sets the lifetime of the access tokens issued from now on.
// Graph refuses expired tokens with 401 InvalidAuthenticationToken.
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenLifetime = d
}

// ExpireSecret makes the token endpoint answer AADSTS7000222 (expired secret)
// to the right secret.
func (s *Server) ExpireSecret() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secretExpired = true
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	entry := Request{
		Time:            time.Now(),
		Method:          r.Method,
		Path:            r.URL.Path,
		RawQuery:        r.URL.RawQuery,
		Graph:           strings.HasPrefix(r.URL.Path, "/v1.0/"),
		Authorization:   r.Header.Get("Authorization"),
		Prefer:          r.Header.Values("Prefer"),
		ContentEncoding: r.Header.Get("Content-Encoding"),
		RetryAttempt:    r.Header.Get("Retry-Attempt"),
	}
	if entry.Graph {
		s.mu.Lock()
		s.inFlight++
		s.maxInFlight = max(s.maxInFlight, s.inFlight)
		s.mu.Unlock()
		s.serveGraph(rec, r)
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	} else {
		s.serveEntra(rec, r)
	}
	entry.Status = rec.status
	s.mu.Lock()
	s.requests = append(s.requests, entry)
	s.mu.Unlock()
}

// serveEntra answers the OpenID metadata and token requests of
// /{tenant}/v2.0/.well-known/openid-configuration and /{tenant}/oauth2/v2.0/token.
func (s *Server) serveEntra(w http.ResponseWriter, r *http.Request) {
	tenant, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	knownTenant := strings.EqualFold(tenant, s.TenantID)
	switch {
	case r.Method == http.MethodGet && rest == "v2.0/.well-known/openid-configuration":
		if !knownTenant {
			s.tokenError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf(
				"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant))
			return
		}
		base := s.srv.URL + "/" + tenant
		writeJSON(w, http.StatusOK, wireOpenIDConfiguration{
			TokenEndpoint:                     base + "/oauth2/v2.0/token",
			TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			JWKSURI:                           base + "/discovery/v2.0/keys",
			ResponseModesSupported:            []string{"query", "fragment", "form_post"},
			SubjectTypesSupported:             []string{"pairwise"},
			IDTokenSigningAlgValuesSupported:  []string{"RS256"},
			ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
			ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
			Issuer:                            base + "/v2.0",
			AuthorizationEndpoint:             base + "/oauth2/v2.0/authorize",
			DeviceAuthorizationEndpoint:       base + "/oauth2/v2.0/devicecode",
			EndSessionEndpoint:                base + "/oauth2/v2.0/logout",
			CloudInstanceName:                 "microsoftonline.com",
		})
	case r.Method == http.MethodPost && rest == "oauth2/v2.0/token":
		if !knownTenant {
			s.tokenError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf(
				"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
			return
		}
		s.serveToken(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.tokenError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	form := r.PostForm
	switch {
	case form.Get("grant_type") != "client_credentials":
		s.tokenError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+form.Get("grant_type")+"'.")
		return
	case !strings.EqualFold(form.Get("client_id"), s.ClientID):
		s.tokenError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory 'Contoso'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", form.Get("client_id")))
		return
	case form.Get("client_secret") != s.Secret:
		s.tokenError(w, http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
			"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", s.ClientID))
		return
	case !strings.Contains(" "+form.Get("scope")+" ", " "+graphScope+" "):
		s.tokenError(w, http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope '"+form.Get("scope")+"' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	s.mu.Lock()
	if s.secretExpired {
		s.mu.Unlock()
		s.tokenError(w, http.StatusUnauthorized, "invalid_client", 7000222, fmt.Sprintf(
			"The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", s.ClientID))
		return
	}
	now := time.Now()
	lifetime := s.tokenLifetime
	token := s.newAccessToken(now, lifetime, s.roles)
	s.accessTokens[token] = accessToken{roles: append([]string(nil), s.roles...), expires: now.Add(lifetime)}
	s.mu.Unlock()
	secs := int(lifetime / time.Second)
	writeJSON(w, http.StatusOK, wireToken{TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: token})
}

// newAccessToken builds a JWT-shaped token: header, claims, random signature.
func (s *Server) newAccessToken(now time.Time, lifetime time.Duration, roles []string) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "RS256", "kid": "graphtest"})
	claims, _ := json.Marshal(wireClaims{
		Aud: "https://graph.microsoft.com", Iss: "https://sts.windows.net/" + s.TenantID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(lifetime).Unix(),
		AppID: s.ClientID, AppDisplayName: "invitesync (simulated)", IDType: "app",
		OID: newGUID(), Roles: roles, Sub: newGUID(), TID: s.TenantID, Ver: "1.0", XmsCC: []string{"CP1"},
	})
	sig := make([]byte, 64)
	_, _ = rand.Read(sig)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig)
}

func (s *Server) tokenError(w http.ResponseWriter, status int, code string, aadsts int, text string) {
	now := time.Now().UTC()
	trace, corr := newGUID(), newGUID()
	stamp := now.Format("2006-01-02 15:04:05Z")
	writeJSON(w, status, wireTokenError{
		Error:            code,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, text, trace, corr, stamp),
		ErrorCodes:       []int{aadsts},
		Timestamp:        stamp,
		TraceID:          trace,
		CorrelationID:    corr,
		ErrorURI:         fmt.Sprintf("%s/error?code=%d", s.srv.URL, aadsts),
	})
}

// graphError writes Graph's error body; retryAfter > 0 adds Retry-After.
func graphError(w http.ResponseWriter, status int, code, message string, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int((retryAfter+time.Second-1)/time.Second)))
	}
	id := newGUID()
	writeJSON(w, status, wireGraphError{Error: wireMainError{
		Code: code, Message: message,
		InnerError: wireInnerError{Date: time.Now().UTC().Format("2006-01-02T15:04:05"), RequestID: id, ClientRequestID: id},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newSecretValue looks like an Entra client secret value (40 characters).
func newSecretValue() string {
	b := make([]byte, 28)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	return v[:3] + "8Q~" + v[3:37]
}
