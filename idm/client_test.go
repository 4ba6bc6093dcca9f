package idm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"invitesync/idm"
	"invitesync/idm/idmtest"
)

func TestNewChecksURLAndKey(t *testing.T) {
	const key = "s3cret-Key-That-Must-Not-Leak"
	tests := []struct {
		url, key string
		want     error // nil: accepted
	}{
		{"https://idm.example.com/api/v1", key, nil},
		{"https://idm.example.com/api/v1/", key, nil},
		{"  https://idm.example.com:8443  ", key, nil},
		{"http://127.0.0.1:8080/api/v1", key, nil},
		{"http://[::1]:8080/api/v1", key, nil},
		{"http://localhost:8080", key, nil},
		{"http://idm.example.com/api/v1", key, idm.ErrInvalidURL},
		{"http://10.0.0.5/api/v1", key, idm.ErrInvalidURL},
		{"ftp://idm.example.com", key, idm.ErrInvalidURL},
		{"idm.example.com/api/v1", key, idm.ErrInvalidURL},
		{"", key, idm.ErrInvalidURL},
		{"https://admin:" + key + "@idm.example.com/api/v1", key, idm.ErrInvalidURL},
		{"https://idm.example.com/api/v1?key=" + key, key, idm.ErrInvalidURL},
		{"https://idm.example.com/api/v1#frag", key, idm.ErrInvalidURL},
		{"https://idm.example.com", "", idm.ErrInvalidKey},
		{"https://idm.example.com", "   ", idm.ErrInvalidKey},
		{"https://idm.example.com", key + "\r\nX-Evil: 1", idm.ErrInvalidKey},
		{"https://idm.example.com", "clé-" + key, idm.ErrInvalidKey},
		{"https://idm.example.com", "two words", idm.ErrInvalidKey},
		{"https://idm.example.com", " " + key + "\n", nil},
	}
	for _, tt := range tests {
		c, err := idm.New(tt.url, tt.key, idm.Options{})
		if tt.want == nil {
			if err != nil {
				t.Errorf("New(%q) = %v, want a client", tt.url, err)
			} else if c.URL() != strings.TrimRight(strings.TrimSpace(tt.url), "/") {
				t.Errorf("New(%q).URL() = %q", tt.url, c.URL())
			}
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("New(%q, …) = %v, want %v", tt.url, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), key) {
			t.Errorf("New(%q) error reveals the key: %v", tt.url, err)
		}
	}
}

func TestClientNeverPrintsKey(t *testing.T) {
	const key = "s3cret-Key-That-Must-Not-Leak"
	c, err := idm.New("https://idm.example.com/api/v1", key, idm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("client", "c", c, "deref", *c)
	out := fmt.Sprintf("%v %+v %#v %v %+v", c, c, c, *c, *c) + logs.String()
	if strings.Contains(out, key) {
		t.Fatalf("printing a client reveals the key: %s", out)
	}
	if !strings.Contains(out, "timeout:") || !strings.Contains(out, "idm.example.com") {
		t.Fatalf("printing a client shows neither its fields nor its URL; the check proves nothing: %s", out)
	}
}

func TestHealth(t *testing.T) {
	h := newHarness(t)
	got, err := h.client.Health(context.Background())
	if err != nil {
		t.Fatal(h.note(err))
	}
	if got.Status != "ok" || got.Version != idmtest.Version {
		t.Errorf("Health = %+v", got)
	}
	reqs := h.sim.Requests()
	if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/health" || reqs[0].Status != 200 {
		t.Errorf("the simulator saw %+v, want one GET /health answered 200", reqs)
	}
}

func TestPlainHTTPOnLoopback(t *testing.T) {
	sim := idmtest.NewServer()
	defer sim.Close()
	if !strings.HasPrefix(sim.URL(), "http://127.0.0.1:") {
		t.Fatalf("NewServer URL = %q", sim.URL())
	}
	c, err := idm.New(sim.URL(), sim.APIKey(), idm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestWrongKeyRejected(t *testing.T) {
	h := newHarness(t)
	wrong := h.newClient(h.sim.URL(), "wrong-key-0123456789", idm.Options{HTTPClient: h.sim.Client()})
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"health":       func() error { _, err := wrong.Health(ctx); return err },
		"environments": func() error { _, err := wrong.Environments(ctx); return err },
		"employees":    func() error { _, err := wrong.FindEmployee(ctx, hanna.Email); return err },
		"put":          func() error { _, _, err := wrong.PutVisit(ctx, "v1-a", visit(t)); return err },
		"get":          func() error { _, err := wrong.GetVisit(ctx, "v1-a"); return err },
		"delete":       func() error { return wrong.DeleteVisit(ctx, "v1-a") },
	} {
		err := h.note(call())
		var e *idm.Error
		if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Code != idm.CodeUnauthorized {
			t.Errorf("%s with a wrong key = %v, want a 401 *idm.Error", name, err)
			continue
		}
		if !errors.Is(err, idm.ErrUnauthorized) || idm.IsRetryable(err) {
			t.Errorf("%s: %v: want ErrUnauthorized, not retryable", name, err)
		}
		if !strings.Contains(err.Error(), "IDM key rejected") {
			t.Errorf("%s: %q does not say the key was rejected", name, err)
		}
	}
	if n := len(h.sim.ActiveVisits()); n != 0 {
		t.Errorf("a wrong key created %d visits", n)
	}
}

func TestEnvironments(t *testing.T) {
	staging := idm.Environment{ID: "env-2", Name: "Staging", TimeZone: "Europe/London"}
	h := newHarness(t, idmtest.WithEnvironments(idmtest.DefaultEnvironment, staging))
	ctx := context.Background()
	envs, err := h.client.Environments(ctx)
	if err != nil {
		t.Fatal(h.note(err))
	}
	if len(envs) != 2 || envs[0] != idmtest.DefaultEnvironment || envs[1] != staging {
		t.Fatalf("Environments = %+v", envs)
	}
	for name, want := range map[string]string{"Production": "env-1", "staging": "env-2", " Staging ": "env-2", "env-2": "env-2"} {
		env, err := h.client.ResolveEnvironment(ctx, name)
		got := env.ID
		if err != nil || got != want {
			t.Errorf("ResolveEnvironment(%q) = %q, %v; want %q", name, got, h.note(err), want)
		}
	}
	_, err = h.client.ResolveEnvironment(ctx, "Prod\x1b[2J")
	if !errors.Is(h.note(err), idm.ErrEnvironmentNotFound) {
		t.Fatalf("ResolveEnvironment(Prod) = %v, want ErrEnvironmentNotFound", err)
	}
	for _, want := range []string{`"Prod"`, `available: "Production", "Staging"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %s", err, want)
		}
	}
}

func TestResolveEnvironmentAmbiguousCase(t *testing.T) {
	h := newHarness(t, idmtest.WithEnvironments(
		idm.Environment{ID: "env-1", Name: "Lab"}, idm.Environment{ID: "env-2", Name: "LAB"}))
	ctx := context.Background()
	if env, err := h.client.ResolveEnvironment(ctx, "LAB"); err != nil || env.ID != "env-2" {
		t.Errorf("exact match LAB = %q, %v; want env-2", env.ID, h.note(err))
	}
	if _, err := h.client.ResolveEnvironment(ctx, "lab"); !errors.Is(h.note(err), idm.ErrEnvironmentNotFound) {
		t.Errorf("ambiguous lab = %v, want ErrEnvironmentNotFound", err)
	}
}

func TestFindEmployee(t *testing.T) {
	plus := idm.Employee{ID: "emp-9", Email: "reception+desk@contoso.com", DisplayName: "Reception"}
	h := newHarness(t, idmtest.WithEmployees(plus))
	ctx := context.Background()
	for _, email := range []string{"hanna.host@contoso.com", "Hanna.Host@CONTOSO.com", " hanna.host@contoso.com "} {
		got, err := h.client.FindEmployee(ctx, email)
		if err != nil || got != hanna {
			t.Errorf("FindEmployee(%q) = %+v, %v; want %+v", email, got, h.note(err), hanna)
		}
	}
	if got, err := h.client.FindEmployee(ctx, plus.Email); err != nil || got != plus {
		t.Errorf("FindEmployee(%q) = %+v, %v: the query is not encoded", plus.Email, got, h.note(err))
	}
	for _, email := range []string{"ann.guest@fabrikam.com", ""} {
		if _, err := h.client.FindEmployee(ctx, email); !errors.Is(h.note(err), idm.ErrEmployeeNotFound) || idm.IsRetryable(err) {
			t.Errorf("FindEmployee(%q) = %v, want ErrEmployeeNotFound, not retryable", email, err)
		}
	}
}

func TestEmployeeCacheAgainstSimulator(t *testing.T) {
	h := newHarness(t)
	cache := idm.NewEmployeeCache(h.client, time.Hour)
	ctx := context.Background()
	lookups := func() int { return h.sim.Count(http.MethodGet, "/employees") }

	for range 3 {
		if _, err := cache.FindEmployee(ctx, "HANNA.host@contoso.com"); err != nil {
			t.Fatal(h.note(err))
		}
	}
	if n := lookups(); n != 1 {
		t.Fatalf("3 cached lookups made %d requests, want 1", n)
	}

	cache.Clear()
	done := make(chan error)
	for range 20 {
		go func() { _, err := cache.FindEmployee(ctx, hanna.Email); done <- err }()
	}
	for range 20 {
		if err := <-done; err != nil {
			t.Fatal(h.note(err))
		}
	}
	if n := lookups(); n != 2 {
		t.Fatalf("after Clear, 20 concurrent lookups made %d more requests, want 1", n-1)
	}

	h.sim.RemoveEmployee(hanna.Email)
	if _, err := cache.FindEmployee(ctx, hanna.Email); err != nil {
		t.Fatalf("a fresh cached answer was not used: %v", h.note(err))
	}
	cache.Forget(hanna.Email)
	if _, err := cache.FindEmployee(ctx, hanna.Email); !errors.Is(h.note(err), idm.ErrEmployeeNotFound) {
		t.Fatalf("after Forget: %v, want ErrEmployeeNotFound", err)
	}
}

func TestRedirectToAnotherHostRefused(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	defer other.Close()
	front := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/health" {
			http.Redirect(w, r, "/api/v1/health/", http.StatusMovedPermanently) // same host: followed
			return
		}
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer front.Close()

	h := newHarness(t)
	c := h.newClient(front.URL+"/api/v1", "front-key-0123456789", idm.Options{HTTPClient: front.Client()})
	_, err := c.Health(context.Background())
	if !errors.Is(h.note(err), idm.ErrRedirect) || idm.IsRetryable(err) {
		t.Fatalf("Health through a redirect to another host = %v, want ErrRedirect, not retryable", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the other host received %d requests", n)
	}
	_, err = h.client.Health(context.Background()) // keeps the harness log check meaningful
	h.note(err)
}

func TestRedirectOfAWriteRefused(t *testing.T) {
	var puts atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/visits/v1-a" {
			http.Redirect(w, r, "/api/v1/moved/v1-a", http.StatusMovedPermanently)
			return
		}
		puts.Add(1)
	}))
	defer srv.Close()
	h := newHarness(t)
	c := h.newClient(srv.URL+"/api/v1", "some-key-0123456789", idm.Options{HTTPClient: srv.Client()})
	_, _, err := c.PutVisit(context.Background(), "v1-a", visit(t))
	if !errors.Is(h.note(err), idm.ErrRedirect) || puts.Load() != 0 {
		t.Fatalf("PUT through a redirect = %v (%d requests followed), want ErrRedirect and none", err, puts.Load())
	}
}

func TestUntrustedCertificate(t *testing.T) {
	h := newHarness(t)
	c := h.newClient(h.sim.URL(), h.sim.APIKey(), idm.Options{HTTPClient: &http.Client{}})
	_, err := c.Health(context.Background())
	var e *idm.Error
	if !errors.As(h.note(err), &e) || e.Code != "tls" || idm.IsRetryable(err) {
		t.Fatalf("Health against an untrusted certificate = %v, want a permanent tls error", err)
	}
	if !strings.Contains(err.Error(), "certificate is not trusted") {
		t.Errorf("%q does not say the certificate is untrusted", err)
	}
}

func TestNotTheIDMAPI(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>Welcome</html>")
	}))
	defer srv.Close()
	h := newHarness(t)
	c := h.newClient(srv.URL, "some-key-0123456789", idm.Options{HTTPClient: srv.Client()})
	_, err := c.Health(context.Background())
	var e *idm.Error
	if !errors.As(h.note(err), &e) || e.Code != "bad_response" || idm.IsRetryable(err) {
		t.Fatalf("Health against a web page = %v, want a permanent bad_response", err)
	}
	if !strings.Contains(err.Error(), "text/html") {
		t.Errorf("%q does not name the content type", err)
	}
}

func TestServerMessageSanitizedAndRedacted(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"code":"unauthorized","message":"key %s refused\u001b[2J\nnext line"}}`, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	h := newHarness(t)
	const key = "echoed-key-0123456789"
	c := h.newClient(srv.URL, key, idm.Options{HTTPClient: srv.Client()})
	_, err := c.Health(context.Background())
	h.note(err)
	want := "idm: GET /health: IDM key rejected (401 unauthorized): key Bearer [redacted] refused next line"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %q, want %q", err, want)
	}
}

func TestHealthOfSomethingElse(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		body      string
		code      string
		retryable bool
	}{
		{`{}`, "bad_response", false},
		{`{"items":[]}`, "bad_response", false},
		{`{"status":"degraded\u001b[5m"}`, "unhealthy", true},
	}
	for _, tt := range tests {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, tt.body)
		}))
		c := h.newClient(srv.URL, "some-key-0123456789", idm.Options{HTTPClient: srv.Client()})
		_, err := c.Health(context.Background())
		srv.Close()
		var e *idm.Error
		if !errors.As(h.note(err), &e) || e.Code != tt.code || idm.IsRetryable(err) != tt.retryable {
			t.Errorf("Health answering %s = %v; want %s, retryable %v", tt.body, err, tt.code, tt.retryable)
		}
		if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("Health answering %s: the error carries an escape: %q", tt.body, err)
		}
	}
}
