package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenCopyLeavesTheOriginalAsItWas writes to a copy of a live database
// (another connection holds it open, in WAL mode, with work not yet
// checkpointed) and finds the original's file and rows unchanged, the copy
// holding both, and nothing left once the copy is closed.
func TestOpenCopyLeavesTheOriginalAsItWas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	orig := openAt(t, path)
	update(t, orig, func(tx *Tx) error {
		if err := tx.PutEvent(sampleEvent("Front desk", "e1")); err != nil {
			return err
		}
		if err := tx.PutVisit(sampleVisit("Front desk", "e1", "ann@fabrikam.com")); err != nil {
			return err
		}
		_, err := tx.Enqueue(putOp("Front desk", "e1", "ref-e1-ann@fabrikam.com"))
		return err
	})
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(path + "-wal")

	cp, err := OpenCopy(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !cp.IsCopy() || orig.IsCopy() {
		t.Errorf("IsCopy: copy %v, original %v", cp.IsCopy(), orig.IsCopy())
	}
	if pending, err := cp.Pending(ctx, "Front desk"); err != nil || len(pending) != 1 {
		t.Fatalf("the copy's pending operations: %v, %v", pending, err)
	}
	update(t, cp, func(tx *Tx) error {
		if err := tx.PutEvent(sampleEvent("Front desk", "e2")); err != nil {
			return err
		}
		if err := tx.SetCursor("Front desk", Cursor{Link: "https://graph/delta?token=new", Complete: true}); err != nil {
			return err
		}
		_, err := tx.Enqueue(putOp("Front desk", "e2", "ref-e2"))
		return err
	})
	states, err := cp.VisitStates(ctx, "Front desk")
	if err != nil || states["ref-e1-ann@fabrikam.com"] != VisitPending {
		t.Errorf("the copy's visits: %v, %v", states, err)
	}
	copyPath := cp.Path()
	if err := cp.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(copyPath)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy's directory is left: %v", err)
	}

	after, _ := os.ReadFile(path)
	walAfter, _ := os.ReadFile(path + "-wal")
	if !bytes.Equal(before, after) || !bytes.Equal(wal, walAfter) {
		t.Error("the original's files changed")
	}
	err = orig.View(ctx, func(tx *Tx) error {
		if _, ok, err := tx.Event("Front desk", "e2"); err != nil || ok {
			t.Errorf("the copy's event reached the original: %v %v", ok, err)
		}
		if _, ok, err := tx.Cursor("Front desk"); err != nil || ok {
			t.Errorf("the copy's cursor reached the original: %v %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pending, err := orig.Pending(ctx, "Front desk"); err != nil || len(pending) != 1 {
		t.Errorf("the original's pending operations: %d, %v", len(pending), err)
	}
}

func TestOpenCopyOfNothingIsEmptyAndCreatesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "none", "state.db")
	cp, err := OpenCopy(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if id, err := cp.LastActivityID(ctx); err != nil || id != 0 {
		t.Errorf("LastActivityID of an empty copy: %d, %v", id, err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("copying a database that does not exist created its directory: %v", err)
	}
}

func TestOpenCopyRefusesANewerSchemaAndCorruptFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := openAt(t, path)
	if _, err := s.w.ExecContext(ctx, `PRAGMA user_version = 999`); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCopy(ctx, path); !errors.Is(err, ErrTooNew) {
		t.Errorf("a newer schema: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(bad, []byte("not a database, not at all, no"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCopy(ctx, bad); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a corrupt file: %v", err)
	}
}

func TestActivitySinceIsOldestFirstAfterTheID(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	var ids []int64
	update(t, s, func(tx *Tx) error {
		for _, subj := range []string{"one", "two", "three"} {
			id, err := tx.AddActivity(Activity{Automation: "Front desk", EventID: subj, Subject: subj, Outcome: OutcomeSkipped})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		_, err := tx.AddActivity(Activity{Automation: "Warehouse", EventID: "w", Outcome: OutcomeSkipped})
		return err
	})
	last, err := s.LastActivityID(ctx)
	if err != nil || last <= ids[2] {
		t.Fatalf("LastActivityID %d, %v", last, err)
	}
	got, err := s.ActivitySince(ctx, "Front desk", ids[0])
	if err != nil || len(got) != 2 || got[0].Subject != "two" || got[1].Subject != "three" {
		t.Errorf("ActivitySince: %+v, %v", got, err)
	}
}
