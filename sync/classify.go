package sync

import (
	"errors"
	"time"

	"invitesync/idm"
)

// classify tells the retry policy how an operation failed: IDM's and
// Graph's typed errors say whether trying again may help and when; errors
// of unknown kind (a connection that broke in an unexpected way) are
// retried, because the outbox must not drop work it cannot judge.
func classify(err error, now time.Time) Failure {
	var ie *idm.Error
	switch {
	case err == nil:
		return Failure{}
	case errors.As(err, &ie):
		return Failure{Retryable: ie.Retryable, RetryAfter: ie.RetryAfter}
	case errors.Is(err, idm.ErrEnvironmentNotFound), errors.Is(err, idm.ErrInvalidRef):
		return Failure{}
	}
	if f, ok := graphFailure(err, now); ok {
		return f
	}
	return Failure{Retryable: true}
}
