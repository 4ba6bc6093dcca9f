package store

import (
	"database/sql"
	"strings"
)

// maxRowsPerStatement bounds the rows one statement writes. A first round
// writes tens of thousands of rows; in statements of many rows each, the
// cost of running a statement is paid once per chunk rather than per row.
const maxRowsPerStatement = 64

// execRows runs query(n) — a statement over n rows of placeholders, see
// rowValues — for rows, a chunk at a time (see inChunks). It returns the
// rows affected and the result of the last statement.
func (tx *Tx) execRows(query func(n int) string, rows [][]any, tail ...any) (affected int64, last sql.Result, err error) {
	err = inChunks(rows, tail, func(n int, args []any) error {
		if last, err = tx.exec(query(n), args...); err != nil {
			return err
		}
		k, err := last.RowsAffected()
		affected += k
		return err
	})
	return affected, last, err
}

// inChunks calls run for rows a chunk at a time, with the chunk's size and
// its rows' arguments in order followed by tail. Chunks are powers of two
// up to maxRowsPerStatement, so that few statement texts are prepared.
func inChunks(rows [][]any, tail []any, run func(n int, args []any) error) error {
	for len(rows) > 0 {
		n := chunkSize(len(rows))
		args := make([]any, 0, n*len(rows[0])+len(tail))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if err := run(n, append(args, tail...)); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// chunkSize is the largest power of two at most n and maxRowsPerStatement.
func chunkSize(n int) int {
	size := 1
	for size*2 <= min(n, maxRowsPerStatement) {
		size *= 2
	}
	return size
}

// rowValues is n copies of row, a parenthesised group of placeholders,
// separated by commas: the rows of a VALUES clause.
func rowValues(n int, row string) string {
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}
