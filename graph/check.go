package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"invitesync/config"
	"invitesync/diag"
)

// The ids of the results Check returns, in order.
const (
	CheckToken        = "token"
	CheckCalendar     = "calendar"
	CheckCalendarView = "calendarView"
	CheckProbe        = "probe"
)

// CheckAutomation builds the client of automation a and runs Check; settings
// New refuses become a failed token check.
func CheckAutomation(ctx context.Context, a config.Automation, clientSecret string, opts Options, probeMailbox string) []diag.Result {
	c, err := New(a, clientSecret, opts)
	if err != nil {
		return notRun([]diag.Result{failed(CheckToken, Diagnose(err))}, "the settings are not usable", probeMailbox)
	}
	return c.Check(ctx, probeMailbox)
}

// Check is the live test behind the wizard's Save and `invitesync check`: a
// token by client credentials, the mailbox's calendar, a one-event
// calendarView read and, when probeMailbox is set, a least-privilege probe
// (reading that other mailbox's calendar should be refused). It uses only
// what Calendars.ReadWrite (application) permits and stops at the first
// failure; the checks after it are reported as not run.
func (c *Client) Check(ctx context.Context, probeMailbox string) []diag.Result {
	tok, err := c.accessToken(ctx)
	if err != nil {
		return notRun([]diag.Result{failed(CheckToken, c.Diagnose(ctx, err))}, "there is no access token", probeMailbox)
	}
	results := []diag.Result{passed(CheckToken, c.signedIn(tok))}

	if err := c.readCalendar(ctx, c.a.Mailbox); err != nil {
		results = append(results, failed(CheckCalendar, c.Diagnose(ctx, err)))
		return notRun(results, "the calendar could not be read", probeMailbox)
	}
	results = append(results, passed(CheckCalendar, "The calendar of "+c.a.Mailbox+" is readable."))

	n, err := c.peek(ctx)
	if err != nil {
		results = append(results, failed(CheckCalendarView, c.Diagnose(ctx, err)))
		return notRun(results, "the calendar view could not be read", probeMailbox)
	}
	view := "The calendar view of the next 24 hours answers; it holds no events."
	if n > 0 {
		view = "The calendar view of the next 24 hours answers; it holds events."
	}
	results = append(results, passed(CheckCalendarView, view))

	if probeMailbox != "" {
		results = append(results, c.probe(ctx, probeMailbox))
	}
	return results
}

// signedIn describes the access token tok: who signed in and with which
// application permissions. No permissions is not a failure: an app granted
// its mailbox through Exchange RBAC for Applications gets a token without
// them, and the calendar check tells whether it may read the mailbox.
func (c *Client) signedIn(tok string) string {
	msg := fmt.Sprintf("Signed in to tenant %s as application %s", c.a.TenantID, c.a.ClientID)
	roles, err := tokenRoles(tok)
	switch {
	case err != nil:
		return msg + "."
	case len(roles) > 0:
		return msg + "; application permissions: " + strings.Join(roles, ", ") + "."
	}
	return msg + ". The token lists no application permissions: expected when Exchange RBAC for Applications limits the app to its mailbox; the calendar check tells whether it may read it."
}

func passed(id, message string) diag.Result {
	return diag.Result{ID: id, OK: true, Diagnosis: diag.Diagnosis{Message: message}}
}

func failed(id string, d *diag.Diagnosis) diag.Result {
	return diag.Result{ID: id, Diagnosis: *d}
}

// notRun appends the checks that follow the last one in results as not run.
func notRun(results []diag.Result, because, probeMailbox string) []diag.Result {
	order := []string{CheckToken, CheckCalendar, CheckCalendarView}
	if probeMailbox != "" {
		order = append(order, CheckProbe)
	}
	for _, id := range order[len(results):] {
		results = append(results, diag.Result{ID: id, Diagnosis: diag.Diagnosis{Message: "Not run: " + because + "."}})
	}
	return results
}

// readCalendar reads GET /users/{mailbox}/calendar.
func (c *Client) readCalendar(ctx context.Context, mailbox string) error {
	cfg := &users.ItemCalendarRequestBuilderGetRequestConfiguration{Headers: c.preferHeaders()}
	return c.call(ctx, "calendar", func(ctx context.Context) error {
		_, err := c.graph.Users().ByUserId(mailbox).Calendar().Get(ctx, cfg)
		return err
	})
}

// peek reads at most one event of the next 24 hours' calendar view and
// returns how many came.
func (c *Client) peek(ctx context.Context) (int, error) {
	now := time.Now().UTC()
	start, end := now.Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339)
	top := int32(1)
	cfg := &users.ItemCalendarViewRequestBuilderGetRequestConfiguration{
		Headers:         c.preferHeaders(),
		QueryParameters: &users.ItemCalendarViewRequestBuilderGetQueryParameters{StartDateTime: &start, EndDateTime: &end, Top: &top},
	}
	var n int
	err := c.call(ctx, "calendarView", func(ctx context.Context) error {
		resp, err := c.graph.Users().ByUserId(c.a.Mailbox).CalendarView().Get(ctx, cfg)
		if err == nil && resp != nil {
			n = len(resp.GetValue())
		}
		return err
	})
	return n, err
}

// probe tries to read another mailbox's calendar: a refusal is the good outcome.
func (c *Client) probe(ctx context.Context, mailbox string) diag.Result {
	if strings.EqualFold(mailbox, c.a.Mailbox) {
		return failed(CheckProbe, &diag.Diagnosis{Message: "The probe mailbox is the watched mailbox itself.",
			Fix: "Name a different mailbox of the tenant, one the app must not read."})
	}
	err := c.readCalendar(ctx, mailbox)
	var ge *GraphError
	switch {
	case err == nil:
		return diag.Result{ID: CheckProbe, OK: true, Warning: true, Diagnosis: diag.Diagnosis{Step: 5,
			Message: fmt.Sprintf("The app could read the calendar of %s: it can read every mailbox's calendar in the tenant, not only %s.", mailbox, c.a.Mailbox),
			Fix:     scopeFix(facts{mailbox: c.a.Mailbox, clientID: c.a.ClientID, objectID: c.a.EnterpriseObjectID, name: c.a.Name})}}
	case errors.As(err, &ge) && ge.Status == http.StatusForbidden:
		return passed(CheckProbe, fmt.Sprintf("Reading the calendar of %s was refused, as it should be: the app is limited to its mailbox.", mailbox))
	case errors.As(err, &ge) && ge.Status == http.StatusNotFound:
		return diag.Result{ID: CheckProbe, OK: true, Warning: true, Diagnosis: diag.Diagnosis{Code: ge.Code,
			Message: fmt.Sprintf("The probe mailbox %s does not exist, so the app's reach could not be tested.", mailbox),
			Fix:     "Name an existing mailbox of the tenant with --probe-mailbox."}}
	}
	return failed(CheckProbe, c.Diagnose(ctx, err))
}
