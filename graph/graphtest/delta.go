package graphtest

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// A delta round is a list of entries fixed when the round starts, served page
// by page through skip tokens; its last page carries a delta token that
// remembers the change sequence the round started at, so the next round
// returns only what changed since.

type round struct {
	mailbox    string
	start, end time.Time
	entries    []entry
	until      int64 // change sequence the round reflects
}

type entry struct {
	id      string
	removed bool // sent as @removed whatever the item's state
}

// tokenState is what an opaque skip or delta token stands for.
type tokenState struct {
	mailbox    string
	start, end time.Time
	round      *round // skip token: the round and where the next page starts
	offset     int
	since      int64 // delta token: changes after this sequence number
}

// defaultTokenCapacity bounds the tokens kept; older ones are evicted, and
// using an evicted token gets SyncStateNotFound, as from Graph's cache.
const defaultTokenCapacity = 20000

type tokenCache struct {
	m     map[string]tokenState
	order []string
	cap   int
}

func newTokenCache(capacity int) tokenCache {
	return tokenCache{m: map[string]tokenState{}, cap: capacity}
}

func (c *tokenCache) put(st tokenState) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "R0usmc" + base64.RawURLEncoding.EncodeToString(b)
	c.m[tok] = st
	c.order = append(c.order, tok)
	for len(c.order) > c.cap {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	return tok
}

func (c *tokenCache) get(tok string) (tokenState, bool) {
	st, ok := c.m[tok]
	return st, ok
}

func (c *tokenCache) clear() {
	c.m = map[string]tokenState{}
	c.order = nil
}

// serveDelta answers GET /users/{id}/calendarView/delta (or delta()).
func (s *Server) serveDelta(w http.ResponseWriter, r *http.Request, user string, p prefer) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	mb, err := s.mailbox(user)
	if err != nil {
		noUser(w, user)
		return
	}
	var rd *round
	offset := 0
	switch {
	case q.Has("$skiptoken") || q.Has("$deltatoken"):
		tok, isSkip := q.Get("$skiptoken"), q.Has("$skiptoken")
		if !isSkip {
			tok = q.Get("$deltatoken")
		}
		st, ok := s.tokens.get(tok)
		if !ok || (st.round != nil) != isSkip || st.mailbox != mb.address {
			graphError(w, http.StatusGone, "SyncStateNotFound",
				"The sync state generation is not found; generation=149;[highest=157][157][155][156].", 0)
			return
		}
		if isSkip {
			rd, offset = st.round, st.offset
		} else {
			rd = s.changesSince(mb, st.start, st.end, st.since)
		}
	default:
		start, end, ok := parseWindow(w, q.Get("startDateTime"), q.Get("endDateTime"))
		if !ok {
			return
		}
		rd = &round{mailbox: mb.address, start: start, end: end, until: s.seq}
		for _, id := range s.windowIDs(mb, start, end, true) {
			rd.entries = append(rd.entries, entry{id: id})
		}
	}
	page := wirePage{ODataContext: s.srv.URL + "/v1.0/$metadata#Collection(event)", Value: []any{}}
	stop := min(offset+p.pageSize, len(rd.entries))
	for _, e := range rd.entries[offset:stop] {
		it := mb.items[e.id]
		if e.removed || it == nil || it.deleted {
			page.Value = append(page.Value, wireRemoved{ODataType: "#microsoft.graph.event",
				ID: renderID(e.id, p.immutable), Removed: wireRemovedInfo{Reason: "deleted"}})
			continue
		}
		if it.ev.Type == "occurrence" {
			page.Value = append(page.Value, renderStripped(it, p))
			continue
		}
		page.Value = append(page.Value, s.render(it, p))
	}
	link := s.srv.URL + "/v1.0/users/" + url.PathEscape(mb.address) + "/calendarView/delta?"
	if stop < len(rd.entries) {
		tok := s.tokens.put(tokenState{mailbox: mb.address, start: rd.start, end: rd.end, round: rd, offset: stop})
		page.ODataNextLink = link + "$skiptoken=" + tok
	} else {
		tok := s.tokens.put(tokenState{mailbox: mb.address, start: rd.start, end: rd.end, since: rd.until})
		page.ODataDeltaLink = link + "$deltatoken=" + tok
	}
	p.applied(w)
	writeJSON(w, http.StatusOK, page)
}

// windowIDs lists the events, occurrences and exceptions overlapping
// [start, end), by start time. Series masters are not part of a calendar
// view, but delta sends the masters of the series it expands: with masters,
// a master whose series overlaps the window is listed too, after its
// occurrences. Callers hold s.mu.
func (s *Server) windowIDs(mb *mailbox, start, end time.Time, masters bool) []string {
	type hit struct {
		id    string
		start time.Time
	}
	var hits []hit
	for id, it := range mb.items {
		if it.deleted || (!masters && it.ev.Type == "seriesMaster") {
			continue
		}
		if from, to := it.seriesSpan(); overlaps(from, to, start, end) {
			hits = append(hits, hit{id, it.sortStart()})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if !hits[i].start.Equal(hits[j].start) {
			return hits[i].start.Before(hits[j].start)
		}
		return hits[i].id < hits[j].id
	})
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	return ids
}

// changesSince builds a round of what changed after sequence since: changed
// events inside the window (occurrences stripped, their masters whole),
// and @removed for deletions and for changes outside the window (but not
// for the occurrences outside it, which Exchange computes from their
// master rather than stores). An occurrence deleted from its series is not reported at all: its master's
// change is all the round says. Callers hold s.mu.
func (s *Server) changesSince(mb *mailbox, start, end time.Time, since int64) *round {
	type change struct {
		entry
		seq int64
	}
	var changes []change
	for id, it := range mb.items {
		if it.modSeq <= since || it.silent {
			continue
		}
		from, to := it.seriesSpan()
		inside := overlaps(from, to, start, end)
		if !inside && it.ev.Type == "occurrence" {
			continue // computed from its master, not an item of its own
		}
		changes = append(changes, change{entry{id: id, removed: it.deleted || !inside}, it.modSeq})
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].seq < changes[j].seq })
	rd := &round{mailbox: mb.address, start: start, end: end, until: s.seq}
	for _, c := range changes {
		rd.entries = append(rd.entries, c.entry)
	}
	return rd
}
