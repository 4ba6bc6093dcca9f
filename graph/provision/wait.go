package provision

import (
	"context"
	"time"

	"invitesync/diag"
	"invitesync/graph"
	"invitesync/internal/retry"
)

// DefaultConsentWait bounds the wait for a new app, secret or consent to
// reach Entra ID's token service and Graph: usually seconds, sometimes
// minutes.
const DefaultConsentWait = 10 * time.Minute

// Pending says whether the live test's results fail only because Entra ID
// has not yet applied what was just created, and why, in words: the token
// endpoint does not know the new app (AADSTS700016), its enterprise
// application (AADSTS7000229) or its new secret (AADSTS7000215) yet, or
// Graph refuses the calendar because the new consent is not in the token
// yet (403).
func Pending(results []diag.Result) (why string, pending bool) {
	for _, r := range results {
		if r.OK {
			continue
		}
		switch {
		case r.ID == graph.CheckToken && (r.Code == "AADSTS700016" || r.Code == "AADSTS7000229"):
			return "Entra ID does not know the new app yet", true
		case r.ID == graph.CheckToken && r.Code == "AADSTS7000215":
			return "Entra ID does not accept the new client secret yet", true
		case r.ID == graph.CheckCalendar && (r.Code == "ErrorAccessDenied" || r.Code == "Authorization_RequestDenied"):
			return "the admin consent is not in the app's token yet", true
		}
		return "", false
	}
	return "", false
}

// Tick is one pause of WaitLive, for a countdown.
type Tick struct {
	Attempt int           // tries so far
	Why     string        // what is not there yet
	Next    time.Duration // until the next try
	Left    time.Duration // until WaitLive gives up
}

// liveBackoff is WaitLive's pause between live tests.
var liveBackoff = retry.Backoff{Base: 2 * time.Second, Max: 15 * time.Second}

// WaitLive runs test and, while its results are Pending, runs it again
// after a pause (2 s, doubling up to 15 s) until it passes, fails for
// another reason, or bound has passed; tick is told of each pause. It
// returns the last results.
func WaitLive(ctx context.Context, bound time.Duration, test func(context.Context) []diag.Result, tick func(Tick)) []diag.Result {
	deadline := time.Now().Add(bound)
	for attempt := 1; ; attempt++ {
		results := test(ctx)
		why, pending := Pending(results)
		left := time.Until(deadline)
		if !pending || left <= 0 || ctx.Err() != nil {
			return results
		}
		next := min(liveBackoff.Step(attempt), left)
		if tick != nil {
			tick(Tick{Attempt: attempt, Why: why, Next: next, Left: left})
		}
		select {
		case <-ctx.Done():
			return results
		case <-time.After(next):
		}
	}
}
