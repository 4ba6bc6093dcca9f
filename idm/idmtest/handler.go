package idmtest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"invitesync/idm"
)

// maxBody is the largest request body the simulator reads.
const maxBody = 1 << 20

// Version is what GET /health reports.
const Version = "idmtest-1"

// answer is a response built before it is sent, so that a slow answer can
// be held back after the work is done, as a slow server would.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// apiError is an error answer of the contract.
type apiError struct {
	status     int
	code       string
	message    string
	retryAfter time.Duration
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	req := Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Time: time.Now()}
	if p, ok := strings.CutPrefix(req.Path, BasePath); ok && (p == "" || p[0] == '/') {
		req.Path = p
	}
	s.mu.Lock()
	f := s.takeFault(req.Method, req.Path)
	delay := s.delay
	s.mu.Unlock()

	if f != nil && f.Status == 0 && !f.Truncate && f.Pad <= 0 {
		s.record(req)
		drop(w)
		return
	}
	var a answer
	switch {
	case f == nil || f.Truncate || f.Pad > 0 && f.Body == "" && f.Status == 0:
		a = s.route(r, req.Path)
	case f.Body != "":
		a = answer{status: f.Status, header: http.Header{}, body: []byte(f.Body)}
	default:
		a = errorAnswer(apiError{status: f.Status, code: faultCode(f.Status), message: "simulated fault", retryAfter: f.RetryAfter})
	}
	if f != nil {
		for k, v := range f.Header {
			a.header[k] = v
		}
		if f.RetryAfter > 0 && f.Body != "" {
			a.header.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
		}
	}
	req.Status = a.status
	s.record(req)

	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
	for k, v := range a.header {
		w.Header()[k] = v
	}
	if f != nil && f.Truncate {
		cut(w, a)
		return
	}
	if f != nil && f.Pad > 0 {
		pad(w, a, f.Pad)
		return
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// pad sends a's status, n bytes of white space and a's body, streamed.
func pad(w http.ResponseWriter, a answer, n int64) {
	w.Header().Del("Content-Length")
	w.WriteHeader(a.status)
	chunk := bytes.Repeat([]byte(" "), 64<<10)
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return // the client stopped reading
		}
		n -= k
	}
	_, _ = w.Write(a.body)
}

// cut sends a's status, a Content-Length for its whole body and the first
// half of the body, then closes the connection.
func cut(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body[:len(a.body)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}

// takeFault returns the fault for this request, if any. s.mu is held.
func (s *Server) takeFault(method, path string) *Fault {
	if s.fault.remaining == 0 || !s.fault.matches(method, path) {
		return nil
	}
	f := s.fault.Fault
	if s.fault.remaining > 0 {
		s.fault.remaining--
	}
	return &f
}

func (s *Server) record(req Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	if (req.Method == http.MethodPut || req.Method == http.MethodDelete) && strings.HasPrefix(req.Path, "/visits/") {
		s.writes++
	}
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func faultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return idm.CodeRateLimited
	case http.StatusServiceUnavailable:
		return idm.CodeUnavailable
	case http.StatusBadRequest:
		return idm.CodeInvalidRequest
	case http.StatusUnauthorized:
		return idm.CodeUnauthorized
	case http.StatusForbidden:
		return idm.CodeForbidden
	case http.StatusNotFound:
		return idm.CodeNotFound
	case http.StatusUnprocessableEntity:
		return idm.CodeValidationFailed
	}
	return "internal_error"
}

// route authenticates the request and answers it.
func (s *Server) route(r *http.Request, path string) answer {
	if !strings.HasPrefix(r.URL.EscapedPath(), BasePath+"/") {
		return errorAnswer(apiError{status: http.StatusNotFound, code: idm.CodeNotFound, message: "no such endpoint; the API lives under " + BasePath})
	}
	if !s.authorized(r) {
		a := errorAnswer(apiError{status: http.StatusUnauthorized, code: idm.CodeUnauthorized, message: "missing or invalid API key"})
		a.header.Set("WWW-Authenticate", `Bearer realm="idm"`)
		return a
	}
	switch {
	case path == "/health":
		return only(r, http.MethodGet, func() answer { return jsonAnswer(http.StatusOK, idm.Health{Status: "ok", Version: Version}) })
	case path == "/environments":
		return only(r, http.MethodGet, s.environments)
	case path == "/employees":
		return only(r, http.MethodGet, func() answer { return s.employeesByEmail(r.URL.Query().Get("email")) })
	case strings.HasPrefix(path, "/visits/"):
		ref, err := url.PathUnescape(strings.TrimPrefix(path, "/visits/"))
		if err != nil || idm.ValidRef(ref) != nil {
			return errorAnswer(apiError{status: http.StatusBadRequest, code: idm.CodeInvalidRequest,
				message: fmt.Sprintf("ref: must be 1–%d characters of A–Z a–z 0–9 . _ -", idm.MaxRefLength)})
		}
		switch r.Method {
		case http.MethodGet:
			return s.getVisit(ref)
		case http.MethodPut:
			return s.putVisit(r, ref)
		case http.MethodDelete:
			return s.deleteVisit(ref)
		}
		return methodNotAllowed("GET, PUT, DELETE")
	}
	return errorAnswer(apiError{status: http.StatusNotFound, code: idm.CodeNotFound, message: "no such endpoint"})
}

func (s *Server) authorized(r *http.Request) bool {
	got := []byte(r.Header.Get("Authorization"))
	want := []byte("Bearer " + s.key)
	return subtle.ConstantTimeCompare(got, want) == 1
}

func only(r *http.Request, method string, h func() answer) answer {
	if r.Method != method {
		return methodNotAllowed(method)
	}
	return h()
}

func methodNotAllowed(allow string) answer {
	a := errorAnswer(apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "allowed: " + allow})
	a.header.Set("Allow", allow)
	return a
}

func (s *Server) environments() answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return jsonAnswer(http.StatusOK, idm.List[idm.Environment]{Items: append([]idm.Environment{}, s.envs...)})
}

func (s *Server) employeesByEmail(email string) answer {
	if strings.TrimSpace(email) == "" {
		return errorAnswer(apiError{status: http.StatusBadRequest, code: idm.CodeInvalidRequest, message: "email: required"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []idm.Employee{}
	if e, ok := s.employees[strings.ToLower(strings.TrimSpace(email))]; ok {
		items = append(items, e)
	}
	return jsonAnswer(http.StatusOK, idm.List[idm.Employee]{Items: items})
}

func (s *Server) getVisit(ref string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.visits[ref]
	if !ok {
		return errorAnswer(apiError{status: http.StatusNotFound, code: idm.CodeNotFound, message: "no visit with this ref"})
	}
	return jsonAnswer(http.StatusOK, v.StoredVisit)
}

func (s *Server) deleteVisit(ref string) answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.visits[ref]
	switch {
	case !ok:
		return errorAnswer(apiError{status: http.StatusNotFound, code: idm.CodeNotFound, message: "no visit with this ref"})
	case v.Status == idm.StatusCheckedIn:
		return errorAnswer(apiError{status: http.StatusConflict, code: idm.CodeVisitInProgress, message: "the visitor has checked in; the visit can no longer be cancelled"})
	case v.Status != idm.StatusCancelled:
		v.Status = idm.StatusCancelled
		v.Revision++
	}
	return answer{status: http.StatusNoContent, header: http.Header{}}
}

func (s *Server) putVisit(r *http.Request, ref string) answer {
	v, apiErr := decodeVisit(r)
	if apiErr != nil {
		return errorAnswer(*apiErr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if apiErr := s.checkReferences(v); apiErr != nil {
		return errorAnswer(*apiErr)
	}
	old, ok := s.visits[ref]
	if !ok {
		s.nextID++
		rec := &Record{StoredVisit: idm.StoredVisit{Ref: ref, ID: fmt.Sprintf("vis-%d", s.nextID), Status: idm.StatusExpected, Visit: v}, Revision: 1}
		s.visits[ref] = rec
		return jsonAnswer(http.StatusCreated, rec.StoredVisit)
	}
	same := sameVisit(old.Visit, v)
	switch {
	case old.Status == idm.StatusCheckedIn && !same:
		return errorAnswer(apiError{status: http.StatusConflict, code: idm.CodeVisitInProgress, message: "the visitor has checked in; the visit can no longer change"})
	case old.Status == idm.StatusCancelled:
		old.Status = idm.StatusExpected
		old.Visit = v
		old.Revision++
	case !same:
		old.Visit = v
		old.Revision++
	}
	return jsonAnswer(http.StatusOK, old.StoredVisit)
}

// checkReferences checks the environment and host a visit names. s.mu is held.
func (s *Server) checkReferences(v idm.Visit) *apiError {
	var env *idm.Environment
	for i := range s.envs {
		if s.envs[i].ID == v.EnvironmentID {
			env = &s.envs[i]
		}
	}
	if env == nil {
		return &apiError{status: http.StatusNotFound, code: idm.CodeEnvironmentNotFound,
			message: fmt.Sprintf("environmentId: no environment %q", v.EnvironmentID)}
	}
	if s.forbidden[v.EnvironmentID] {
		return &apiError{status: http.StatusForbidden, code: idm.CodeForbidden,
			message: fmt.Sprintf("environmentId: the API key has no right to environment %q", v.EnvironmentID)}
	}
	if loc, err := time.LoadLocation(env.TimeZone); env.TimeZone != "" && err == nil {
		for _, f := range []struct {
			field string
			t     time.Time
		}{{"arrival", v.Arrival}, {"departure", v.Departure}} {
			_, got := f.t.Zone()
			if _, want := f.t.In(loc).Zone(); got != want {
				return &apiError{status: http.StatusUnprocessableEntity, code: idm.CodeValidationFailed,
					message: fmt.Sprintf("%s: %s does not carry the UTC offset of environment %q (%s, %s)",
						f.field, f.t.Format(time.RFC3339), env.ID, env.TimeZone, f.t.In(loc).Format("-07:00"))}
			}
		}
	}
	found := false
	for _, e := range s.employees {
		found = found || e.ID == v.HostEmployeeID
	}
	if found {
		return nil
	}
	return &apiError{status: http.StatusNotFound, code: idm.CodeHostNotFound,
		message: fmt.Sprintf("hostEmployeeId: no employee %q", v.HostEmployeeID)}
}

// wireVisit is a PUT body as sent, times still text, so that errors can
// name the field.
type wireVisit struct {
	EnvironmentID  string      `json:"environmentId"`
	HostEmployeeID string      `json:"hostEmployeeId"`
	Visitor        idm.Visitor `json:"visitor"`
	Arrival        string      `json:"arrival"`
	Departure      string      `json:"departure"`
	Location       string      `json:"location"`
	Subject        string      `json:"subject"`
	Source         *idm.Source `json:"source"`
}

// decodeVisit reads and validates a PUT body: 400 when it cannot be read,
// 422 naming every field that breaks a rule.
func decodeVisit(r *http.Request) (idm.Visit, *apiError) {
	var w wireVisit
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	if err := dec.Decode(&w); err != nil {
		msg := "body: not a JSON visit: " + err.Error()
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			msg = fmt.Sprintf("%s: expected a JSON %s", te.Field, te.Type)
		}
		return idm.Visit{}, &apiError{status: http.StatusBadRequest, code: idm.CodeInvalidRequest, message: msg}
	}
	var problems []string
	v := idm.Visit{EnvironmentID: w.EnvironmentID, HostEmployeeID: w.HostEmployeeID, Visitor: w.Visitor,
		Location: w.Location, Subject: w.Subject, Source: w.Source}
	var badTime []string
	v.Arrival, badTime = parseTime("arrival", w.Arrival, badTime)
	v.Departure, badTime = parseTime("departure", w.Departure, badTime)
	if len(badTime) > 0 {
		return idm.Visit{}, &apiError{status: http.StatusBadRequest, code: idm.CodeInvalidRequest, message: strings.Join(badTime, "; ")}
	}
	required := func(field, value string) {
		if strings.TrimSpace(value) == "" {
			problems = append(problems, field+": required")
		}
	}
	required("environmentId", v.EnvironmentID)
	required("hostEmployeeId", v.HostEmployeeID)
	required("visitor.email", v.Visitor.Email)
	if e := v.Visitor.Email; e != "" && !plausibleEmail(e) {
		problems = append(problems, "visitor.email: not an email address")
	}
	if v.Arrival.IsZero() {
		problems = append(problems, "arrival: required")
	}
	if v.Departure.IsZero() {
		problems = append(problems, "departure: required")
	}
	if !v.Arrival.IsZero() && !v.Departure.IsZero() && !v.Arrival.Before(v.Departure) {
		problems = append(problems, "departure: must be after arrival")
	}
	for _, l := range []struct {
		field, value string
		max          int
	}{
		{"visitor.email", v.Visitor.Email, idm.MaxEmailLength},
		{"visitor.firstName", v.Visitor.FirstName, idm.MaxNameLength},
		{"visitor.lastName", v.Visitor.LastName, idm.MaxNameLength},
		{"visitor.company", v.Visitor.Company, idm.MaxCompanyLength},
		{"subject", v.Subject, idm.MaxSubjectLength},
		{"location", v.Location, idm.MaxLocationLength},
	} {
		if n := utf8.RuneCountInString(l.value); n > l.max {
			problems = append(problems, fmt.Sprintf("%s: %d characters, at most %d allowed", l.field, n, l.max))
		}
	}
	if len(problems) > 0 {
		return idm.Visit{}, &apiError{status: http.StatusUnprocessableEntity, code: idm.CodeValidationFailed, message: strings.Join(problems, "; ")}
	}
	return v, nil
}

// parseTime reads an RFC 3339 time; "" is the zero time (a missing field).
func parseTime(field, s string, problems []string) (time.Time, []string) {
	if s == "" {
		return time.Time{}, problems
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, append(problems, fmt.Sprintf("%s: %q is not an RFC 3339 time such as 2026-12-01T09:00:00+01:00", field, s))
	}
	return t, problems
}

func plausibleEmail(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(e, " \t\r\n<>") && !strings.Contains(domain, "@")
}

// sameVisit reports whether two visits have the same wire form.
func sameVisit(a, b idm.Visit) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func jsonAnswer(status int, v any) answer {
	body, err := json.Marshal(v)
	if err != nil {
		return errorAnswer(apiError{status: http.StatusInternalServerError, code: "internal_error", message: err.Error()})
	}
	return answer{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: body}
}

func errorAnswer(e apiError) answer {
	a := jsonAnswer(e.status, idm.ErrorBody{Error: idm.ErrorDetail{Code: e.code, Message: e.message}})
	a.status = e.status
	if e.retryAfter > 0 {
		a.header.Set("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	}
	return a
}
