package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"invitesync/graph"
	"invitesync/internal/text"
)

// The directory calls are plain JSON over the administrator's transport
// rather than msgraph-sdk-go: eleven small requests, whose bodies and error
// codes the callers branch on (Authorization_RequestDenied, the replication
// errors retried below), read more plainly as Graph documents them than
// through the SDK's builders and pointer models.

// Error is an error answer from Graph to a directory call.
type Error struct {
	Op      string // what was being done, e.g. "create the app registration"
	Status  int
	Code    string
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("could not %s: Microsoft Graph answered %d %s: %s", e.Op, e.Status, e.Code, e.Message)
}

// Denied reports a refusal for want of permission or role.
func (e *Error) Denied() bool {
	return e.Status == http.StatusForbidden || strings.EqualFold(e.Code, "Authorization_RequestDenied")
}

// call sends one JSON request to Graph with the administrator's token and
// decodes a JSON answer into out (when not nil).
func (a *Admin) call(ctx context.Context, op, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	tok, err := a.token(ctx)
	if err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("could not %s: Microsoft Graph did not answer within %s", op, a.timeout)
		}
		return fmt.Errorf("could not %s: %s", op, graph.Diagnose(err).Message)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("could not %s: the answer was cut short: %w", op, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return &Error{Op: op, Status: resp.StatusCode, Code: text.Clean(e.Error.Code, 100), Message: text.Clean(e.Error.Message, 400)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("could not %s: %w: %v", op, graph.ErrMalformed, err)
		}
	}
	return nil
}

// retrying runs fn until it succeeds, fails with an error that is not
// Entra's replication lag (lagging says which are), or about a minute has
// passed: an object just created is not at once visible to the next call
// that references it.
func retrying(ctx context.Context, fn func() error, lagging func(*Error) bool) error {
	wait := time.Second
	deadline := time.Now().Add(time.Minute)
	for {
		err := fn()
		var ge *Error
		if err == nil || !errors.As(err, &ge) || !lagging(ge) || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 8*time.Second)
	}
}

// odataString quotes v for an OData $filter: single quotes doubled.
func odataString(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }
