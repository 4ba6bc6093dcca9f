package graph

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

// CheckResult is the outcome of one live test, in the shape `invitesync check
// --json` prints: {"id","ok","step","code","message","fix"}.
type CheckResult struct {
	ID string `json:"id"` // e.g. token, calendar, calendarView, probe, idm-health
	OK bool   `json:"ok"`
	// Warning marks a passing check with something to act on (e.g. the app
	// can read every mailbox); Message and Fix say what.
	Warning bool `json:"warning,omitempty"`
	Diagnosis
}
