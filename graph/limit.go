package graph

import (
	"strings"
	"sync"
)

// Outlook's concurrency limit is per app, across all of its mailboxes
// (graph-notes §0 and §4): past four requests in flight it answers 429
// ApplicationThrottled "MailboxConcurrency".
const (
	// MaxConcurrentRequests is the most Graph requests one app (tenant and
	// client ID) may have in flight at once, whichever mailboxes they read.
	MaxConcurrentRequests = 4
	// DefaultConcurrentRequests is how many invitesync lets one app have in
	// flight unless told otherwise: one of Outlook's four stays in reserve.
	DefaultConcurrentRequests = 3
)

// Limits holds one in-flight limit per app, keyed by tenant and client ID,
// for every Client built with it: automations that share an app share its
// limit. It is safe for concurrent use.
type Limits struct {
	perApp int
	mu     sync.Mutex
	apps   map[string]chan struct{}
}

// NewLimits returns Limits that let each app have perApp Graph requests in
// flight: at most MaxConcurrentRequests; zero or less means
// DefaultConcurrentRequests.
func NewLimits(perApp int) *Limits {
	if perApp <= 0 {
		perApp = DefaultConcurrentRequests
	}
	return &Limits{perApp: min(perApp, MaxConcurrentRequests), apps: map[string]chan struct{}{}}
}

// PerApp is how many requests each app may have in flight.
func (l *Limits) PerApp() int { return l.perApp }

// processLimits are the Limits of every Client whose Options name none, so
// that every automation of the process that uses one app shares its limit.
var processLimits = NewLimits(DefaultConcurrentRequests)

// slots returns the semaphore of the app tenantID/clientID: a send takes a
// slot, a receive gives it back.
func (l *Limits) slots(tenantID, clientID string) chan struct{} {
	key := strings.ToLower(strings.TrimSpace(tenantID)) + "/" + strings.ToLower(strings.TrimSpace(clientID))
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.apps[key]
	if !ok {
		s = make(chan struct{}, l.perApp)
		l.apps[key] = s
	}
	return s
}
