package tui

import (
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/sync/store"
)

// BenchmarkDashboardView renders the dashboard of 200 automations in real
// time zones: the overview of all of them, and one automation holding
// 10,000 activity rows with the selection in the middle of them. Its cost
// must not grow with the automations or the rows: only the visible lines
// are rendered.
func BenchmarkDashboardView(b *testing.B) {
	const rows = 10_000
	autos, src := fleet(200)
	page := make([]store.Activity, 0, rows)
	for i := range rows {
		r := activityRow(autos[0].Name, testNow.Add(-time.Duration(i)*time.Minute),
			fmt.Sprintf("Quarterly review %05d with Fabrikam", i), "Ann Host <ann@contoso.com>",
			"bob@fabrikam.com, eve@fabrikam.com", store.Outcomes[i%len(store.Outcomes)], "2 visitors registered")
		r.ID = int64(rows - i) // newest first
		page = append(page, r)
	}
	d, err := NewDashboard(DashboardOptions{Source: src, Automations: autos, Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	m, _ := d.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	d = m.(Dashboard)
	boards, _ := src.Boards(b.Context(), d.names())
	d.takeBoards(boardsMsg{boards: boards})
	d.table.replace(page[:pageSize], pageSize)
	d.table.appendOlder(page[pageSize:])
	d.table.move(rows / 2)
	if len(d.table.rows) != rows || d.zone().String() != "Europe/Madrid" {
		b.Fatalf("%d rows held in %s, want %d in Europe/Madrid", len(d.table.rows), d.zone(), rows)
	}
	for _, c := range []struct {
		name     string
		overview bool
	}{{"overview", true}, {"automation", false}} {
		b.Run(c.name, func(b *testing.B) {
			v := d
			v.overviewing = c.overview
			v.ov.move(100)
			v.layout()
			b.ReportAllocs()
			for b.Loop() {
				_ = v.View()
			}
		})
	}
}
