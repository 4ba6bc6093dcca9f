package idm

import "time"

// Health is the answer of GET /health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// Environment is one Salto IDM environment (a site or installation).
type Environment struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"timeZone"`
}

// Employee is a person who may host visits.
type Employee struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
}

// Visitor is the guest a visit is for.
type Visitor struct {
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Company   string `json:"company"`
}

// Source says where a visit came from.
type Source struct {
	Kind    string `json:"kind"` // SourceCalendar
	Mailbox string `json:"mailbox"`
	EventID string `json:"eventId"`
	ICalUID string `json:"iCalUId"`
}

// SourceCalendar is the Source.Kind of visits made from calendar events.
const SourceCalendar = "calendar"

// Visit is the body of PUT /visits/{ref}: what the client wants IDM to hold.
// Arrival and Departure travel as RFC 3339 in their own UTC offset, so callers
// set them in the environment's time zone; the client drops sub-second parts.
type Visit struct {
	EnvironmentID  string    `json:"environmentId"`
	HostEmployeeID string    `json:"hostEmployeeId"`
	Visitor        Visitor   `json:"visitor"`
	Arrival        time.Time `json:"arrival"`
	Departure      time.Time `json:"departure"`
	Location       string    `json:"location,omitempty"`
	Subject        string    `json:"subject,omitempty"`
	Source         *Source   `json:"source,omitempty"`
}

// StoredVisit is a visit as IDM holds it.
type StoredVisit struct {
	Ref    string `json:"ref"`
	ID     string `json:"id"`
	Status string `json:"status"`
	Visit
}

// Visit statuses.
const (
	StatusExpected  = "expected"   // created or updated, the visitor has not arrived
	StatusCheckedIn = "checked_in" // the visitor is on site: changes answer 409
	StatusCancelled = "cancelled"  // deleted through the API
)

// Longest texts, in characters, that IDM accepts for a visit.
// Callers hold untrusted text to them with text.Clean.
const (
	MaxNameLength     = 64  // Visitor.FirstName, Visitor.LastName
	MaxCompanyLength  = 128 // Visitor.Company
	MaxEmailLength    = 254 // Visitor.Email
	MaxSubjectLength  = 255 // Visit.Subject
	MaxLocationLength = 255 // Visit.Location
)

// Error codes of the contract (ErrorBody.Error.Code).
const (
	CodeInvalidRequest      = "invalid_request"
	CodeValidationFailed    = "validation_failed"
	CodeUnauthorized        = "unauthorized"
	CodeForbidden           = "forbidden"
	CodeNotFound            = "not_found"
	CodeEnvironmentNotFound = "environment_not_found"
	CodeHostNotFound        = "host_not_found"
	CodeVisitInProgress     = "visit_in_progress"
	CodeRateLimited         = "rate_limited"
	CodeUnavailable         = "unavailable"
	// CodeAnswerTooLarge is the client's own: an answer over MaxAnswer.
	CodeAnswerTooLarge = "answer_too_large"
)

// List is the envelope of GET /environments and GET /employees.
type List[T any] struct {
	Items []T `json:"items"`
}

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
