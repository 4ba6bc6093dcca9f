package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"invitesync/internal/readjson"
)

// The calendar reads (delta pages, instances, one event) go out through the
// SDK, with its middleware, authentication and error mapping, but their
// answers are decoded here (see readjson) into the few fields invitesync
// reads: the SDK's own parse tree of a page costs several times the page
// itself.

// wireEvent is a Graph event as JSON carries it, reduced to what Event
// holds. Pointers tell "absent or null" from empty.
type wireEvent struct {
	ID                string          `json:"id"`
	Removed           *wireRemoved    `json:"@removed"`
	Type              string          `json:"type"`
	SeriesMasterID    string          `json:"seriesMasterId"`
	ICalUID           *string         `json:"iCalUId"`
	ChangeKey         string          `json:"changeKey"`
	Subject           string          `json:"subject"`
	Location          *wireLocation   `json:"location"`
	Organizer         *wireRecipient  `json:"organizer"`
	Attendees         []*wireAttendee `json:"attendees"`
	IsAllDay          bool            `json:"isAllDay"`
	IsCancelled       bool            `json:"isCancelled"`
	IsOrganizer       bool            `json:"isOrganizer"`
	ResponseRequested *bool           `json:"responseRequested"`
	ResponseStatus    *wireStatus     `json:"responseStatus"`
	OriginalStart     string          `json:"originalStart"`
	Start             *wireDateTime   `json:"start"`
	End               *wireDateTime   `json:"end"`
}

type wireRemoved struct {
	Reason string `json:"reason"`
}

type wireLocation struct {
	DisplayName string `json:"displayName"`
}

type wireRecipient struct {
	EmailAddress *wireAddress `json:"emailAddress"`
}

type wireAddress struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

type wireAttendee struct {
	EmailAddress *wireAddress `json:"emailAddress"`
	Type         string       `json:"type"`
	Status       *wireStatus  `json:"status"`
}

type wireStatus struct {
	Response string `json:"response"`
}

type wireDateTime struct {
	DateTime *string `json:"dateTime"`
	TimeZone string  `json:"timeZone"`
}

// wireList is a page of events: a delta page or a page of instances.
type wireList struct {
	Value     []*wireEvent `json:"value"`
	NextLink  string       `json:"@odata.nextLink"`
	DeltaLink string       `json:"@odata.deltaLink"`
}

// The values of Graph's enumerations that invitesync knows; another value
// reads as none, as the SDK reads it.
var (
	eventTypes    = []string{TypeSingleInstance, TypeOccurrence, TypeException, TypeSeriesMaster}
	attendeeTypes = []string{"required", "optional", AttendeeResource}
	responses     = []string{"none", "organizer", "tentativelyAccepted", "accepted", ResponseDeclined, "notResponded"}
)

// known returns v when it is one of values, "" otherwise.
func known(v string, values []string) string {
	if slices.Contains(values, v) {
		return v
	}
	return ""
}

// getJSON sends the GET request info through the SDK's adapter, as one
// call (see call), and returns the answer's body. An error status becomes
// the SDK's OData error, classified as every other call's.
func (c *Client) getJSON(ctx context.Context, what string, info func(context.Context) (*abs.RequestInformation, error)) ([]byte, error) {
	var body []byte
	err := c.call(ctx, what, func(ctx context.Context) error {
		ri, err := info(ctx)
		if err != nil {
			return err
		}
		res, err := c.graph.GetAdapter().SendPrimitive(ctx, ri, "[]byte",
			abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
		if err != nil {
			return err
		}
		body, _ = res.([]byte)
		return nil
	})
	if err == nil && len(body) == 0 {
		err = fmt.Errorf("%s: %w: an empty answer", what, ErrMalformed)
	}
	return body, err
}

// decodeList reads a page of events. An item that cannot be read comes
// back as an Event with Unreadable set, so one bad item never stalls the
// round; a page that is not a page is an ErrMalformed error.
func (c *Client) decodeList(body []byte) (wireList, []Event, error) {
	var l wireList
	if err := readjson.Unmarshal(body, &l); err != nil {
		// Read again item by item, to tell the bad ones from the rest.
		var raw struct {
			Value     []jsontext.Value `json:"value"`
			NextLink  string           `json:"@odata.nextLink"`
			DeltaLink string           `json:"@odata.deltaLink"`
		}
		if err := readjson.Unmarshal(body, &raw); err != nil {
			return wireList{}, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		l = wireList{NextLink: raw.NextLink, DeltaLink: raw.DeltaLink}
		events := make([]Event, len(raw.Value))
		for i, item := range raw.Value {
			events[i] = c.decodeEvent(item)
		}
		return l, events, nil
	}
	events := make([]Event, len(l.Value))
	for i, w := range l.Value {
		events[i] = c.event(w)
	}
	return l, events, nil
}

// decodeEvent reads one event; what cannot be read comes back with
// Unreadable saying why.
func (c *Client) decodeEvent(item []byte) Event {
	var w *wireEvent
	if err := readjson.Unmarshal(item, &w); err != nil {
		ev := Event{Unreadable: "Graph sent an item that is not an event" + wrongField(err)}
		if w != nil {
			// What was read besides the bad field still names the event.
			ev.ID, ev.Type, ev.SeriesMasterID = w.ID, known(w.Type, eventTypes), w.SeriesMasterID
		}
		return ev
	}
	return c.event(w)
}

// event maps one decoded event to an Event; what cannot be read comes back
// with Unreadable saying why.
func (c *Client) event(w *wireEvent) Event {
	if w == nil {
		return Event{Unreadable: "Graph sent a null entry"}
	}
	ev, err := c.read(w)
	if err != nil {
		ev = Event{ID: ev.ID, Type: ev.Type, SeriesMasterID: ev.SeriesMasterID, Unreadable: err.Error()}
	}
	return ev
}

// read maps one decoded event to an Event, or says why it cannot; the
// Event returned with an error still carries the id, type and series when
// known.
func (c *Client) read(w *wireEvent) (Event, error) {
	ev := Event{ID: w.ID}
	if ev.ID == "" {
		return ev, errors.New("an event without an id")
	}
	if w.Removed != nil {
		ev.Removed, ev.RemovedReason = true, w.Removed.Reason
		return ev, nil
	}
	ev.Type = known(w.Type, eventTypes)
	ev.SeriesMasterID = w.SeriesMasterID
	ev.ICalUID = deref(w.ICalUID)
	ev.ChangeKey, ev.Subject = w.ChangeKey, w.Subject
	if w.Location != nil {
		ev.Location = w.Location.DisplayName
	}
	if w.Organizer != nil {
		ev.Organizer = w.Organizer.EmailAddress.address()
	}
	for _, a := range w.Attendees {
		if a == nil {
			continue
		}
		at := Attendee{Address: a.EmailAddress.address(), Type: known(a.Type, attendeeTypes)}
		if a.Status != nil {
			at.Response = known(a.Status.Response, responses)
		}
		ev.Attendees = append(ev.Attendees, at)
	}
	ev.IsAllDay, ev.IsCancelled, ev.IsOrganizer = w.IsAllDay, w.IsCancelled, w.IsOrganizer
	ev.ResponseRequested = w.ResponseRequested == nil || *w.ResponseRequested
	if w.ResponseStatus != nil {
		ev.Response = known(w.ResponseStatus.Response, responses)
	}
	if w.OriginalStart != "" {
		t, err := time.Parse(time.RFC3339Nano, w.OriginalStart)
		if err != nil {
			return ev, fmt.Errorf("originalStart: %q is not a date and time", cleanText(w.OriginalStart))
		}
		ev.OriginalStart = t.UTC()
	}
	// Delta strips the occurrences of a series to their id, type, series
	// and times (graph-notes §0): the rest comes from the series.
	ev.Partial = ev.SeriesMasterID != "" && w.Organizer == nil && w.ICalUID == nil
	var err error
	if ev.Start, err = c.dateTime(w.Start); err != nil {
		return ev, fmt.Errorf("start: %v", err)
	}
	if ev.End, err = c.dateTime(w.End); err != nil {
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

func (a *wireAddress) address() Address {
	if a == nil {
		return Address{}
	}
	return Address{Name: a.Name, Email: a.Address}
}

// dateTime reads a dateTimeTimeZone: a wall-clock time in a named zone, IANA
// or Windows.
func (c *Client) dateTime(v *wireDateTime) (time.Time, error) {
	if v == nil || v.DateTime == nil {
		return time.Time{}, errors.New("missing")
	}
	loc, err := c.zones.load(v.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	raw := *v.DateTime
	t, err := time.ParseInLocation("2006-01-02T15:04:05.9999999", raw, loc)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, raw); err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date and time", cleanText(raw))
		}
		t = t.In(loc)
	}
	return t, nil
}

// wrongField says which field of an item held what, when err says so.
func wrongField(err error) string {
	if field, kind, ok := readjson.WrongKind(err); ok {
		return fmt.Sprintf(": its %s is a JSON %s", cleanText(field), kind)
	}
	return ""
}
