package graphtest

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// serveEvent answers GET /users/{id}/events/{id}: the whole event, be it a
// single instance, a series master, an occurrence or an exception.
func (s *Server) serveEvent(w http.ResponseWriter, user, eventID string, p prefer) {
	s.mu.Lock()
	_, it, err := s.find(user, eventID)
	if err != nil {
		s.mu.Unlock()
		itemNotFound(w)
		return
	}
	ev := s.render(it, p)
	s.mu.Unlock()
	p.applied(w)
	writeJSON(w, http.StatusOK, struct {
		ODataContext string `json:"@odata.context"`
		wireEvent
	}{s.srv.URL + "/v1.0/$metadata#users('" + user + "')/events/$entity", ev})
}

// serveInstances answers GET /users/{id}/events/{id}/instances: the whole
// occurrences and exceptions of a series overlapping
// startDateTime–endDateTime, by start, $top per page, $skip to go on.
func (s *Server) serveInstances(w http.ResponseWriter, r *http.Request, user, masterID string, p prefer) {
	q := r.URL.Query()
	start, end, ok := parseWindow(w, q.Get("startDateTime"), q.Get("endDateTime"))
	if !ok {
		return
	}
	s.mu.Lock()
	_, master, err := s.find(user, masterID)
	switch {
	case err != nil:
		s.mu.Unlock()
		itemNotFound(w)
		return
	case master.ev.Type != "seriesMaster":
		s.mu.Unlock()
		graphError(w, http.StatusBadRequest, "ErrorInvalidRequest", "The specified id does not represent a recurring master.", 0)
		return
	}
	var hits []*item
	for _, occ := range master.occurrences {
		if from, to := occ.span(); !occ.deleted && overlaps(from, to, start, end) {
			hits = append(hits, occ)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].sortStart().Before(hits[j].sortStart()) })
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ev.ID
	}
	s.mu.Unlock()
	s.servePage(w, r, p, user, "/events/"+url.PathEscape(masterID)+"/instances", ids)
}

// servePage answers one page of the events ids (held in mailbox user, in
// that order), whole: $top per page (Prefer odata.maxpagesize when absent),
// $skip to go on, and an @odata.nextLink back at the simulator's path under
// /users/{user} while more remain.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, p prefer, user, path string, ids []string) {
	q := r.URL.Query()
	top, ok := intParam(w, q, "$top", p.pageSize, 1)
	if !ok {
		return
	}
	skip, ok := intParam(w, q, "$skip", 0, 0)
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
	page := wirePage{ODataContext: s.srv.URL + "/v1.0/$metadata#users('" + user + "')" + path, Value: []any{}}
	for i := skip; i < len(ids) && i < skip+top; i++ {
		if it := mb.items[ids[i]]; it != nil {
			page.Value = append(page.Value, s.render(it, p))
		}
	}
	s.mu.Unlock()
	if skip+top < len(ids) {
		next := q
		next.Set("$top", strconv.Itoa(top))
		next.Set("$skip", strconv.Itoa(skip+top))
		page.ODataNextLink = s.srv.URL + "/v1.0/users/" + url.PathEscape(user) + path + "?" + next.Encode()
	}
	p.applied(w)
	writeJSON(w, http.StatusOK, page)
}

// itemNotFound answers for an event id the mailbox does not hold (any more).
func itemNotFound(w http.ResponseWriter) {
	graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.", 0)
}

// overlaps reports whether [from, to) meets [start, end).
func overlaps(from, to, start, end time.Time) bool { return from.Before(end) && to.After(start) }
