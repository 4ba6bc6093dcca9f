package idmtest_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"invitesync/idm/idmtest"
)

func TestInjectSelectsRequestsAndShapesTheAnswer(t *testing.T) {
	s := newSim(t)
	s.Inject(-1, idmtest.Fault{Method: http.MethodPut, Path: "/visits/", Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"text/html"}}, Body: "<html>Welcome</html>"})
	// Requests the fault does not select are answered by the API.
	if code, _, _, _ := call(t, s, http.MethodGet, "/health", ""); code != http.StatusOK {
		t.Fatalf("GET /health = %d under a PUT fault", code)
	}
	code, hdr, _, body := call(t, s, http.MethodPut, "/visits/v1-a", goodVisit)
	if code != http.StatusOK || hdr.Get("Content-Type") != "text/html" || string(body) != "<html>Welcome</html>" {
		t.Fatalf("PUT = %d %q %q, want the HTML page", code, hdr.Get("Content-Type"), body)
	}
	if _, ok := s.Visit("v1-a"); ok {
		t.Error("a PUT answered by the fault was stored")
	}

	s.Inject(1, idmtest.Fault{Path: "/visits/", Status: http.StatusTemporaryRedirect,
		Header: http.Header{"Location": {"https://elsewhere.example/api/v1/visits/v1-a"}}})
	req, _ := http.NewRequest(http.MethodPut, s.URL()+"/visits/v1-a", strings.NewReader(goodVisit))
	req.Header.Set("Authorization", "Bearer "+s.APIKey())
	c := s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "https://elsewhere.example/api/v1/visits/v1-a" {
		t.Fatalf("redirect fault = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// n counts only the requests the fault selects; then the API answers.
	if code, _, _, _ := call(t, s, http.MethodPut, "/visits/v1-a", goodVisit); code != http.StatusCreated {
		t.Fatalf("PUT after the one redirect = %d, want 201", code)
	}

	s.Inject(1, idmtest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 3600 * time.Second})
	if code, hdr, eb, _ := call(t, s, http.MethodGet, "/health", ""); code != 503 || hdr.Get("Retry-After") != "3600" || eb.Error.Code != "unavailable" {
		t.Fatalf("503 fault = %d, Retry-After %q, code %q", code, hdr.Get("Retry-After"), eb.Error.Code)
	}
}

func TestTruncateCutsTheBodyItAnnounced(t *testing.T) {
	s := newSim(t)
	s.Inject(1, idmtest.Fault{Method: http.MethodPut, Truncate: true})
	req, _ := http.NewRequest(http.MethodPut, s.URL()+"/visits/v1-cut", strings.NewReader(goodVisit))
	req.Header.Set("Authorization", "Bearer "+s.APIKey())
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || !errors.Is(err, io.ErrUnexpectedEOF) || int64(len(data)) >= resp.ContentLength {
		t.Fatalf("truncated answer: %d, %d of %d bytes, %v; want 201 cut short with unexpected EOF", resp.StatusCode, len(data), resp.ContentLength, err)
	}
	// The API did its work; only the answer was lost on the way.
	if _, ok := s.Visit("v1-cut"); !ok {
		t.Error("the visit of a cut answer was not stored")
	}
	if code, _, _, _ := call(t, s, http.MethodPut, "/visits/v1-cut", goodVisit); code != http.StatusOK {
		t.Fatalf("the PUT again = %d, want 200", code)
	}
}
