package sync

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm/idmtest"
	"invitesync/sync/store"
)

// fileSums digests the state database's file and its WAL, to prove nothing
// wrote them. (The -shm file is SQLite's shared index, where every reader
// marks what it reads.)
func fileSums(t *testing.T, path string) [2][32]byte {
	t.Helper()
	var out [2][32]byte
	for i, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		out[i] = sha256.Sum256(b)
	}
	return out
}

// previewEngine builds the harness's automation on a copy of its state.
func (h *harness) previewEngine() (*Engine, func()) {
	h.t.Helper()
	cp, err := store.OpenCopy(h.ctx, h.store.Path())
	if err != nil {
		h.t.Fatalf("OpenCopy: %v", err)
	}
	real := h.store
	h.store = cp
	e := h.engine(graph.Options{AuthorityHost: h.graph.AuthorityHost(), GraphURL: h.graph.GraphURL(), HTTPClient: h.graph.Client(), PageSize: 3}, "preview")
	h.store = real
	return e, func() { cp.Close() }
}

// writes are IDM's visit writes since the last reset, as "PUT ref" and
// "DELETE ref", sorted.
func writes(im *idmtest.Server) []string {
	var out []string
	for _, r := range im.Requests() {
		if r.Method == http.MethodPut || r.Method == http.MethodDelete {
			out = append(out, r.Method+" "+strings.TrimPrefix(r.Path, "/visits/"))
		}
	}
	slices.Sort(out)
	return out
}

// previewed is what p says the outbox will send, in the shape of writes.
func previewed(p Preview) []string {
	var out []string
	for _, v := range p.Visits {
		m := http.MethodPut
		if v.Action == ActionCancel {
			m = http.MethodDelete
		}
		out = append(out, m+" "+v.Ref)
	}
	slices.Sort(out)
	return out
}

// replyActions maps the engine's replies to Graph's actions.
var replyActions = map[ReplyKind]string{ReplyAccept: "accept", ReplyTentative: "tentativelyAccept", ReplyDecline: "decline"}

// TestPreviewListsWhatRunOnceThenDoes: after a first cycle, the calendar
// changes (a new meeting, a guest removed, a meeting from someone IDM does
// not know, one with colleagues only, a weekly series whose occurrences
// arrive stripped); a preview lists the visits and replies, and the skips
// with their reasons, while IDM, Graph's replies and the state database
// stay as they were; the next run does exactly what it listed.
func TestPreviewListsWhatRunOnceThenDoes(t *testing.T) {
	h := newHarness(t, pageSize(3))
	kept := h.add(invitation("Quarterly review", localDay(2).Add(10*time.Hour), simAnn, simBob))
	h.cycle()

	h.add(invitation("Supplier visit", localDay(3).Add(9*time.Hour), simAnn))
	if err := h.graph.RemoveAttendee(mailbox, kept, simBob.Address); err != nil {
		t.Fatal(err)
	}
	stranger := invitation("Sales pitch", localDay(4).Add(11*time.Hour), simBob)
	stranger.Organizer = graphtest.Person{Name: "Sam Stranger", Address: "sam@contoso.com"}
	h.add(stranger)
	h.add(invitation("Team lunch", localDay(5).Add(12*time.Hour), simGuest("Colleague", "colleague@contoso.com")))
	_, occ, inside := h.weekly(invitation("Weekly sync", localDay(1).Add(15*time.Hour), simAnn), 3)
	if len(inside) != 3 {
		t.Fatalf("%d occurrences in the window", len(inside))
	}
	h.add(invitation("Next quarter", localDay(60).Add(9*time.Hour), simAnn)) // beyond the window

	h.idm.ResetRequests()
	h.graph.ResetRequests()
	repliesBefore := len(h.graph.Replies())
	sums := fileSums(t, h.store.Path())
	var cursor store.Cursor
	if err := h.store.View(h.ctx, func(tx *store.Tx) (err error) { cursor, _, err = tx.Cursor(h.auto.Name); return err }); err != nil {
		t.Fatal(err)
	}

	eng, done := h.previewEngine()
	p, err := eng.Preview(h.ctx)
	done()
	if err != nil {
		t.Fatalf("Preview: %v\n%s", err, h.logBuf)
	}

	if n := h.idm.Writes(); n != 0 {
		t.Errorf("the preview wrote to IDM %d times", n)
	}
	for _, r := range h.idm.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("the preview sent IDM %s %s", r.Method, r.Path)
		}
	}
	if n := len(h.graph.Replies()); n != repliesBefore {
		t.Errorf("the preview answered %d organizers", n-repliesBefore)
	}
	for _, r := range h.graph.GraphRequests() {
		if r.Method != http.MethodGet {
			t.Errorf("the preview sent Graph %s %s", r.Method, r.Path)
		}
	}
	if now := fileSums(t, h.store.Path()); now != sums {
		t.Errorf("the preview changed the state database's files (database, WAL): %v", [2]bool{now[0] != sums[0], now[1] != sums[1]})
	}

	// What it says: three new visits for the series, one for the supplier
	// visit, Bob's cancelled, nothing for the stranger's meeting or lunch.
	actions := map[string]int{}
	for _, v := range p.Visits {
		actions[v.Action]++
		if v.Queued {
			t.Errorf("%+v is said to be queued earlier", v)
		}
	}
	if actions[ActionCreate] != 4 || actions[ActionCancel] != 1 || actions[ActionUpdate] != 0 {
		t.Errorf("visit actions %v in %+v", actions, p.Visits)
	}
	for _, v := range p.Visits {
		if v.Action == ActionCancel && (v.Visitor != simBob.Address || v.Subject != "Quarterly review") {
			t.Errorf("cancelled %+v, want Bob's visit to the quarterly review", v)
		}
		if v.Arrival.Location().String() != "Europe/Madrid" || v.Host != hostEmail {
			t.Errorf("visit %+v: times in the automation's zone and the host", v)
		}
	}
	series := 0
	for _, v := range p.Visits {
		if slices.Contains(occ, v.EventID) {
			series++
			if v.Subject != "Weekly sync" {
				t.Errorf("an occurrence was not completed from its series: %+v", v)
			}
		}
	}
	if series != 3 {
		t.Errorf("%d visits for the series' occurrences, want 3", series)
	}
	reasons := map[string]string{}
	for _, d := range p.Decisions {
		reasons[d.Subject] = string(d.Outcome) + ": " + d.Reason
	}
	if r := reasons["Sales pitch"]; !strings.HasPrefix(r, "skipped: ") || !strings.Contains(r, "sam@contoso.com") {
		t.Errorf("the stranger's meeting: %q", r)
	}
	if r := reasons["Team lunch"]; !strings.HasPrefix(r, "skipped: ") || !strings.Contains(r, "internal") {
		t.Errorf("the lunch: %q", r)
	}
	if _, ok := reasons["Next quarter"]; ok {
		t.Errorf("a meeting beyond the window was decided: %v", reasons)
	}
	if len(p.Replies) == 0 {
		t.Error("no reply in the preview")
	}

	// The state is as it was: the same cursor, and a run does it all.
	var after store.Cursor
	if err := h.store.View(h.ctx, func(tx *store.Tx) (err error) { after, _, err = tx.Cursor(h.auto.Name); return err }); err != nil {
		t.Fatal(err)
	}
	if after.Link != cursor.Link || !after.RoundStarted.Equal(cursor.RoundStarted) {
		t.Errorf("the delta link moved: %q → %q", cursor.Link, after.Link)
	}
	h.cycle()
	if got, want := writes(h.idm), previewed(p); !slices.Equal(got, want) {
		t.Errorf("run --once wrote\n%v\nthe preview said\n%v", got, want)
	}
	var sent, said []string
	for _, r := range h.graph.Replies()[repliesBefore:] {
		sent = append(sent, r.EventID+" "+r.Action+" "+r.Comment)
	}
	for _, r := range p.Replies {
		said = append(said, r.Ref+" "+replyActions[r.Reply]+" "+r.Comment)
	}
	slices.Sort(sent)
	slices.Sort(said)
	if !slices.Equal(sent, said) {
		t.Errorf("replies sent\n%q\nthe preview said\n%q", sent, said)
	}

	// Within keeps what starts in the next two days: the first occurrence
	// of the series and Bob's cancellation.
	near := p.Within(localDay(3))
	if len(near.Visits) != 2 || near.Beyond == 0 {
		t.Errorf("within three days: %+v (beyond %d)", near.Visits, near.Beyond)
	}
}

// TestPreviewShowsWhatAnEarlierPollLeftQueued: operations an earlier poll
// queued and IDM has not taken yet are in the preview, marked queued.
func TestPreviewShowsWhatAnEarlierPollLeftQueued(t *testing.T) {
	h := newHarness(t)
	h.add(invitation("Supplier visit", localDay(3).Add(9*time.Hour), simAnn))
	if _, err := h.eng.Poll(h.ctx); err != nil { // planned, not delivered
		t.Fatal(err)
	}
	eng, done := h.previewEngine()
	defer done()
	p, err := eng.Preview(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Visits) != 1 || !p.Visits[0].Queued || p.Visits[0].Action != ActionCreate || len(p.Decisions) != 0 {
		t.Errorf("preview %+v", p)
	}
}

func TestPreviewRefusesTheStateItself(t *testing.T) {
	h := newHarness(t)
	if _, err := h.eng.Preview(h.ctx); !errors.Is(err, ErrNotACopy) {
		t.Errorf("Preview on the state database: %v", err)
	}
	if n := len(h.graph.GraphRequests()); n != 0 {
		t.Errorf("%d Graph requests", n)
	}
}
