package graph

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryWait(t *testing.T) {
	now := time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)
	resp := func(retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h}
	}
	tests := []struct {
		name     string
		header   string
		attempt  int
		deadline time.Time
		wait     time.Duration
		ok       bool
	}{
		{"seconds", "1", 0, time.Time{}, time.Second, true},
		{"seconds again on a repeat 429", "7", 2, time.Time{}, 7 * time.Second, true},
		{"HTTP date", now.Add(30 * time.Second).Format(http.TimeFormat), 0, time.Time{}, 30 * time.Second, true},
		{"date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0, time.Time{}, 0, true},
		{"no header: 3 s backoff", "", 0, time.Time{}, 3 * time.Second, true},
		{"no header: doubled", "", 2, time.Time{}, 12 * time.Second, true},
		{"longer than the longest wait", "61", 0, time.Time{}, 61 * time.Second, false},
		{"past the deadline", "10", 0, now.Add(5 * time.Second), 10 * time.Second, false},
		{"before the deadline", "10", 0, now.Add(20 * time.Second), 10 * time.Second, true},
		{"garbage: backoff", "soon", 0, time.Time{}, 3 * time.Second, true},
		{"negative: backoff", "-5", 0, time.Time{}, 3 * time.Second, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wait, ok := retryWait(resp(tc.header), tc.attempt, now, tc.deadline, time.Minute)
			if wait != tc.wait || ok != tc.ok {
				t.Errorf("retryWait = %v, %v; want %v, %v", wait, ok, tc.wait, tc.ok)
			}
		})
	}
}

func TestTokenRoles(t *testing.T) {
	// {"aud":"https://graph.microsoft.com","roles":["Calendars.ReadWrite","User.Read.All"]}
	payload := "eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJyb2xlcyI6WyJDYWxlbmRhcnMuUmVhZFdyaXRlIiwiVXNlci5SZWFkLkFsbCJdfQ"
	roles, err := tokenRoles("eyJhbGciOiJSUzI1NiJ9." + payload + ".c2ln")
	if err != nil || len(roles) != 2 || roles[0] != "Calendars.ReadWrite" || roles[1] != "User.Read.All" {
		t.Errorf("tokenRoles = %v, %v", roles, err)
	}
	// {"aud":"x"}: no roles claim, as without admin consent.
	if roles, err := tokenRoles("e30.eyJhdWQiOiJ4In0.c2ln"); err != nil || len(roles) != 0 {
		t.Errorf("tokenRoles without roles = %v, %v", roles, err)
	}
	for _, bad := range []string{"", "opaque-token", "a.!!!.c", "a.bm90IGpzb24.c"} {
		if _, err := tokenRoles(bad); err == nil {
			t.Errorf("tokenRoles(%q) accepted it", bad)
		}
	}
}
