package tui

import (
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"invitesync/config"

	"invitesync/sync/store"
)

// BenchmarkDashboardView renders the dashboard holding 10,000 activity rows,
// the selection in the middle of them. Its cost must not grow with the rows:
// only the visible window is rendered.
func BenchmarkDashboardView(b *testing.B) {
	const rows = 10_000
	src := newFakeSource()
	page := make([]store.Activity, 0, rows)
	for i := range rows {
		r := activityRow("reception", testNow.Add(-time.Duration(i)*time.Minute),
			fmt.Sprintf("Quarterly review %05d with Fabrikam", i), "Ann Host <ann@contoso.com>",
			"bob@fabrikam.com, eve@fabrikam.com", store.Outcomes[i%len(store.Outcomes)], "2 visitors registered")
		r.ID = int64(rows - i) // newest first
		page = append(page, r)
	}
	d, err := NewDashboard(DashboardOptions{Source: src, Automations: []config.Automation{testAutomation("reception")},
		Now: func() time.Time { return testNow }, Location: time.UTC})
	if err != nil {
		b.Fatal(err)
	}
	m, _ := d.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	d = m.(Dashboard)
	d.table.replace(page[:pageSize], pageSize)
	d.table.appendOlder(page[pageSize:])
	d.table.move(rows / 2)
	if len(d.table.rows) != rows {
		b.Fatalf("%d rows held, want %d", len(d.table.rows), rows)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = d.View()
	}
}
