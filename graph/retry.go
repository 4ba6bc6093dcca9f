package graph

import (
	"net/http"
	"time"

	"invitesync/internal/retry"
)

// retryBackoff is the SDK retry handler's backoff when no Retry-After
// comes: 3 s, doubled with each attempt.
var retryBackoff = retry.Backoff{Base: 3 * time.Second}

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
	wait, ok := retry.After(resp.Header.Get("Retry-After"), now)
	if !ok {
		wait = retryBackoff.Step(attempt + 1)
	}
	if wait > maxWait {
		return wait, false
	}
	if !deadline.IsZero() && !now.Add(wait).Before(deadline) {
		return wait, false
	}
	return wait, true
}
