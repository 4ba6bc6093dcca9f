// Package livecheck is the live test of one automation behind the wizard's
// Save, `invitesync check` and set-up: Graph's checks (see graph.Client.Check),
// then Salto IDM's health with the key and the automation's environment.
package livecheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"invitesync/config"
	"invitesync/diag"
	"invitesync/graph"
	"invitesync/idm"
	"invitesync/internal/text"
)

// IDM check ids, after graph's (graph.CheckToken … graph.CheckProbe).
const (
	IDMHealth      = "idm-health"
	IDMEnvironment = "idm-environment"
)

// idmStep is the set-up step an IDM failure points at: the automation and
// its IDM connection.
const idmStep = 6

// Step is one live test a UI shows before it runs.
type Step struct {
	ID    string
	Title string
}

// Steps lists the live tests Run runs, in order; the probe
// is there only when a probe mailbox is given.
func Steps(probe bool) []Step {
	steps := []Step{
		{graph.CheckToken, "Sign in to Entra ID (client credentials)"},
		{graph.CheckCalendar, "Read the mailbox's calendar"},
		{graph.CheckCalendarView, "Read the calendar view"},
	}
	if probe {
		steps = append(steps, Step{graph.CheckProbe, "Least privilege: another mailbox is refused"})
	}
	return append(steps,
		Step{IDMHealth, "Reach Salto IDM with the API key"},
		Step{IDMEnvironment, "Find the environment in Salto IDM"},
	)
}

// Input is everything the live check of one automation needs.
type Input struct {
	Automation   config.Automation
	IDMURL       string
	ClientSecret string
	IDMKey       string
	ProbeMailbox string
	Graph        graph.Options
	// IDMHTTPClient carries the IDM requests (TLS trust); nil: the default.
	IDMHTTPClient *http.Client
}

// Run runs the live test behind the wizard's Save and
// `invitesync check`: Graph's checks (token, calendar, calendar view and the
// optional least-privilege probe), then IDM's health with the key, then the
// automation's environment in IDM. report, when not nil, is called with each
// result as it is known. Every failure carries a diagnosis; IDM's point at
// step 6.
func Run(ctx context.Context, in Input, report func(diag.Result)) []diag.Result {
	if report == nil {
		report = func(diag.Result) {}
	}
	results := graph.CheckAutomation(ctx, in.Automation, in.ClientSecret, in.Graph, in.ProbeMailbox)
	for _, r := range results {
		report(r)
	}
	add := func(r diag.Result) {
		results = append(results, r)
		report(r)
	}
	client, err := idm.New(in.IDMURL, in.IDMKey, idm.Options{HTTPClient: in.IDMHTTPClient})
	if err != nil {
		add(idmFailed(IDMHealth, err, in.IDMURL))
		add(idmNotRun(IDMEnvironment, "IDM could not be reached"))
		return results
	}
	h, err := client.Health(ctx)
	if err != nil {
		add(idmFailed(IDMHealth, err, in.IDMURL))
		add(idmNotRun(IDMEnvironment, "IDM could not be reached"))
		return results
	}
	msg := "Salto IDM at " + client.URL() + " accepts the API key"
	if v := clean(h.Version); v != "" {
		msg += " (version " + v + ")"
	}
	add(diag.Result{ID: IDMHealth, OK: true, Diagnosis: diag.Diagnosis{Message: msg + "."}})
	env, err := client.ResolveEnvironment(ctx, in.Automation.Environment)
	if err != nil {
		add(idmFailed(IDMEnvironment, err, in.IDMURL))
		return results
	}
	add(environmentFound(in.Automation, env, time.Now()))
	return results
}

// environmentFound is the passing environment check; it warns when IDM keeps
// the environment in another time zone than the automation's: visit times
// then travel in the environment's offset, but all-day meetings are read,
// and times are shown, in the automation's.
func environmentFound(a config.Automation, env idm.Environment, now time.Time) diag.Result {
	r := diag.Result{ID: IDMEnvironment, OK: true, Diagnosis: diag.Diagnosis{
		Message: fmt.Sprintf("The environment %q exists in Salto IDM (id %s).", clean(a.Environment), clean(env.ID))}}
	if env.TimeZone == "" {
		return r
	}
	if sameOffsets(a.TimeZone, env.TimeZone, now) {
		return r
	}
	r.Warning, r.Step = true, idmStep
	r.Message = fmt.Sprintf("The environment %q exists in Salto IDM, but IDM keeps it in the time zone %s and this automation uses %s: visits keep their times, sent in the environment's offset, but all-day meetings are read, and times shown, in %[3]s.",
		clean(a.Environment), clean(env.TimeZone), a.TimeZone)
	r.Fix = fmt.Sprintf("Set the automation's time zone to %s (step 6).", clean(env.TimeZone))
	return r
}

// sameOffsets reports whether the zones a and b (IANA or Windows names) keep
// the same UTC offset, hour by hour, for the year from now.
func sameOffsets(a, b string, now time.Time) bool {
	load := func(name string) *time.Location {
		iana, err := config.NormalizeTimeZone(name)
		if err != nil {
			return nil
		}
		loc, err := time.LoadLocation(iana)
		if err != nil {
			return nil
		}
		return loc
	}
	la, lb := load(a), load(b)
	if la == nil || lb == nil {
		return false
	}
	for t := now.Truncate(time.Hour); t.Before(now.AddDate(1, 0, 0)); t = t.Add(time.Hour) {
		_, oa := t.In(la).Zone()
		_, ob := t.In(lb).Zone()
		if oa != ob {
			return false
		}
	}
	return true
}

// ExplainSecrets replaces the diagnosis of a check that failed only because
// a secret could not be read with the reason and the ways to provide it.
func ExplainSecrets(r diag.Result, secretErr, idmKeyErr error) diag.Result {
	switch {
	case r.ID == graph.CheckToken && secretErr != nil && !r.OK:
		r.Diagnosis = diag.Diagnosis{Step: 3, Code: "secret-unavailable", Message: secretErr.Error(),
			Fix: "Store the client secret's Value with `invitesync setup`, or set INVITESYNC_CLIENT_SECRET_FILE."}
	case r.ID == IDMHealth && idmKeyErr != nil && !r.OK:
		r.Diagnosis = diag.Diagnosis{Step: 6, Code: "secret-unavailable", Message: idmKeyErr.Error(),
			Fix: "Store the IDM API key with `invitesync setup`, or set INVITESYNC_IDM_API_KEY_FILE."}
	}
	return r
}

func idmNotRun(id, because string) diag.Result {
	return diag.Result{ID: id, Diagnosis: diag.Diagnosis{Step: idmStep, Message: "Not run: " + because + "."}}
}

// idmFailed turns an IDM error into a diagnosis for step 6.
func idmFailed(id string, err error, url string) diag.Result {
	d := diag.Diagnosis{Step: idmStep, Message: clean(err.Error())}
	var ie *idm.Error
	if errors.As(err, &ie) {
		d.Code = ie.Code
	}
	shown := clean(url)
	switch {
	case errors.Is(err, idm.ErrInvalidURL):
		d.Fix = "Enter the IDM API base URL, e.g. https://idm.example.com/api/v1, in step 6."
	case errors.Is(err, idm.ErrInvalidKey):
		d.Message = "The IDM API key is missing or malformed."
		d.Fix = "Paste the API key from Salto IDM in step 6, or set INVITESYNC_IDM_API_KEY / INVITESYNC_IDM_API_KEY_FILE."
	case errors.Is(err, idm.ErrUnauthorized):
		d.Message = "Salto IDM rejected the API key."
		d.Fix = "Create or copy a valid API key in Salto IDM and enter it in step 6."
	case errors.Is(err, idm.ErrForbidden):
		d.Message = "The IDM API key lacks the right for this: " + d.Message
		d.Fix = "Give the key the visitor-management right for this environment in Salto IDM."
	case errors.Is(err, idm.ErrEnvironmentNotFound):
		d.Fix = "Choose one of the environments IDM lists in step 6."
	case ie != nil && ie.Status == 0:
		d.Message = "Salto IDM at " + shown + " could not be reached: " + d.Message
		d.Fix = "Check the IDM URL in step 6, the network, and that SSL_CERT_FILE names the CA when IDM uses a private one."
	case ie != nil && ie.Status == http.StatusNotFound:
		d.Fix = "Check that the IDM URL in step 6 is the API base (it usually ends in /api/v1)."
	default:
		d.Fix = "Check the IDM URL and API key in step 6; if they are right, IDM itself may be down."
	}
	if !strings.HasSuffix(d.Message, ".") {
		d.Message += "."
	}
	return diag.Result{ID: id, Diagnosis: d}
}

func clean(s string) string { return text.Clean(s, 200) }
