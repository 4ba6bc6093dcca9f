package demo

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"invitesync/config"
	"invitesync/graph"
	"invitesync/graph/graphtest"
	"invitesync/idm"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

// monday is a Monday morning in the demo's zone.
var monday = time.Date(2025, 11, 24, 8, 0, 0, 0, time.UTC)

// engine runs the real engine against the demo's simulators over loopback TLS.
func engine(t *testing.T, d *Demo, now time.Time) (*invsync.Engine, *store.Store) {
	t.Helper()
	cfg, secret, key := d.Config(now)
	a := cfg.Automations[0]
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	gc, err := graph.New(a, secret, graph.Options{AuthorityHost: d.Graph.AuthorityHost(), GraphURL: d.Graph.GraphURL(), HTTPClient: d.Graph.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ic, err := idm.New(cfg.IDM.URL, key, idm.Options{HTTPClient: d.IDM.Client()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := invsync.NewEngine(invsync.Options{Automation: a, Store: st, Calendar: gc, IDM: ic})
	if err != nil {
		t.Fatal(err)
	}
	return e, st
}

// visitors lists the active visits' addresses, sorted.
func visitors(d *Demo) []string {
	var out []string
	for _, v := range d.IDM.ActiveVisits() {
		out = append(out, v.Visitor.Email)
	}
	slices.Sort(out)
	return out
}

func TestTheWeekBecomesTheExpectedVisits(t *testing.T) {
	now := time.Now()
	d, err := Start(t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	e, st := engine(t, d, now)
	res, err := e.RunOnce(context.Background())
	if err != nil || !res.OK() {
		t.Fatalf("RunOnce = %+v, %v", res, err)
	}

	// Two guests of the kick-off, three occurrences of the supplier review,
	// the training day's guest and the interviewee; nobody from the internal
	// stand-up, the audit whose host is unknown or the cancelled meeting.
	want := []string{"bob.kowalski@fabrikam.com", "carol.jensen@northwind.com", "carol.jensen@northwind.com",
		"carol.jensen@northwind.com", "dan.okafor@litware.com", "eve.martin@fabrikam.com", "grace.moreau@example.org"}
	if got := visitors(d); !slices.Equal(got, want) {
		t.Errorf("IDM holds visits for %v, want %v", got, want)
	}
	// The review's occurrences come to the week of its next meeting, the
	// moved one at its new hour, none on the cancelled one's day; the
	// training day, booked in Tonga time, keeps its date in Madrid.
	days := workingDays(now.In(d.loc), 5)
	var carol []string
	for _, v := range d.IDM.ActiveVisits() {
		arrival := v.Arrival.In(d.loc)
		switch v.Visitor.Email {
		case "carol.jensen@northwind.com":
			carol = append(carol, arrival.Format("2006-01-02 15:04"))
		case "dan.okafor@litware.com":
			if arrival.Format(time.DateOnly) != days[2].Format(time.DateOnly) {
				t.Errorf("the training day's visit arrives %s, want on %s", arrival, days[2].Format(time.DateOnly))
			}
		}
	}
	slices.Sort(carol)
	review := func(week, hour int) string {
		return at(days[1].AddDate(0, 0, 7*week), hour, 0).Format("2006-01-02 15:04")
	}
	if wantCarol := []string{review(0, 15), review(1, 16), review(3, 15)}; !slices.Equal(carol, wantCarol) {
		t.Errorf("supplier review visits arrive %v, want %v", carol, wantCarol)
	}
	rows, err := st.Activity(t.Context(), store.ActivityQuery{Automation: Automation, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, r := range rows {
		reasons[r.Subject] = string(r.Outcome) + ": " + r.Reason
	}
	for subject, want := range map[string]string{
		"Team stand-up":           "skipped",
		"Audit by Woodgrove Bank": "skipped",
		"Kick-off with Fabrikam":  "created",
	} {
		if !strings.HasPrefix(reasons[subject], want) {
			t.Errorf("%q was recorded as %q, want %s", subject, reasons[subject], want)
		}
	}
	// The store knows the kick-off's visits are in IDM, with IDM's ids.
	kickoff, err := st.EventDetails(t.Context(), Automation, d.Week.External)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range kickoff.Visits {
		if v.Status != store.VisitActive || v.IDMID == "" {
			t.Errorf("visit of %s after delivery: status %s, IDM id %q; want active with an id", v.VisitorEmail, v.Status, v.IDMID)
		}
	}
	if !strings.Contains(reasons["Audit by Woodgrove Bank"], "sam.temp@contoso.com") {
		t.Errorf("the unknown host's meeting does not name the host: %q", reasons["Audit by Woodgrove Bank"])
	}
}

func TestTheStreamInvitesMovesAndCancels(t *testing.T) {
	d, err := Start(t.TempDir(), monday)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	s := d.NewStream(7, func() time.Time { return monday })
	var kinds []ChangeKind
	starts := map[string]time.Time{}
	for range 2 * len(rhythm) {
		c, err := s.Step()
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, c.Kind)
		ev, ok := d.Graph.Event(Mailbox, c.EventID)
		if !ok {
			t.Fatalf("%s: event %s is not in the calendar", c.Kind, c.EventID)
		}
		switch c.Kind {
		case NewInvitation:
			starts[c.EventID] = ev.Start
			if len(ev.Attendees) < 2 || !strings.Contains(c.Subject, " with ") {
				t.Errorf("new invitation %+v has no guest", ev)
			}
			for _, a := range ev.Attendees {
				if err := config.ValidateAddress(a.Address); err != nil || strings.ContainsFunc(a.Address, func(r rune) bool { return r > 127 }) {
					t.Errorf("guest address %q is not a plain ASCII address (%v)", a.Address, err)
				}
			}
		case Moved:
			if ev.Start.Equal(starts[c.EventID]) {
				t.Errorf("moved event %q still starts at %s", c.Subject, ev.Start)
			}
			starts[c.EventID] = ev.Start
		case Cancelled:
			if !ev.Cancelled {
				t.Errorf("cancelled event %q is not cancelled", c.Subject)
			}
		}
	}
	if want := append(slices.Clone(rhythm), rhythm...); !slices.Equal(kinds, want) {
		t.Errorf("changes = %v, want %v", kinds, want)
	}
}

func TestStreamRunPokesAfterEachChange(t *testing.T) {
	d, err := Start(t.TempDir(), monday)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	ctx, cancel := context.WithCancel(t.Context())
	pokes := make(chan Change, 10)
	go d.NewStream(1, nil).Run(ctx, 5*time.Millisecond, func(c Change) { pokes <- c }, func(err error) { t.Error(err) })
	for range 3 {
		select {
		case c := <-pokes:
			if c.EventID == "" {
				t.Errorf("poke without a change: %+v", c)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no change within 5s")
		}
	}
	cancel()
}

func TestASCIIOnly(t *testing.T) {
	for in, want := range map[string]string{"Chloé": "Chloe", "Müller": "Muller", "Inés": "Ines", "Ada": "Ada", "李": ""} {
		if got := asciiOnly(in); got != want {
			t.Errorf("asciiOnly(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTheStreamAddsGuestsToTheWholeSeries(t *testing.T) {
	d, err := Start(t.TempDir(), monday)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	s := d.NewStream(3, func() time.Time { return monday })
	for range 20 * len(rhythm) {
		c, err := s.Step()
		if err != nil {
			t.Fatal(err)
		}
		if c.Kind != NewGuest || c.EventID != d.Week.Series {
			continue
		}
		master, _ := d.Graph.Event(Mailbox, d.Week.Series)
		joined := master.Attendees[len(master.Attendees)-1]
		for _, id := range d.Week.Occurrences {
			occ, _ := d.Graph.Event(Mailbox, id)
			if !slices.ContainsFunc(occ.Attendees, func(a graphtest.Attendee) bool { return a.Address == joined.Address }) {
				t.Errorf("occurrence %s lacks %s, who joined the series", id, joined.Address)
			}
		}
		return
	}
	t.Fatal("no guest joined the series in 20 rounds of changes")
}
