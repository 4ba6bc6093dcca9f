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
// All-day events run midnight to midnight of their dates in the requested
// zone (UTC by default), whatever the organizer's zone, which
// originalStartTimeZone names as the scenario gave it (a Windows name such
// as "Tonga Standard Time", as Outlook sends, or an IANA name).
//
// Apps: the server's own app (TenantID, ClientID, Secret) has admin consent
// for Calendars.ReadWrite; RegisterApp adds another app on the same tenant.
// SetRoles and SetAppRoles change the roles claim of the tokens issued next
// (none: no consent). ScopeApp grants an app RBAC for Applications over some
// mailboxes: its tokens carry no roles, yet read and write those mailboxes,
// and get 403 ErrorAccessDenied elsewhere. RestrictAccess installs an
// application access policy ("[RAOP]" 403s) over what roles grant.
//
// Concurrency: past DefaultConcurrencyLimit (4) Graph requests in flight for
// one client ID, across all mailboxes, the next is answered 429
// ApplicationThrottled "Application is over its MailboxConcurrency limit."
// with Retry-After: 1 (SetConcurrencyLimit changes or lifts the limit).
// MaxInFlightFor records each app's peak, MaxInFlight the total.
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
	apps          map[string]*app // by lower-case client ID; the first is the server's own
	tokenLifetime time.Duration
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
	inFlight      int  // Graph requests being served, every app together
	maxInFlight   int
	limit         int       // concurrent requests per client ID; 0: no limit
	entra         entra     // people and device-code sign-ins (devicecode.go)
	dir           directory // service principals and grants (directory.go)
	hostile       hostile   // broken and hostile answers (hostile.go)
}

// Option sets up a Server before it starts.
type Option func(*Server)

// WithMailboxes adds mailboxes (addresses) to the tenant.
func WithMailboxes(addrs ...string) Option {
	return func(s *Server) {
		for _, m := range addrs {
			s.AddMailbox(m)
		}
	}
}

// NewServer starts a simulator on a loopback TLS port with random tenant,
// client and secret values, set up by opts. Tokens carry the
// Calendars.ReadWrite role until SetRoles says otherwise.
func NewServer(opts ...Option) *Server {
	s := &Server{
		TenantID:      newGUID(),
		ClientID:      newGUID(),
		SecretID:      newGUID(),
		Secret:        newSecretValue(),
		apps:          map[string]*app{},
		tokenLifetime: time.Hour,
		limit:         DefaultConcurrencyLimit,
		accessTokens:  map[string]accessToken{},
		mailboxes:     map[string]*mailbox{},
		noMailbox:     map[string]bool{},
		tokens:        newTokenCache(defaultTokenCapacity),
		entra:         newEntra(),
		dir:           newDirectory(),
	}
	s.register(&app{App: App{ClientID: s.ClientID, Secret: s.Secret, SecretID: s.SecretID}, roles: []string{Role}}, "invitesync (simulated)")
	for _, o := range opts {
		o(s)
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
	EscapedPath     string // the path as sent, e.g. /v1.0/users/a%40b/events/AAk%2F..
	RawQuery        string
	Graph           bool // a Graph request (under /v1.0), not an Entra one
	Authorization   string
	Prefer          []string // every Prefer value, one per header line
	ContentEncoding string
	RetryAttempt    string
	ClientID        string // the app whose token the request carried, if any
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

// SetTokenLifetime sets the lifetime of the access tokens issued from now on.
// Graph refuses expired tokens with 401 InvalidAuthenticationToken.
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenLifetime = d
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
		EscapedPath:     r.URL.EscapedPath(),
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
		entry.ClientID = s.accessTokens[bearer(r)].clientID
		s.mu.Unlock()
		s.serveHostile(rec, r, s.serveGraph)
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
	// A public client may sign in through "organizations" or "common".
	knownTenant := s.knownTenant(tenant, rest != "oauth2/v2.0/token" || deviceGrant(r))
	switch {
	case r.Method == http.MethodGet && rest == "v2.0/.well-known/openid-configuration":
		if !knownTenant {
			s.tokenError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf(
				"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant))
			return
		}
		base := s.srv.URL + "/" + tenant
		issuer := base + "/v2.0"
		if !strings.EqualFold(tenant, s.TenantID) {
			issuer = s.srv.URL + "/{tenantid}/v2.0" // as Entra writes it for the aliases
		}
		writeJSON(w, http.StatusOK, wireOpenIDConfiguration{
			TokenEndpoint:                     base + "/oauth2/v2.0/token",
			TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			JWKSURI:                           base + "/discovery/v2.0/keys",
			ResponseModesSupported:            []string{"query", "fragment", "form_post"},
			SubjectTypesSupported:             []string{"pairwise"},
			IDTokenSigningAlgValuesSupported:  []string{"RS256"},
			ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
			ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
			Issuer:                            issuer,
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
		if deviceGrant(r) {
			s.serveDeviceToken(w, tenant, r.PostForm)
			return
		}
		s.serveToken(w, r)
	case r.Method == http.MethodPost && rest == "oauth2/v2.0/devicecode":
		if !knownTenant {
			s.tokenError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found.", tenant))
			return
		}
		s.serveDeviceCode(w, r)
	default:
		http.NotFound(w, r)
	}
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
