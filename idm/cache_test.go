package idm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// countingFinder answers from a fixed directory and counts the questions.
type countingFinder struct {
	mu    sync.Mutex
	calls map[string]int
	fail  error // returned instead of an answer when set
	known map[string]Employee
}

func (f *countingFinder) FindEmployee(_ context.Context, email string) (Employee, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[email]++
	if f.fail != nil {
		return Employee{}, f.fail
	}
	if e, ok := f.known[email]; ok {
		return e, nil
	}
	return Employee{}, fmt.Errorf("%w: %s", ErrEmployeeNotFound, email)
}

func (f *countingFinder) count(email string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[email]
}

func TestEmployeeCacheExpiry(t *testing.T) {
	hanna := Employee{ID: "emp-7", Email: "hanna@contoso.com"}
	f := &countingFinder{calls: map[string]int{}, known: map[string]Employee{"hanna@contoso.com": hanna}}
	c := NewEmployeeCache(f, time.Minute)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	ctx := context.Background()

	for range 3 {
		got, err := c.FindEmployee(ctx, "hanna@contoso.com")
		if err != nil || got != hanna {
			t.Fatalf("FindEmployee = %+v, %v; want %+v", got, err, hanna)
		}
	}
	if n := f.count("hanna@contoso.com"); n != 1 {
		t.Fatalf("3 lookups within the TTL asked %d times, want 1", n)
	}
	now = now.Add(59 * time.Second)
	_, _ = c.FindEmployee(ctx, "hanna@contoso.com")
	if n := f.count("hanna@contoso.com"); n != 1 {
		t.Fatalf("a lookup before expiry asked again (%d calls)", n)
	}
	now = now.Add(time.Second)
	_, _ = c.FindEmployee(ctx, "hanna@contoso.com")
	if n := f.count("hanna@contoso.com"); n != 2 {
		t.Fatalf("a lookup at expiry asked %d times in all, want 2", n)
	}
}

func TestEmployeeCacheNotFoundAndErrors(t *testing.T) {
	f := &countingFinder{calls: map[string]int{}, known: map[string]Employee{}}
	c := NewEmployeeCache(f, time.Hour)
	ctx := context.Background()

	for range 2 {
		if _, err := c.FindEmployee(ctx, "nobody@contoso.com"); !errors.Is(err, ErrEmployeeNotFound) {
			t.Fatalf("FindEmployee(nobody) = %v, want ErrEmployeeNotFound", err)
		}
	}
	if n := f.count("nobody@contoso.com"); n != 1 {
		t.Errorf("a non-employee was asked about %d times, want 1 (answer cached)", n)
	}
	c.Forget("NOBODY@contoso.com ")
	_, _ = c.FindEmployee(ctx, "nobody@contoso.com")
	if n := f.count("nobody@contoso.com"); n != 2 {
		t.Errorf("after Forget: %d calls, want 2", n)
	}

	outage := &Error{Status: 503, Retryable: true}
	f.fail = outage
	for range 2 {
		if _, err := c.FindEmployee(ctx, "hanna@contoso.com"); !errors.Is(err, outage) {
			t.Fatalf("FindEmployee during an outage = %v, want the outage", err)
		}
	}
	if n := f.count("hanna@contoso.com"); n != 2 {
		t.Errorf("failures were cached: %d calls, want 2", n)
	}
}
