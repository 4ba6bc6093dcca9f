package idm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestRetryableStatus(t *testing.T) {
	tests := []struct {
		status int
		want   bool
	}{
		{200, false}, {400, false}, {401, false}, {403, false}, {404, false},
		{408, true}, {409, false}, {422, false}, {429, true},
		{500, true}, {502, true}, {503, true}, {504, true}, {599, true}, {600, false},
	}
	for _, tt := range tests {
		if got := retryableStatus(tt.status); got != tt.want {
			t.Errorf("retryableStatus(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		retryable  bool
		retryAfter time.Duration
		is         error
	}{
		{"rate limited", &Error{Status: 429, Retryable: true, RetryAfter: 7 * time.Second}, true, 7 * time.Second, nil},
		{"wrapped", fmt.Errorf("put: %w", &Error{Status: 503, Retryable: true, RetryAfter: time.Second}), true, time.Second, nil},
		{"unauthorized", &Error{Status: 401}, false, 0, ErrUnauthorized},
		{"forbidden", &Error{Status: 403}, false, 0, ErrForbidden},
		{"not found", &Error{Status: 404}, false, 0, ErrNotFound},
		{"checked in", &Error{Status: 409}, false, 0, ErrVisitInProgress},
		{"timeout", &Error{Code: "timeout", Retryable: true, Err: context.DeadlineExceeded}, true, 0, context.DeadlineExceeded},
		{"foreign error", errors.New("disk full"), false, 0, nil},
		{"nil", nil, false, 0, nil},
	}
	for _, tt := range tests {
		if got := IsRetryable(tt.err); got != tt.retryable {
			t.Errorf("%s: IsRetryable = %v, want %v", tt.name, got, tt.retryable)
		}
		if got := RetryAfter(tt.err); got != tt.retryAfter {
			t.Errorf("%s: RetryAfter = %v, want %v", tt.name, got, tt.retryAfter)
		}
		if tt.is != nil && !errors.Is(tt.err, tt.is) {
			t.Errorf("%s: errors.Is(%v, %v) = false", tt.name, tt.err, tt.is)
		}
	}
	if errors.Is(&Error{Status: 404}, ErrUnauthorized) {
		t.Error("a 404 matches ErrUnauthorized")
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "GET /health", Status: http.StatusUnauthorized, Code: "unauthorized", Message: "missing or invalid API key"},
			"idm: GET /health: IDM key rejected (401 unauthorized): missing or invalid API key"},
		{&Error{Op: "PUT /visits/v1-x", Status: 422, Code: "validation_failed", Message: "visitor.email: required"},
			"idm: PUT /visits/v1-x: 422 validation_failed: visitor.email: required"},
		{&Error{Op: "PUT /visits/v1-x", Status: 429, Code: "rate_limited", Message: "slow down", Retryable: true, RetryAfter: 7 * time.Second},
			"idm: PUT /visits/v1-x: 429 rate_limited: slow down (retry after 7s)"},
		{&Error{Op: "GET /health", Code: "network", Retryable: true, Err: errors.New("connection refused")},
			"idm: GET /health: connection refused"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
