package graphtest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reply is an accept, tentativelyAccept or decline the server received.
type Reply struct {
	Time         time.Time
	Mailbox      string
	EventID      string // immutable id
	Action       string // accept, tentativelyAccept or decline
	Comment      string
	SendResponse bool
	Gzip         bool     // the body came gzip-compressed
	Keys         []string // the body's keys as sent, e.g. Comment, SendResponse
}

// Replies returns the replies received so far, oldest first.
func (s *Server) Replies() []Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reply(nil), s.replies...)
}

// serveGraph authenticates a Graph request, applies the switches and routes it.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	at, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	release, ok := s.admit(w, at.clientID)
	if !ok {
		return
	}
	defer release()
	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	segs := pathSegments(strings.TrimPrefix(r.URL.EscapedPath(), "/v1.0/"))
	if s.serveDirectory(w, r, at, segs) {
		return
	}
	if len(segs) < 2 || segs[0] != "users" || segs[1] == "" {
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segs[0]), 0)
		return
	}
	user, rest := segs[1], strings.Join(segs[2:], "/")
	if f, ok := s.takeFault(user, r.URL.Path); ok {
		writeFault(w, f)
		return
	}
	if rest == "" {
		// Reading a user object needs directory permissions this app lacks.
		graphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", 0)
		return
	}
	viaRoles, ok := s.permitted(w, at, user, r.Method != http.MethodGet)
	if !ok || !s.checkMailbox(w, user, viaRoles) {
		return
	}
	p, err := parsePrefer(r.Header.Values("Prefer"))
	if err != nil {
		graphError(w, http.StatusBadRequest, "TimeZoneNotSupportedException", err.Error(), 0)
		return
	}
	switch {
	case r.Method == http.MethodGet && rest == "calendar":
		s.serveCalendar(w, user)
	case r.Method == http.MethodGet && rest == "calendarView":
		s.serveCalendarView(w, r, user, p)
	case r.Method == http.MethodGet && (rest == "calendarView/delta" || rest == "calendarView/delta()"):
		s.serveDelta(w, r, user, p)
	case r.Method == http.MethodGet && len(segs) == 4 && segs[2] == "events":
		s.serveEvent(w, user, segs[3], p)
	case r.Method == http.MethodGet && len(segs) == 5 && segs[2] == "events" && segs[4] == "instances":
		s.serveInstances(w, r, user, segs[3], p)
	case r.Method == http.MethodPost && len(segs) == 5 && segs[2] == "events":
		s.serveReply(w, r, user, segs[3], segs[4])
	default:
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segs[len(segs)-1]), 0)
	}
}

// pathSegments splits an escaped path at its slashes and unescapes each
// segment, as Graph does: an id escaped as one segment ("AAk%2F..") stays
// one, slashes and all.
func pathSegments(escaped string) []string {
	segs := strings.Split(escaped, "/")
	for i, seg := range segs {
		if v, err := url.PathUnescape(seg); err == nil {
			segs[i] = v
		}
	}
	return segs
}

// checkMailbox answers the errors for a user that is unknown, has no mailbox,
// or is outside the application access policy, which restricts only what
// the token's roles grant (viaRoles).
func (s *Server) checkMailbox(w http.ResponseWriter, user string, viaRoles bool) bool {
	key := strings.ToLower(user)
	s.mu.Lock()
	_, exists := s.mailboxes[key]
	noMailbox := s.noMailbox[key]
	blocked := viaRoles && s.policy != nil && !s.policy[key]
	s.mu.Unlock()
	switch {
	case noMailbox:
		graphError(w, http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "REST API is not yet supported for this mailbox.", 0)
	case !exists:
		noUser(w, user)
	case blocked:
		graphError(w, http.StatusForbidden, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.", 0)
	default:
		return true
	}
	return false
}

// noUser answers for an address that is no user of the tenant.
func noUser(w http.ResponseWriter, user string) {
	graphError(w, http.StatusNotFound, "ErrorInvalidUser", fmt.Sprintf("The requested user '%s' is invalid.", user), 0)
}

func (s *Server) serveCalendar(w http.ResponseWriter, user string) {
	s.mu.Lock()
	mb, err := s.mailbox(user)
	if err != nil {
		s.mu.Unlock()
		noUser(w, user)
		return
	}
	cal := wireCalendar{
		ODataContext:                  s.srv.URL + "/v1.0/$metadata#users('" + user + "')/calendar/$entity",
		ID:                            mb.calendarID,
		Name:                          "Calendar",
		Color:                         "auto",
		IsDefaultCalendar:             true,
		ChangeKey:                     "fJKVL07sbkmIfHqjbDnRgQAAAAACOA==",
		CanShare:                      true,
		CanViewPrivateItems:           true,
		CanEdit:                       true,
		AllowedOnlineMeetingProviders: []string{"teamsForBusiness"},
		DefaultOnlineMeetingProvider:  "teamsForBusiness",
		IsTallyingResponses:           true,
		Owner:                         wireEmailAddress{Name: mb.address, Address: mb.address},
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, cal)
}

// intParam reads the query parameter name as an integer of at least least,
// or def when it is absent. Any other value is answered 400, as Graph does,
// and ok is false.
func intParam(w http.ResponseWriter, q url.Values, name string, def, least int) (n int, ok bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid "+name+" value.", 0)
		return 0, false
	}
	return n, true
}

// serveCalendarView answers GET /users/{id}/calendarView: the events
// overlapping startDateTime–endDateTime, $top per page, $skip to go on.
func (s *Server) serveCalendarView(w http.ResponseWriter, r *http.Request, user string, p prefer) {
	q := r.URL.Query()
	start, end, ok := parseWindow(w, q.Get("startDateTime"), q.Get("endDateTime"))
	if !ok {
		return
	}
	s.mu.Lock()
	mb, err := s.mailbox(user)
	if err != nil {
		s.mu.Unlock()
		noUser(w, user)
		return
	}
	ids := s.windowIDs(mb, start, end, false)
	s.mu.Unlock()
	s.servePage(w, r, p, user, "/calendarView", ids)
}

// serveReply answers POST /users/{id}/events/{id}/{accept|tentativelyAccept|decline}.
func (s *Server) serveReply(w http.ResponseWriter, r *http.Request, user, eventID, action string) {
	response, ok := map[string]string{
		"accept": "accepted", "tentativelyAccept": "tentativelyAccepted", "decline": "declined",
	}[action]
	if !ok {
		graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", action), 0)
		return
	}
	var body io.Reader = r.Body
	gzipped := strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
	if gzipped {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			graphError(w, http.StatusBadRequest, "BadRequest", "The request body is not valid gzip.", 0)
			return
		}
		body = zr
	}
	fields := map[string]json.RawMessage{}
	if err := json.NewDecoder(body).Decode(&fields); err != nil {
		graphError(w, http.StatusBadRequest, "BadRequest", "Empty Payload. JSON content expected.", 0)
		return
	}
	reply := Reply{Time: time.Now(), Mailbox: user, Action: action, SendResponse: true, Gzip: gzipped}
	for key, raw := range fields {
		reply.Keys = append(reply.Keys, key)
		var err error
		switch strings.ToLower(key) {
		case "comment":
			err = json.Unmarshal(raw, &reply.Comment)
		case "sendresponse":
			err = json.Unmarshal(raw, &reply.SendResponse)
		}
		if err != nil {
			graphError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value for property '%s'.", key), 0)
			return
		}
	}
	slices.Sort(reply.Keys)
	if reply.Comment != "" && !reply.SendResponse {
		graphError(w, http.StatusBadRequest, "ErrorInvalidRequest", "'SendResponse' must be true when 'Comment' is not null.", 0)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailbox(user)
	if err != nil {
		noUser(w, user)
		return
	}
	it := mb.items[parseID(eventID)]
	switch {
	case it == nil || it.deleted:
		itemNotFound(w)
		return
	case it.ev.IsOrganizer:
		graphError(w, http.StatusBadRequest, "ErrorInvalidRequest", "Your request can't be completed. You can't respond to a meeting you organized.", 0)
		return
	}
	reply.EventID = it.ev.ID
	s.replies = append(s.replies, reply)
	it.ev.Response = response
	s.touch(it)
	it.responded = it.modified
	w.WriteHeader(http.StatusAccepted)
}

// prefer is what a request's Prefer header lines ask for.
type prefer struct {
	pageSize  int
	maxSize   bool // odata.maxpagesize was given
	zoneName  string
	loc       *time.Location
	immutable bool
}

// defaultPageSize is Graph's page size for events when no maxpagesize is asked.
const defaultPageSize = 10

// maxPageSize caps odata.maxpagesize.
const maxPageSize = 1000

// parsePrefer reads every Prefer line; a line may hold several
// comma-separated preferences. Like Graph, it refuses an outlook.timezone
// it does not know instead of falling back to UTC; the error is Graph's
// message.
func parsePrefer(lines []string) (prefer, error) {
	p := prefer{pageSize: defaultPageSize, zoneName: "UTC", loc: time.UTC}
	for _, line := range lines {
		for _, pref := range strings.Split(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(pref), "=")
			value = strings.Trim(strings.TrimSpace(value), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "odata.maxpagesize":
				if n, err := strconv.Atoi(value); err == nil && n > 0 {
					p.pageSize, p.maxSize = min(n, maxPageSize), true
				}
			case "outlook.timezone":
				loc, err := loadZone(value)
				if err != nil || value == "" || value == "Local" {
					return p, fmt.Errorf("A valid TimeZone value must be specified. The following TimeZone value is not supported: '%s'.", value)
				}
				p.zoneName, p.loc = value, loc
			case "idtype":
				p.immutable = strings.EqualFold(value, "ImmutableId")
			}
		}
	}
	return p, nil
}

// applied sets Preference-Applied as Graph does.
func (p prefer) applied(w http.ResponseWriter) {
	var out []string
	if p.maxSize {
		out = append(out, "odata.maxpagesize="+strconv.Itoa(p.pageSize))
	}
	out = append(out, `outlook.timezone="`+p.zoneName+`"`)
	if p.immutable {
		out = append(out, `IdType="ImmutableId"`)
	}
	w.Header().Set("Preference-Applied", strings.Join(out, ", "))
}

// parseWindow reads startDateTime and endDateTime (ISO 8601; UTC when they
// carry no offset), answering 400 when they are missing or wrong.
func parseWindow(w http.ResponseWriter, startS, endS string) (time.Time, time.Time, bool) {
	if startS == "" || endS == "" {
		graphError(w, http.StatusBadRequest, "ErrorInvalidParameter",
			"This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.", 0)
		return time.Time{}, time.Time{}, false
	}
	start, err1 := parseISO(startS)
	end, err2 := parseISO(endS)
	if err1 != nil || err2 != nil || !end.After(start) {
		graphError(w, http.StatusBadRequest, "ErrorInvalidParameter", "The parameter 'StartDateTime' or 'EndDateTime' is invalid.", 0)
		return time.Time{}, time.Time{}, false
	}
	return start, end, true
}

func parseISO(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02T15:04:05.9999999", v, time.UTC)
}
