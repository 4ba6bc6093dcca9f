package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"invitesync/sync/store"
	"invitesync/sync/store/storetest"
)

// BenchmarkYearOfHistory fills a state database with a year of 500
// invitations a day as the engine writes them, pruning each day as the
// engine does, and reports the database's size and rows at the end of the
// year, how long its last daily Prune took, and then the time of one Board
// (what `status` reads per automation) and of the dashboard's first page
// in either order. One op is the whole year.
func BenchmarkYearOfHistory(b *testing.B) {
	ctx := context.Background()
	var f storetest.Filled
	var path string
	for b.Loop() {
		path = filepath.Join(b.TempDir(), "state.db")
		var err error
		if f, err = storetest.Fill(ctx, path, storetest.History{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.Bytes)/1e6, "MB")
	b.ReportMetric(float64(f.Events), "events")
	b.ReportMetric(float64(f.Ops), "ops")
	b.ReportMetric(float64(f.Activity), "activity")
	b.ReportMetric(float64(f.Failed), "failed-ops")
	b.ReportMetric(float64(f.Prune.Microseconds())/1e3, "prune-ms")

	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	q := store.ActivityQuery{Automation: "Reception", Limit: 200}
	for _, m := range []struct {
		unit string
		read func() (int, error)
	}{
		{"board-ms", func() (int, error) { _, err := st.Board(ctx, "Reception"); return 1, err }},
		{"activity-page-ms", func() (int, error) { rows, err := st.Activity(ctx, q); return len(rows), err }},
		{"by-meeting-page-ms", func() (int, error) { rows, err := st.ActivityByMeeting(ctx, q); return len(rows), err }},
	} {
		const reads = 5
		start := time.Now()
		for range reads {
			if n, err := m.read(); err != nil || n == 0 {
				b.Fatalf("%s: %d rows, %v", m.unit, n, err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/reads, m.unit)
	}
}
