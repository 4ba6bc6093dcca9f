// Package graph talks to Entra ID and Microsoft Graph for one automation:
// connection checks with diagnoses, calendarView delta and replies.
package graph

import "time"

// Event is the part of a Graph calendar event that invitesync uses.
// Text fields are as Graph sent them: untrusted, not yet sanitized.
type Event struct {
	ID string // immutable id of the watched mailbox's copy
	// ICalUID is the meeting's identity across calendars. Occurrences of a
	// series may share it: it tells them apart only together with their
	// series and original start.
	ICalUID   string
	ChangeKey string
	Subject   string
	Location  string
	Organizer Address
	Attendees []Attendee
	// Start and End are the instants Graph reported, in the zone it reported
	// them in. For all-day events only their calendar dates are meaningful:
	// they are midnights, in the automation's zone, of the dates Graph gave
	// (the first day and the day after the last).
	Start, End        time.Time
	IsAllDay          bool
	IsCancelled       bool
	IsOrganizer       bool
	ResponseRequested bool
	// Response is the watched mailbox's own answer to the meeting
	// (responseStatus.response): none, organizer, tentativelyAccepted,
	// accepted, declined or notResponded.
	Response       string
	Type           string // singleInstance, occurrence, exception, seriesMaster
	SeriesMasterID string
	// OriginalStart is when an occurrence or exception was first scheduled
	// in its series, when Graph says (originalStart); zero otherwise.
	OriginalStart time.Time
	// Partial marks an occurrence as calendarView delta sends it: only its
	// id, type, series and times are known; the rest is its series' (see
	// FromSeries).
	Partial bool
	// Removed is set for an "@removed" entry: only ID is meaningful then.
	Removed       bool
	RemovedReason string
	// Unreadable says why Graph's item could not be read; only ID (which
	// may be empty) is meaningful then.
	Unreadable string
}

// Address is a name and an email address.
type Address struct {
	Name  string
	Email string
}

// Attendee is one entry of an event's attendee list.
type Attendee struct {
	Address
	Type     string // required, optional, resource
	Response string // none, organizer, tentativelyAccepted, accepted, declined, notResponded
}

// Event types (Graph's "type" property).
const (
	TypeSingleInstance = "singleInstance"
	TypeOccurrence     = "occurrence"
	TypeException      = "exception"
	TypeSeriesMaster   = "seriesMaster"
)

// Attendee types and responses used by the planner.
const (
	AttendeeResource = "resource"
	ResponseDeclined = "declined"
)
