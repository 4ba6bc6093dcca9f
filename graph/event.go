// Package graph talks to Entra ID and Microsoft Graph for one automation:
// connection checks with diagnoses, calendarView delta and replies.
package graph

import "time"

// Event is the part of a Graph calendar event that invitesync uses.
// Text fields are as Graph sent them: untrusted, not yet sanitized.
type Event struct {
	ID        string // immutable id of the watched mailbox's copy
	ICalUID   string // the meeting's identity, unique per occurrence
	ChangeKey string
	Subject   string
	Location  string
	Organizer Address
	Attendees []Attendee
	// Start and End are the instants Graph reported, in the zone it reported
	// them in. For all-day events only their calendar dates are meaningful:
	// they are midnights, in the automation's zone, of the first day and of
	// the day after the last.
	Start, End        time.Time
	IsAllDay          bool
	IsCancelled       bool
	IsOrganizer       bool
	ResponseRequested bool
	Type              string // singleInstance, occurrence, exception, seriesMaster
	SeriesMasterID    string
	// Removed is set for an "@removed" entry: only ID is meaningful then.
	Removed       bool
	RemovedReason string
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
