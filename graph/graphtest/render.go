package graphtest

import (
	"net/url"
	"strings"
	"time"

	"invitesync/config"
)

// graphTime is the dateTime format Graph uses in dateTimeTimeZone.
const graphTime = "2006-01-02T15:04:05.0000000"

// render builds the whole Graph payload of an event in the zone and id form
// the request preferred. Callers hold s.mu.
func (s *Server) render(it *item, p prefer) wireEvent {
	e := it.ev
	zone := e.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	showAs := "tentative"
	switch {
	case e.Cancelled:
		showAs = "free"
	case e.IsOrganizer || e.Response == "accepted":
		showAs = "busy"
	}
	respTime := "0001-01-01T00:00:00Z"
	if e.Response != "notResponded" && e.Response != "none" {
		at := it.responded
		if at.IsZero() {
			at = it.modified
		}
		respTime = at.Format("2006-01-02T15:04:05.0000000Z")
	}
	loc := wireLocation{DisplayName: e.Location, LocationType: "default", UniqueIDType: "unknown"}
	locs := []wireLocation{}
	if e.Location != "" {
		loc.UniqueID, loc.UniqueIDType = e.Location, "private"
		locs = append(locs, wireLocation{DisplayName: e.Location, LocationType: "default", UniqueID: e.Location, UniqueIDType: "private"})
	}
	var master *string
	if e.SeriesMasterID != "" {
		m := renderID(e.SeriesMasterID, p.immutable)
		master = &m
	}
	uid := e.ICalUID
	if it.master != nil && !s.distinctUIDs {
		uid = it.master.ev.ICalUID
	}
	id := renderID(e.ID, p.immutable)
	start, end := renderSpan(it, p)
	out := wireEvent{
		ODataType:                  "#microsoft.graph.event",
		ODataETag:                  `W/"` + e.ChangeKey + `"`,
		ID:                         id,
		CreatedDateTime:            it.created.Format("2006-01-02T15:04:05.0000000Z"),
		LastModifiedDateTime:       it.modified.Format("2006-01-02T15:04:05.0000000Z"),
		ChangeKey:                  e.ChangeKey,
		Categories:                 []string{},
		OriginalStartTimeZone:      zone,
		OriginalEndTimeZone:        zone,
		ICalUID:                    uid,
		ReminderMinutesBeforeStart: 15,
		IsReminderOn:               !e.Cancelled,
		Subject:                    e.Subject,
		BodyPreview:                truncate(e.Body, 255),
		Importance:                 "normal",
		Sensitivity:                "normal",
		IsAllDay:                   e.AllDay,
		IsCancelled:                e.Cancelled,
		IsOrganizer:                e.IsOrganizer,
		ResponseRequested:          !e.NoResponseRequested,
		SeriesMasterID:             master,
		ShowAs:                     showAs,
		Type:                       e.Type,
		WebLink:                    "https://outlook.office365.com/owa/?itemid=" + url.QueryEscape(id) + "&exvsurl=1&path=/calendar/item",
		OnlineMeetingProvider:      "unknown",
		AllowNewTimeProposals:      true,
		ResponseStatus:             wireResponseStatus{Response: e.Response, Time: respTime},
		Body:                       wireItemBody{ContentType: "html", Content: "<html><body>" + e.Body + "</body></html>"},
		Start:                      start,
		End:                        end,
		Location:                   loc,
		Locations:                  locs,
		Attendees:                  []wireAttendee{},
		Organizer:                  wireRecipient{EmailAddress: wireEmailAddress{Name: e.Organizer.Name, Address: e.Organizer.Address}},
	}
	if it.master != nil {
		// occurrenceId names the original date in the recurrence's zone.
		occ := "OID." + renderID(e.SeriesMasterID, p.immutable) + "." + localDate(it.origStart, it.loc, e.AllDay)
		orig := it.origStart.UTC().Format("2006-01-02T15:04:05Z")
		out.OccurrenceID, out.OriginalStart = &occ, &orig
	}
	if e.Type == "seriesMaster" {
		out.Recurrence = recurrence(it, zone)
	}
	for _, a := range e.Attendees {
		typ, resp := a.Type, a.Response
		if typ == "" {
			typ = "required"
		}
		if resp == "" {
			resp = "none"
		}
		out.Attendees = append(out.Attendees, wireAttendee{Type: typ,
			Status:       wireResponseStatus{Response: resp, Time: "0001-01-01T00:00:00Z"},
			EmailAddress: wireEmailAddress{Name: a.Name, Address: a.Address}})
	}
	return out
}

// renderStripped builds what calendarView delta sends for an occurrence of
// a series: its identity and times, nothing else.
func renderStripped(it *item, p prefer) wireStripped {
	start, end := renderSpan(it, p)
	return wireStripped{
		ODataType:      "#microsoft.graph.event",
		ODataETag:      `W/"` + it.ev.ChangeKey + `"`,
		SeriesMasterID: renderID(it.ev.SeriesMasterID, p.immutable),
		Type:           it.ev.Type,
		ID:             renderID(it.ev.ID, p.immutable),
		Start:          start,
		End:            end,
	}
}

// renderSpan renders an event's start and end in the requested zone. An
// all-day event runs midnight to midnight of its dates in that zone,
// whatever the organizer's zone: the dates are the dates.
func renderSpan(it *item, p prefer) (wireDateTimeZone, wireDateTimeZone) {
	if it.ev.AllDay {
		from, to := allDayDates(it.ev)
		return wireDateTimeZone{DateTime: from.Format(graphTime), TimeZone: p.zoneName},
			wireDateTimeZone{DateTime: to.Format(graphTime), TimeZone: p.zoneName}
	}
	from, to := it.span()
	return wireDateTimeZone{DateTime: from.In(p.loc).Format(graphTime), TimeZone: p.zoneName},
		wireDateTimeZone{DateTime: to.In(p.loc).Format(graphTime), TimeZone: p.zoneName}
}

// allDayDates returns an all-day event's first day and the day after its
// last, as midnights of a zone-less calendar (UTC stands in).
func allDayDates(e Event) (time.Time, time.Time) {
	from := time.Date(e.Start.Year(), e.Start.Month(), e.Start.Day(), 0, 0, 0, 0, time.UTC)
	to := time.Date(e.End.Year(), e.End.Month(), e.End.Day(), 0, 0, 0, 0, time.UTC)
	if !to.After(from) {
		to = from.AddDate(0, 0, 1)
	}
	return from, to
}

// localDate is t's date in loc, or for an all-day event its own date.
func localDate(t time.Time, loc *time.Location, allDay bool) string {
	if !allDay {
		t = t.In(loc)
	}
	return t.Format("2006-01-02")
}

// recurrence describes a master's weekly series.
func recurrence(it *item, zone string) *wireRecurrence {
	first := it.ev.Start
	if !it.ev.AllDay {
		first = first.In(it.loc)
	}
	return &wireRecurrence{
		Pattern: wireRecurrencePattern{Type: "weekly", Interval: 1,
			DaysOfWeek: []string{strings.ToLower(first.Weekday().String())}, FirstDayOfWeek: "sunday", Index: "first"},
		Range: wireRecurrenceRange{Type: "numbered", StartDate: first.Format("2006-01-02"), EndDate: "0001-01-01",
			RecurrenceTimeZone: zone, NumberOfOccurrences: len(it.occurrences)},
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// loadZone resolves an IANA or Windows zone name; empty means UTC.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc, nil
	}
	iana, err := config.NormalizeTimeZone(name)
	if err != nil {
		return nil, err
	}
	return time.LoadLocation(iana)
}
