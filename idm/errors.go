package idm

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. An *Error matches the one for its status with errors.Is.
var (
	ErrUnauthorized        = errors.New("IDM key rejected")
	ErrForbidden           = errors.New("IDM key lacks the right")
	ErrNotFound            = errors.New("not found in IDM")
	ErrVisitInProgress     = errors.New("visitor already checked in")
	ErrEmployeeNotFound    = errors.New("no IDM employee with this address")
	ErrEnvironmentNotFound = errors.New("no IDM environment with this name")
	ErrInvalidRef          = errors.New("invalid visit reference")
	ErrInvalidURL          = errors.New("invalid IDM URL")
	ErrInvalidKey          = errors.New("invalid IDM API key")
	ErrRedirect            = errors.New("refused redirect")
)

// Error is a failed IDM request: an error answer (Status > 0) or no answer at
// all (Status 0: a connection error or a timeout, Err says which).
type Error struct {
	Op         string // e.g. "PUT /visits/v1-…"
	Status     int    // HTTP status; 0 when no answer came
	Code       string // the contract's error code, e.g. validation_failed
	Message    string // IDM's explanation, sanitized
	Retryable  bool   // trying again later may succeed
	RetryAfter time.Duration
	Err        error // the underlying cause when no answer came

	// fromIDM is set when the answer had the contract's error body, or no
	// body at all, rather than a proxy's or web server's page.
	fromIDM bool
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("idm: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	switch {
	case e.Status == 0 && e.Err != nil:
		b.WriteString(e.Err.Error())
	case e.Status == http.StatusUnauthorized:
		fmt.Fprintf(&b, "IDM key rejected (%d %s)", e.Status, e.Code)
	default:
		fmt.Fprintf(&b, "%d %s", e.Status, e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel error for e's status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrVisitInProgress:
		return e.Status == http.StatusConflict
	}
	return false
}

// IsRetryable reports whether err is worth trying again later: a network
// error, a timeout, 408, 429 or a 5xx answer. Errors from outside this
// package are not.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// RetryAfter returns how long IDM asked the client to wait before trying
// again, or 0 when it did not say.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// retryableStatus reports whether an answer with this status may succeed
// when tried again: 408, 429 and every 5xx. Everything else is permanent.
func retryableStatus(status int) bool {
	return status == http.StatusRequestTimeout ||
		status == http.StatusTooManyRequests ||
		(status >= 500 && status <= 599)
}

// codeFor returns the contract's code for a status when the body gave none.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeInvalidRequest
	case http.StatusUnprocessableEntity:
		return CodeValidationFailed
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusConflict:
		return CodeVisitInProgress
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusServiceUnavailable:
		return CodeUnavailable
	}
	return "http_" + strconv.Itoa(status)
}
