package graphtest

import (
	"net/http"
	"strings"
	"time"
)

// Fault is an answer the server gives to Graph requests instead of the real
// one, to simulate Microsoft's errors.
type Fault struct {
	Status     int    // HTTP status; 200 when only Body is set
	Code       string // Graph error code, e.g. ErrorAccessDenied
	Message    string
	RetryAfter time.Duration // sent as Retry-After (whole seconds) when > 0
	// Body, when set, is written verbatim instead of a Graph error body: a
	// way to serve a malformed payload.
	Body string
	// Mailbox limits the fault to requests for that mailbox; empty: any.
	Mailbox string
	// PathContains limits the fault to paths containing it; empty: any.
	PathContains string
	// Times is how many requests it answers; 0: every request until ClearFaults.
	Times int
	// After is how many matching requests it lets through first.
	After int
}

type fault struct {
	Fault
	passed, used int
}

// InjectFault adds a fault. Faults are tried in the order they were added;
// the first that matches a request answers it.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{Fault: f})
}

// ClearFaults removes every fault, the access policy and the latency.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.policy = nil
	s.latency = 0
}

// Throttle makes the next times Graph requests fail with 429
// ApplicationThrottled and Retry-After, as Outlook does.
func (s *Server) Throttle(times int, retryAfter time.Duration) {
	s.InjectFault(Fault{Status: http.StatusTooManyRequests, Code: "ApplicationThrottled",
		Message: "Application is over its MailboxConcurrency limit.", RetryAfter: retryAfter, Times: times})
}

// Unavailable makes the next times Graph requests fail with 503.
func (s *Server) Unavailable(times int, retryAfter time.Duration) {
	s.InjectFault(Fault{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
		Message: "The service is temporarily unavailable. Please try again later.", RetryAfter: retryAfter, Times: times})
}

// SetLatency delays every Graph answer by d (0 turns it off).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// ExpireDeltaTokens forgets every delta and skip token issued so far: the
// next request with one gets 410 Gone, SyncStateNotFound.
func (s *Server) ExpireDeltaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens.clear()
}

// RestrictAccess installs an application access policy that lets the app
// reach only these mailboxes; Graph answers 403 ErrorAccessDenied "[RAOP]"
// for the others. With no mailboxes it removes the policy.
func (s *Server) RestrictAccess(mailboxes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(mailboxes) == 0 {
		s.policy = nil
		return
	}
	s.policy = map[string]bool{}
	for _, m := range mailboxes {
		s.policy[strings.ToLower(m)] = true
	}
}

// takeFault returns the fault that answers a request for mailbox at path, if any.
func (s *Server) takeFault(mailbox, path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Mailbox != "" && !strings.EqualFold(f.Mailbox, mailbox) {
			continue
		}
		if f.PathContains != "" && !strings.Contains(path, f.PathContains) {
			continue
		}
		if f.passed < f.After {
			f.passed++
			continue
		}
		f.used++
		if f.Times > 0 && f.used >= f.Times {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return f.Fault, true
	}
	return Fault{}, false
}

func writeFault(w http.ResponseWriter, f Fault) {
	if f.Body != "" {
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(f.Body))
		return
	}
	message := f.Message
	if message == "" {
		message = http.StatusText(f.Status)
	}
	graphError(w, f.Status, f.Code, message, f.RetryAfter)
}
