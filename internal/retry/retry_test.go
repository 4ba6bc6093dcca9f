package retry

import (
	"net/http"
	"testing"
	"time"
)

func TestAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"   ", 0, false},
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"1.5", time.Second, true},
		{"0.4", 0, true},
		{"-5", 0, false},
		{"-0.5", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"soon", 0, false},
		{"999999999999", MaxAfter, true},
		{"1e300", MaxAfter, true},
		{"Tue, 01 Dec 2026 09:00:30 GMT", 30 * time.Second, true},
		{"Tue, 01 Dec 2026 08:59:00 GMT", 0, true},
		{"Tuesday, 01-Dec-26 09:01:00 GMT", time.Minute, true},
		{"Tue, 01 Dec 2027 09:00:00 GMT", MaxAfter, true},
		{"Tue, 01 Dec 2026 09:00:30", 0, false},
	}
	for _, tt := range tests {
		got, ok := After(tt.header, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("After(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAfterRoundsADateToSeconds(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 300*int(time.Millisecond), time.UTC)
	at := time.Date(2026, 12, 1, 9, 0, 30, 0, time.UTC).Format(http.TimeFormat)
	if got, ok := After(at, now); got != 30*time.Second || !ok {
		t.Errorf("After(%q) at %v = %v, %v; want 30s, true", at, now, got, ok)
	}
}

func TestBackoffStep(t *testing.T) {
	b := Backoff{Base: 2 * time.Second, Max: time.Minute}
	tests := []struct {
		n    int
		want time.Duration
	}{
		{-3, 2 * time.Second},
		{0, 2 * time.Second},
		{1, 2 * time.Second},
		{2, 4 * time.Second},
		{3, 8 * time.Second},
		{5, 32 * time.Second},
		{6, time.Minute},
		{5000, time.Minute},
	}
	for _, tt := range tests {
		if got := b.Step(tt.n); got != tt.want {
			t.Errorf("Step(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	uncapped := Backoff{Base: time.Second}
	if got := uncapped.Step(11); got != 1024*time.Second {
		t.Errorf("uncapped Step(11) = %v, want 1024s", got)
	}
	if got := uncapped.Step(5000); got <= 0 {
		t.Errorf("uncapped Step(5000) = %v, want the longest wait, not an overflow", got)
	}
	if got := (Backoff{}).Step(3); got != 0 {
		t.Errorf("zero Backoff Step(3) = %v, want 0", got)
	}
}

func TestBackoffJittered(t *testing.T) {
	b := Backoff{Base: 2 * time.Second, Max: time.Minute}
	tests := []struct {
		name   string
		n      int
		jitter float64
		want   time.Duration
	}{
		{"no jitter: half the step", 1, 0, time.Second},
		{"most jitter: the whole step", 1, 0.999999, 2 * time.Second},
		{"halfway", 3, 0.5, 6 * time.Second},
		{"capped", 10, 0, 30 * time.Second},
		{"capped, most jitter", 10, 0.999999, time.Minute},
		{"jitter above 1 is clamped", 1, 7, 2 * time.Second},
		{"jitter below 0 is clamped", 1, -1, time.Second},
	}
	for _, tt := range tests {
		got := b.Jittered(tt.n, tt.jitter)
		if (got - tt.want).Abs() > time.Millisecond {
			t.Errorf("%s: Jittered(%d, %v) = %v, want %v", tt.name, tt.n, tt.jitter, got, tt.want)
		}
	}
}
