package graphtest

// The JSON shapes Entra ID and Microsoft Graph put on the wire, as far as the
// simulator needs them. Field order follows Graph's own responses.

// wireEvent is a Graph event resource.
type wireEvent struct {
	ODataType                  string             `json:"@odata.type"`
	ODataETag                  string             `json:"@odata.etag"`
	ID                         string             `json:"id"`
	CreatedDateTime            string             `json:"createdDateTime"`
	LastModifiedDateTime       string             `json:"lastModifiedDateTime"`
	ChangeKey                  string             `json:"changeKey"`
	Categories                 []string           `json:"categories"`
	TransactionID              *string            `json:"transactionId"`
	OriginalStartTimeZone      string             `json:"originalStartTimeZone"`
	OriginalEndTimeZone        string             `json:"originalEndTimeZone"`
	ICalUID                    string             `json:"iCalUId"`
	ReminderMinutesBeforeStart int                `json:"reminderMinutesBeforeStart"`
	IsReminderOn               bool               `json:"isReminderOn"`
	HasAttachments             bool               `json:"hasAttachments"`
	Subject                    string             `json:"subject"`
	BodyPreview                string             `json:"bodyPreview"`
	Importance                 string             `json:"importance"`
	Sensitivity                string             `json:"sensitivity"`
	IsAllDay                   bool               `json:"isAllDay"`
	IsCancelled                bool               `json:"isCancelled"`
	IsOrganizer                bool               `json:"isOrganizer"`
	ResponseRequested          bool               `json:"responseRequested"`
	SeriesMasterID             *string            `json:"seriesMasterId"`
	ShowAs                     string             `json:"showAs"`
	Type                       string             `json:"type"`
	WebLink                    string             `json:"webLink"`
	OnlineMeetingURL           *string            `json:"onlineMeetingUrl"`
	IsOnlineMeeting            bool               `json:"isOnlineMeeting"`
	OnlineMeetingProvider      string             `json:"onlineMeetingProvider"`
	AllowNewTimeProposals      bool               `json:"allowNewTimeProposals"`
	OccurrenceID               *string            `json:"occurrenceId"`
	OriginalStart              *string            `json:"originalStart,omitempty"`
	IsDraft                    bool               `json:"isDraft"`
	HideAttendees              bool               `json:"hideAttendees"`
	ResponseStatus             wireResponseStatus `json:"responseStatus"`
	Body                       wireItemBody       `json:"body"`
	Start                      wireDateTimeZone   `json:"start"`
	End                        wireDateTimeZone   `json:"end"`
	Location                   wireLocation       `json:"location"`
	Locations                  []wireLocation     `json:"locations"`
	Recurrence                 *wireRecurrence    `json:"recurrence"` // masters only
	Attendees                  []wireAttendee     `json:"attendees"`
	Organizer                  wireRecipient      `json:"organizer"`
	OnlineMeeting              *struct{}          `json:"onlineMeeting"`
}

// wireStripped is what calendarView delta sends for an occurrence of a
// series, in the order field reports show (microsoft-graph-docs#7632).
type wireStripped struct {
	ODataType      string           `json:"@odata.type"`
	ODataETag      string           `json:"@odata.etag"`
	SeriesMasterID string           `json:"seriesMasterId"`
	Type           string           `json:"type"`
	ID             string           `json:"id"`
	Start          wireDateTimeZone `json:"start"`
	End            wireDateTimeZone `json:"end"`
}

// wireRecurrence is a series master's patternedRecurrence.
type wireRecurrence struct {
	Pattern wireRecurrencePattern `json:"pattern"`
	Range   wireRecurrenceRange   `json:"range"`
}

type wireRecurrencePattern struct {
	Type           string   `json:"type"`
	Interval       int      `json:"interval"`
	Month          int      `json:"month"`
	DayOfMonth     int      `json:"dayOfMonth"`
	DaysOfWeek     []string `json:"daysOfWeek"`
	FirstDayOfWeek string   `json:"firstDayOfWeek"`
	Index          string   `json:"index"`
}

type wireRecurrenceRange struct {
	Type                string `json:"type"`
	StartDate           string `json:"startDate"`
	EndDate             string `json:"endDate"`
	RecurrenceTimeZone  string `json:"recurrenceTimeZone"`
	NumberOfOccurrences int    `json:"numberOfOccurrences"`
}

// wireRemoved is the entry delta sends for an event that left the view.
type wireRemoved struct {
	ODataType string          `json:"@odata.type"`
	ID        string          `json:"id"`
	Removed   wireRemovedInfo `json:"@removed"`
}

type wireRemovedInfo struct {
	Reason string `json:"reason"`
}

type wireResponseStatus struct {
	Response string `json:"response"`
	Time     string `json:"time"`
}

type wireItemBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

// wireDateTimeZone is Graph's dateTimeTimeZone: a wall-clock time without
// offset, and the zone it is expressed in.
type wireDateTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

type wireLocation struct {
	DisplayName  string `json:"displayName"`
	LocationType string `json:"locationType"`
	UniqueID     string `json:"uniqueId,omitempty"`
	UniqueIDType string `json:"uniqueIdType"`
}

type wireEmailAddress struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

type wireRecipient struct {
	EmailAddress wireEmailAddress `json:"emailAddress"`
}

type wireAttendee struct {
	Type         string             `json:"type"`
	Status       wireResponseStatus `json:"status"`
	EmailAddress wireEmailAddress   `json:"emailAddress"`
}

// wirePage is one page of a collection or of a delta round.
type wirePage struct {
	ODataContext   string `json:"@odata.context"`
	ODataNextLink  string `json:"@odata.nextLink,omitempty"`
	ODataDeltaLink string `json:"@odata.deltaLink,omitempty"`
	Value          []any  `json:"value"`
}

// wireCalendar is a Graph calendar resource.
type wireCalendar struct {
	ODataContext                  string           `json:"@odata.context"`
	ID                            string           `json:"id"`
	Name                          string           `json:"name"`
	Color                         string           `json:"color"`
	HexColor                      string           `json:"hexColor"`
	IsDefaultCalendar             bool             `json:"isDefaultCalendar"`
	ChangeKey                     string           `json:"changeKey"`
	CanShare                      bool             `json:"canShare"`
	CanViewPrivateItems           bool             `json:"canViewPrivateItems"`
	CanEdit                       bool             `json:"canEdit"`
	AllowedOnlineMeetingProviders []string         `json:"allowedOnlineMeetingProviders"`
	DefaultOnlineMeetingProvider  string           `json:"defaultOnlineMeetingProvider"`
	IsTallyingResponses           bool             `json:"isTallyingResponses"`
	IsRemovable                   bool             `json:"isRemovable"`
	Owner                         wireEmailAddress `json:"owner"`
}

// wireGraphError is Graph's error body.
type wireGraphError struct {
	Error wireMainError `json:"error"`
}

type wireMainError struct {
	Code       string         `json:"code"`
	Message    string         `json:"message"`
	InnerError wireInnerError `json:"innerError"`
}

type wireInnerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// wireOpenIDConfiguration is the part of Entra's OpenID metadata MSAL reads.
type wireOpenIDConfiguration struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	TenantRegionScope                 string   `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
}

// wireToken is the token endpoint's success body.
type wireToken struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
}

// wireTokenError is the error body of Entra's token and metadata endpoints.
type wireTokenError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

// wireClaims is the payload of the simulator's access tokens.
type wireClaims struct {
	Aud            string   `json:"aud"`
	Iss            string   `json:"iss"`
	Iat            int64    `json:"iat"`
	Nbf            int64    `json:"nbf"`
	Exp            int64    `json:"exp"`
	AppID          string   `json:"appid"`
	AppDisplayName string   `json:"app_displayname"`
	IDType         string   `json:"idtyp"`
	OID            string   `json:"oid"`
	Roles          []string `json:"roles,omitempty"`
	Sub            string   `json:"sub"`
	TID            string   `json:"tid"`
	Ver            string   `json:"ver"`
	XmsCC          []string `json:"xms_cc,omitempty"`
}
