package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"invitesync/graph/graphtest"
	invsync "invitesync/sync"
	"invitesync/sync/store"
)

// dbContent is every row of every table of the SQLite file at path, read
// through a read-only connection: what a person would find with sqlite3.
func dbContent(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		rows.Close()
		slices.Sort(lines)
		fmt.Fprintf(&b, "%s (%d rows)\n%s\n", table, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

type previewJSON struct {
	OK          bool              `json:"ok"`
	Automations []invsync.Preview `json:"automations"`
	Errors      []string          `json:"errors"`
}

// TestE2EPreviewListsWhatRunOnceThenDoes runs `preview --json` between two
// `run --once`: the preview writes nothing to IDM, answers nobody and
// leaves every row of the state database as it was, and the run that
// follows sends IDM exactly the visits, and organizers exactly the replies,
// that the preview listed.
func TestE2EPreviewListsWhatRunOnceThenDoes(t *testing.T) {
	e := newE2E(t)
	state := strings.TrimPrefix(e.env[slices.IndexFunc(e.env, func(kv string) bool { return strings.HasPrefix(kv, "INVITESYNC_STATE=") })], "INVITESYNC_STATE=")
	review := e.meeting("Quarterly review", tomorrowAt(10), "ann.guest@fabrikam.com", "bob.visitor@fabrikam.com")
	if code, out, errOut := e.run(nil, "run", "--once"); code != 0 {
		t.Fatalf("first run --once: %d\n%s\n%s", code, out, errOut)
	}

	e.meeting("Supplier visit", tomorrowAt(15), "carl.guest@fabrikam.com")
	if err := e.graph.RemoveAttendee(e2eMailbox, review, "bob.visitor@fabrikam.com"); err != nil {
		t.Fatal(err)
	}
	lunch := tomorrowAt(12)
	if _, err := e.graph.AddEvent(e2eMailbox, graphtest.Event{
		Subject: "Team lunch", TimeZone: "Europe/Madrid", Organizer: graphtest.Person{Address: e2eHost},
		Attendees: []graphtest.Attendee{{Person: graphtest.Person{Address: "colleague@contoso.com"}}, {Person: graphtest.Person{Address: e2eMailbox}}},
		Start:     lunch, End: lunch.Add(time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.graph.AddWeeklySeries(e2eMailbox, graphtest.Event{
		Subject: "Weekly sync", TimeZone: "Europe/Madrid", Organizer: graphtest.Person{Address: e2eHost},
		Attendees: []graphtest.Attendee{{Person: graphtest.Person{Address: "dana.guest@fabrikam.com"}}, {Person: graphtest.Person{Address: e2eMailbox}}},
		Start:     tomorrowAt(9), End: tomorrowAt(10),
	}, 2); err != nil {
		t.Fatal(err)
	}

	before := dbContent(t, state)
	e.idm.ResetRequests()
	replies := len(e.graph.Replies())
	code, out, errOut := e.run(nil, "preview", "--json")
	if code != 0 {
		t.Fatalf("preview: exit %d\n%s\n%s", code, out, errOut)
	}
	var got previewJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("preview --json: %v\n%s", err, out)
	}
	if !got.OK || len(got.Automations) != 1 {
		t.Fatalf("preview --json: %s", out)
	}
	if e.idm.Writes() != 0 || len(e.graph.Replies()) != replies {
		t.Errorf("the preview wrote %d visits and sent %d replies", e.idm.Writes(), len(e.graph.Replies())-replies)
	}
	if after := dbContent(t, state); after != before {
		t.Errorf("the preview changed the state database:\nbefore\n%s\nafter\n%s", before, after)
	}
	p := got.Automations[0]
	var said []string
	for _, v := range p.Visits {
		m := http.MethodPut
		if v.Action == invsync.ActionCancel {
			m = http.MethodDelete
		}
		said = append(said, m+" "+v.Ref)
	}
	slices.Sort(said)
	if len(said) != 4 { // Carl, Dana twice, Bob cancelled
		t.Errorf("the preview lists %d visit operations, want 4: %s", len(said), out)
	}
	var skipped bool
	for _, d := range p.Decisions {
		skipped = skipped || d.Subject == "Team lunch" && d.Outcome == store.OutcomeSkipped && strings.Contains(d.Reason, "internal")
	}
	if !skipped {
		t.Errorf("the lunch with a colleague is not skipped with its reason: %+v", p.Decisions)
	}

	// The human form says the same, and that nothing was written.
	code, text, _ := e.run(nil, "preview", "--days", "2")
	for _, want := range []string{"Reception (visitors@contoso.com)", "create", "cancel", "bob.visitor@fabrikam.com",
		"Meetings it would skip: 1", "Team lunch", "is internal", "Nothing was written to Salto IDM"} {
		if code != 0 || !strings.Contains(text, want) {
			t.Errorf("preview (exit %d) lacks %q:\n%s", code, want, text)
		}
	}

	if code, out, errOut := e.run(nil, "run", "--once"); code != 0 {
		t.Fatalf("second run --once: %d\n%s\n%s", code, out, errOut)
	}
	var wrote []string
	for _, r := range e.idm.Requests() {
		if r.Method == http.MethodPut || r.Method == http.MethodDelete {
			wrote = append(wrote, r.Method+" "+strings.TrimPrefix(r.Path, "/visits/"))
		}
	}
	slices.Sort(wrote)
	if !slices.Equal(wrote, said) {
		t.Errorf("run --once wrote\n%q\nthe preview said\n%q", wrote, said)
	}
	var sent, listed []string
	for _, r := range e.graph.Replies()[replies:] {
		sent = append(sent, r.EventID+" "+r.Comment)
	}
	for _, r := range p.Replies {
		listed = append(listed, r.Ref+" "+r.Comment)
	}
	slices.Sort(sent)
	slices.Sort(listed)
	if len(sent) == 0 || !slices.Equal(sent, listed) {
		t.Errorf("replies sent\n%q\nthe preview said\n%q", sent, listed)
	}
}

func TestE2EPreviewRefusesAnUnknownAutomation(t *testing.T) {
	e := newE2E(t)
	code, _, errOut := e.run(nil, "preview", "--automation", "Recepción")
	if code != 2 || !strings.Contains(errOut, `--automation "Recepción": no such automation`) || !strings.Contains(errOut, `"Reception"`) {
		t.Errorf("exit %d: %s", code, errOut)
	}
	code, _, errOut = e.run(nil, "preview", "--days", "0")
	if code != 2 || !strings.Contains(errOut, "--days 0: want a number of days from 1 to") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
