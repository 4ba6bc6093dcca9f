package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// Sizes of the engine's first-round target: 10,000 events with 2 guests each,
// in Graph delta pages of 50 events.
const (
	benchEvents   = 10_000
	benchGuests   = 2
	benchPageSize = 50
)

// storeFirstRound writes a first delta round as the engine does: one
// transaction per page with what the store knew of each event, the event, its
// visits, its operations, an activity line, and the new cursor.
func storeFirstRound(b *testing.B, s *Store) {
	ctx := context.Background()
	payload := json.RawMessage(`{"environmentId":"env-1","hostEmployeeId":"emp-7","visitor":{"email":"guest@fabrikam.com",` +
		`"firstName":"Ann","lastName":"Guest","company":"Fabrikam"},"arrival":"2026-12-01T09:00:00+01:00",` +
		`"departure":"2026-12-01T11:00:00+01:00","location":"Building A","subject":"Supplier visit"}`)
	for page := 0; page < benchEvents/benchPageSize; page++ {
		err := s.Update(ctx, func(tx *Tx) error {
			for i := range benchPageSize {
				id := fmt.Sprintf("event-%05d", page*benchPageSize+i)
				if _, _, err := tx.Event("a", id); err != nil {
					return err
				}
				if _, err := tx.Visits("a", id); err != nil {
					return err
				}
				if _, err := tx.Reply("a", id); err != nil {
					return err
				}
				if err := tx.PutEvent(sampleEvent("a", id)); err != nil {
					return err
				}
				for g := range benchGuests {
					v := sampleVisit("a", id, fmt.Sprintf("guest%d@fabrikam.com", g))
					if err := tx.PutVisit(v); err != nil {
						return err
					}
					if _, err := tx.Enqueue(Op{Automation: "a", Ref: v.Ref, EventID: id, Kind: OpPut, Payload: payload}); err != nil {
						return err
					}
				}
				if _, err := tx.AddActivity(Activity{Automation: "a", EventID: id, Subject: "Supplier visit",
					Host: "Hanna Host", Visitors: "guest0, guest1", Outcome: OutcomeCreated}); err != nil {
					return err
				}
			}
			return tx.SetCursor("a", Cursor{Link: fmt.Sprint("https://graph.test/delta?skip=", page)})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// drainOutbox runs every operation as an outbox worker does: take the due
// ones, and record IDM's answer and the visit's state for batch operations
// per transaction (1: each operation commits on its own).
func drainOutbox(b *testing.B, s *Store, batch int) int {
	ctx := context.Background()
	n := 0
	for {
		ops, err := s.Due(ctx, "a", 100)
		if err != nil {
			b.Fatal(err)
		}
		if len(ops) == 0 {
			return n
		}
		for chunk := range slices.Chunk(ops, batch) {
			err := s.Update(ctx, func(tx *Tx) error {
				for _, op := range chunk {
					if err := tx.MarkDone(op.ID, Result{Code: 201, VisitID: "vis-" + op.Ref, Status: "expected"}); err != nil {
						return err
					}
					if err := tx.SetVisitState(op.Automation, op.Ref, VisitActive, "vis-"+op.Ref); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			n += len(chunk)
		}
	}
}

// cpuTime is the user and system CPU time the process has used so far. On a
// shared machine it says more about the store's cost than the wall clock.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFirstRound stores 10,000 events and 20,000 outbox operations in
// page-sized transactions. One op is the whole round.
func BenchmarkFirstRound(b *testing.B) {
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s := openAt(b, filepath.Join(b.TempDir(), "state.db"))
		b.StartTimer()
		c := cpuTime(b)
		storeFirstRound(b, s)
		cpu += cpuTime(b) - c
	}
	b.ReportMetric(float64(benchEvents)/(b.Elapsed().Seconds()/float64(b.N)), "events/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkDrainOutbox completes the 20,000 operations of a first round,
// committing 1 or 20 operations per transaction. One op is the whole drain.
func BenchmarkDrainOutbox(b *testing.B) {
	for _, batch := range []int{1, 20} {
		b.Run(fmt.Sprint("per-tx=", batch), func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				s := openAt(b, filepath.Join(b.TempDir(), "state.db"))
				storeFirstRound(b, s)
				b.StartTimer()
				c := cpuTime(b)
				if n := drainOutbox(b, s, batch); n != benchEvents*benchGuests {
					b.Fatalf("drained %d operations, want %d", n, benchEvents*benchGuests)
				}
				cpu += cpuTime(b) - c
			}
			b.ReportMetric(float64(benchEvents*benchGuests)/(b.Elapsed().Seconds()/float64(b.N)), "ops/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkDueWithBacklog measures one Due call while 20,000 operations wait.
func BenchmarkDueWithBacklog(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "state.db"))
	storeFirstRound(b, s)
	ctx := context.Background()
	for b.Loop() {
		if ops, err := s.Due(ctx, "a", 100); err != nil || len(ops) != 100 {
			b.Fatalf("Due: %d, %v", len(ops), err)
		}
	}
}

// BenchmarkActivityPage measures one dashboard page of 100 rows, filtered,
// over 10,000 activity lines.
func BenchmarkActivityPage(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "state.db"))
	storeFirstRound(b, s)
	ctx := context.Background()
	for b.Loop() {
		if rows, err := s.Activity(ctx, ActivityQuery{Automation: "a", Filter: "hanna", Limit: 100}); err != nil || len(rows) != 100 {
			b.Fatalf("Activity: %d, %v", len(rows), err)
		}
	}
}
