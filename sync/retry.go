package sync

import (
	"time"

	"invitesync/internal/retry"
)

// Failure is how an operation failed, as far as retrying goes.
type Failure struct {
	// Retryable is false for permanent failures (a rejected body, a rejected
	// key, a visit already in progress): those are never retried.
	Retryable bool
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
}

// Policy is the outbox's retry policy: Retry-After exactly when the server
// gives one; otherwise exponential backoff from Base, doubled per attempt,
// with jitter, capped at Max.
type Policy struct {
	Base time.Duration
	Max  time.Duration
}

// DefaultPolicy retries after about 2 s, 4 s, 8 s … and at most every 10 minutes.
var DefaultPolicy = Policy{Base: 2 * time.Second, Max: 10 * time.Minute}

// Delay returns how long to wait before attempt number attempt+1, after
// attempt (1-based) failed with f; ok is false when f must not be retried.
// jitter, in [0, 1), spreads retries: the wait is between half and all of
// the exponential step. Delay is pure; the caller supplies the randomness.
func (p Policy) Delay(f Failure, attempt int, jitter float64) (wait time.Duration, ok bool) {
	if !f.Retryable {
		return 0, false
	}
	if f.RetryAfter > 0 {
		return f.RetryAfter, true
	}
	return retry.Backoff(p).Jittered(attempt, jitter), true
}
