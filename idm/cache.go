package idm

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultEmployeeTTL is a sensible lifetime for cached employee lookups.
const DefaultEmployeeTTL = 10 * time.Minute

// EmployeeFinder looks up an employee by address; *Client and
// *EmployeeCache implement it.
type EmployeeFinder interface {
	FindEmployee(ctx context.Context, email string) (Employee, error)
}

var (
	_ EmployeeFinder = (*Client)(nil)
	_ EmployeeFinder = (*EmployeeCache)(nil)
)

// EmployeeCache remembers the answers of an EmployeeFinder for a while:
// employees found and addresses that are not employees (ErrEmployeeNotFound)
// alike, never other errors. Concurrent lookups of one address share one
// request. It is safe for concurrent use.
type EmployeeCache struct {
	finder EmployeeFinder
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
	flight  singleflight.Group
}

type cacheEntry struct {
	employee Employee
	err      error // nil or an ErrEmployeeNotFound error
	expires  time.Time
}

// pruneAt is the number of entries above which expired ones are dropped.
const pruneAt = 1024

// NewEmployeeCache returns a cache in front of f keeping answers for ttl
// (DefaultEmployeeTTL when ttl <= 0).
func NewEmployeeCache(f EmployeeFinder, ttl time.Duration) *EmployeeCache {
	if ttl <= 0 {
		ttl = DefaultEmployeeTTL
	}
	return &EmployeeCache{finder: f, ttl: ttl, now: time.Now, entries: make(map[string]cacheEntry)}
}

// FindEmployee answers from the cache while the answer is fresh, else asks
// the finder.
func (c *EmployeeCache) FindEmployee(ctx context.Context, email string) (Employee, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	if e, ok := c.fresh(key); ok {
		return e.employee, e.err
	}
	v, err, _ := c.flight.Do(key, func() (any, error) {
		if e, ok := c.fresh(key); ok {
			return e.employee, e.err // stored while this call waited
		}
		emp, err := c.finder.FindEmployee(ctx, email)
		if err == nil || errors.Is(err, ErrEmployeeNotFound) {
			c.store(key, cacheEntry{employee: emp, err: err, expires: c.now().Add(c.ttl)})
		}
		return emp, err
	})
	emp, _ := v.(Employee)
	return emp, err
}

// fresh returns the entry for key if it has not expired.
func (c *EmployeeCache) fresh(key string) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, ok && c.now().Before(e.expires)
}

func (c *EmployeeCache) store(key string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= pruneAt {
		now := c.now()
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = e
}

// Forget drops the answer for one address, e.g. after IDM's 404
// host_not_found showed it stale.
func (c *EmployeeCache) Forget(email string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, strings.ToLower(strings.TrimSpace(email)))
}

// Clear drops every answer.
func (c *EmployeeCache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
