package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
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
	var resp users.ItemCalendarViewDeltaGetResponseable
	err := c.call(ctx, "delta", func(ctx context.Context) error {
		r, err := builder.GetAsDeltaGetResponse(ctx, cfg)
		resp = r
		return err
	})
	if err != nil {
		return nil, err
	}
	return c.page(resp)
}

// page turns the SDK's delta response into a Page, refusing what is
// malformed about the page itself. An item that cannot be read comes back
// as an Event with Unreadable set, so one bad item never stalls the round.
func (c *Client) page(resp users.ItemCalendarViewDeltaGetResponseable) (*Page, error) {
	if resp == nil {
		return nil, fmt.Errorf("%w: an empty delta answer", ErrMalformed)
	}
	p := &Page{NextLink: deref(resp.GetOdataNextLink()), DeltaLink: deref(resp.GetOdataDeltaLink())}
	if (p.NextLink == "") == (p.DeltaLink == "") {
		return nil, fmt.Errorf("%w: a delta page must carry exactly one of @odata.nextLink and @odata.deltaLink", ErrMalformed)
	}
	if err := c.checkLink(p.Link()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for _, m := range resp.GetValue() {
		p.Events = append(p.Events, c.event(m))
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

// event maps one SDK event to an Event; what cannot be read comes back
// with Unreadable saying why.
func (c *Client) event(m models.Eventable) Event {
	if m == nil {
		return Event{Unreadable: "Graph sent a null entry"}
	}
	ev, err := c.read(m)
	if err != nil {
		ev = Event{ID: ev.ID, Type: ev.Type, SeriesMasterID: ev.SeriesMasterID, Unreadable: err.Error()}
	}
	return ev
}

// read maps one SDK event to an Event, or says why it cannot; the Event
// returned with an error still carries the id, type and series when known.
func (c *Client) read(m models.Eventable) (Event, error) {
	ev := Event{ID: deref(m.GetId())}
	if ev.ID == "" {
		return ev, errors.New("an event without an id")
	}
	if removed, ok := m.GetAdditionalData()["@removed"]; ok {
		ev.Removed = true
		if info, ok := removed.(map[string]any); ok {
			if reason, ok := info["reason"].(*string); ok && reason != nil {
				ev.RemovedReason = *reason
			}
		}
		return ev, nil
	}
	if t := m.GetTypeEscaped(); t != nil {
		ev.Type = t.String()
	}
	ev.SeriesMasterID = deref(m.GetSeriesMasterId())
	ev.ICalUID = deref(m.GetICalUId())
	ev.ChangeKey = deref(m.GetChangeKey())
	ev.Subject = deref(m.GetSubject())
	if loc := m.GetLocation(); loc != nil {
		ev.Location = deref(loc.GetDisplayName())
	}
	if org := m.GetOrganizer(); org != nil {
		ev.Organizer = address(org.GetEmailAddress())
	}
	for _, a := range m.GetAttendees() {
		if a == nil {
			continue
		}
		at := Attendee{Address: address(a.GetEmailAddress())}
		if t := a.GetTypeEscaped(); t != nil {
			at.Type = t.String()
		}
		if st := a.GetStatus(); st != nil && st.GetResponse() != nil {
			at.Response = st.GetResponse().String()
		}
		ev.Attendees = append(ev.Attendees, at)
	}
	ev.IsAllDay = deref(m.GetIsAllDay())
	ev.IsCancelled = deref(m.GetIsCancelled())
	ev.IsOrganizer = deref(m.GetIsOrganizer())
	ev.ResponseRequested = true
	if rr := m.GetResponseRequested(); rr != nil {
		ev.ResponseRequested = *rr
	}
	if st := m.GetResponseStatus(); st != nil && st.GetResponse() != nil {
		ev.Response = st.GetResponse().String()
	}
	if os := m.GetOriginalStart(); os != nil {
		ev.OriginalStart = os.UTC()
	}
	// Delta strips the occurrences of a series to their id, type, series
	// and times (graph-notes §0): the rest comes from the series.
	ev.Partial = ev.SeriesMasterID != "" && m.GetOrganizer() == nil && m.GetICalUId() == nil
	var err error
	if ev.Start, err = c.dateTime(m.GetStart()); err != nil {
		return ev, fmt.Errorf("start: %v", err)
	}
	if ev.End, err = c.dateTime(m.GetEnd()); err != nil {
		return ev, fmt.Errorf("end: %v", err)
	}
	if ev.IsAllDay {
		ev.Start, ev.End = allDayDate(ev.Start, c.loc), allDayDate(ev.End, c.loc)
	}
	if ev.End.Before(ev.Start) {
		return ev, errors.New("it ends before it starts")
	}
	return ev, nil
}

func address(e models.EmailAddressable) Address {
	if e == nil {
		return Address{}
	}
	return Address{Name: deref(e.GetName()), Email: deref(e.GetAddress())}
}

// dateTime reads a dateTimeTimeZone: a wall-clock time in a named zone, IANA
// or Windows.
func (c *Client) dateTime(v models.DateTimeTimeZoneable) (time.Time, error) {
	if v == nil || v.GetDateTime() == nil {
		return time.Time{}, errors.New("missing")
	}
	loc, err := c.zones.load(deref(v.GetTimeZone()))
	if err != nil {
		return time.Time{}, err
	}
	raw := *v.GetDateTime()
	t, err := time.ParseInLocation("2006-01-02T15:04:05.9999999", raw, loc)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, raw); err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date and time", cleanText(raw))
		}
		t = t.In(loc)
	}
	return t, nil
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
