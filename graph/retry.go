package graph

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryBase is the SDK retry handler's first backoff when no Retry-After
// comes; it doubles with each attempt.
const retryBase = 3 * time.Second

// shouldRetry is the SDK retry handler's ShouldRetry: it is asked before the
// handler waits and repeats a 429, 503 or 504. The handler waits Retry-After
// when given (else an exponential backoff); this refuses waits longer than
// MaxRetryWait or past the call's deadline, so the call ends with a
// *ThrottledError instead.
func (c *Client) shouldRetry(_ time.Duration, attempt int, req *http.Request, resp *http.Response) bool {
	deadline, _ := req.Context().Deadline()
	wait, ok := retryWait(resp, attempt, time.Now(), deadline, c.opts.MaxRetryWait)
	if ok {
		c.log.Info("Microsoft Graph asked to wait; retrying", "status", resp.StatusCode,
			"wait", wait.String(), "attempt", attempt+1)
	}
	return ok
}

// retryWait returns how long the retry handler will wait before attempt
// number attempt+1 and whether that wait is acceptable: no longer than
// maxWait and ending before deadline (zero: none).
func retryWait(resp *http.Response, attempt int, now, deadline time.Time, maxWait time.Duration) (time.Duration, bool) {
	wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if !ok {
		wait = retryBase * time.Duration(math.Pow(2, float64(attempt)))
	}
	if wait > maxWait {
		return wait, false
	}
	if !deadline.IsZero() && !now.Add(wait).Before(deadline) {
		return wait, false
	}
	return wait, true
}

// maxRetryAfterSeconds caps absurd Retry-After values (a year).
const maxRetryAfterSeconds = 365 * 24 * 3600

// parseRetryAfter reads Retry-After: whole seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return 0, false
		}
		return time.Duration(min(secs, maxRetryAfterSeconds)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
