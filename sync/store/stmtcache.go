package store

import (
	"context"
	"database/sql"
	stdsync "sync"
)

// stmtCache keeps prepared statements of one connection pool, so the
// statements a page of events repeats thousands of times are parsed once.
//
// A statement is prepared on the pool, never inside a transaction: the write
// pool has one connection, which a transaction holds. So a statement first
// met inside a transaction runs unprepared and is prepared when the
// transaction has ended (prepareWanted); database/sql then reuses it on
// whichever connection a later transaction has.
type stmtCache struct {
	db     *sql.DB
	mu     stdsync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// get returns the prepared statement for query, or nil after noting that it
// is wanted.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stmts[query]
	if st == nil {
		c.wanted[query] = true
	}
	return st
}

// prepareWanted prepares the statements noted by get. One that fails to
// prepare is left to run unprepared, where it reports its own error. The
// lock is not held while preparing: that waits for a free connection, and
// the transaction holding it calls get.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	queries := make([]string, 0, len(c.wanted))
	for q := range c.wanted {
		queries = append(queries, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range queries {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.stmts[q] == nil {
			c.stmts[q] = st
			st = nil
		}
		c.mu.Unlock()
		if st != nil { // another caller prepared it meanwhile
			st.Close()
		}
	}
}

// close closes every prepared statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

// query runs query outside any transaction, preparing it first.
func (c *stmtCache) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.get(query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	c.prepareWanted(ctx)
	return c.db.QueryContext(ctx, query, args...)
}

// queryRow runs query outside any transaction, preparing it first.
func (c *stmtCache) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.get(query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	c.prepareWanted(ctx)
	return c.db.QueryRowContext(ctx, query, args...)
}

// exec runs a statement in the transaction, with the cached statement when
// there is one, and classifies its error.
func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	var (
		res sql.Result
		err error
	)
	if st := tx.stmt(query); st != nil {
		res, err = st.ExecContext(tx.ctx, args...)
	} else {
		res, err = tx.tx.ExecContext(tx.ctx, query, args...)
	}
	return res, tx.s.fail(err)
}

// query runs query in the transaction, with the cached statement when there
// is one.
func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, query, args...)
}

// queryRow runs query in the transaction, with the cached statement when
// there is one.
func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmt(query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, query, args...)
}

// stmt returns the cached statement for query bound to the transaction, or
// nil (see stmtCache.get). Each is bound once per transaction: a page of
// events runs the same few statements thousands of times.
func (tx *Tx) stmt(query string) *sql.Stmt {
	if st := tx.stmts[query]; st != nil {
		return st
	}
	st := tx.cache.get(query)
	if st == nil {
		return nil
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	st = tx.tx.StmtContext(tx.ctx, st)
	tx.stmts[query] = st
	return st
}
