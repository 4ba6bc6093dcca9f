package idmtest_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"invitesync/idm"
	"invitesync/idm/idmtest"
)

// call sends a raw request with the right key unless key is given.
func call(t *testing.T, s *idmtest.Server, method, path, body string, key ...string) (int, http.Header, idm.ErrorBody, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	auth := s.APIKey()
	if len(key) > 0 {
		auth = key[0]
	}
	req.Header.Set("Authorization", "Bearer "+auth)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var eb idm.ErrorBody
	_ = json.Unmarshal(data, &eb)
	return resp.StatusCode, resp.Header, eb, data
}

const goodVisit = `{"environmentId":"env-1","hostEmployeeId":"emp-7",
	"visitor":{"email":"ann.guest@fabrikam.com","firstName":"Ann","lastName":"Guest","company":"Fabrikam"},
	"arrival":"2026-12-01T09:00:00+01:00","departure":"2026-12-01T11:00:00+01:00"}`

func newSim(t *testing.T) *idmtest.Server {
	s := idmtest.NewTLSServer(idmtest.WithEmployees(idm.Employee{ID: "emp-7", Email: "hanna.host@contoso.com"}))
	t.Cleanup(s.Close)
	return s
}

func TestRawValidation(t *testing.T) {
	s := newSim(t)
	long := strings.Repeat("x", idm.MaxNameLength+1)
	tests := []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		{"ok", "PUT", "/visits/v1-ok", goodVisit, 201, "", ""},
		{"ref with a space", "PUT", "/visits/v1%20x", goodVisit, 400, idm.CodeInvalidRequest, "ref:"},
		{"ref with an encoded slash", "PUT", "/visits/a%2Fb", goodVisit, 400, idm.CodeInvalidRequest, "ref:"},
		{"ref too long", "PUT", "/visits/" + strings.Repeat("r", 129), goodVisit, 400, idm.CodeInvalidRequest, "ref:"},
		{"empty ref", "GET", "/visits/", "", 400, idm.CodeInvalidRequest, "ref:"},
		{"not JSON", "PUT", "/visits/v1-a", "{", 400, idm.CodeInvalidRequest, "body:"},
		{"wrong type", "PUT", "/visits/v1-a", `{"visitor":"ann"}`, 400, idm.CodeInvalidRequest, "visitor:"},
		{"bad time", "PUT", "/visits/v1-a", strings.Replace(goodVisit, "2026-12-01T09:00:00+01:00", "1 Dec 2026 9am", 1), 400, idm.CodeInvalidRequest, "arrival:"},
		{"time without offset", "PUT", "/visits/v1-a", strings.Replace(goodVisit, "+01:00\",\"departure", "\",\"departure", 1), 400, idm.CodeInvalidRequest, "arrival:"},
		{"UTC instead of the environment's offset", "PUT", "/visits/v1-a", strings.ReplaceAll(goodVisit, ":00+01:00", ":00Z"), 422, idm.CodeValidationFailed, "arrival: 2026-12-01T09:00:00Z does not carry the UTC offset"},
		{"summer offset in winter", "PUT", "/visits/v1-a", strings.Replace(goodVisit, "T11:00:00+01:00", "T12:00:00+02:00", 1), 422, idm.CodeValidationFailed, "departure:"},
		{"name too long", "PUT", "/visits/v1-a", strings.Replace(goodVisit, `"firstName":"Ann"`, `"firstName":"`+long+`"`, 1), 422, idm.CodeValidationFailed, "visitor.firstName: 65 characters, at most 64"},
		{"several problems", "PUT", "/visits/v1-a", `{"environmentId":"env-1"}`, 422, idm.CodeValidationFailed, "hostEmployeeId: required; visitor.email: required; arrival: required; departure: required"},
		{"employees without email", "GET", "/employees", "", 400, idm.CodeInvalidRequest, "email: required"},
		{"method", "POST", "/visits/v1-a", goodVisit, 405, "method_not_allowed", "GET, PUT, DELETE"},
		{"health method", "DELETE", "/health", "", 405, "method_not_allowed", "GET"},
		{"unknown endpoint", "GET", "/visitors", "", 404, idm.CodeNotFound, "no such endpoint"},
	}
	for _, tt := range tests {
		status, _, eb, _ := call(t, s, tt.method, tt.path, tt.body)
		if status != tt.status || eb.Error.Code != tt.code || !strings.Contains(eb.Error.Message, tt.message) {
			t.Errorf("%s: %s %s = %d %s %q; want %d %s containing %q",
				tt.name, tt.method, tt.path, status, eb.Error.Code, eb.Error.Message, tt.status, tt.code, tt.message)
		}
	}
	if n := len(s.Visits()); n != 1 {
		t.Errorf("%d visits stored, want only the valid one", n)
	}
}

func TestAuthentication(t *testing.T) {
	s := idmtest.NewTLSServer(idmtest.WithAPIKey("the-right-key"))
	defer s.Close()
	if s.APIKey() != "the-right-key" {
		t.Fatalf("APIKey = %q", s.APIKey())
	}
	for _, key := range []string{"", "the-right-ke", "the-right-key2", "THE-RIGHT-KEY"} {
		status, header, eb, _ := call(t, s, "GET", "/health", "", key)
		if status != 401 || eb.Error.Code != idm.CodeUnauthorized || !strings.HasPrefix(header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("key %q: %d %s %q", key, status, eb.Error.Code, header.Get("WWW-Authenticate"))
		}
	}
	if status, _, _, body := call(t, s, "GET", "/health", ""); status != 200 || !strings.Contains(string(body), `"status":"ok"`) {
		t.Errorf("right key: %d %s", status, body)
	}
	// Outside the API base path: 404, whoever asks.
	req, _ := http.NewRequest("GET", strings.TrimSuffix(s.URL(), idmtest.BasePath)+"/health", nil)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /health outside %s = %d, want 404", idmtest.BasePath, resp.StatusCode)
	}
}

func TestRandomKeys(t *testing.T) {
	a, b := idmtest.NewServer(), idmtest.NewServer()
	defer a.Close()
	defer b.Close()
	if a.APIKey() == b.APIKey() || len(a.APIKey()) < 20 {
		t.Errorf("default keys %q and %q: want distinct random keys", a.APIKey(), b.APIKey())
	}
}

func TestEmployees(t *testing.T) {
	s := newSim(t)
	added := s.AddEmployee(idm.Employee{Email: "Ivan.Inside@contoso.com", DisplayName: "Ivan Inside"})
	if added.ID == "" {
		t.Fatal("AddEmployee gave no id")
	}
	var list idm.List[idm.Employee]
	_, _, _, body := call(t, s, "GET", "/employees?email=IVAN.INSIDE%40CONTOSO.COM", "")
	if err := json.Unmarshal(body, &list); err != nil || len(list.Items) != 1 || list.Items[0] != added {
		t.Fatalf("lookup = %s (%v)", body, err)
	}
	s.RemoveEmployee("ivan.inside@contoso.com")
	_, _, _, body = call(t, s, "GET", "/employees?email=ivan.inside@contoso.com", "")
	if string(body) != `{"items":[]}` {
		t.Errorf("lookup after removal = %s, want an empty list", body)
	}
}

func TestRequestsAndFaults(t *testing.T) {
	s := newSim(t)
	before := time.Now()
	s.Fail(2, http.StatusTooManyRequests, 1500*time.Millisecond)
	for range 2 {
		status, header, eb, _ := call(t, s, "PUT", "/visits/v1-a", goodVisit)
		if status != 429 || header.Get("Retry-After") != "2" || eb.Error.Code != idm.CodeRateLimited {
			t.Errorf("during Fail: %d Retry-After %q %s", status, header.Get("Retry-After"), eb.Error.Code)
		}
	}
	if status, _, _, _ := call(t, s, "PUT", "/visits/v1-a", goodVisit); status != 201 {
		t.Errorf("after two failures: %d, want 201", status)
	}
	call(t, s, "GET", "/visits/v1-a", "")
	call(t, s, "DELETE", "/visits/v1-a", "")

	reqs := s.Requests()
	want := []idmtest.Request{
		{Method: "PUT", Path: "/visits/v1-a", Status: 429},
		{Method: "PUT", Path: "/visits/v1-a", Status: 429},
		{Method: "PUT", Path: "/visits/v1-a", Status: 201},
		{Method: "GET", Path: "/visits/v1-a", Status: 200},
		{Method: "DELETE", Path: "/visits/v1-a", Status: 204},
	}
	if len(reqs) != len(want) {
		t.Fatalf("recorded %+v", reqs)
	}
	for i, r := range reqs {
		if r.Method != want[i].Method || r.Path != want[i].Path || r.Status != want[i].Status || r.Time.Before(before) {
			t.Errorf("request %d = %+v, want %+v", i, r, want[i])
		}
	}
	if s.Writes() != 4 || s.Count("PUT", "/visits/") != 3 || s.Count("GET", "") != 1 {
		t.Errorf("Writes %d, PUTs %d, GETs %d; want 4, 3, 1", s.Writes(), s.Count("PUT", "/visits/"), s.Count("GET", ""))
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 || s.Writes() != 0 {
		t.Error("ResetRequests kept records")
	}
	if r, ok := s.Visit("v1-a"); !ok || r.Status != idm.StatusCancelled {
		t.Errorf("visit after DELETE = %+v", r)
	}
}

func TestMarkCheckedInUnknown(t *testing.T) {
	s := newSim(t)
	if err := s.MarkCheckedIn("v1-nobody"); err == nil {
		t.Error("MarkCheckedIn of an unknown ref succeeded")
	}
}

func TestCloseEndsSlowAnswers(t *testing.T) {
	s := newSim(t)
	s.SetDelay(time.Hour)
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := s.Client().Get(s.URL() + "/health")
		if err == nil {
			resp.Body.Close()
		}
	}()
	for len(s.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close() // must return although an answer is held back
	<-done
}

func TestCertificateFile(t *testing.T) {
	s := newSim(t)
	path := filepath.Join(t.TempDir(), "idmtest-ca.pem")
	if err := s.WriteCACert(path); err != nil {
		t.Fatal(err)
	}
	pemData, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatalf("%s holds no certificate", path)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(s.URL() + "/health")
	if err != nil {
		t.Fatalf("a client trusting only %s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("unauthenticated health = %d, want 401", resp.StatusCode)
	}

	plain := idmtest.NewServer()
	defer plain.Close()
	if plain.CACertPEM() != nil {
		t.Error("a plain HTTP server has a certificate")
	}
	if err := plain.WriteCACert(filepath.Join(t.TempDir(), "ca.pem")); err == nil {
		t.Error("WriteCACert of a plain HTTP server succeeded")
	}
}
