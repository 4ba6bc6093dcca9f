package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// tableColumns is a schema as the checks compare it: each table's columns.
type tableColumns map[string][]string

// readSchema reads the tables (other than SQLite's own) and their columns.
func readSchema(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}) (tableColumns, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p
	WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := tableColumns{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return nil, err
		}
		out[table] = append(out[table], column)
	}
	return out, rows.Err()
}

// wantedSchema is the schema the first n steps make, read from a database
// in memory that they are applied to.
func wantedSchema(ctx context.Context, steps []string, n int) (tableColumns, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	for i, step := range steps[:n] {
		if _, err := db.ExecContext(ctx, step); err != nil {
			return nil, fmt.Errorf("schema step %d: %w", i+1, err)
		}
	}
	return readSchema(ctx, db)
}

// missing names what want has and got lacks, in words: `table outbox`,
// `column outbox.intent`; "" when nothing is missing. Extra tables and
// columns are not missing anything.
func (want tableColumns) missing(got tableColumns) string {
	var lack []string
	for table, columns := range want {
		have, ok := got[table]
		if !ok {
			lack = append(lack, "table "+table)
			continue
		}
		for _, c := range columns {
			if !slices.Contains(have, c) {
				lack = append(lack, "column "+table+"."+c)
			}
		}
	}
	slices.Sort(lack)
	return strings.Join(lack, ", ")
}

// tableNames lists the tables of s, sorted.
func (s tableColumns) tableNames() []string {
	names := make([]string, 0, len(s))
	for t := range s {
		names = append(names, t)
	}
	slices.Sort(names)
	return names
}

// precheck looks at the database at path through a read-only connection,
// before any connection that may write it (and switch it to WAL) opens: it
// refuses a schema newer than steps with a *VersionError, and one that is
// not what its version says with a *DBError (see checkSchema). A new,
// empty file passes.
func precheck(ctx context.Context, path string, busy time.Duration, steps []string) error {
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return nil
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String())
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if v > len(steps) {
		return &VersionError{Path: path, Found: v, Known: len(steps)}
	}
	return checkSchema(ctx, db, path, steps, v)
}

// checkSchema refuses a database whose schema at its version v is not the
// one steps make: a database of another program (version 0 with tables
// of its own), or one whose tables or columns were dropped. Errors are a
// *DBError naming path and the fix.
func checkSchema(ctx context.Context, db *sql.DB, path string, steps []string, v int) error {
	got, err := readSchema(ctx, db)
	if err != nil {
		return err
	}
	if v == 0 {
		if len(got) == 0 {
			return nil
		}
		names := got.tableNames()
		if len(names) > 5 {
			names = append(names[:5], "…")
		}
		return &DBError{Path: path, Kind: ErrForeign,
			Err: fmt.Errorf("it holds tables of another program (%s) and no invitesync schema version", strings.Join(names, ", ")),
			Fix: fixForeign}
	}
	want, err := wantedSchema(ctx, steps, v)
	if err != nil {
		return err
	}
	if lack := want.missing(got); lack != "" {
		return &DBError{Path: path, Kind: ErrCorrupt,
			Err: fmt.Errorf("its schema (version %d) is damaged: it lacks %s", v, lack), Fix: fixCorrupt}
	}
	return nil
}
