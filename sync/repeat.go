package sync

import (
	"context"
	"log/slog"
	stdsync "sync"
)

// repeats logs a trouble that recurs — the state database cannot be
// written, the control queue cannot be read — once per change of
// condition: when it starts or its message changes, and once more when it
// clears; repeats in between go to the debug level. The zero value is ready.
type repeats struct {
	mu   stdsync.Mutex
	last map[string]string // what → the message last logged for it
}

// fail logs err about what (e.g. "cannot renew the loop lease") at level,
// unless it is the message last logged about what.
func (r *repeats) fail(log *slog.Logger, level slog.Level, what string, err error, args ...any) {
	msg := err.Error()
	r.mu.Lock()
	same := r.last[what] == msg
	if !same {
		if r.last == nil {
			r.last = map[string]string{}
		}
		r.last[what] = msg
	}
	r.mu.Unlock()
	args = append([]any{"error", msg}, args...)
	if same {
		log.Debug(what+" (again)", args...)
		return
	}
	log.Log(context.Background(), level, what, args...)
}

// ok says that what works again, when a failure of it was logged.
func (r *repeats) ok(log *slog.Logger, what string) {
	r.mu.Lock()
	_, failed := r.last[what]
	delete(r.last, what)
	r.mu.Unlock()
	if failed {
		log.Info("recovered", "from", what)
	}
}
