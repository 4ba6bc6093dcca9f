// Package diag is what invitesync says about a failure and about a live
// test, whichever part failed (Entra ID and Graph, IDM, the configuration,
// a secret, a save): a Diagnosis that names the set-up step and the fix,
// and the Result of one check. The wizard, check, status and the engine
// all speak it.
package diag

// Diagnosis turns a failure into something a person can act on: the wizard
// step to revisit, the service's code, one plain sentence and the fix.
type Diagnosis struct {
	Step    int    `json:"step"`           // 1–6; 0 when no step applies
	Code    string `json:"code,omitempty"` // e.g. AADSTS7000215, ErrorAccessDenied
	Message string `json:"message"`        // what is wrong, in one sentence
	Fix     string `json:"fix,omitempty"`  // what to do about it

	cause error // the error diagnosed, when a call returns the diagnosis
}

// Error makes a Diagnosis usable as an error.
func (d *Diagnosis) Error() string {
	s := d.Message
	if d.Code != "" {
		s = d.Code + ": " + s
	}
	if d.Fix != "" {
		s += " " + d.Fix
	}
	return s
}

// Unwrap returns the error the diagnosis explains, if it stands for one.
func (d *Diagnosis) Unwrap() error { return d.cause }

// Explaining makes d stand for err when returned as an error, so that
// errors.Is and errors.As see err through it; it returns d.
func (d *Diagnosis) Explaining(err error) *Diagnosis {
	d.cause = err
	return d
}

// Result is the outcome of one live test, in the shape `invitesync check
// --json` prints: {"id","ok","step","code","message","fix"}.
type Result struct {
	ID string `json:"id"` // e.g. token, calendar, calendarView, probe, idm-health
	OK bool   `json:"ok"`
	// Warning marks a passing check with something to act on (e.g. the app
	// can read every mailbox); Message and Fix say what.
	Warning bool `json:"warning,omitempty"`
	Diagnosis
}

// Passed reports whether there are results and every one passed.
func Passed(results []Result) bool {
	for _, r := range results {
		if !r.OK {
			return false
		}
	}
	return len(results) > 0
}
