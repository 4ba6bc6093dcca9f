// Package setup saves an automation the one way every way of setting one
// up does — the wizard, its accessible mode, `setup --no-input` and the
// demo: check it against the configuration on disk, live-test it when
// asked, then store its secrets and write the configuration atomically
// (config.PlanChange and Commit). Nothing is written unless every check
// and the live test pass.
package setup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"invitesync/config"
	"invitesync/diag"
)

// Request is one automation to save.
type Request struct {
	ConfigPath string
	Secrets    *config.Secrets
	// Change is the automation, the IDM connection, the name it had
	// (editing) and the secrets given; a secret not given is the stored one.
	Change config.Change
	Now    time.Time
	// Test, when set, is the live test, run on the automation as it would
	// be saved with the secrets it would use. Nil: nothing is tested.
	Test func(ctx context.Context, p *config.Plan) []diag.Result
	// Tested, when set, is called once the test passed, before anything
	// is stored or written.
	Tested func()
}

// TestFailedError is a live test that did not pass: nothing was saved.
type TestFailedError struct {
	Results []diag.Result
	// Failed is the first check that failed; nil when no check ran.
	Failed *diag.Result
}

func (e *TestFailedError) Error() string {
	if e.Failed == nil {
		return "nothing was saved: the live test ran no check"
	}
	msg := fmt.Sprintf("nothing was saved: the live test failed at step %d: %s", e.Failed.Step, e.Failed.Message)
	if e.Failed.Fix != "" {
		msg += "\nFix: " + e.Failed.Fix
	}
	return msg
}

// Plan checks the change against the configuration as it is now on disk
// (none yet is an empty one) and returns what saving it would do. A field
// that is wrong is a config.Errors; nothing is stored or written.
func Plan(req Request) (*config.Plan, error) {
	if req.Secrets == nil {
		return nil, errors.New("no secret store")
	}
	cur, err := config.Read(req.ConfigPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		cur = nil
	case err != nil:
		return nil, err
	}
	p, err := config.PlanChange(req.ConfigPath, cur, req.Secrets, req.Change, req.Now)
	var errs config.Errors
	errors.As(err, &errs)
	a := req.Change.Automation
	if oerr := CheckObjectID(a.EnterpriseObjectID, a.ClientID, a.TenantID); oerr != nil {
		errs = append(errs, &config.FieldError{Automation: strconv.Quote(a.Name), Field: "enterprise_object_id", Message: oerr.Error()})
	}
	switch {
	case err != nil && len(errs) == 0:
		return nil, err
	case len(errs) > 0:
		return nil, errs
	}
	return p, nil
}

// Save plans the change (see Plan), runs the live test when the request
// has one, and then stores the secrets and writes the configuration. A
// failed test is a *TestFailedError; the results are returned either way.
func Save(ctx context.Context, req Request) (*config.Plan, []diag.Result, error) {
	p, err := Plan(req)
	if err != nil {
		return nil, nil, err
	}
	var results []diag.Result
	if req.Test != nil {
		results = req.Test(ctx, p)
		if err := verdict(results); err != nil {
			return p, results, err
		}
		if req.Tested != nil {
			req.Tested()
		}
		// Leaving while the test ran (or while Tested was said) saves nothing.
		if err := ctx.Err(); err != nil {
			return p, results, fmt.Errorf("nothing was saved: %w", err)
		}
	}
	if err := p.Commit(); err != nil {
		return p, results, err
	}
	return p, results, nil
}

// verdict is nil when every check passed (warnings pass).
func verdict(results []diag.Result) error {
	for i, r := range results {
		if !r.OK {
			return &TestFailedError{Results: results, Failed: &results[i]}
		}
	}
	if !diag.Passed(results) {
		return &TestFailedError{Results: results}
	}
	return nil
}

// CheckObjectID refuses an enterprise application's Object ID that is one
// of the other two IDs, the mistake of copying from the wrong line.
func CheckObjectID(objectID, clientID, tenantID string) error {
	switch {
	case objectID == "":
		return nil
	case strings.EqualFold(objectID, clientID):
		return errors.New("that is the Application (client) ID: the enterprise application's Object ID is another GUID")
	case strings.EqualFold(objectID, tenantID):
		return errors.New("that is the Directory (tenant) ID: the enterprise application's Object ID is another GUID")
	}
	return nil
}
