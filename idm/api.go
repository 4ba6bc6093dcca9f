package idm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"invitesync/internal/text"
)

// Health proves the URL and the key: a wrong key answers 401 here too. An
// answer without a status is not the IDM API (permanent); a status other
// than "ok" is an unhealthy IDM (retryable).
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	status, err := c.do(ctx, http.MethodGet, []string{"health"}, nil, nil, &h)
	switch {
	case err != nil:
		return h, err
	case h.Status == "":
		return h, &Error{Op: "GET /health", Status: status, Code: "bad_response",
			Message: "the answer has no health status; check that the URL is the IDM API base"}
	case h.Status != "ok":
		return h, &Error{Op: "GET /health", Status: status, Code: "unhealthy", Retryable: true,
			Message: fmt.Sprintf("IDM reports status %q", text.Clean(h.Status, 60))}
	}
	return h, nil
}

// Environments lists the environments the key can see.
func (c *Client) Environments(ctx context.Context) ([]Environment, error) {
	var l List[Environment]
	_, err := c.do(ctx, http.MethodGet, []string{"environments"}, nil, nil, &l)
	return l.Items, err
}

// ResolveEnvironment returns the environment called name: an exact
// match first, then the only case-insensitive one, then an environment whose
// id is name. Otherwise the error wraps ErrEnvironmentNotFound and lists the
// names IDM offers.
func (c *Client) ResolveEnvironment(ctx context.Context, name string) (Environment, error) {
	envs, err := c.Environments(ctx)
	if err != nil {
		return Environment{}, err
	}
	name = strings.TrimSpace(name)
	var folded []Environment
	for _, e := range envs {
		if e.Name == name {
			return e, nil
		}
		if strings.EqualFold(e.Name, name) {
			folded = append(folded, e)
		}
	}
	if len(folded) == 1 {
		return folded[0], nil
	}
	for _, e := range envs {
		if e.ID == name {
			return e, nil
		}
	}
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = fmt.Sprintf("%q", text.Clean(e.Name, 80))
	}
	available := "IDM lists none"
	if len(names) > 0 {
		available = "available: " + strings.Join(names, ", ")
	}
	return Environment{}, fmt.Errorf("environment %q: %w; %s", text.Clean(name, 80), ErrEnvironmentNotFound, available)
}

// FindEmployee looks up the employee with this address (case-insensitive).
// When there is none, the error wraps ErrEmployeeNotFound. Each call asks
// IDM; EmployeeCache remembers answers.
func (c *Client) FindEmployee(ctx context.Context, email string) (Employee, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return Employee{}, fmt.Errorf("employee email: %w: the address is empty", ErrEmployeeNotFound)
	}
	var l List[Employee]
	if _, err := c.do(ctx, http.MethodGet, []string{"employees"}, url.Values{"email": {email}}, nil, &l); err != nil {
		return Employee{}, err
	}
	for _, e := range l.Items {
		if strings.EqualFold(strings.TrimSpace(e.Email), email) {
			return e, nil
		}
	}
	return Employee{}, fmt.Errorf("%w: %s", ErrEmployeeNotFound, text.Clean(email, MaxEmailLength))
}

// PutVisit creates or replaces the visit with reference ref and reports
// whether IDM created it (201) rather than updating it or finding it
// unchanged (200). Text fields are sent through text.Clean with the
// Max…Length limits and times without sub-second parts, so IDM never
// receives control characters or over-long fields. The visit returned holds
// IDM's reference, id and status, and the body as sent: of IDM's answer
// only those are read. A visitor who has checked in answers
// ErrVisitInProgress.
func (c *Client) PutVisit(ctx context.Context, ref string, v Visit) (StoredVisit, bool, error) {
	if err := ValidRef(ref); err != nil {
		return StoredVisit{}, false, err
	}
	body := normalize(v)
	var answer struct {
		Ref    string `json:"ref"`
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	status, err := c.do(ctx, http.MethodPut, []string{"visits", ref}, nil, body, &answer)
	if err != nil {
		return StoredVisit{}, false, err
	}
	return StoredVisit{Ref: answer.Ref, ID: answer.ID, Status: answer.Status, Visit: body}, status == http.StatusCreated, nil
}

// GetVisit returns the visit with reference ref, cancelled ones included;
// an unknown ref answers an error matching ErrNotFound.
func (c *Client) GetVisit(ctx context.Context, ref string) (StoredVisit, error) {
	if err := ValidRef(ref); err != nil {
		return StoredVisit{}, err
	}
	var sv StoredVisit
	_, err := c.do(ctx, http.MethodGet, []string{"visits", ref}, nil, nil, &sv)
	return sv, err
}

// DeleteVisit cancels the visit with reference ref. A visit IDM does not
// know (404 with the contract's error body, or none) counts as already
// cancelled: no error. A 404 page from a web server or proxy at a wrong URL
// is an error, so that no cancellation is lost in silence.
func (c *Client) DeleteVisit(ctx context.Context, ref string) error {
	if err := ValidRef(ref); err != nil {
		return err
	}
	_, err := c.do(ctx, http.MethodDelete, []string{"visits", ref}, nil, nil, nil)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound && e.fromIDM {
		return nil
	}
	return err
}

// normalize returns v as the client sends it: clean text within the limits
// and whole-second times.
func normalize(v Visit) Visit {
	v.EnvironmentID = strings.TrimSpace(v.EnvironmentID)
	v.HostEmployeeID = strings.TrimSpace(v.HostEmployeeID)
	v.Visitor.Email = text.Clean(v.Visitor.Email, MaxEmailLength)
	v.Visitor.FirstName = text.Clean(v.Visitor.FirstName, MaxNameLength)
	v.Visitor.LastName = text.Clean(v.Visitor.LastName, MaxNameLength)
	v.Visitor.Company = text.Clean(v.Visitor.Company, MaxCompanyLength)
	v.Arrival = v.Arrival.Truncate(time.Second)
	v.Departure = v.Departure.Truncate(time.Second)
	v.Location = text.Clean(v.Location, MaxLocationLength)
	v.Subject = text.Clean(v.Subject, MaxSubjectLength)
	return v
}
