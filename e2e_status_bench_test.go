package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"invitesync/sync/store/storetest"
)

// BenchmarkStatusYear runs the built binary's `status --json` against a
// state database holding a year of 500 invitations a day, pruned as the
// engine prunes. One op is one whole command, from the process's start to
// its exit.
//
//	go test -run '^$' -bench StatusYear -benchtime 10x .
func BenchmarkStatusYear(b *testing.B) {
	e := newE2E(b)
	f, err := storetest.Fill(context.Background(), filepath.Join(e.dir, "state", "state.db"),
		storetest.History{Automation: e.config.Automations[0].Name})
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		code, out, errOut := e.run(nil, "status", "--json")
		total += time.Since(start)
		b.StopTimer()
		var doc struct {
			Automations []statusJSON `json:"automations"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Automations) != 1 || doc.Automations[0].LastPoll == nil {
			b.Fatalf("status --json: exit %d, %v\n%s%s", code, err, out, errOut)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "status-ms")
	b.ReportMetric(float64(f.Bytes)/1e6, "MB")
}
