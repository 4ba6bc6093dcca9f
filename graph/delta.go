package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"invitesync/config"
)

// Cursor says where a delta page comes from: an empty Link starts a round
// over the window [Start, End); otherwise Link is the nextLink or deltaLink
// of the previous page, followed as it is.
type Cursor struct {
	Link       string
	Start, End time.Time
}

// Page is one page of a calendarView delta round. Exactly one of NextLink
// (more pages follow) and DeltaLink (the round is complete; save it for the
// next round) is set. Commit the events and the link together.
type Page struct {
	Events    []Event
	NextLink  string
	DeltaLink string
}

// Link returns the cursor that continues after this page.
func (p *Page) Link() string {
	if p.NextLink != "" {
		return p.NextLink
	}
	return p.DeltaLink
}

// DeltaPage fetches one page of /users/{mailbox}/calendarView/delta. A
// *ResyncError (errors.Is ErrResyncRequired) means the link expired: drop it
// and start a fresh round with an empty Link.
func (c *Client) DeltaPage(ctx context.Context, cur Cursor) (*Page, error) {
	cfg := &users.ItemCalendarViewDeltaRequestBuilderGetRequestConfiguration{Headers: c.preferHeaders()}
	builder := c.graph.Users().ByUserId(c.a.Mailbox).CalendarView().Delta()
	if cur.Link == "" {
		if cur.Start.IsZero() || !cur.End.After(cur.Start) {
			return nil, errors.New("graph: delta: a new round needs a window with End after Start")
		}
		start, end := cur.Start.UTC().Format(time.RFC3339), cur.End.UTC().Format(time.RFC3339)
		cfg.QueryParameters = &users.ItemCalendarViewDeltaRequestBuilderGetQueryParameters{StartDateTime: &start, EndDateTime: &end}
	} else {
		if err := c.checkLink(cur.Link); err != nil {
			return nil, fmt.Errorf("graph: delta: the saved link is not usable: %w", err)
		}
		builder = builder.WithUrl(cur.Link)
	}
	body, err := c.getJSON(ctx, "delta", func(ctx context.Context) (*abs.RequestInformation, error) {
		return builder.ToGetRequestInformation(ctx, cfg)
	})
	if err != nil {
		return nil, err
	}
	return c.page(body)
}

// page reads a delta page, refusing what is malformed about the page
// itself. An item that cannot be read comes back as an Event with
// Unreadable set, so one bad item never stalls the round.
func (c *Client) page(body []byte) (*Page, error) {
	l, events, err := c.decodeList(body)
	if err != nil {
		return nil, err
	}
	p := &Page{Events: events, NextLink: l.NextLink, DeltaLink: l.DeltaLink}
	if (p.NextLink == "") == (p.DeltaLink == "") {
		return nil, fmt.Errorf("%w: a delta page must carry exactly one of @odata.nextLink and @odata.deltaLink", ErrMalformed)
	}
	if err := c.checkLink(p.Link()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return p, nil
}

// checkLink accepts only links to the configured Graph service, so a saved
// or received link never sends the token elsewhere.
func (c *Client) checkLink(link string) error {
	u, err := url.Parse(link)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("%q is not an absolute URL", cleanText(link))
	}
	if !strings.EqualFold(u.Scheme, c.graphBase.Scheme) || !strings.EqualFold(u.Host, c.graphBase.Host) {
		return fmt.Errorf("the link points at %s, not at %s", cleanText(u.Host), c.graphBase.Host)
	}
	return nil
}

// allDayDate returns the date of an all-day event's start or end t as
// midnight in loc. Graph reports all-day events from midnight to midnight in
// the zone the request asked for, whatever zone the organizer made them in
// (graph-notes §0): the dates as reported are the dates, so t is read in the
// zone it was reported in and never converted.
func allDayDate(t time.Time, loc *time.Location) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// zoneCache resolves zone names Graph reports, IANA or Windows, once each.
type zoneCache struct {
	mu sync.Mutex
	m  map[string]*time.Location
}

func (z *zoneCache) load(name string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "UTC") {
		return time.UTC, nil
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if loc, ok := z.m[name]; ok {
		return loc, nil
	}
	iana, err := config.NormalizeTimeZone(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", cleanText(name))
	}
	loc, err := time.LoadLocation(iana)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", cleanText(name))
	}
	if z.m == nil {
		z.m = map[string]*time.Location{}
	}
	z.m[name] = loc
	return loc, nil
}
