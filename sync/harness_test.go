package sync

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm"
	"invitesync/idm/idmtest"
	"invitesync/sync/store"
)

// harness is one automation wired to the Graph and IDM simulators over
// loopback TLS and to a real SQLite state database.
type harness struct {
	t      testing.TB
	ctx    context.Context
	graph  *graphtest.Server
	idm    *idmtest.Server
	store  *store.Store
	auto   config.Automation
	host   idm.Employee
	eng    *Engine
	feed   *Feed
	logBuf *lockedLog
	// leaseTTL is the loop lease of the engines built next; zero: LeaseTTL.
	leaseTTL time.Duration
}

type harnessOption func(*config.Automation, *graph.Options)

func pageSize(n int) harnessOption {
	return func(_ *config.Automation, o *graph.Options) { o.PageSize = n }
}

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	g := graphtest.NewServer(graphtest.WithMailboxes(mailbox))
	t.Cleanup(g.Close)
	im := idmtest.NewTLSServer()
	t.Cleanup(im.Close)
	h := &harness{t: t, ctx: context.Background(), graph: g, idm: im, logBuf: &lockedLog{}}
	h.host = im.AddEmployee(idm.Employee{Email: hostEmail, DisplayName: "Hanna Host"})
	h.auto = config.Automation{
		Name: "Reception", Environment: idmtest.DefaultEnvironment.Name, Enabled: true,
		Interval: time.Minute, Protocol: config.ProtocolOutlook, Mailbox: mailbox,
		TimeZone: "Europe/Madrid", TenantID: g.TenantID, ClientID: g.ClientID,
		LookAheadDays: 30, Replies: true,
	}
	gopts := graph.Options{AuthorityHost: g.AuthorityHost(), GraphURL: g.GraphURL(), HTTPClient: g.Client(), PageSize: 50}
	for _, o := range opts {
		o(&h.auto, &gopts)
	}
	var err error
	h.store, err = store.Open(h.ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { h.store.Close() })
	h.eng = h.engine(gopts, "test")
	return h
}

// engine builds an engine for the harness's automation with its own clients.
func (h *harness) engine(gopts graph.Options, owner string) *Engine {
	h.t.Helper()
	return h.engineWithSecret(gopts, owner, h.graph.Secret)
}

// engineWithSecret is engine signing in with secret.
func (h *harness) engineWithSecret(gopts graph.Options, owner, secret string) *Engine {
	h.t.Helper()
	gc, err := graph.New(h.auto, secret, gopts)
	if err != nil {
		h.t.Fatalf("graph.New: %v", err)
	}
	ic, err := idm.New(h.idm.URL(), h.idm.APIKey(), idm.Options{HTTPClient: PooledClient(h.idm.Client()), ReadBackoff: time.Millisecond})
	if err != nil {
		h.t.Fatalf("idm.New: %v", err)
	}
	h.feed = NewFeed(1024)
	eng, err := NewEngine(Options{
		Automation: h.auto, Store: h.store, Calendar: gc, IDM: ic,
		Logger: slog.New(slog.NewTextHandler(writerFunc(h.log), &slog.HandlerOptions{Level: slog.LevelDebug})),
		Feed:   h.feed, Owner: owner, LeaseTTL: h.leaseTTL,
		Policy: Policy{Base: 200 * time.Millisecond, Max: 2 * time.Second},
	})
	if err != nil {
		h.t.Fatalf("NewEngine: %v", err)
	}
	return eng
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func (h *harness) log(b []byte) (int, error) { return h.logBuf.Write(b) }

var _ io.Writer = writerFunc(nil)

// lockedLog is the harness's log: engines running side by side write it.
type lockedLog struct {
	mu stdsync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// cycle runs one full poll and drains the outbox, retrying what is due soon.
func (h *harness) cycle() OnceResult {
	h.t.Helper()
	res, err := h.eng.RunOnce(h.ctx)
	if err != nil {
		h.t.Fatalf("RunOnce: %v\nlog:\n%s", err, h.logBuf)
	}
	return res
}

// add puts an event in the watched mailbox's calendar.
func (h *harness) add(e graphtest.Event) string {
	h.t.Helper()
	id, err := h.graph.AddEvent(mailbox, e)
	if err != nil {
		h.t.Fatalf("AddEvent: %v", err)
	}
	return id
}

func (h *harness) update(id string, change func(*graphtest.Event)) {
	h.t.Helper()
	if err := h.graph.UpdateEvent(mailbox, id, change); err != nil {
		h.t.Fatalf("UpdateEvent: %v", err)
	}
}

// active returns IDM's active visits by visitor address.
func (h *harness) active() map[string][]idmtest.Record {
	out := map[string][]idmtest.Record{}
	for _, r := range h.idm.ActiveVisits() {
		out[r.Visitor.Email] = append(out[r.Visitor.Email], r)
	}
	return out
}

// activity returns the activity log, oldest first.
func (h *harness) activity() []store.Activity {
	h.t.Helper()
	rows, err := h.store.Activity(h.ctx, store.ActivityQuery{Automation: h.auto.Name, Limit: 1000})
	if err != nil {
		h.t.Fatalf("Activity: %v", err)
	}
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows
}

// localDay is midnight of the day offset days from today in Madrid.
func localDay(offset int) time.Time {
	n := time.Now().In(madrid)
	return time.Date(n.Year(), n.Month(), n.Day()+offset, 0, 0, 0, 0, madrid)
}

// invitation is a meeting the host sends to two guests and the mailbox.
func invitation(subject string, start time.Time, guests ...graphtest.Attendee) graphtest.Event {
	attendees := append([]graphtest.Attendee{{Person: graphtest.Person{Name: "Visitors Reception", Address: mailbox}, Type: "optional"}}, guests...)
	return graphtest.Event{
		Subject: subject, Location: "Building A", TimeZone: "Europe/Madrid",
		Organizer: graphtest.Person{Name: "Hanna Host", Address: hostEmail},
		Attendees: attendees, Start: start, End: start.Add(2 * time.Hour),
	}
}

func simGuest(name, addr string) graphtest.Attendee {
	return graphtest.Attendee{Person: graphtest.Person{Name: name, Address: addr}}
}

var (
	simAnn = simGuest("Ann Guest", "ann.guest@fabrikam.com")
	simBob = simGuest("Bob Visitor", "bob.visitor@fabrikam.com")
)
