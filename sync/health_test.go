package sync

import (
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/sync/store"
)

func TestJudge(t *testing.T) {
	now := time.Date(2025, 11, 24, 10, 0, 0, 0, time.UTC)
	date := func(days int) config.Date {
		d := now.AddDate(0, 0, days)
		return config.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
	}
	running := store.Board{Status: store.Status{Leased: true, Loop: store.LoopStatus{State: store.LoopIdle}}}
	with := func(edit func(*store.Board)) store.Board {
		b := running
		edit(&b)
		return b
	}
	for _, c := range []struct {
		name    string
		expires int // days from now; 0: not recorded
		off     bool
		board   store.Board
		want    Health
		reason  string
	}{
		{"polling", 90, false, running, Healthy, ""},
		{"throttled is still working", 90, false, with(func(b *store.Board) { b.Loop.State = store.LoopThrottled }), Healthy, ""},
		{"pending operations are work, not trouble", 90, false, with(func(b *store.Board) { b.Pending = 5 }), Healthy, ""},
		{"secret in 30 days is only a warning", 30, false, running, Healthy, ""},
		{"secret in 14 days", 14, false, running, NeedsAttention, "the client secret expires in 14 days"},
		{"not running", 90, false, with(func(b *store.Board) { b.Leased = false }), NeedsAttention, "not running: start `invitesync run`"},
		{"polled by a scheduled run --once", 90, false, with(func(b *store.Board) {
			b.Leased, b.Loop.State, b.Loop.LastPoll = false, store.LoopStopped, now.Add(-9*time.Minute)
		}), Healthy, ""},
		{"last poll two intervals ago", 90, false, with(func(b *store.Board) {
			b.Leased, b.Loop.State, b.Loop.LastPoll = false, store.LoopStopped, now.Add(-12*time.Minute)
		}), NeedsAttention, "not running, last polled 12m0s ago"},
		{"never run", 90, false, store.Board{}, NeedsAttention, "never run"},
		{"paused", 90, false, with(func(b *store.Board) { b.Loop.State = store.LoopPaused }), NeedsAttention, "paused"},
		{"secret expired", -1, false, running, Failing, "the client secret expired on"},
		{"poll failed", 90, false, with(func(b *store.Board) {
			b.Loop.State, b.Loop.LastError = store.LoopError, "AADSTS7000215: invalid client secret"
		}), Failing, "the last poll failed: AADSTS7000215"},
		{"failed operations while idle", 90, false, with(func(b *store.Board) {
			b.Failed, b.LatestFailure = 23, "IDM refused the visit: 422"
		}), Failing, "23 operations failed for good (latest: IDM refused the visit: 422)"},
		{"failing loop", 90, false, with(func(b *store.Board) {
			b.Loop.State, b.Loop.LastError = store.LoopFailing, "IDM refused the visit: 422"
		}), Failing, "all failed: IDM refused the visit: 422"},
		{"failing beats not running", 90, false, with(func(b *store.Board) {
			b.Leased, b.Failed = false, 1
		}), Failing, "1 operation failed for good"},
		{"disabled", -5, true, store.Board{}, Healthy, "disabled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := config.NewAutomation("reception")
			a.Enabled = !c.off
			if c.expires != 0 {
				a.SecretExpires = date(c.expires)
			}
			v := Judge(a, c.board, now)
			if v.Health != c.want {
				t.Errorf("health = %s %v, want %s", v.Health, v.Reasons, c.want)
			}
			if c.reason == "" && len(v.Reasons) > 0 {
				t.Errorf("reasons = %v, want none", v.Reasons)
			}
			if c.reason != "" && (len(v.Reasons) == 0 || !strings.Contains(v.Reasons[0], c.reason)) {
				t.Errorf("first reason = %v, want %q", v.Reasons, c.reason)
			}
		})
	}
}

func TestHealthExitCodesAndWorst(t *testing.T) {
	if Healthy.ExitCode() != 0 || NeedsAttention.ExitCode() != 3 || Failing.ExitCode() != 1 {
		t.Errorf("exit codes %d %d %d, want 0 3 1", Healthy.ExitCode(), NeedsAttention.ExitCode(), Failing.ExitCode())
	}
	if w := Worst(Verdict{Health: NeedsAttention}, Verdict{}, Verdict{Health: Failing}); w != Failing {
		t.Errorf("Worst = %s", w)
	}
	if w := Worst(); w != Healthy {
		t.Errorf("Worst of none = %s", w)
	}
}
