package graphtest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Hostile answers: what a broken or hostile Graph could send, set with the
// switches below and removed by ClearHostile. They apply to Graph requests
// (under /v1.0), before authentication and every other switch.
type hostile struct {
	loop       int    // delta answers loop through this many nextLinks; 0: off
	pad        int64  // bytes of white space sent before each answer's JSON
	padPath    string // pad only paths containing this; empty: every path
	redirectTo string // answer 307 to this base URL, keeping the path and query
}

// loopToken marks the nextLinks LoopNextLinks hands out.
const loopToken = "hostile-loop-"

// LoopNextLinks makes every calendarView delta request answer an empty page
// whose @odata.nextLink leads on through n links that lead back to the
// first: with n = 1 the link points to itself, with n = 3 it goes round a
// cycle of three. No deltaLink ever comes. 0 turns it off.
func (s *Server) LoopNextLinks(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hostile.loop = n
}

// PadAnswers sends n bytes of white space before the JSON of every Graph
// answer whose path contains pathContains (every answer when empty),
// streamed without a Content-Length: valid JSON, as large as wanted, that
// the server never holds in memory. 0 turns it off.
func (s *Server) PadAnswers(n int64, pathContains string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hostile.pad, s.hostile.padPath = n, pathContains
}

// RedirectGraph answers every Graph request with 307 Temporary Redirect to
// the same path and query on base (e.g. another server's URL). "" turns it
// off.
func (s *Server) RedirectGraph(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hostile.redirectTo = strings.TrimSuffix(base, "/")
}

// ClearHostile turns every hostile answer off.
func (s *Server) ClearHostile() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hostile = hostile{}
}

// serveHostile answers r as the hostile switches say, or passes it to next.
func (s *Server) serveHostile(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	s.mu.Lock()
	h := s.hostile
	s.mu.Unlock()
	switch {
	case h.redirectTo != "":
		w.Header().Set("Location", h.redirectTo+r.URL.RequestURI())
		w.WriteHeader(http.StatusTemporaryRedirect)
	case h.loop > 0 && strings.Contains(r.URL.Path, "/calendarView/delta"):
		s.serveLoop(w, r, h.loop)
	case h.pad > 0 && strings.Contains(r.URL.Path, h.padPath):
		buf := &bufferedAnswer{header: http.Header{}}
		next(buf, r)
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(buf.status)
		spaces := bytes.Repeat([]byte(" "), 64<<10)
		for n := h.pad; n > 0; n -= int64(len(spaces)) {
			if _, err := w.Write(spaces[:min(n, int64(len(spaces)))]); err != nil {
				return // the client stopped reading
			}
		}
		_, _ = w.Write(buf.body.Bytes())
	default:
		next(w, r)
	}
}

// serveLoop answers a delta request with an empty page whose nextLink is
// the next of n looping links.
func (s *Server) serveLoop(w http.ResponseWriter, r *http.Request, n int) {
	k := 0
	if tok, ok := strings.CutPrefix(r.URL.Query().Get("$skiptoken"), loopToken); ok {
		fmt.Sscan(tok, &k)
		k = (k + 1) % n
	}
	link := s.srv.URL + r.URL.Path + "?" + url.Values{"$skiptoken": {fmt.Sprint(loopToken, k)}}.Encode()
	writeJSON(w, http.StatusOK, wirePage{ODataContext: s.srv.URL + "/v1.0/$metadata#Collection(event)",
		Value: []any{}, ODataNextLink: link})
}

// bufferedAnswer keeps an answer to send it later, padded.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedAnswer) Header() http.Header { return b.header }

func (b *bufferedAnswer) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedAnswer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}
