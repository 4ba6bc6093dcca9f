package idm_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"invitesync/idm"
	"invitesync/idm/idmtest"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a client talking to a TLS simulator, with its debug log and
// every error string it produced kept, so that the end of each test can
// prove the API key appears in none of them.
type harness struct {
	t       *testing.T
	sim     *idmtest.Server
	client  *idm.Client
	logs    *syncBuffer
	mu      sync.Mutex
	errs    []string
	secrets []string
}

var (
	hanna = idm.Employee{ID: "emp-7", Email: "hanna.host@contoso.com", DisplayName: "Hanna Host"}
	ivan  = idm.Employee{ID: "emp-8", Email: "ivan.inside@contoso.com", DisplayName: "Ivan Inside"}
)

func newHarness(t *testing.T, opts ...idmtest.Option) *harness {
	t.Helper()
	opts = append([]idmtest.Option{idmtest.WithEmployees(hanna, ivan)}, opts...)
	sim := idmtest.NewTLSServer(opts...)
	t.Cleanup(sim.Close)
	h := &harness{t: t, sim: sim, logs: &syncBuffer{}, secrets: []string{sim.APIKey()}}
	h.client = h.newClient(sim.URL(), sim.APIKey(), idm.Options{HTTPClient: sim.Client(), ReadBackoff: time.Millisecond})
	t.Cleanup(h.checkNoSecrets)
	return h
}

// newClient builds a client that logs into the harness's buffer.
func (h *harness) newClient(url, key string, opts idm.Options) *idm.Client {
	h.t.Helper()
	if key != "" && !h.isSecret(key) {
		h.secrets = append(h.secrets, key)
	}
	opts.Logger = slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := idm.New(url, key, opts)
	if err != nil {
		h.t.Fatalf("idm.New(%q): %v", url, h.note(err))
	}
	return c
}

func (h *harness) isSecret(s string) bool {
	for _, k := range h.secrets {
		if k == s {
			return true
		}
	}
	return false
}

// note keeps err's text in every form a caller might print, and returns err.
func (h *harness) note(err error) error {
	if err != nil {
		h.mu.Lock()
		h.errs = append(h.errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		h.mu.Unlock()
	}
	return err
}

func (h *harness) checkNoSecrets() {
	logs := h.logs.String()
	if !strings.Contains(logs, `"msg":"idm request"`) {
		h.t.Errorf("the client logged no requests; the key check would prove nothing:\n%s", logs)
	}
	for _, key := range h.secrets {
		if strings.Contains(logs, key) {
			h.t.Errorf("the API key appears in the log:\n%s", logs)
		}
		h.mu.Lock()
		for _, e := range h.errs {
			if strings.Contains(e, key) {
				h.t.Errorf("the API key appears in an error: %s", e)
			}
		}
		h.mu.Unlock()
	}
}

// visit returns a valid visit for hanna in the default environment.
func visit(t testing.TB) idm.Visit {
	t.Helper()
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	return idm.Visit{
		EnvironmentID:  idmtest.DefaultEnvironment.ID,
		HostEmployeeID: hanna.ID,
		Visitor:        idm.NewVisitor("Ann Guest", "ann.guest@fabrikam.com"),
		Arrival:        time.Date(2026, 12, 1, 9, 0, 0, 0, madrid),
		Departure:      time.Date(2026, 12, 1, 11, 0, 0, 0, madrid),
		Location:       "Building A – Reception",
		Subject:        "Supplier visit – Fabrikam",
		Source:         &idm.Source{Kind: idm.SourceCalendar, Mailbox: "visitors@contoso.com", EventID: "AAkALgAAAAAAHYQDEapmEc2byACqAC", ICalUID: "040000008200E00074C5B7101A82E008"},
	}
}
