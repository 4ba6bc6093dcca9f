package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedOrForeignDatabaseNamesTheFileAndTheFix: a state database
// whose tables or columns were dropped, or an SQLite file of another
// program, is refused at Open with the path and what to do, and is left
// as it was; a table dropped while the store is open gives the same.
func TestDamagedOrForeignDatabaseNamesTheFileAndTheFix(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		fresh bool   // an empty file, not an invitesync database, to start from
		sql   string // run on the file before Open
		kind  error
		want  []string
	}{
		{name: "dropped table", sql: `DROP TABLE outbox`, kind: ErrCorrupt,
			want: []string{fmt.Sprintf("schema (version %d) is damaged: it lacks table outbox", SchemaVersion()), "move the file aside"}},
		{name: "two dropped tables", sql: `DROP TABLE outbox; DROP TABLE visits`, kind: ErrCorrupt,
			want: []string{"it lacks table outbox, table visits"}},
		{name: "dropped column", sql: `ALTER TABLE outbox DROP COLUMN intent`, kind: ErrCorrupt,
			want: []string{"it lacks column outbox.intent", "move the file aside"}},
		{name: "foreign database", fresh: true, sql: `CREATE TABLE moz_places (id INTEGER, url TEXT); CREATE TABLE moz_bookmarks (id INTEGER)`,
			kind: ErrForeign, want: []string{"not an invitesync state database", "tables of another program (moz_bookmarks, moz_places)", "choose another state file"}},
		{name: "foreign database with a version", fresh: true, sql: `CREATE TABLE events (id INTEGER); PRAGMA user_version = 3`,
			kind: ErrCorrupt, want: []string{"schema (version 3) is damaged: it lacks", "table cursors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if !tt.fresh {
				openAt(t, path).Close()
			}
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			db.Close()
			before, _ := os.ReadFile(path)

			s, err := Open(ctx, path)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted it")
			}
			var dbe *DBError
			if !errors.Is(err, tt.kind) || !errors.As(err, &dbe) {
				t.Fatalf("Open = %v, want a *DBError matching %v", err, tt.kind)
			}
			for _, want := range append(tt.want, path) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q lacks %q", err, want)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
				t.Error("Open changed the file")
			}
		})
	}
	t.Run("dropped while open", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.db")
		s := openAt(t, path)
		defer s.Close()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`DROP TABLE outbox`); err != nil {
			t.Fatal(err)
		}
		_, err = s.Pending(ctx, "a")
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "move the file aside") {
			t.Fatalf("Pending = %v", err)
		}
	})
}
