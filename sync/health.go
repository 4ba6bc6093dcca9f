package sync

import (
	"fmt"
	"time"

	"invitesync/config"
	"invitesync/sync/store"
)

// Health is the verdict on an automation: whether anybody needs to act.
type Health int

// Verdicts, from good to bad; `invitesync status` exits with each one's
// code (see ExitCode).
const (
	// Healthy: a loop polls it and nothing needs doing.
	Healthy Health = iota
	// NeedsAttention: it works, but not for long or not at all unless
	// somebody acts: the client secret expires within 14 days, nothing
	// has polled the automation for two intervals, or its loop is paused.
	NeedsAttention
	// Failing: invitations are not becoming visits: the last poll failed,
	// operations failed for good, or the client secret expired.
	Failing
)

// String is the verdict as `status` prints it and its JSON says it.
func (h Health) String() string {
	switch h {
	case NeedsAttention:
		return "attention"
	case Failing:
		return "failing"
	}
	return "healthy"
}

// ExitCode is the exit status of `invitesync status` and `invitesync
// check` for the verdict: 0 healthy, 3 needs attention, 1 failing (2
// stays the usage error of every command).
func (h Health) ExitCode() int {
	switch h {
	case NeedsAttention:
		return 3
	case Failing:
		return 1
	}
	return 0
}

// Verdict is a Health with its reasons, the most serious first.
type Verdict struct {
	Health  Health
	Reasons []string
}

// add records a reason of health h.
func (v *Verdict) add(h Health, reason string) {
	if h > v.Health {
		v.Health = h
		v.Reasons = append([]string{reason}, v.Reasons...)
		return
	}
	v.Reasons = append(v.Reasons, reason)
}

// Worst is the verdict on several automations: the worst health of vs.
func Worst(vs ...Verdict) Health {
	h := Healthy
	for _, v := range vs {
		h = max(h, v.Health)
	}
	return h
}

// staleGrace is how late beyond two intervals a poll may be before an
// automation no loop holds counts as not running.
const staleGrace = time.Minute

// stale reports whether an automation last polled at last is overdue at
// now: no poll within two of its intervals and a minute. A cron job
// running `invitesync run --once` at the automation's interval keeps it
// fresh, so such a set-up is healthy without a resident service.
func stale(a config.Automation, last, now time.Time) bool {
	return last.IsZero() || now.Sub(last) > 2*a.Interval+staleGrace
}

// Judge gives the verdict on automation a from its board at now. A
// disabled automation is healthy: nothing is expected of it.
func Judge(a config.Automation, b store.Board, now time.Time) Verdict {
	var v Verdict
	if !a.Enabled {
		return Verdict{Reasons: []string{"disabled"}}
	}
	x := SecretExpiry(a.SecretExpires, now)
	switch {
	case x.Level == ExpiryExpired:
		v.add(Failing, x.Message)
	case x.Level >= Expiry14:
		v.add(NeedsAttention, x.Message)
	}
	ls := b.Loop
	switch {
	case ls.State == store.LoopError && ls.LastError != "":
		v.add(Failing, "the last poll failed: "+clean(ls.LastError))
	case ls.State == store.LoopError:
		v.add(Failing, "the last poll failed")
	}
	if b.Failed > 0 {
		msg := fmt.Sprintf("%s failed for good", plural(b.Failed, "operation"))
		if b.LatestFailure != "" {
			msg += " (latest: " + clean(b.LatestFailure) + ")"
		}
		v.add(Failing, msg+": r in the dashboard retries them")
	} else if ls.State == store.LoopFailing {
		v.add(Failing, "the operations the loop last ran all failed: "+clean(ls.LastError))
	}
	switch {
	case !b.Leased && ls.State == "":
		v.add(NeedsAttention, "never run: start `invitesync run`")
	case !b.Leased && !stale(a, ls.LastPoll, now):
		// No loop holds it, but a scheduled `run --once` polls it on time.
	case !b.Leased && ls.LastPoll.IsZero():
		v.add(NeedsAttention, "not running: start `invitesync run`")
	case !b.Leased:
		v.add(NeedsAttention, fmt.Sprintf("not running, last polled %s ago: start `invitesync run`",
			now.Sub(ls.LastPoll).Round(time.Minute)))
	case ls.State == store.LoopPaused:
		v.add(NeedsAttention, "paused: nothing is polled until it is resumed")
	}
	return v
}
