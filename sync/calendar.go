package sync

import (
	"errors"
	"net/http"
	"time"

	"invitesync/graph"
)

// isResync reports whether err says the delta link expired, so the round
// must start afresh.
func isResync(err error) bool { return errors.Is(err, graph.ErrResyncRequired) }

// throttledUntil returns when Graph said to come back, if err is throttling.
func throttledUntil(err error) (time.Time, bool) {
	var te *graph.ThrottledError
	if errors.As(err, &te) {
		return te.Until, true
	}
	return time.Time{}, false
}

// graphFailure classifies Graph's typed errors for the retry policy.
func graphFailure(err error, now time.Time) (Failure, bool) {
	var (
		te *graph.ThrottledError
		ge *graph.GraphError
		ae *graph.AuthError
		ne *graph.NetworkError
		to *graph.TimeoutError
	)
	switch {
	case errors.As(err, &te):
		return Failure{Retryable: true, RetryAfter: max(te.Until.Sub(now), time.Second)}, true
	case errors.As(err, &ge):
		return Failure{Retryable: ge.Status >= 500 || ge.Status == http.StatusRequestTimeout}, true
	case errors.As(err, &ae):
		return Failure{Retryable: ae.Status >= 500}, true
	case errors.As(err, &ne), errors.As(err, &to):
		return Failure{Retryable: true}, true
	}
	return Failure{}, false
}
