// Package retry is the one retry policy of invitesync's HTTP clients and
// outbox: how long a server's Retry-After asks to wait, and an exponential
// backoff for when it says nothing. It is pure: callers bring the clock and
// the randomness.
//
// Who retries what, from the request outwards:
//   - Entra ID token requests: azcore's own policy, twice (graph/client.go).
//   - Graph requests answered 429, 503 or 504: in place by the Graph SDK,
//     after Retry-After or 3 s, 6 s, 12 s, unless the wait would pass
//     Options.MaxRetryWait or the call's deadline (graph/retry.go).
//   - IDM reads answered 429 or 503: in place, twice, each wait 5 s at most
//     (idm/client.go); IDM writes are never retried in place.
//   - Visits and replies: by the outbox, Retry-After or a jittered backoff
//     up to 10 minutes, for as long as the failure is retryable
//     (sync.Policy).
//   - A failed poll: the loop polls again after Graph's Retry-After or a
//     jittered backoff up to its interval (sync/loop.go).
package retry

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxAfter caps the wait a Retry-After can ask for: a longer one is read as
// this long, so a confused server holds work up for a day at most.
const MaxAfter = 24 * time.Hour

// After reads a Retry-After header value relative to now: delay-seconds
// (a decimal number is read as its whole seconds, as the Graph SDK waits)
// or an HTTP date (a past one is no wait at all). It reports false when v
// is empty, negative or unreadable; a wait is at most MaxAfter.
func After(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return 0, false
		}
		return time.Duration(min(math.Trunc(secs), MaxAfter.Seconds())) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(at.Sub(now), 0), MaxAfter).Round(time.Second), true
	}
	return 0, false
}

// Backoff is an exponential backoff: Base before the first retry, doubled
// for each one after, never more than Max (zero: no cap).
type Backoff struct {
	Base time.Duration
	Max  time.Duration
}

// Step returns the wait before retry n (1 for the first; less counts as 1).
func (b Backoff) Step(n int) time.Duration {
	limit := b.Max
	if limit <= 0 {
		limit = math.MaxInt64
	}
	step := float64(b.Base) * math.Pow(2, float64(max(n, 1)-1))
	if step >= float64(limit) || math.IsInf(step, 0) {
		return limit
	}
	return time.Duration(step)
}

// Jittered returns a wait between half and all of Step(n), chosen by jitter
// in [0, 1) (clamped), so that clients that failed together spread out.
func (b Backoff) Jittered(n int, jitter float64) time.Duration {
	step := b.Step(n)
	jitter = min(max(jitter, 0), 1)
	return step/2 + time.Duration(jitter*float64(step-step/2))
}
