// Package idmtest is a Salto IDM simulator on loopback implementing the
// visitor API contract (idm-api.md) with an in-memory store: environments,
// employees, visits, validation, authentication, and switches for the
// faults a client must survive (429/503 with Retry-After, slow answers,
// pages that are not the API, redirects, answers cut short, dropped
// connections). Tests, benchmarks and the demo use it like
// net/http/httptest. A Server is safe for concurrent use.
package idmtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"invitesync/idm"
)

// BasePath is the path under which the simulator serves the API.
const BasePath = "/api/v1"

// DefaultEnvironment is the environment a Server starts with unless
// WithEnvironments says otherwise.
var DefaultEnvironment = idm.Environment{ID: "env-1", Name: "Production", TimeZone: "Europe/Madrid"}

// Server is a running simulator.
type Server struct {
	ts   *httptest.Server
	key  string
	done chan struct{} // closed by Close: ends slow answers

	mu        sync.Mutex
	envs      []idm.Environment
	forbidden map[string]bool         // environment ids the key may not use
	employees map[string]idm.Employee // by lower-cased address
	visits    map[string]*Record      // by ref
	nextID    int                     // for visit and employee ids
	requests  []Request
	writes    int
	fault     fault
	delay     time.Duration
}

// Record is a visit as the simulator holds it.
type Record struct {
	idm.StoredVisit
	// Revision is 1 when created and grows by one with every change
	// (update, cancellation, reactivation, check-in); an unchanged PUT
	// leaves it alone.
	Revision int
}

// Request is one request the simulator received.
type Request struct {
	Method string
	Path   string // below BasePath, e.g. /visits/v1-…
	Query  string
	Status int // 0 when the connection was dropped
	Time   time.Time
}

// Fault is an answer forced on requests in place of the API's: an error
// status, a page from something that is not the API, a redirect, an answer
// cut short, or a dropped connection.
type Fault struct {
	// Method and Path select the requests it meets: this method ("" for
	// any) and a path below BasePath that starts with Path ("" for any),
	// e.g. PUT and /visits/.
	Method, Path string
	// Status is the status answered, with the contract's error body unless
	// Body is set. Zero, with Truncate false, drops the connection.
	Status int
	// RetryAfter is sent as Retry-After, in whole seconds, when positive.
	RetryAfter time.Duration
	// Header is added to the answer, e.g. Content-Type or Location.
	Header http.Header
	// Body replaces the error body, sent as it is.
	Body string
	// Truncate lets the API answer, its Content-Length announcing the whole
	// body, and closes the connection halfway through the body.
	Truncate bool
	// Pad, when positive, lets the API (or Body) answer and sends Pad bytes
	// of white space before the body, streamed without a Content-Length: a
	// valid JSON answer as large as wanted, never held in memory.
	Pad int64
}

// fault is the Fault forced on the next matching requests.
type fault struct {
	remaining int // < 0: until ClearFaults
	Fault
}

// matches reports whether the fault applies to a request.
func (f Fault) matches(method, path string) bool {
	return (f.Method == "" || f.Method == method) && strings.HasPrefix(path, f.Path)
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the API key the server accepts (default: a random one).
func WithAPIKey(key string) Option { return func(s *Server) { s.key = key } }

// WithEnvironments replaces the default environment.
func WithEnvironments(envs ...idm.Environment) Option {
	return func(s *Server) { s.envs = slices.Clone(envs) }
}

// WithEmployees seeds employees; an empty ID gets one.
func WithEmployees(emps ...idm.Employee) Option {
	return func(s *Server) {
		for _, e := range emps {
			s.addEmployee(e)
		}
	}
}

// NewServer starts a plain-HTTP simulator on 127.0.0.1.
func NewServer(opts ...Option) *Server { return start(false, opts) }

// NewTLSServer starts an HTTPS simulator on 127.0.0.1; Client trusts it.
func NewTLSServer(opts ...Option) *Server { return start(true, opts) }

func start(tls bool, opts []Option) *Server {
	s := &Server{
		key:       randomKey(),
		done:      make(chan struct{}),
		envs:      []idm.Environment{DefaultEnvironment},
		forbidden: make(map[string]bool),
		employees: make(map[string]idm.Employee),
		visits:    make(map[string]*Record),
	}
	for _, o := range opts {
		o(s)
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes that tests make fail on purpose
	if tls {
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	return s
}

func randomKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "idmtest-" + hex.EncodeToString(b)
}

// Close ends slow answers and shuts the server down.
func (s *Server) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.ts.Close()
}

// URL returns the API base URL, e.g. https://127.0.0.1:34567/api/v1.
func (s *Server) URL() string { return s.ts.URL + BasePath }

// APIKey returns the key the server accepts.
func (s *Server) APIKey() string { return s.key }

// Client returns an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// CACertPEM returns the server's certificate, which is its own CA, in PEM
// form, or nil for a plain HTTP server. All TLS simulators built on httptest
// share this certificate.
func (s *Server) CACertPEM() []byte {
	c := s.ts.Certificate()
	if c == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// WriteCACert writes the server's CA certificate to path (mode 0644), for
// SSL_CERT_FILE in a subprocess.
func (s *Server) WriteCACert(path string) error {
	pemData := s.CACertPEM()
	if pemData == nil {
		return fmt.Errorf("idmtest: a plain HTTP server has no certificate")
	}
	if err := os.WriteFile(path, pemData, 0o644); err != nil {
		return fmt.Errorf("idmtest: writing the certificate: %w", err)
	}
	return nil
}

// AddEnvironment adds an environment.
func (s *Server) AddEnvironment(e idm.Environment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.envs = append(s.envs, e)
}

// Forbid makes visits in the environment answer 403, as when the key lacks
// the right for it.
func (s *Server) Forbid(environmentID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbidden[environmentID] = true
}

// AddEmployee adds (or replaces, by address) an employee and returns it
// with its id, generated when e.ID is empty.
func (s *Server) AddEmployee(e idm.Employee) idm.Employee {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addEmployee(e)
}

func (s *Server) addEmployee(e idm.Employee) idm.Employee {
	if e.ID == "" {
		s.nextID++
		e.ID = fmt.Sprintf("emp-%d", s.nextID)
	}
	s.employees[strings.ToLower(e.Email)] = e
	return e
}

// RemoveEmployee removes the employee with this address.
func (s *Server) RemoveEmployee(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.employees, strings.ToLower(email))
}

// Visits returns every visit, cancelled ones included, sorted by ref.
func (s *Server) Visits() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, 0, len(s.visits))
	for _, r := range s.visits {
		out = append(out, r.clone())
	}
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.Ref, b.Ref) })
	return out
}

// ActiveVisits returns the visits that are not cancelled, sorted by ref.
func (s *Server) ActiveVisits() []Record {
	return slices.DeleteFunc(s.Visits(), func(r Record) bool { return r.Status == idm.StatusCancelled })
}

// Visit returns the visit with this ref.
func (s *Server) Visit(ref string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.visits[ref]
	if !ok {
		return Record{}, false
	}
	return r.clone(), true
}

// clone returns a copy that shares nothing with the store.
func (r *Record) clone() Record {
	c := *r
	if r.Source != nil {
		src := *r.Source
		c.Source = &src
	}
	return c
}

// MarkCheckedIn records that the visitor arrived: from now on a change or
// cancellation of the visit answers 409 visit_in_progress.
func (s *Server) MarkCheckedIn(ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.visits[ref]
	if !ok {
		return fmt.Errorf("idmtest: no visit %q", ref)
	}
	if r.Status != idm.StatusCheckedIn {
		r.Status = idm.StatusCheckedIn
		r.Revision++
	}
	return nil
}

// Inject makes the next n requests that f selects (every one while n < 0,
// until ClearFaults) meet f; it replaces the fault set before.
func (s *Server) Inject(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fault{remaining: n, Fault: f}
}

// Fail makes the next n requests (every request while n < 0, until ClearFaults)
// answer status, with Retry-After when retryAfter > 0 (whole seconds).
func (s *Server) Fail(n, status int, retryAfter time.Duration) {
	s.Inject(n, Fault{Status: status, RetryAfter: retryAfter})
}

// Drop makes the next n requests (every request while n < 0, until
// ClearFaults) end with the connection closed and no answer.
func (s *Server) Drop(n int) { s.Inject(n, Fault{}) }

// SetDelay makes every answer wait d first (or until the client gives up).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// ClearFaults ends Inject, Fail, Drop and SetDelay.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fault{}
	s.delay = 0
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests had this method and a path starting
// with prefix ("" matches every path).
func (s *Server) Count(method, prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// Writes returns how many PUT and DELETE requests for visits arrived,
// whatever their answer.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// ResetRequests forgets the recorded requests and writes.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.writes = 0
}
