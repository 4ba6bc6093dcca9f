package sync

import (
	"testing"
	"time"
)

func TestPolicyDelay(t *testing.T) {
	p := Policy{Base: 2 * time.Second, Max: time.Minute}
	retryable := Failure{Retryable: true}
	cases := []struct {
		name    string
		f       Failure
		attempt int
		jitter  float64
		wait    time.Duration
		ok      bool
	}{
		{"permanent", Failure{}, 1, 0.5, 0, false},
		{"permanent ignores Retry-After", Failure{RetryAfter: time.Second}, 1, 0.5, 0, false},
		{"Retry-After exactly", Failure{Retryable: true, RetryAfter: 7 * time.Second}, 1, 0.9, 7 * time.Second, true},
		{"Retry-After beyond the cap is still honoured", Failure{Retryable: true, RetryAfter: 5 * time.Minute}, 9, 0, 5 * time.Minute, true},
		{"first attempt, no jitter", retryable, 1, 0, time.Second, true},
		{"first attempt, most jitter", retryable, 1, 0.999999, 2 * time.Second, true},
		{"second attempt doubles", retryable, 2, 0, 2 * time.Second, true},
		{"third attempt", retryable, 3, 0.5, 6 * time.Second, true},
		{"capped", retryable, 10, 0, 30 * time.Second, true},
		{"capped with jitter", retryable, 10, 0.999999, time.Minute, true},
		{"huge attempt stays capped", retryable, 5000, 0.5, 45 * time.Second, true},
		{"attempt 0 treated as first", retryable, 0, 0, time.Second, true},
		{"jitter out of range is clamped", retryable, 1, 7, 2 * time.Second, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wait, ok := p.Delay(c.f, c.attempt, c.jitter)
			if ok != c.ok || (wait-c.wait).Abs() > time.Millisecond {
				t.Errorf("Delay = %v, %v; want %v, %v", wait, ok, c.wait, c.ok)
			}
		})
	}
}

func TestPolicyDelayGrowsAndStaysBounded(t *testing.T) {
	p := DefaultPolicy
	prevMax := time.Duration(0)
	for attempt := 1; attempt <= 40; attempt++ {
		lo, _ := p.Delay(Failure{Retryable: true}, attempt, 0)
		hi, _ := p.Delay(Failure{Retryable: true}, attempt, 0.999999)
		if lo <= 0 || hi > p.Max || lo > hi {
			t.Fatalf("attempt %d: range %v–%v outside (0, %v]", attempt, lo, hi, p.Max)
		}
		if hi < prevMax {
			t.Fatalf("attempt %d: %v shorter than the previous attempt's %v", attempt, hi, prevMax)
		}
		prevMax = hi
	}
}
