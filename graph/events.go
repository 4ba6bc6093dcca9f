package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// maxInstancePages bounds the pages Instances follows: a weekly series has
// a handful of occurrences in a window, a daily one a few dozen.
const maxInstancePages = 50

// GetEvent reads one event of the watched mailbox whole:
// GET /users/{mailbox}/events/{id}. An event that is no longer there answers
// an error for which IsGone is true. An event Graph sends in a form that
// cannot be read is an error matching ErrMalformed.
func (c *Client) GetEvent(ctx context.Context, id string) (Event, error) {
	if err := checkID("get event", id); err != nil {
		return Event{}, err
	}
	cfg := &users.ItemEventsEventItemRequestBuilderGetRequestConfiguration{Headers: c.preferHeaders()}
	body, err := c.getJSON(ctx, "get event", func(ctx context.Context) (*abs.RequestInformation, error) {
		return c.graph.Users().ByUserId(c.a.Mailbox).Events().ByEventId(id).ToGetRequestInformation(ctx, cfg)
	})
	if err != nil {
		return Event{}, err
	}
	ev := c.decodeEvent(body)
	if ev.Unreadable != "" {
		return Event{}, fmt.Errorf("%w: event %s: %s", ErrMalformed, cleanText(id), ev.Unreadable)
	}
	return ev, nil
}

// Instances reads the occurrences and exceptions of the series masterID that
// overlap [start, end), whole:
// GET /users/{mailbox}/events/{masterID}/instances, every page. An item that
// cannot be read comes back with Unreadable set. A series that is no longer
// there answers an error for which IsGone is true.
func (c *Client) Instances(ctx context.Context, masterID string, start, end time.Time) ([]Event, error) {
	if err := checkID("instances", masterID); err != nil {
		return nil, err
	}
	if start.IsZero() || !end.After(start) {
		return nil, errors.New("graph: instances: the window needs an end after its start")
	}
	from, to := start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339)
	cfg := &users.ItemEventsItemInstancesRequestBuilderGetRequestConfiguration{
		Headers:         c.preferHeaders(),
		QueryParameters: &users.ItemEventsItemInstancesRequestBuilderGetQueryParameters{StartDateTime: &from, EndDateTime: &to},
	}
	builder := c.graph.Users().ByUserId(c.a.Mailbox).Events().ByEventId(masterID).Instances()
	var out []Event
	for range maxInstancePages {
		body, err := c.getJSON(ctx, "instances", func(ctx context.Context) (*abs.RequestInformation, error) {
			return builder.ToGetRequestInformation(ctx, cfg)
		})
		if err != nil {
			return nil, err
		}
		l, events, err := c.decodeList(body)
		if err != nil {
			return nil, err
		}
		out = append(out, events...)
		next := l.NextLink
		if next == "" {
			return out, nil
		}
		if err := c.checkLink(next); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		builder = builder.WithUrl(next)
		cfg.QueryParameters = nil // the link carries them
	}
	return nil, fmt.Errorf("%w: the instances of %s run over more than %d pages", ErrMalformed, cleanText(masterID), maxInstancePages)
}

// IsGone reports whether err says the event asked for is not in the mailbox
// (any more): 404 ErrorItemNotFound. A 404 about the mailbox itself
// (ErrorInvalidUser, MailboxNotEnabledForRESTAPI) is not.
func IsGone(err error) bool {
	var ge *GraphError
	return errors.As(err, &ge) && ge.Status == http.StatusNotFound && strings.EqualFold(ge.Code, "ErrorItemNotFound")
}

// FromSeries completes an occurrence that delta sent stripped (Partial)
// from its series master: the occurrence keeps its id, type, series, times
// and original start; everything else is the master's, as an occurrence
// that differs from its series is an exception, which Graph sends whole.
// When the series is all-day, the occurrence's times become the midnights,
// in loc, of the dates Graph gave.
func (e Event) FromSeries(master Event, loc *time.Location) Event {
	out := master
	out.ID, out.Type, out.SeriesMasterID = e.ID, e.Type, e.SeriesMasterID
	out.Start, out.End, out.OriginalStart = e.Start, e.End, e.OriginalStart
	out.Attendees = append([]Attendee(nil), master.Attendees...)
	out.Partial, out.Removed, out.RemovedReason, out.Unreadable = false, false, "", ""
	if out.IsAllDay && !e.IsAllDay {
		out.Start, out.End = allDayDate(e.Start, loc), allDayDate(e.End, loc)
	}
	return out
}
