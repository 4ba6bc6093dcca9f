package graph_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
)

const (
	watched = "visitors@contoso.example"
	other   = "ceo@contoso.example"
)

// newSim starts a simulator holding the watched mailbox and another one.
func newSim(t *testing.T) *graphtest.Server {
	t.Helper()
	s := graphtest.NewServer(graphtest.WithMailboxes(watched, other))
	t.Cleanup(s.Close)
	return s
}

// automationFor returns an automation the simulator accepts.
func automationFor(s *graphtest.Server) config.Automation {
	return config.Automation{
		Name:     "Reception",
		Mailbox:  watched,
		TenantID: s.TenantID,
		ClientID: s.ClientID,
		TimeZone: "Europe/Berlin",
	}
}

// optionsFor points a client at the simulator over its trusted TLS.
func optionsFor(s *graphtest.Server) graph.Options {
	return graph.Options{
		AuthorityHost: s.AuthorityHost(),
		GraphURL:      s.GraphURL(),
		HTTPClient:    s.Client(),
		PageSize:      2,
		Timeout:       20 * time.Second,
	}
}

func newClient(t *testing.T, s *graphtest.Server, a config.Automation, opts graph.Options) *graph.Client {
	t.Helper()
	c, err := graph.New(a, s.Secret, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// mustContain fails unless s contains every part.
func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s = %q, want it to contain %q", what, s, p)
		}
	}
}

// day returns a UTC time on a day relative to today.
func day(days int, hour, minute int) time.Time {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month(), now.Day()+days, hour, minute, 0, 0, time.UTC)
}
