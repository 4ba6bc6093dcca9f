package graphtest

import (
	"net/http"
	"strings"
	"time"
)

// DefaultConcurrencyLimit is Outlook's limit of concurrent requests per app,
// across every mailbox it reaches (throttling-limits.md).
const DefaultConcurrencyLimit = 4

// SetConcurrencyLimit sets how many Graph requests of one client ID may be
// served at once; the next is answered 429 ApplicationThrottled
// (MailboxConcurrency) with Retry-After: 1. 0 turns the limit off.
func (s *Server) SetConcurrencyLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = max(n, 0)
}

// admit counts a request of the app clientID in flight, or answers 429 when
// the app is over its limit. The caller calls release when it is done.
func (s *Server) admit(w http.ResponseWriter, clientID string) (release func(), ok bool) {
	s.mu.Lock()
	a := s.apps[strings.ToLower(clientID)]
	if a == nil { // a token outlives no app, but be safe
		s.mu.Unlock()
		return func() {}, true
	}
	a.inFlight++
	a.maxInFlight = max(a.maxInFlight, a.inFlight)
	over := s.limit > 0 && a.inFlight > s.limit
	if over {
		a.inFlight--
	}
	s.mu.Unlock()
	if over {
		// The body real tenants send (e.g. magodo/terraform-provider-outlook#21);
		// Retry-After 1 and the header per Microsoft Q&A and Nylas reports.
		w.Header().Set("RateLimit-Exceeded", "MailboxConcurrency")
		graphError(w, http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", time.Second)
		return nil, false
	}
	return func() {
		s.mu.Lock()
		a.inFlight--
		s.mu.Unlock()
	}, true
}

// MaxInFlight is the largest number of Graph requests served at once, every
// app together.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// MaxInFlightFor is the largest number of Graph requests of the app clientID
// in flight at once, those the concurrency limit refused included: above
// the limit means the app was sent 429s.
func (s *Server) MaxInFlightFor(clientID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[strings.ToLower(clientID)]; a != nil {
		return a.maxInFlight
	}
	return 0
}

// ResetRequests forgets the recorded requests and the in-flight maxima.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.maxInFlight = s.inFlight
	for _, a := range s.apps {
		a.maxInFlight = a.inFlight
	}
}
